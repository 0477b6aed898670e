/*
 * fuzz_wire_decode.c - libFuzzer target over the decoder of every message type: the first
 * byte picks the type (index into the schema's list), the rest is decoded. Whatever decodes
 * must stay within the arena cap, re-encode, decode again to an equal message, and render
 * JSON. A crash, leak, cap overrun or mismatch is a finding.
 */
#include <stdint.h>
#include <stdlib.h>

#include "wire/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const wire_desc *d, const wire_msg *m)
{
    act_buf b = {0};
    if (wire_encode(d, m->root, &b) != 0) abort();
    wire_msg *again = NULL;
    int rc = wire_decode(d, b.data, b.len, &again, NULL, 0);
    /* A canonical encoding can be shorter than the input (no unknown keys, minimal integers),
     * so only the expansion cap may refuse it. */
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
    if (wire_decode(d, data + 1, size - 1, &m, err, sizeof err) != 0) return 0;
    if (wire_msg_arena_bytes(m) > WIRE_EXPANSION * (size - 1) + WIRE_ARENA_SLACK) abort();
    check_round_trip(d, m);
    free(wire_to_json(d, m->root));
    wire_msg_free(m);
    return 0;
}
