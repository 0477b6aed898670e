/*
 * test_mesos_go.c - our protobuf held against a real Mesos client library: Debian's mesos-go
 * (v0 bindings), whose programs in tests/go/ are built in GOPATH mode from the packaged sources.
 * wirecheck shows that mesos-go still writes the golden bytes our unit tests pin, and that
 * every schema type we encode, with random contents, is read by mesos-go without an error or
 * a field it does not know (except the few fields and types listed below that later Mesos
 * dropped or that are ours) and written back byte for byte.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/golden.h"
#include "tests/support/testutil.h"
#include "wire/wire.h"

/* Types mesos-go does not have: ACLs and the registry never leave a master, RoleInfo is the
 * master's, SuppressOffersMessage is ours, FrameworkExpiredMessage predates 0.22. */
static const char *const types_mesos_go_lacks[] = {
    "mesos.ACL.Entity", "mesos.ACL.RegisterFramework", "mesos.ACL.RunTask",
    "mesos.ACL.ShutdownFramework", "mesos.ACLs", "mesos.internal.RoleInfo",
    "mesos.internal.Registry", "mesos.internal.Registry.Master", "mesos.internal.Registry.Slave",
    "mesos.internal.Registry.Slaves", "mesos.internal.SuppressOffersMessage",
    "mesos.internal.FrameworkExpiredMessage",
};

/* Types later Mesos (whose .proto files mesos-go follows) redefined with the same numbers:
 * ResourceUsage was the slave monitor's record in 0.22 and never reaches a framework. */
static const char *const types_mesos_go_redefined[] = {"mesos.ResourceUsage"};

/* Fields of 0.22 that the later Mesos mesos-go follows removed, as "<Type>:<number>". */
static const char *const fields_mesos_go_lacks[] = {
    "ExecutorInfo:10",          /* source */
    "ReregisterSlaveMessage:1", /* slave_id, removed in 0.22 already */
};

static bool listed(const char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0) return true;
    return false;
}

#define LISTED(list, s) listed(list, sizeof list / sizeof list[0], s)

/* Runs wirecheck with args and returns its output (free it), failing the test if it fails. */
static char *wirecheck(const char *mode, const char *file)
{
    char *dir = tu_tmpdir(), out[4200];
    snprintf(out, sizeof out, "%s/out", dir);
    char *argv[] = {(char *)tu_go_bin("wirecheck"), (char *)mode, (char *)file, NULL};
    int rc = tu_run(argv, out, 60);
    FILE *f = fopen(out, "r");
    ck_assert_ptr_nonnull(f);
    act_buf text = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) act_buf_append(&text, chunk, n);
    fclose(f);
    tu_rmrf(dir);
    free(dir);
    ck_assert_msg(rc == 0, "wirecheck %s exited %d: %.500s", mode, rc, text.data);
    return act_buf_detach(&text, NULL);
}

START_TEST(test_mesos_go_still_writes_the_golden_bytes)
{
    char *out = wirecheck("golden", NULL);
    size_t found = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        char *hex = strchr(line, ' ');
        ck_assert_ptr_nonnull(hex);
        *hex++ = '\0';
        for (size_t i = 0; i < tg_golden_count; i++) {
            if (strcmp(tg_golden_msgs[i].name, line) != 0) continue;
            ck_assert_msg(strcmp(tg_golden_msgs[i].hex, hex) == 0,
                          "%s: mesos-go now writes %s", line, hex);
            found++;
        }
    }
    ck_assert_uint_eq(found, tg_golden_count);
    free(out);
}
END_TEST

/* Checks one wirecheck verdict for a message of type d we encoded as `ours`. */
static void check_verdict(const wire_desc *d, const wire_msg *sent, const act_buf *ours,
                          char *verdict)
{
    const char *name = wire_type_name(d);
    if (strcmp(verdict, "unknown-type") == 0) {
        ck_assert_msg(LISTED(types_mesos_go_lacks, name), "mesos-go has no %s", name);
        return;
    }
    ck_assert_msg(!LISTED(types_mesos_go_lacks, name), "%s is listed but mesos-go has it", name);
    if (LISTED(types_mesos_go_redefined, name)) return;
    ck_assert_msg(strncmp(verdict, "error", 5) != 0, "%s: mesos-go says %s", name, verdict);
    char *hex = strrchr(verdict, ' ');
    ck_assert_ptr_nonnull(hex);
    *hex++ = '\0';
    if (strncmp(verdict, "unrecognized ", 13) == 0) {
        for (char *f = strtok(verdict + 13, ","); f; f = strtok(NULL, ","))
            ck_assert_msg(LISTED(fields_mesos_go_lacks, f), "%s: mesos-go does not know %s",
                          name, f);
    } else {
        ck_assert_str_eq(verdict, "ok");
        act_buf again = {0};
        tg_hex(ours->data, ours->len, &again);
        ck_assert_msg(strcmp(again.data, hex) == 0, "%s: mesos-go wrote it back differently",
                      name);
        act_buf_free(&again);
    }
    /* Whatever mesos-go wrote back, we read as the message we sent. */
    act_buf theirs = {0};
    ck_assert(tg_unhex(hex, &theirs));
    wire_msg *back = NULL;
    char err[256] = "";
    ck_assert_msg(wire_pb_decode(d, theirs.data, theirs.len, &back, err, sizeof err) == 0,
                  "%s: %s", name, err);
    ck_assert_msg(wire_equal(d, sent->root, back->root), "%s changed through mesos-go", name);
    wire_msg_free(back);
    act_buf_free(&theirs);
}

START_TEST(test_every_type_reads_in_mesos_go_and_comes_back_byte_for_byte)
{
    enum { SEEDS = 3 };
    size_t n = wire_type_count() * SEEDS;
    wire_msg **sent = calloc(n, sizeof *sent);
    act_buf *enc = calloc(n, sizeof *enc), lines = {0};
    for (size_t i = 0; i < n; i++) {
        const wire_desc *d = wire_type_at(i / SEEDS);
        uint64_t rng = 1000 + i;
        sent[i] = wire_new(d);
        wire_random_fill(sent[i], d, sent[i]->root, &rng);
        ck_assert_int_eq(wire_pb_encode(d, sent[i]->root, &enc[i]), 0);
        act_buf_printf(&lines, "%s ", wire_type_name(d));
        tg_hex(enc[i].data, enc[i].len, &lines);
        act_buf_putc(&lines, '\n');
    }
    char *dir = tu_tmpdir(), in[4200];
    snprintf(in, sizeof in, "%s/in", dir);
    FILE *f = fopen(in, "w");
    ck_assert_ptr_nonnull(f);
    fwrite(lines.data, 1, lines.len, f);
    fclose(f);

    char *out = wirecheck("crosscheck", in), *save = NULL;
    size_t i = 0;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
        ck_assert_uint_lt(i, n);
        check_verdict(wire_type_at(i / SEEDS), sent[i], &enc[i], line);
    }
    ck_assert_uint_eq(i, n);

    for (i = 0; i < n; i++) {
        wire_msg_free(sent[i]);
        act_buf_free(&enc[i]);
    }
    free(sent);
    free(enc);
    free(out);
    act_buf_free(&lines);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

Suite *mesos_go_suite(void);
Suite *mesos_go_suite(void)
{
    Suite *s = suite_create("mesos_go");
    TCase *wire = tcase_create("wire");
    tcase_set_timeout(wire, 120);
    tcase_add_test(wire, test_mesos_go_still_writes_the_golden_bytes);
    tcase_add_test(wire, test_every_type_reads_in_mesos_go_and_comes_back_byte_for_byte);
    suite_add_tcase(s, wire);
    return s;
}
