/*
 * cz_watch.c - notices executor exits for the containerizer without blocking its loop: one
 * thread poll()s a pidfd per watched process (pidfds work for recovered executors that are not
 * our children as well as for our own), kills the rest of the process group when the leader
 * is gone, reaps our children by pid (never waitpid(-1), so other children of the process are
 * left alone) and posts each exit back with act_dispatch. Where pidfd_open is missing (kernels
 * before 5.3, valgrind) processes are checked every 100 ms instead. The same thread polls the
 * isolators' notification fds (an OOM event) and posts each one that fires, once.
 */
#include "slave/cz_int.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define CZ_SLOW_POLL_MS 100

typedef struct watch {
    int pidfd;       /* -1: no pidfd, checked every CZ_SLOW_POLL_MS; a notify watch's fd */
    proc_identity id;
    bool child;
    char container_id[WIRE_UUID_STRLEN];
    bool notify;     /* an isolator's fd, not an exit */
    short events;    /* notify: what to poll for */
    int isolator;    /* notify: whose */
    bool dead;       /* notify: forgotten; the thread closes it */
} watch;

struct cz_watcher {
    pthread_t thread;
    pthread_mutex_t mu;
    int wake;        /* eventfd: the list changed or stop was asked */
    bool stop;
    act_pid owner;
    act_fn on_exit, on_notify;
    watch *v;        /* guarded by mu */
    size_t n, cap;
};

/* The leader exited: finish the group (as Mesos' launcher destroys it), then collect the
 * status. While our child is an unreaped zombie its pid (the group's id) cannot be reused. */
static int reap(const watch *w)
{
    proc_kill(&w->id, SIGKILL);
    if (!w->child) return -1;
    int status = -1;
    while (waitpid(w->id.pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    return status;
}

static void post_exit(cz_watcher *cw, const watch *w, int status)
{
    cz_exit *ev = act_calloc(1, sizeof *ev);
    memcpy(ev->container_id, w->container_id, sizeof ev->container_id);
    ev->pid = w->id.pid;
    ev->status = status;
    act_dispatch(&cw->owner, cw->on_exit, ev);
}

/* Removes the entry for pidfd; returns false if it is not watched (any more). */
static bool take(cz_watcher *cw, int pidfd, watch *out)
{
    bool found = false;
    pthread_mutex_lock(&cw->mu);
    for (size_t i = 0; i < cw->n && !found; i++) {
        if (cw->v[i].pidfd != pidfd) continue;
        *out = cw->v[i];
        cw->v[i] = cw->v[--cw->n];
        found = true;
    }
    pthread_mutex_unlock(&cw->mu);
    return found;
}

/* For watches without a pidfd: has the process exited? (Our child stays waitable; any other
 * is gone once its identity no longer checks out.) */
static bool exited(const watch *w)
{
    if (!w->child) return proc_identity_check(&w->id) != 0;
    siginfo_t si;
    memset(&si, 0, sizeof si);
    return waitid(P_PID, (id_t)w->id.pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0 ||
           si.si_pid == w->id.pid;
}

static void post_notify(cz_watcher *cw, const watch *w)
{
    cz_notify *ev = act_calloc(1, sizeof *ev);
    memcpy(ev->container_id, w->container_id, sizeof ev->container_id);
    ev->isolator = w->isolator;
    act_dispatch(&cw->owner, cw->on_notify, ev);
}

/* Posts every pidfd-less watch whose process exited. */
static void check_slow(cz_watcher *cw)
{
    for (;;) {
        watch w;
        bool found = false;
        pthread_mutex_lock(&cw->mu);
        for (size_t i = 0; i < cw->n && !found; i++) {
            if (cw->v[i].notify || cw->v[i].pidfd >= 0 || !exited(&cw->v[i])) continue;
            w = cw->v[i];
            cw->v[i] = cw->v[--cw->n];
            found = true;
        }
        pthread_mutex_unlock(&cw->mu);
        if (!found) return;
        post_exit(cw, &w, reap(&w));
    }
}

/* A snapshot of what to poll: the wake fd first. Returns the count; *fds is reallocated.
 * *slow: some watch has no pidfd. */
static size_t poll_set(cz_watcher *cw, struct pollfd **fds, size_t *cap, bool *stop,
                       bool *slow)
{
    pthread_mutex_lock(&cw->mu);
    *stop = cw->stop;
    *slow = false;
    if (cw->n + 1 > *cap) {
        *cap = cw->n + 1;
        *fds = act_realloc(*fds, *cap * sizeof **fds);
    }
    (*fds)[0] = (struct pollfd){.fd = cw->wake, .events = POLLIN};
    size_t n = 1;
    for (size_t i = 0; i < cw->n;) {
        watch *w = &cw->v[i];
        if (w->dead) { /* forgotten by the owner: only this thread closes watched fds */
            close(w->pidfd);
            *w = cw->v[--cw->n];
            continue;
        }
        if (w->pidfd < 0) *slow = true;
        else (*fds)[n++] = (struct pollfd){.fd = w->pidfd, .events = w->notify ? w->events : POLLIN};
        i++;
    }
    pthread_mutex_unlock(&cw->mu);
    return n;
}

static void *watch_thread(void *arg)
{
    cz_watcher *cw = arg;
    struct pollfd *fds = NULL;
    size_t cap = 0;
    for (;;) {
        bool stop, slow;
        size_t n = poll_set(cw, &fds, &cap, &stop, &slow);
        if (stop) break;
        if (poll(fds, n, slow ? CZ_SLOW_POLL_MS : -1) < 0 && errno != EINTR)
            LOG_ERROR("poll: %s", strerror(errno));
        uint64_t drained;
        if (fds[0].revents && read(cw->wake, &drained, sizeof drained) < 0) {}
        for (size_t i = 1; i < n; i++) {
            watch w;
            if (!fds[i].revents || !take(cw, fds[i].fd, &w)) continue;
            close(w.pidfd);
            if (w.notify) post_notify(cw, &w);
            else post_exit(cw, &w, reap(&w));
        }
        if (slow) check_slow(cw);
    }
    free(fds);
    return NULL;
}

static void wake(cz_watcher *cw)
{
    uint64_t one = 1;
    if (write(cw->wake, &one, sizeof one) < 0) LOG_ERROR("eventfd: %s", strerror(errno));
}

cz_watcher *cz__watcher_start(const act_pid *owner, act_fn on_exit, act_fn on_notify)
{
    cz_watcher *cw = act_calloc(1, sizeof *cw);
    cw->owner = *owner;
    cw->on_exit = on_exit;
    cw->on_notify = on_notify;
    pthread_mutex_init(&cw->mu, NULL);
    cw->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int rc = cw->wake < 0 ? errno : pthread_create(&cw->thread, NULL, watch_thread, cw);
    if (rc == 0) return cw;
    LOG_ERROR("Cannot start the containerizer's exit watcher: %s", strerror(rc));
    if (cw->wake >= 0) close(cw->wake);
    pthread_mutex_destroy(&cw->mu);
    free(cw);
    return NULL;
}

static int add(cz_watcher *cw, const watch *w)
{
    if (!cw) {
        if (w->pidfd >= 0) close(w->pidfd);
        return -ESRCH;
    }
    pthread_mutex_lock(&cw->mu);
    if (cw->n == cw->cap) {
        cw->cap = cw->cap ? cw->cap * 2 : 8;
        cw->v = act_realloc(cw->v, cw->cap * sizeof *cw->v);
    }
    cw->v[cw->n++] = *w;
    pthread_mutex_unlock(&cw->mu);
    wake(cw);
    return 0;
}

int cz__watcher_add(cz_watcher *cw, int pidfd, const proc_identity *id, bool child,
                    const char *container_id)
{
    watch w = {.pidfd = pidfd, .id = *id, .child = child};
    snprintf(w.container_id, sizeof w.container_id, "%s", container_id);
    return add(cw, &w);
}

int cz__watcher_add_fd(cz_watcher *cw, int fd, short events, const char *container_id,
                       int index)
{
    watch w = {.pidfd = fd, .notify = true, .events = events, .isolator = index};
    snprintf(w.container_id, sizeof w.container_id, "%s", container_id);
    return add(cw, &w);
}

void cz__watcher_forget(cz_watcher *cw, const char *container_id)
{
    if (!cw) return;
    pthread_mutex_lock(&cw->mu);
    for (size_t i = 0; i < cw->n; i++)
        if (cw->v[i].notify && strcmp(cw->v[i].container_id, container_id) == 0)
            cw->v[i].dead = true;
    pthread_mutex_unlock(&cw->mu);
    wake(cw);
}

void cz__watcher_stop(cz_watcher *cw)
{
    if (!cw) return;
    pthread_mutex_lock(&cw->mu);
    cw->stop = true;
    pthread_mutex_unlock(&cw->mu);
    wake(cw);
    pthread_join(cw->thread, NULL);
    for (size_t i = 0; i < cw->n; i++)
        if (cw->v[i].pidfd >= 0) close(cw->v[i].pidfd);
    free(cw->v);
    close(cw->wake);
    pthread_mutex_destroy(&cw->mu);
    free(cw);
}

int cz__watch_recovered(cz_watcher *w, const proc_identity *id, const char *container_id,
                        char *why, size_t n)
{
    int alive = proc_identity_check(id);
    int fd = alive == 0 ? cz__pidfd_open(id->pid) : alive;
    if (fd == -ENOSYS) fd = -1; /* polled through its identity */
    if (fd >= 0 && (alive = proc_identity_check(id)) != 0) { /* now pinned: again */
        close(fd);
        fd = alive;
    }
    if (fd >= -1 && (alive = cz__watcher_add(w, fd, id, false, container_id)) == 0) return 0;
    snprintf(why, n, "%s", alive == -ESTALE ? "is not the executor any more (the pid names "
                                              "another process, or the machine rebooted)"
                                            : "is not running");
    return alive ? alive : -ESRCH;
}
