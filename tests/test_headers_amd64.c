/*
 * test_headers_amd64.c - the WDK-shaped headers compiled for amd64 (-D_AMD64_, set in
 * tests/CMakeLists.txt): constants, types, status and bug check values, and the
 * model's win10-amd64 profile against them.
 *
 * The expected values below come from the fact sheet's table, never from the headers under
 * test. Must never define an architecture macro itself: the build does.
 */
#ifndef _AMD64_
#error "build this file with -D_AMD64_"
#endif

#define EXPECT_KERNEL_STACK_SIZE 0x6000
#define EXPECT_LARGE_STACK_SIZE 0x12000
#define EXPECT_LARGE_STACK_COMMIT 0x6000
#define EXPECT_MAXIMUM_EXPANSION_SIZE 0x11800
#define EXPECT_HIGH_LEVEL 15
#define EXPECT_PROFILE "win10-amd64"
#include "test_headers.h"

TEST(arch_constants_amd64) { check_arch_constants(); }
TEST(types_and_codes_amd64) { check_types_and_codes(); }
TEST(profile_matches_headers_amd64) { check_profile_matches_headers(); }
