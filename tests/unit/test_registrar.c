/*
 * test_registrar.c - the file registrar (master/registrar.c): operations that wait together
 * are applied in order and stored once; each is answered in order, a refused one alone; the
 * registry file then holds what was applied.
 */
#include "master/master_int.h"
#include "tests/support/testutil.h"

#include <check.h>
#include <stdio.h>

#define SLAVES 500

static char *dir;
static act_pid owner, reg;
static tu_counter answered, recovered;
static reg_result results[SLAVES + 8];

static void on_applied(act_actor *self, const act_msg *msg)
{
    (void)self;
    const reg_result *r = msg->obj;
    results[tu_counter_get(&answered)] = *r;
    tu_counter_add(&answered, 1);
}

static void on_recovered(act_actor *self, const act_msg *msg)
{
    (void)self;
    (void)msg;
    tu_counter_add(&recovered, 1);
}

static void setup(void)
{
    dir = tu_tmpdir();
    tu_runtime_start(1);
    tu_counter_init(&answered);
    tu_counter_init(&recovered);
    act_actor *a = act_new("registrar-owner", NULL);
    act_on_message(a, REG_MSG_APPLIED, on_applied);
    act_on_message(a, REG_MSG_RECOVERED, on_recovered);
    owner = act_self(a);
    ck_assert_int_eq(act_spawn(a, 0), 0);
}

static void teardown(void)
{
    act_shutdown();
    tu_rmrf(dir);
    free(dir);
}

/* A registrar on dir's registry file (none yet), recovered. */
static void start_registrar(void)
{
    master_config cfg;
    master_config_default(&cfg);
    cfg.registry_in_memory = false;
    cfg.work_dir = dir;
    reg = registrar_spawn(&cfg, &owner, 0);
    reg_recover *r = act_calloc(1, sizeof *r);
    r->info = wire_new(WIRE_DESC(master_info));
    uint64_t before = tu_counter_get(&recovered);
    act_post(NULL, &reg, REG_MSG_RECOVER, r, reg_recover_free);
    ck_assert(tu_counter_wait(&recovered, before + 1, 10));
}

/* registrar/state_store_ms/count from the metrics snapshot. */
static long stores(void)
{
    act_buf snap = {0};
    act_metrics_snapshot(&snap);
    const char *key = "\"registrar\\/state_store_ms\\/count\":";
    const char *at = strstr(snap.data, key);
    long n = at ? strtol(at + strlen(key), NULL, 10) : 0;
    act_buf_free(&snap);
    return n;
}

static void post_op(registrar_op_kind kind, int slave, uint64_t token)
{
    reg_op *op = act_calloc(1, sizeof *op);
    op->kind = kind;
    op->token = token;
    op->info = wire_new(WIRE_DESC(slave_info));
    wire_slave_info *info = op->info->root;
    char id[64];
    snprintf(id, sizeof id, "S%d", slave);
    info->hostname = wire_strdup(op->info, id);
    info->id = wire_alloc(op->info, sizeof *info->id);
    info->id->value = wire_strdup(op->info, id);
    act_post(NULL, &reg, REG_MSG_APPLY, op, reg_op_free);
}

/* Runs on the registrar's loop: every operation is in its mailbox before it handles one. */
static void post_all(act_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    uint64_t t = 1;
    for (int i = 0; i < SLAVES; i++) post_op(REG_ADMIT, i, t++);
    post_op(REG_ADMIT, 7, t++);    /* refused: already admitted */
    post_op(REG_REMOVE, 3, t++);
    post_op(REG_READMIT, 3, t++);  /* back */
    post_op(REG_REMOVE, 4, t++);   /* gone */
}

START_TEST(test_operations_waiting_together_are_stored_once_and_answered_in_order)
{
    start_registrar();
    long before = stores();
    ck_assert_int_eq(act_dispatch(&owner, post_all, NULL), 0);
    ck_assert(tu_counter_wait(&answered, SLAVES + 4, 30));
    for (size_t i = 0; i < SLAVES + 4; i++) {
        ck_assert_uint_eq(results[i].token, i + 1);
        ck_assert_msg(results[i].ok == (i != SLAVES), "operation %zu: %s", i + 1,
                      results[i].error);
    }
    ck_assert_str_eq(results[SLAVES].error, "Slave already admitted");
    ck_assert_int_eq(stores() - before, 1);
    /* the file holds S0..S499 but S4, in admission order (S3, removed and readmitted in the
     * same batch, keeps its place) */
    char path[4200];
    snprintf(path, sizeof path, "%s/registry", dir);
    act_buf bytes = {0};
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) act_buf_append(&bytes, chunk, n);
    fclose(f);
    wire_msg *m = NULL;
    char err[256];
    ck_assert_int_eq(wire_decode(WIRE_DESC(registry), bytes.data, bytes.len, &m, err, sizeof err),
                     0);
    act_buf_free(&bytes);
    const wire_registry *r = m->root;
    ck_assert_uint_eq(r->slaves->slaves_count, SLAVES - 1);
    size_t k = 0;
    for (int i = 0; i < SLAVES; i++) {
        if (i == 4) continue;
        char id[64];
        snprintf(id, sizeof id, "S%d", i);
        ck_assert_str_eq(r->slaves->slaves[k++].info.id->value, id);
    }
    wire_msg_free(m);
}
END_TEST

Suite *registrar_suite(void)
{
    Suite *s = suite_create("registrar");
    TCase *tc = tcase_create("file");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_operations_waiting_together_are_stored_once_and_answered_in_order);
    suite_add_tcase(s, tc);
    return s;
}
