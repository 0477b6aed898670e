/*
 * env.c - what the slave tells an executor through its environment (MESOS_SLAVE_PID,
 * MESOS_FRAMEWORK_ID, MESOS_EXECUTOR_ID, MESOS_DIRECTORY, MESOS_CHECKPOINT ...), read once at
 * exec_driver_start into an exec_env, as Mesos' MesosExecutorDriver::start does.
 */
#include "exec/exec_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A required variable: non-empty, or an error naming it. */
static const char *required(const char *name, char *err, size_t errlen)
{
    const char *v = getenv(name);
    if (v && v[0]) return v;
    snprintf(err, errlen, "Expecting '%s' to be set in the environment", name);
    return NULL;
}

/* An optional duration variable; *secs keeps its default when the variable is unset. */
static int duration(const char *name, double *secs, char *err, size_t errlen)
{
    const char *v = getenv(name);
    if (!v || !v[0]) return 0;
    if (act_duration_parse(v, secs) == 0 && *secs >= 0) return 0;
    snprintf(err, errlen, "Failed to parse '%s' ('%s'): expected a duration like '15mins'",
             name, v);
    return -EINVAL;
}

static int load_slave(exec_env *env, char *err, size_t errlen)
{
    const char *pid = required("MESOS_SLAVE_PID", err, errlen);
    if (!pid) return -EINVAL;
    if (act_pid_parse(pid, &env->slave) == 0) return 0;
    snprintf(err, errlen, "Cannot parse MESOS_SLAVE_PID '%s'", pid);
    return -EINVAL;
}

static int load_ids(exec_env *env, char *err, size_t errlen)
{
    const char *fw = required("MESOS_FRAMEWORK_ID", err, errlen);
    if (!fw) return -EINVAL;
    const char *ex = required("MESOS_EXECUTOR_ID", err, errlen);
    if (!ex) return -EINVAL;
    const char *dir = required("MESOS_DIRECTORY", err, errlen);
    if (!dir) return -EINVAL;
    const char *sandbox = getenv("MESOS_SANDBOX");
    env->framework_id = act_strdup(fw);
    env->executor_id = act_strdup(ex);
    env->directory = act_strdup(dir);
    env->sandbox = act_strdup(sandbox && sandbox[0] ? sandbox : dir);
    return 0;
}

int exec__env_load(exec_env *env, char *err, size_t errlen)
{
    memset(env, 0, sizeof *env);
    env->recovery_timeout = EXEC_RECOVERY_TIMEOUT_DEFAULT;
    env->shutdown_grace = EXEC_SHUTDOWN_GRACE_DEFAULT;
    env->local = getenv("MESOS_LOCAL") != NULL;
    const char *cp = getenv("MESOS_CHECKPOINT");
    env->checkpoint = cp && strcmp(cp, "1") == 0;
    int rc = load_slave(env, err, errlen);
    if (rc == 0) rc = load_ids(env, err, errlen);
    if (rc == 0) rc = duration("MESOS_RECOVERY_TIMEOUT", &env->recovery_timeout, err, errlen);
    if (rc == 0)
        rc = duration("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", &env->shutdown_grace, err, errlen);
    if (rc != 0) exec__env_free(env);
    return rc;
}

void exec__env_free(exec_env *env)
{
    free(env->framework_id);
    free(env->executor_id);
    free(env->directory);
    free(env->sandbox);
    env->framework_id = env->executor_id = env->directory = env->sandbox = NULL;
}
