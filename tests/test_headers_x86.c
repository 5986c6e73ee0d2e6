/*
 * test_headers_x86.c - the WDK-shaped headers compiled for x86 (-D_X86_, set in
 * tests/CMakeLists.txt): constants, types, status and bug check values, and the
 * model's win10-x86 profile against them.
 *
 * The expected values below come from the fact sheet's table, never from the headers under
 * test. Must never define an architecture macro itself: the build does.
 */
#ifndef _X86_
#error "build this file with -D_X86_"
#endif

#define EXPECT_KERNEL_STACK_SIZE 0x3000
#define EXPECT_LARGE_STACK_SIZE 0xF000
#define EXPECT_LARGE_STACK_COMMIT 0x3000
#define EXPECT_MAXIMUM_EXPANSION_SIZE 0xE800
#define EXPECT_HIGH_LEVEL 31
#define EXPECT_PROFILE "win10-x86"
#include "test_headers.h"

TEST(arch_constants_x86) { check_arch_constants(); }
TEST(types_and_codes_x86) { check_types_and_codes(); }
TEST(profile_matches_headers_x86) { check_profile_matches_headers(); }
