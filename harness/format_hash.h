/*
 * format_hash.h - the trace hash of one event, computed from the event's fields (its format's
 * identity and its arguments' values), never from its text. Private to the harness library.
 */
#ifndef KFAULT_FORMAT_HASH_H
#define KFAULT_FORMAT_HASH_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* The definition of the trace hash this build computes. Recorded with every list of hashes
 * (corpus/TRACE_HASHES, corpus/scenarios/HASHES: a "# trace-hash-version N" line); a change
 * to what a hash is made of is a new version and a migration of every record.
 *   1: FNV-1a over the text of each event and a newline (gone).
 *   2: FNV-1a over each event's fields: the identity of its format (FNV-1a of the format's
 *      characters up to " ;; ", cached per format) and its arguments' values
 *      (format.c: kfh__vhash_event). */
#define KFH_TRACE_HASH_VERSION 2

/* Mixes the event kfh_trace_event(fmt, ...) into the FNV-1a hash *hash from its fields.
 * fmt must be a string literal: its address keys a cache (never the value). */
void kfh__vhash_event(uint64_t *hash, const char *fmt, va_list ap);

#endif
