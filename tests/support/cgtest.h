/*
 * cgtest.h - cgroups in tests: the layouts this machine offers (a test skips, saying so, what
 * it lacks), and a cgroup root private to the test process ("mesos-test-<pid>") under which
 * every cgroup a test makes goes. The root is removed, with every process inside killed, when
 * the test process exits (an assertion that fails ends it with exit(), so also then), and
 * roots of test processes that died without exiting (a timeout's SIGKILL) are removed by the
 * next test that asks for a root.
 */
#ifndef TESTS_SUPPORT_CGTEST_H
#define TESTS_SUPPORT_CGTEST_H

#include "slave/cgroups_int.h"

#include <stdbool.h>

/* Where the v1 controllers and the v2 hierarchy are looked for. */
#define TCG_HIERARCHY "/sys/fs/cgroup"

/* The layout of version v this machine offers, with the --cgroups_hierarchy that selects it
 * (/sys/fs/cgroup for v1; /sys/fs/cgroup or /sys/fs/cgroup/unified for v2). False, with a
 * "skipped" line on stderr naming `what`, when it has none or the test does not run as root. */
bool tcg_layout(cg_version v, const char *what, cg_layout *out, const char **hierarchy);
/* Like tcg_layout, and also false (skipped, saying which) unless every controller in `needed`
 * (CG_BIT()s) can be used in that layout. */
bool tcg_layout_with(cg_version v, unsigned needed, const char *what, cg_layout *out,
                     const char **hierarchy);
/* The test process' cgroup root, for --cgroups_root; cleanup is armed on first use. */
const char *tcg_root(void);
/* Kills every process under the test process' root in every hierarchy and removes it. */
void tcg_cleanup(void);

#endif
