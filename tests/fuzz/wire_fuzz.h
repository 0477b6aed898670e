/*
 * wire_fuzz.h - the body of both wire decoder fuzz targets: the first byte picks the type
 * (index into the schema's list), the rest is decoded in the target's encoding. Whatever
 * decodes must stay within the arena cap, come back equal when encoded and decoded again in
 * either encoding, and render JSON. A crash, leak, cap overrun or mismatch is a finding.
 */
#ifndef TESTS_FUZZ_WIRE_FUZZ_H
#define TESTS_FUZZ_WIRE_FUZZ_H

#include <stdint.h>
#include <stdlib.h>

#include "wire/wire.h"

/* Aborts (a finding) unless m survives encoding and decoding in f. A canonical encoding can be
 * shorter than the input (no unknown fields, minimal integers), so only the expansion cap may
 * refuse it. */
static void check_round_trip(const wire_desc *d, const wire_msg *m, wire_format f)
{
    act_buf b = {0};
    if (wire_encode_as(f, d, m->root, &b) != 0) abort();
    wire_msg *again = NULL;
    int rc = wire_decode_as(f, d, b.data, b.len, &again, NULL, 0);
    if (rc != 0 && rc != WIRE_ELIMIT) abort();
    if (rc == 0 && !wire_equal(d, m->root, again->root)) abort();
    wire_msg_free(again);
    act_buf_free(&b);
}

static int fuzz_wire_input(const uint8_t *data, size_t size, wire_format f)
{
    if (size < 1) return 0;
    const wire_desc *d = wire_type_at(data[0] % wire_type_count());
    wire_msg *m = NULL;
    char err[256];
    if (wire_decode_as(f, d, data + 1, size - 1, &m, err, sizeof err) != 0) return 0;
    if (wire_msg_arena_bytes(m) > WIRE_EXPANSION * (size - 1) + WIRE_ARENA_SLACK) abort();
    check_round_trip(d, m, WIRE_MSGPACK);
    check_round_trip(d, m, WIRE_PROTOBUF);
    free(wire_to_json(d, m->root));
    wire_msg_free(m);
    return 0;
}

#endif
