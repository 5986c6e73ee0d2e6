/*
 * test_headers_arm64.c - the WDK-shaped headers compiled for arm64 (-D_ARM64_, set in
 * tests/CMakeLists.txt): constants, types, status and bug check values, and the
 * model's win11-arm64 profile against them.
 *
 * The expected values below come from the fact sheet's table, never from the headers under
 * test. Must never define an architecture macro itself: the build does.
 */
#ifndef _ARM64_
#error "build this file with -D_ARM64_"
#endif

#define EXPECT_KERNEL_STACK_SIZE 0x8000
#define EXPECT_LARGE_STACK_SIZE 0x12000
#define EXPECT_LARGE_STACK_COMMIT 0x8000
#define EXPECT_MAXIMUM_EXPANSION_SIZE 0x11800
#define EXPECT_HIGH_LEVEL 15
#define EXPECT_PROFILE "win11-arm64"
#include "test_headers.h"

TEST(arch_constants_arm64) { check_arch_constants(); }
TEST(types_and_codes_arm64) { check_types_and_codes(); }
TEST(profile_matches_headers_arm64) { check_profile_matches_headers(); }
