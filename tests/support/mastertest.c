/*
 * mastertest.c - the in-process master for tests (see mastertest.h).
 */
#include "tests/support/mastertest.h"
#include "tests/support/testutil.h"

#include <check.h>

void mt_start(master_config *cfg, act_pid *pid, char *addr, size_t n)
{
    act_clock_pause();
    tu_runtime_start(2);
    cfg->allocator_loop = 1;
    ck_assert_int_eq(master_spawn(cfg, pid), 0);
    snprintf(addr, n, "127.0.0.1:%u", act_port());
    ck_assert_int_eq(act_clock_settle(), 0);
}
