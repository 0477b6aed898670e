/*
 * mpwrite.h - a tiny msgpack writer for the hand-made inputs of the codec tests (what the
 * encoder would never write: keys out of order, duplicates, wrong types, hostile sizes).
 * Header-only; the strings are fixstrs (under 32 bytes, checked).
 */
#ifndef TESTS_SUPPORT_MPWRITE_H
#define TESTS_SUPPORT_MPWRITE_H

#include <check.h>
#include <stdint.h>
#include <string.h>

#include "actor/actor.h"

static inline void mp_byte(act_buf *b, unsigned v)
{
    act_buf_putc(b, (char)(uint8_t)v);
}

static inline void mp_str(act_buf *b, const char *s)
{
    size_t n = strlen(s);
    ck_assert_uint_lt(n, 32);
    mp_byte(b, 0xa0 | (unsigned)n);
    act_buf_append(b, s, n);
}

static inline void mp_map(act_buf *b, unsigned n)
{
    mp_byte(b, 0x80 | n);
}

static inline void mp_arr(act_buf *b, unsigned n)
{
    mp_byte(b, 0x90 | n);
}

/* {"value": s} */
static inline void mp_id(act_buf *b, const char *s)
{
    mp_map(b, 1);
    mp_str(b, "value");
    mp_str(b, s);
}

#endif /* TESTS_SUPPORT_MPWRITE_H */
