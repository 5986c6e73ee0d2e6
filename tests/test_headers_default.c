/*
 * test_headers_default.c - the WDK-shaped headers compiled with no architecture defined,
 * which means amd64 as in the WDK: constants, types, status and bug check values, and
 * the model's win11-amd64 profile against them.
 *
 * The expected values below come from the fact sheet's table, never from the headers under
 * test. Must never define an architecture macro itself: the build does.
 */
#if defined(_X86_) || defined(_AMD64_) || defined(_ARM_) || defined(_ARM64_)
#error "build this file with no architecture defined"
#endif

#define EXPECT_KERNEL_STACK_SIZE 0x6000
#define EXPECT_LARGE_STACK_SIZE 0x12000
#define EXPECT_LARGE_STACK_COMMIT 0x6000
#define EXPECT_MAXIMUM_EXPANSION_SIZE 0x11800
#define EXPECT_HIGH_LEVEL 15
#define EXPECT_PROFILE "win11-amd64"
#include "test_headers.h"

#ifndef _AMD64_
#error "no architecture defined must mean amd64"
#endif

TEST(arch_constants_default) { check_arch_constants(); }
TEST(types_and_codes_default) { check_types_and_codes(); }
TEST(profile_matches_headers_default) { check_profile_matches_headers(); }
