/*
 * iso_pid.c - the namespaces/pid isolator (Mesos' NamespacesPidIsolatorProcess): every
 * executor is cloned into a pid namespace of its own (it is pid 1 there) and a mount namespace
 * with a fresh /proc, so its tasks see only the container's processes, not the slave's or other
 * containers'. When the executor ends, the kernel kills what is left of its namespace; the
 * linux launcher's cgroup finds them as well. Needs root.
 */
#include "slave/isolator_int.h"

#include <errno.h>
#include <sched.h>
#include <unistd.h>

static int create(isolator *iso, char *err, size_t errlen)
{
    if (geteuid() != 0) {
        snprintf(err, errlen, "the pid namespace isolator requires root permissions");
        return -EPERM;
    }
    if (access("/proc/self/ns/pid", F_OK) != 0) {
        snprintf(err, errlen, "pid namespaces are not supported by this kernel");
        return -ENOTSUP;
    }
    return 0;
}

static int prepare(isolator *iso, iso_container *c, iso_plan *plan, char *err, size_t errlen)
{
    plan->mount_proc = true;
    return 0;
}

const iso_ops iso_namespaces_pid = {
    .name = "namespaces/pid",
    .contains = true,
    .clone_flags = CLONE_NEWPID | CLONE_NEWNS,
    .create = create,
    .prepare = prepare,
};
