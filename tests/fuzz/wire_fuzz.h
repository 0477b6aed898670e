/*
 * wire_fuzz.h - the body of both wire decoder fuzz targets: the first byte picks the type
 * (index into the schema's list), the rest is decoded in the target's encoding. Whatever
 * decodes must stay within the arena cap, come back equal when encoded and decoded again in
 * either encoding, and render JSON. The same bytes are also decoded with picks
 * (wire_decode_picked): nothing of the type, and for the types daemons pick from, what they
 * pick; whatever the whole decode reads the picked one must read, and equal to the whole one
 * cut to the pick. A crash, leak, cap overrun or mismatch is a finding.
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

/* The picks tried beside the whole decode, by type name (made once; never freed). */
static const struct {
    const char *type, *paths;
} fuzz_picks[] = {
    {"mesos.internal.RunTaskMessage", "framework_id, task.name, task.task_id, task.executor, "
                                      "task.resources, task.labels, task.data"},
    {"mesos.internal.RunTaskMessage", "task.command.uris.value framework.id pid"},
    {"mesos.internal.StatusUpdateMessage", "update.status.task_id, update.uuid, pid"},
    {"mesos.internal.ReregisterSlaveMessage", "slave_id, tasks.task_id, tasks.resources"},
    {"mesos.internal.ResourceOffersMessage", "offers.id, offers.resources.ranges"},
};

/* Decodes the bytes with pick p: it must fail only where the whole decode failed (whole is
 * NULL then) and otherwise equal the whole decode cut to the pick. Aborts on a finding. */
static void check_pick(const wire_pick *p, const uint8_t *data, size_t size, wire_format f,
                       const wire_msg *whole)
{
    const wire_desc *d = wire_pick_type(p);
    wire_msg *m = NULL;
    int rc = wire_decode_picked(f, p, data, size, &m, NULL, 0);
    if (rc != 0) {
        if (whole) abort();
        return;
    }
    if (wire_msg_arena_bytes(m) > WIRE_EXPANSION * size + WIRE_ARENA_SLACK) abort();
    if (whole) {
        wire_msg *cut = wire_copy(d, whole->root);
        wire_pick_clear_rest(p, cut->root);
        if (!wire_equal(d, cut->root, m->root)) abort();
        wire_msg_free(cut);
    }
    wire_msg_free(m);
}

/* The picks of type number `type` checked against the whole decode (NULL if it failed). */
static void check_picks(size_t type, const uint8_t *data, size_t size, wire_format f,
                        const wire_msg *whole)
{
    static wire_pick *none[256], *named[sizeof fuzz_picks / sizeof fuzz_picks[0]];
    const wire_desc *d = wire_type_at(type);
    if (type >= sizeof none / sizeof none[0]) abort(); /* the table is too small */
    if (!none[type]) none[type] = wire_pick_new(d, "", NULL, 0);
    check_pick(none[type], data, size, f, whole);
    for (size_t k = 0; k < sizeof fuzz_picks / sizeof fuzz_picks[0]; k++) {
        if (wire_type_by_name(fuzz_picks[k].type) != d) continue;
        if (!named[k]) named[k] = wire_pick_new(d, fuzz_picks[k].paths, NULL, 0);
        if (!named[k]) abort();
        check_pick(named[k], data, size, f, whole);
    }
}

static int fuzz_wire_input(const uint8_t *data, size_t size, wire_format f)
{
    if (size < 1) return 0;
    size_t type = data[0] % wire_type_count();
    const wire_desc *d = wire_type_at(type);
    wire_msg *m = NULL;
    char err[256];
    int rc = wire_decode_as(f, d, data + 1, size - 1, &m, err, sizeof err);
    check_picks(type, data + 1, size - 1, f, m);
    if (rc != 0) return 0;
    if (wire_msg_arena_bytes(m) > WIRE_EXPANSION * (size - 1) + WIRE_ARENA_SLACK) abort();
    check_round_trip(d, m, WIRE_MSGPACK);
    check_round_trip(d, m, WIRE_PROTOBUF);
    free(wire_to_json(d, m->root));
    wire_msg_free(m);
    return 0;
}

#endif
