/*
 * format_hash.h - the trace's use of format.c: an event formatted straight into the trace
 * hash, for runs whose text nobody reads. Private to the harness library.
 */
#ifndef KFAULT_FORMAT_HASH_H
#define KFAULT_FORMAT_HASH_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* The longest line an event may hash, its terminating NUL included. */
#define KFH_FORMAT_HASH_MAX 512

/* Feeds the first cap - 1 characters of what vsnprintf(buf, cap, fmt, ap) writes into the
 * FNV-1a hash *hash, without writing them anywhere (cap <= KFH_FORMAT_HASH_MAX). Returns
 * the number of characters hashed. */
size_t kfh__vformat_hash(uint64_t *hash, size_t cap, const char *fmt, va_list ap);

#endif
