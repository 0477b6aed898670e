/*
 * fuzz_pb_decode.c - libFuzzer target over the protobuf decoder of every message type: the
 * first byte picks the type (index into the schema's list), the rest is decoded. Whatever
 * decodes must stay within the arena cap, re-encode as protobuf and decode again to an equal
 * message, cross to msgpack and back unchanged, and render JSON. A crash, leak, cap overrun or
 * mismatch is a finding.
 */
#include <stdint.h>
#include <stdlib.h>

#include "wire/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef int (*encode_fn)(const wire_desc *, const void *, act_buf *);
typedef int (*decode_fn)(const wire_desc *, const void *, size_t, wire_msg **, char *, size_t);

/* Encodes m with one codec and decodes it with the matching decoder: it must come back equal
 * (only the expansion cap may refuse a canonical encoding shorter than the input). */
static void check_round_trip(const wire_desc *d, const wire_msg *m, encode_fn enc,
                             decode_fn dec)
{
    act_buf b = {0};
    if (enc(d, m->root, &b) != 0) abort();
    wire_msg *again = NULL;
    int rc = dec(d, b.data, b.len, &again, NULL, 0);
    if (rc != 0 && rc != WIRE_ELIMIT) abort();
    if (rc == 0 && !wire_equal(d, m->root, again->root)) abort();
    wire_msg_free(again);
    act_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const wire_desc *d = wire_type_at(data[0] % wire_type_count());
    wire_msg *m = NULL;
    char err[256];
    if (wire_pb_decode(d, data + 1, size - 1, &m, err, sizeof err) != 0) return 0;
    if (wire_msg_arena_bytes(m) > WIRE_EXPANSION * (size - 1) + WIRE_ARENA_SLACK) abort();
    check_round_trip(d, m, wire_pb_encode, wire_pb_decode);
    check_round_trip(d, m, wire_encode, wire_decode);
    free(wire_to_json(d, m->root));
    wire_msg_free(m);
    return 0;
}
