/*
 * golden.h - a few messages as mesos-go encodes them: each built with our structs, and the
 * bytes mesos-go's own encoder (gogo/protobuf) writes for the same message, as printed by
 * `build/go/bin/wirecheck golden` (tests/go/wirecheck/golden.go builds them with mesos-go's
 * types). The protobuf unit test checks our encoder against these bytes; the mesos-go
 * integration test checks that mesos-go still writes them.
 */
#ifndef TESTS_SUPPORT_GOLDEN_H
#define TESTS_SUPPORT_GOLDEN_H

#include "wire/wire.h"

typedef struct tg_golden {
    const char *name;        /* the type's full name */
    const char *hex;         /* mesos-go's encoding, lower-case hex */
    wire_msg *(*build)(void); /* the same message with our structs (free with wire_msg_free) */
} tg_golden;

extern const tg_golden tg_golden_msgs[];
extern const size_t tg_golden_count;

/* Decodes lower-case hex into out (replaced). Returns false on a bad digit. */
bool tg_unhex(const char *hex, act_buf *out);
/* Appends the lower-case hex of n bytes (out->data is a string afterwards, even for none). */
void tg_hex(const void *data, size_t n, act_buf *out);

#endif
