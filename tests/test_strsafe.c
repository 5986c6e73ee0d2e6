#include "kft.h"
#include <ntddk.h>
TEST(placeholder_strsafe) { CHECK(1); }
