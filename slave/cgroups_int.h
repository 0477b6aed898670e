/*
 * cgroups_int.h - Linux control groups for the slave's containerizers (cgroups.c): which
 * layout the machine has (cgroup v1, each controller mounted at <hierarchy>/<name>, or the v2
 * unified hierarchy), a container's cgroups (made, joined, read, emptied, removed), and its
 * usage read from them in Mesos' ResourceStatistics terms. Everything here is plain file
 * access on cgroupfs; the few calls that wait (freezing, emptying) say so and belong on a
 * thread, never on an actor's loop.
 */
#ifndef SLAVE_CGROUPS_INT_H
#define SLAVE_CGROUPS_INT_H

#include "slave/slave_int.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The controllers the isolators and the launcher use. In v2, cpuacct's figures come from the
 * core cpu.stat and the freezer is the core cgroup.freeze, so both are always there. */
typedef enum cg_controller {
    CG_CPU,
    CG_CPUACCT,
    CG_MEMORY,
    CG_FREEZER,
    CG_NCONTROLLERS
} cg_controller;

#define CG_BIT(c) (1u << (c))

typedef enum cg_version { CG_V1 = 1, CG_V2 = 2 } cg_version;

typedef struct cg_layout {
    cg_version version;
    char hierarchy[PATH_MAX];              /* v2: the cgroup2 mount; v1: --cgroups_hierarchy */
    char mount[CG_NCONTROLLERS][PATH_MAX]; /* v1: each controller's mount, "" if none; v2: "" */
    unsigned available;                    /* CG_BIT()s of the controllers that can be used */
} cg_layout;

/* "cpu", "cpuacct", "memory", "freezer". */
const char *cg_controller_name(cg_controller c);

/* Finds the layout under `hierarchy` (--cgroups_hierarchy, e.g. /sys/fs/cgroup): v2 when it is
 * itself a cgroup2 mount; else v1 when controllers are mounted at <hierarchy>/<name>
 * (comounts such as cpu,cpuacct included); else v2 when <hierarchy>/unified is a cgroup2
 * mount. Nothing is mounted or changed. Returns 0, or -ENOENT with the reason in err. */
int cg_layout_detect(const char *hierarchy, cg_layout *out, char *err, size_t errlen);
/* One line for the log: "cgroup v1 (cpu at /sys/fs/cgroup/cpu, ...)" or "cgroup v2 at ...
 * (controllers: cpu memory)". Returns buf. */
char *cg_layout_describe(const cg_layout *l, char *buf, size_t n);
/* Checks that every controller in `needed` (CG_BIT()s) can be used. Returns 0, or -ENOTSUP
 * naming the first one missing and where it was looked for. */
int cg_layout_require(const cg_layout *l, unsigned needed, char *err, size_t errlen);

/* The directory of cgroup `cg` (relative to the hierarchy, e.g. "mesos/<container>") for
 * controller c; in v2 the same for every controller. Returns buf. */
char *cg_dir(const cg_layout *l, cg_controller c, const char *cg, char *buf, size_t n);
/* Makes cgroup `cg` for controller c, with its parents (an existing cgroup is an error only
 * when `fresh`). In v2 it first enables the controllers in `enable` (CG_BIT()s of CG_CPU and
 * CG_MEMORY; others need no enabling) in the subtree_control of every parent. Returns 0 or
 * -errno (err says what). */
int cg_create(const cg_layout *l, cg_controller c, const char *cg, unsigned enable, bool fresh,
              char *err, size_t errlen);
/* True if cgroup `cg` exists for controller c. */
bool cg_exists(const cg_layout *l, cg_controller c, const char *cg);

/* Control files of the cgroup at `dir` (a cg_dir result). Reads and writes are one system
 * call each; values are text as the kernel shows them. Return 0 or -errno. */
int cg_read(const char *dir, const char *file, char *buf, size_t n);
int cg_write(const char *dir, const char *file, const char *value);
int cg_read_u64(const char *dir, const char *file, uint64_t *out); /* "max" reads UINT64_MAX */
int cg_write_u64(const char *dir, const char *file, uint64_t value);
/* The value of `key` in a "key value" file (cpu.stat, memory.stat, memory.events ...). */
int cg_stat(const char *dir, const char *file, const char *key, uint64_t *out);

/* Moves process pid into the cgroup at dir. Returns 0 or -errno. */
int cg_assign(const char *dir, pid_t pid);
/* How many processes the cgroup at dir holds (0 also when it does not exist). */
size_t cg_count(const char *dir);
/* Signals every process of the cgroup at dir: each is pinned with a pidfd and signalled only
 * if it is still listed in the cgroup once pinned, so a pid reused by a process outside is
 * never signalled. Returns how many were signalled, or -errno. Does not wait. */
int cg_signal(const char *dir, int sig);
/* Kills every process of the cgroup at dir and waits until it is empty, for at most `secs`:
 * cgroup.kill in v2; in v1 the freezer at `dir` (when it is a freezer cgroup) is frozen so
 * nothing forks or exits between reading the list and the kill, then thawed, repeated while
 * anything is left. Blocks: call it on a thread. Returns 0, or -EBUSY if processes are left. */
int cg_kill_all(const cg_layout *l, const char *dir, double secs);
/* Removes the cgroup at dir and any cgroups below it (they must be empty). Returns 0, 0 when
 * it does not exist, or -errno. */
int cg_remove(const char *dir);
/* Calls fn(name) for every cgroup directly below `cg` for controller c. Returns 0 or -errno
 * (-ENOENT when `cg` does not exist). */
int cg_children(const cg_layout *l, cg_controller c, const char *cg,
                void (*fn)(void *ctx, const char *name), void *ctx);
/* The cgroup (relative to its hierarchy) process pid is in for controller c, from
 * /proc/<pid>/cgroup: what a containerizer needs to find a container it did not make (a Docker
 * container, say). Returns 0 or -errno. */
int cg_of_pid(const cg_layout *l, cg_controller c, pid_t pid, char *buf, size_t n);

/* ---- usage -------------------------------------------------------------------------------- */

/* cpus_user_time_secs and cpus_system_time_secs (cpuacct.stat in v1, cpu.stat in v2) and,
 * with `throttling`, cpus_nr_periods, cpus_nr_throttled and cpus_throttled_time_secs. */
int cg_cpu_usage(const cg_layout *l, const char *cg, bool throttling, cz_stats *out);
/* mem_rss_bytes (the cgroup's whole usage, as Mesos 0.22 reports it), mem_file_bytes,
 * mem_anon_bytes and mem_mapped_file_bytes. */
int cg_mem_usage(const cg_layout *l, const char *cg, cz_stats *out);

#endif /* SLAVE_CGROUPS_INT_H */
