#include "kft.h"
TEST(placeholder){CHECK(1);}
