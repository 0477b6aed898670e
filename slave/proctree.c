/*
 * proctree.c - proving that a pid is still the process the slave started, and signalling a
 * process tree only when it is. A pid alone proves nothing: after a reboot, a slave restart
 * or a corrupt file it may name anyone. What does: the boot it started in
 * (/proc/sys/kernel/random/boot_id) and its start time (field 22 of /proc/<pid>/stat, clock
 * ticks after boot); a reused pid always starts later. Every signal the slave sends to an
 * executor goes through proc_kill, which checks that pair first, signals the executor, its
 * descendants and the process groups they lead (a command task runs in a session of its own,
 * the way cgroups would contain them if this slave had them), and never a pid or group <= 1.
 */
#include "slave/slave_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#define BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"
#define IDENTITY_FILE "forked.identity"
#define PID_FILE "forked.pid"

/* What /proc/<pid>/stat says of a process. */
typedef struct proc_stat {
    pid_t pid, ppid, pgid;
    char state;
    uint64_t start_time;
} proc_stat;

/* Parses /proc/<pid>/stat text. Returns 0 or -EINVAL. */
static int parse_stat(const char *text, proc_stat *out)
{
    const char *close = strrchr(text, ')'); /* the command name may hold spaces and parens */
    int ppid, pgid;
    char state;
    if (!close || sscanf(close + 1, " %c %d %d", &state, &ppid, &pgid) != 3) return -EINVAL;
    const char *p = close + 1; /* the space before field 3 */
    for (int field = 3; field < 22 && p; field++) p = strchr(p + 1, ' '); /* before field+1 */
    unsigned long long start;
    if (!p || sscanf(p, " %llu", &start) != 1) return -EINVAL;
    out->ppid = (pid_t)ppid;
    out->pgid = (pid_t)pgid;
    out->state = state;
    out->start_time = start;
    return 0;
}

/* Reads /proc/<pid>/stat. Returns 0, -ESRCH if there is no such process, or -errno. */
static int read_stat(pid_t pid, proc_stat *out)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f) return errno == ENOENT ? -ESRCH : -errno;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    out->pid = pid;
    return n ? parse_stat(buf, out) : -ESRCH;
}

static int read_boot_id(char *buf, size_t n)
{
    char text[128];
    int rc = ckpt_read_text(BOOT_ID_PATH, text, sizeof text);
    if (rc < 0) return rc;
    text[strcspn(text, "\n")] = '\0';
    if (!text[0] || strlen(text) >= n) return -EINVAL;
    memcpy(buf, text, strlen(text) + 1);
    return 0;
}

/* ---- identity ---------------------------------------------------------------------------- */

int proc_identity_read(pid_t pid, proc_identity *out)
{
    memset(out, 0, sizeof *out);
    if (pid <= 1) return -EINVAL;
    proc_stat st;
    int rc = read_stat(pid, &st);
    if (rc == 0) rc = read_boot_id(out->boot_id, sizeof out->boot_id);
    if (rc != 0) return rc;
    out->pid = pid;
    out->start_time = st.start_time;
    return 0;
}

int proc_identity_check(const proc_identity *id)
{
    if (id->pid <= 1) return -EINVAL;
    proc_stat st;
    char boot[sizeof id->boot_id];
    int rc = read_boot_id(boot, sizeof boot);
    if (rc != 0) return rc;
    if (strcmp(boot, id->boot_id) != 0) return -ESTALE; /* every process of that boot is gone */
    rc = read_stat(id->pid, &st);
    if (rc != 0) return rc;
    if (st.start_time != id->start_time) return -ESTALE;
    return st.state == 'Z' || st.state == 'X' ? -ESRCH : 0;
}

int proc_identity_save(const char *dir, const proc_identity *id, char *err, size_t errlen)
{
    char path[PATH_MAX], text[160];
    /* The identity file holds the pid too and is written first: whatever a crash leaves, what
     * is on disk either proves the run or names no process. forked.pid keeps Mesos' layout. */
    snprintf(path, sizeof path, "%s/" IDENTITY_FILE, dir);
    snprintf(text, sizeof text, "pid=%d\nboot_id=%s\nstart_time=%" PRIu64 "\n", (int)id->pid,
             id->boot_id, id->start_time);
    int rc = ckpt_write_text(path, text, err, errlen);
    if (rc != 0) return rc;
    snprintf(path, sizeof path, "%s/" PID_FILE, dir);
    snprintf(text, sizeof text, "%d", (int)id->pid);
    return ckpt_write_text(path, text, err, errlen);
}

static int parse_identity(const char *text, proc_identity *out)
{
    int pid = 0, used = 0;
    unsigned long long start = 0;
    char boot[64];
    if (sscanf(text, "pid=%d\nboot_id=%63s\nstart_time=%llu\n%n", &pid, boot, &start, &used) != 3 ||
        text[used] != '\0' || pid <= 0 || strlen(boot) >= sizeof out->boot_id)
        return -EBADMSG;
    out->pid = (pid_t)pid;
    memcpy(out->boot_id, boot, strlen(boot) + 1);
    out->start_time = start;
    return 0;
}

int proc_identity_load(const char *dir, proc_identity *out, char *err, size_t errlen)
{
    char path[PATH_MAX], text[256];
    memset(out, 0, sizeof *out);
    snprintf(path, sizeof path, "%s/" IDENTITY_FILE, dir);
    int rc = ckpt_read_text(path, text, sizeof text);
    if (rc >= 0) {
        if (parse_identity(text, out) == 0) return 0;
        snprintf(err, errlen, "%s is not a process identity", path);
        return -EBADMSG;
    }
    if (rc != -ENOENT) {
        snprintf(err, errlen, "read %s: %s", path, strerror(-rc));
        return rc == -EFBIG ? -EBADMSG : rc;
    }
    snprintf(path, sizeof path, "%s/" PID_FILE, dir);
    rc = ckpt_read_text(path, text, sizeof text);
    if (rc == -ENOENT) {
        snprintf(err, errlen, "no %s in %s", PID_FILE, dir);
        return -ENOENT;
    }
    out->pid = rc >= 0 ? (pid_t)atoi(text) : 0;
    snprintf(err, errlen, "%s names pid %d but nothing proves which process it was", path,
             (int)out->pid);
    return -ENODATA;
}

/* ---- signals ----------------------------------------------------------------------------- */

/* Reads every process. Returns how many (at most max). */
static size_t read_all(proc_stat *v, size_t max)
{
    DIR *d = opendir("/proc");
    if (!d) return 0;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < max) {
        if (!isdigit((unsigned char)de->d_name[0])) continue;
        if (read_stat((pid_t)atoi(de->d_name), &v[n]) == 0) n++;
    }
    closedir(d);
    return n;
}

static void signal_one(pid_t pid, int sig)
{
    if (pid > 1) kill(pid, sig);
}

static void signal_group(pid_t pgid, int sig)
{
    if (pgid > 1) kill(-pgid, sig);
}

static bool leads_group(pid_t pid, const proc_stat *all, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (all[k].pid == pid) return all[k].pgid == pid;
    return false;
}

/* The process is ours: its group at once (so every member has the signal pending before any
 * of them can exit and be waited for), then every descendant (deepest first) and every group
 * one of them leads (a command task's own session). */
static void kill_tree(const proc_identity *id, const proc_stat *all, size_t n, int sig)
{
    if (leads_group(id->pid, all, n)) signal_group(id->pid, sig);
    signal_one(id->pid, sig);
    pid_t *tree = act_calloc(n + 1, sizeof *tree);
    size_t count = 0;
    tree[count++] = id->pid;
    for (size_t i = 0; i < count; i++) /* breadth first: children of tree[i] */
        for (size_t k = 0; k < n && count <= n; k++)
            if (all[k].ppid == tree[i] && all[k].pid != id->pid) tree[count++] = all[k].pid;
    for (size_t i = count; i-- > 1;) {
        if (leads_group(tree[i], all, n)) signal_group(tree[i], sig);
        signal_one(tree[i], sig);
    }
    free(tree);
}

/* The process is gone: what is left of the group it led. While any member lives the pid
 * cannot be reused as a group id, so members started after it (in its boot) are its own. */
static void kill_remnant(const proc_identity *id, const proc_stat *all, size_t n, int sig)
{
    for (size_t k = 0; k < n; k++)
        if (all[k].pgid == id->pid && all[k].start_time >= id->start_time)
            signal_one(all[k].pid, sig);
}

int proc_kill(const proc_identity *id, int sig)
{
    if (id->pid <= 1) return -EINVAL;
    int rc = proc_identity_check(id);
    if (rc != 0 && rc != -ESRCH) {
        LOG_WARNING("Not signalling pid %d: it is not the process that was started (%s)",
                    (int)id->pid, rc == -ESTALE ? "the pid now names another process, or "
                    "the machine rebooted" : strerror(-rc));
        return rc;
    }
    enum { MAX = 32768 };
    proc_stat *all = act_calloc(MAX, sizeof *all);
    size_t n = read_all(all, MAX);
    if (rc == 0) kill_tree(id, all, n, sig);
    else kill_remnant(id, all, n, sig);
    free(all);
    return 0;
}
