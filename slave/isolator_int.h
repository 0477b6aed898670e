/*
 * isolator_int.h - the isolator interface (Mesos' Isolator) and the table of isolators by
 * --isolation name (isolation.c). The containerizer calls them in Mesos' order: prepare (each
 * in turn, filesystem/shared first) before the executor is forked, with what the child must
 * do before exec (join cgroups, enter namespaces, mount) collected in an iso_plan; update when
 * tasks join or leave; usage for /monitor/statistics.json; limited when a watched fd fires or
 * the executor ends; cleanup (in reverse order) once every process of the container is gone;
 * recover after a restart. When any isolator needs it, the linux launcher (linux_launcher.c)
 * contains each container in a cgroup of its own, so every process of it can be found and
 * killed. Every call runs on the containerizer's loop; none blocks.
 */
#ifndef SLAVE_ISOLATOR_INT_H
#define SLAVE_ISOLATOR_INT_H

#include "slave/cgroups_int.h"

#include <stdbool.h>
#include <sys/types.h>

#define ISO_MAX 8             /* isolators in one --isolation */
#define ISO_MAX_JOIN 8        /* cgroups a child joins */

/* One mount(2) the child makes in its own mount namespace, in order. */
typedef struct iso_mount {
    char *source, *target;    /* owned */
    const char *fstype;       /* static text or NULL */
    unsigned long flags;
    bool remount_readonly;    /* a second mount(MS_REMOUNT | MS_BIND | MS_RDONLY) after it */
} iso_mount;

/* What the child does between fork and exec (only system calls there): it joins each cgroup
 * by writing "0" into its cgroup.procs (opened here), so not one instruction of the executor
 * runs outside them; it is cloned into the namespaces of clone_flags; it makes / private and
 * then makes the mounts, and a fresh /proc for a pid namespace. */
typedef struct iso_plan {
    int clone_flags;          /* CLONE_NEWNS, CLONE_NEWPID */
    int join[ISO_MAX_JOIN];   /* cgroup.procs, open for writing; owned */
    size_t njoin;
    iso_mount *mounts;        /* owned */
    size_t nmounts;
    bool mount_proc;
} iso_plan;

/* Adds a cgroup to join (opens <dir>/cgroup.procs). Returns 0 or -errno (err says what). */
int iso_plan_join(iso_plan *p, const char *dir, char *err, size_t errlen);
/* Adds a bind mount of source on target, read-only when asked. */
void iso_plan_bind(iso_plan *p, const char *source, const char *target, bool readonly);
/* Closes the fds and frees the mounts; the plan is empty again. */
void iso_plan_free(iso_plan *p);

/* A container as the isolators see it; owned by the containerizer. */
typedef struct iso_container {
    char container_id[WIRE_UUID_STRLEN];
    char cgroup[PATH_MAX];            /* <cgroups_root>/<container_id> */
    const char *directory;            /* the sandbox */
    const char *user;                 /* may be NULL */
    const wire_executor_info *executor; /* during prepare only (recovered: NULL) */
    res_set resources;                /* what it was last given (executor and tasks) */
    pid_t pid;                        /* the executor, once forked or recovered */
    bool contained;                   /* it has a containment cgroup (linux launcher) */
    void *state[ISO_MAX];             /* each isolator's own, by its index */
} iso_container;

/* What every isolator is made with; it outlives them. */
typedef struct iso_env {
    const cz_config *cfg;
    const cg_layout *layout;          /* NULL when no isolator uses cgroups */
} iso_env;

typedef struct isolator isolator;

/* Every operation may be NULL (nothing to do). Those returning int return 0 or -errno with the
 * reason in err. */
typedef struct iso_ops {
    const char *name;                 /* "cgroups/mem", as --isolation names it */
    unsigned controllers;             /* CG_BIT()s it needs: refused at start-up without them */
    bool contains;                    /* it needs the linux launcher */
    int clone_flags;                  /* namespaces every executor gets */
    int (*create)(isolator *iso, char *err, size_t errlen);
    void (*destroy)(isolator *iso);
    /* The containerizer runs: timers may be started on its actor now. */
    void (*start)(isolator *iso, act_actor *cz);
    /* After a restart: the containers whose executors still run (their cgroups exist). */
    void (*recover)(isolator *iso, iso_container *const *live, size_t n);
    int (*prepare)(isolator *iso, iso_container *c, iso_plan *plan, char *err, size_t errlen);
    /* c->resources changed (tasks joined or left). */
    int (*update)(isolator *iso, iso_container *c, char *err, size_t errlen);
    void (*usage)(isolator *iso, iso_container *c, cz_stats *st);
    /* An fd that becomes readable (or POLLPRI) when the container may have hit a limit, or
     * -1; the containerizer watches it and then asks `limited`. Taken by the caller. */
    int (*notify_fd)(isolator *iso, iso_container *c, short *events);
    /* True, with the message, if the container hit one of this isolator's limits. */
    bool (*limited)(isolator *iso, iso_container *c, char *msg, size_t n);
    /* Every process of the container is gone (or it never started). */
    void (*cleanup)(isolator *iso, iso_container *c);
} iso_ops;

struct isolator {
    const iso_ops *ops;
    const iso_env *env;
    int index;                        /* its slot in iso_container.state */
    void *priv;                       /* its own, from create */
};

/* The isolators by name (isolation.c): posix/cpu, posix/mem (iso_posix.c), posix/disk
 * (iso_disk.c), cgroups/cpu (iso_cgroups_cpu.c), cgroups/mem (iso_cgroups_mem.c),
 * namespaces/pid (iso_pid.c), filesystem/shared (iso_shared.c). */
extern const iso_ops iso_posix_cpu, iso_posix_mem, iso_posix_disk, iso_cgroups_cpu,
    iso_cgroups_mem, iso_namespaces_pid, iso_filesystem_shared;

/* What the containerizer offers isolators that watch on their own (posix/disk): the container
 * hit a limit; it is destroyed and its tasks fail with `message`. Call it on the
 * containerizer's loop. Unknown or ending containers are ignored. */
void cz__limited(act_actor *cz, const char *container_id, const char *message);

/* ---- the set the containerizer runs (isolation.c) ---------------------------------------- */

typedef struct iso_set {
    isolator v[ISO_MAX];
    size_t n;
    bool contain;                     /* the linux launcher contains every container */
    cg_layout layout;                 /* when cgroups are used */
    iso_env env;
    cz_config cfg;                    /* a copy; its strings are borrowed from the caller */
} iso_set;

/* Parses --isolation into the ops in Mesos' prepare order (filesystem/shared first).
 * Accepts Mesos' deprecated "process" and "cgroups". Returns 0, or -EINVAL naming every
 * unknown isolator (and one given twice). */
int iso_parse(const char *isolation, const iso_ops **out, size_t *n, char *err, size_t errlen);
/* Makes the isolators of cfg->isolation: detects the cgroup layout when any needs cgroups (and
 * logs which it is), checks each has its controllers, and creates them. Returns 0 or -errno
 * with a reason an operator can act on. */
int iso_set_create(iso_set *s, const cz_config *cfg, char *err, size_t errlen);
void iso_set_destroy(iso_set *s);

/* The controllers the set uses: every isolator's, and the freezer for containment. */
unsigned iso_set_controllers(const iso_set *s);

/* The Mesos-ordered calls over every isolator (and the launcher's cgroup when it contains).
 * prepare stops at the first failure (the caller then runs cleanup). */
int iso_set_prepare(iso_set *s, iso_container *c, iso_plan *plan, char *err, size_t errlen);
int iso_set_update(iso_set *s, iso_container *c, char *err, size_t errlen);
void iso_set_usage(iso_set *s, iso_container *c, cz_stats *st);
void iso_set_cleanup(iso_set *s, iso_container *c);

/* ---- the linux launcher (linux_launcher.c) ----------------------------------------------- */
/* A container's containment cgroup: the freezer cgroup in v1, its cgroup in v2. */

/* Makes c's containment cgroup (a fresh one) and adds it to the plan. */
int ll_prepare(const iso_set *s, iso_container *c, iso_plan *plan, char *err, size_t errlen);
/* Signals every process of c's cgroup (pinned by pidfd, never a pid outside). Returns how
 * many, or -errno. Does not wait. */
int ll_signal(const iso_set *s, const iso_container *c, int sig);
/* The directory of cgroup `cg`'s containment cgroup. Returns buf. */
char *ll_dir(const iso_set *s, const char *cg, char *buf, size_t n);
/* Kills every process of cgroup `cg` in every hierarchy the set uses and waits until they are
 * gone (bounded); with `remove`, then removes those cgroups. Blocks: on a thread only.
 * Returns 0, -EBUSY when processes are left, or the error of a removal. */
int ll_destroy(const iso_set *s, const char *cg, bool remove);
/* Removes c's containment cgroup (empty by now). */
void ll_cleanup(const iso_set *s, iso_container *c);
/* Calls fn for every cgroup under --cgroups_root, in any hierarchy the set uses, whose name
 * is not among the `live` containers: what a slave that was killed left behind. */
void ll_orphans(const iso_set *s, iso_container *const *live, size_t n,
                void (*fn)(void *ctx, const char *name), void *ctx);

#endif /* SLAVE_ISOLATOR_INT_H */
