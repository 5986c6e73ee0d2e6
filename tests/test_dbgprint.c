#include "kft.h"
#include <ntddk.h>
TEST(placeholder_dbgprint) { CHECK(1); }
