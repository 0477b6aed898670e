/*
 * cz_common.c - what every containerizer actor needs the same way: the CZ_MSG_LAUNCHED and
 * CZ_MSG_TERMINATED replies, the words for how an executor ended, the launch and helper threads
 * it joins, and the fate of a launch that finishes after its containerizer is gone.
 */
#include "slave/cz_int.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

void cz__reply(act_actor *self, const act_pid *to, const char *container_id, const char *name,
               pid_t pid, int status, bool limited, const char *fmt, ...)
{
    cz_result *r = act_calloc(1, sizeof *r);
    snprintf(r->container_id, sizeof r->container_id, "%s", container_id);
    r->pid = pid;
    r->status = status;
    r->limited = limited;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
    if (act_pid_is_none(to)) {
        LOG_WARNING("Nobody to tell %s for container %s: %s", name, container_id, r->message);
        free(r);
        return;
    }
    act_post(self, to, name, r, free);
}

void cz__describe_status(int status, char *buf, size_t n)
{
    if (status == -1)
        snprintf(buf, n, "Executor exited (status unknown: it is not our child)");
    else if (WIFEXITED(status))
        snprintf(buf, n, "Executor exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, n, "Executor terminated by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, n, "Executor ended with wait status %d", status);
}

void cz__threads_add(cz_threads *t, pthread_t thread)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 8;
        t->v = act_realloc(t->v, t->cap * sizeof *t->v);
    }
    t->v[t->n++] = thread;
}

void cz__threads_join(cz_threads *t, pthread_t thread)
{
    for (size_t i = 0; i < t->n; i++) {
        if (!pthread_equal(t->v[i], thread)) continue;
        t->v[i] = t->v[--t->n];
        pthread_join(thread, NULL);
        return;
    }
}

void cz__threads_join_all(cz_threads *t)
{
    for (size_t i = 0; i < t->n; i++) pthread_join(t->v[i], NULL);
    free(t->v);
    memset(t, 0, sizeof *t);
}

void cz__job_orphaned(cz_job *job)
{
    if (job->pid > 0) {
        proc_kill(&job->identity, SIGKILL);
        while (waitpid(job->pid, NULL, 0) < 0 && errno == EINTR) {}
    }
    cz__job_free(job);
}
