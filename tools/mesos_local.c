/*
 * mesos_local.c - mesos-local: a master and --num_slaves slaves on this machine, no ZooKeeper.
 * Unlike Mesos, which runs them as actors of one process, this starts the real mesos-master
 * and mesos-slave binaries found next to it or, as installed, in ../sbin (each slave with its
 * own port and work directory), prints where they are, and on SIGINT/SIGTERM stops them all
 * cleanly; if one dies, it stops the others and exits 1. The daemons run in process groups of
 * their own, so a Ctrl-C in the terminal reaches only mesos-local, which sends each daemon one
 * SIGTERM: slaves give their executors their grace period and exit as soon as those are gone
 * (at once when idle).
 */
#include "actor/actor.h"
#include "wire/wire.h" /* WIRE_VERSION */

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_SLAVES 64

typedef struct local_flags {
    char *ip, *work_dir, *resources;
    int64_t port, num_slaves;
} local_flags;

#define F(name, type, def, help) \
    ACT_FLAG_ROW(local_flags, name, type, def, help, NULL, NULL)

static const act_flag flag_table[] = {
    F(ip, STRING, "127.0.0.1", "IP address the master and slaves listen on."),
    F(port, INT, "5050", "The master's port (slaves take free ports)."),
    F(num_slaves, INT, "1", "How many slaves to start."),
    F(work_dir, STRING, "/tmp/mesos-local", "Root of the master's and slaves' work dirs."),
    F(resources, STRING, NULL, "--resources for every slave (default: detected)."),
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    stop_requested = 1;
}

static pid_t start(char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0); /* out of the terminal's foreground group: Ctrl-C is ours to forward */
        execv(argv[0], argv);
        fprintf(stderr, "mesos-local: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    return pid;
}

static void stop_all(pid_t *pids, int n)
{
    for (int i = n - 1; i >= 0; i--)
        if (pids[i] > 0) kill(pids[i], SIGTERM);
    for (int i = n - 1; i >= 0; i--)
        if (pids[i] > 0) waitpid(pids[i], NULL, 0);
}

/* The directory of mesos-master and mesos-slave: next to this binary (build/bin), or
 * <prefix>/sbin when this one is installed in <prefix>/bin. buf must hold PATH_MAX bytes. */
static const char *daemon_dir(char buf[PATH_MAX])
{
    char self[PATH_MAX], probe[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return ".";
    self[n] = '\0';
    const char *dir = dirname(self);
    snprintf(probe, sizeof probe, "%s/mesos-master", dir);
    if (access(probe, X_OK) == 0) snprintf(buf, PATH_MAX, "%s", dir);
    else snprintf(buf, PATH_MAX, "%s/../sbin", dir);
    return buf;
}

static pid_t start_slave(const char *bin, const local_flags *f, int i)
{
    char exe[PATH_MAX + 16], master[128], port[32], work[PATH_MAX], ip[64], res[1024];
    snprintf(exe, sizeof exe, "%s/mesos-slave", bin);
    snprintf(master, sizeof master, "--master=%s:%lld", f->ip, (long long)f->port);
    snprintf(port, sizeof port, "--port=0"); /* a free port: port + 1 + i may be taken */
    snprintf(work, sizeof work, "--work_dir=%s/slave-%d", f->work_dir, i);
    snprintf(ip, sizeof ip, "--ip=%s", f->ip);
    snprintf(res, sizeof res, "--resources=%s", f->resources ? f->resources : "");
    char *argv[] = {exe, master, port, work, ip, f->resources ? res : NULL, NULL};
    return start(argv);
}

int main(int argc, char **argv)
{
    local_flags f;
    act_flags flags = {"mesos-local", NULL, "mesos " WIRE_VERSION, flag_table,
                       sizeof flag_table / sizeof flag_table[0], &f, NULL};
    char err[512], self[PATH_MAX];
    int rc = act_flags_load(&flags, argc, argv, NULL, "MESOS_", err, sizeof err);
    if (rc == 0 && (f.num_slaves < 1 || f.num_slaves > MAX_SLAVES))
        snprintf(err, sizeof err, "--num_slaves must be 1..%d", MAX_SLAVES), rc = -EINVAL;
    if (rc != 0) {
        if (rc < 0) fprintf(stderr, "%s\n\nSee 'mesos-local --help'.\n", err);
        act_flags_free(&flags);
        return rc < 0 ? 1 : 0;
    }
    const char *bin = daemon_dir(self);
    mkdir(f.work_dir, 0755);
    char exe[PATH_MAX + 16], port[32], work[PATH_MAX], ip[64];
    snprintf(exe, sizeof exe, "%s/mesos-master", bin);
    snprintf(port, sizeof port, "--port=%lld", (long long)f.port);
    snprintf(work, sizeof work, "--work_dir=%s/master", f.work_dir);
    snprintf(ip, sizeof ip, "--ip=%s", f.ip);
    char *margv[] = {exe, port, work, ip, NULL};
    struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: wait() must return */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    pid_t pids[MAX_SLAVES + 1];
    int count = 0;
    pids[count++] = start(margv);
    for (int i = 0; i < f.num_slaves; i++) pids[count++] = start_slave(bin, &f, i);
    printf("mesos-local: master at %s:%lld with %lld slave(s); work dirs under %s\n", f.ip,
           (long long)f.port, (long long)f.num_slaves, f.work_dir);
    fflush(stdout);
    int status = 0;
    while (!stop_requested) {
        pid_t dead = wait(&status);
        if (dead < 0 && errno == EINTR) continue;
        for (int i = 0; i < count; i++)
            if (pids[i] == dead) pids[i] = 0;
        fprintf(stderr, "mesos-local: a daemon (pid %d) exited; stopping the others\n",
                (int)dead);
        rc = 1;
        break;
    }
    stop_all(pids, count);
    act_flags_free(&flags);
    return rc ? 1 : 0;
}
