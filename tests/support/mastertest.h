/*
 * mastertest.h - the real master (with its allocator and registrar) in the test process on a
 * paused clock, as the in-process cluster tests run it: two loops, the allocator and the
 * registrar on the second.
 */
#ifndef TESTS_SUPPORT_MASTERTEST_H
#define TESTS_SUPPORT_MASTERTEST_H

#include "master/master_int.h"

/* Pauses the clock, starts a runtime and spawns the master with cfg (its allocator_loop is
 * set), then waits until nothing is left to do. Fills the master's pid and its address as a
 * driver takes it ("127.0.0.1:<port>", n bytes). Stop with act_shutdown. */
void mt_start(master_config *cfg, act_pid *pid, char *addr, size_t n);

#endif
