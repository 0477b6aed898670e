/*
 * cgroups.c - Linux control groups for the containerizers (see cgroups_int.h): the layout is
 * read from /proc/self/mountinfo (nothing is mounted), a container's cgroups are directories
 * made, joined and removed under the hierarchy, and killing a cgroup's processes never
 * signals a pid that is not provably inside: each is pinned with a pidfd, then checked to be
 * still listed (Mesos' cgroups::destroy freezes for the same reason; v2's cgroup.kill needs
 * neither).
 */
#include "slave/cgroups_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char *const names[CG_NCONTROLLERS] = {"cpu", "cpuacct", "memory", "freezer"};

const char *cg_controller_name(cg_controller c)
{
    return c < CG_NCONTROLLERS ? names[c] : "?";
}

/* ---- mounts ------------------------------------------------------------------------------ */

/* mountinfo escapes blanks and backslashes in paths as \ooo. */
static void unescape(char *s)
{
    char *out = s;
    for (char *p = s; *p; p++) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '7' && p[2] && p[3]) {
            *out++ = (char)(((p[1] - '0') << 6) | ((p[2] - '0') << 3) | (p[3] - '0'));
            p += 3;
        } else {
            *out++ = *p;
        }
    }
    *out = '\0';
}

typedef struct mount_entry {
    char point[PATH_MAX];
    char type[32];
    char options[512]; /* the super options: "rw,cpu,cpuacct" */
} mount_entry;

/* Parses one mountinfo line: "36 35 0:30 / /sys/fs/cgroup/cpu rw shared:1 - cgroup cgroup rw,cpu". */
static bool parse_mount(char *line, mount_entry *m)
{
    char point[PATH_MAX], type[32], source[256], options[512];
    const char *rest = strstr(line, " - ");
    if (!rest || sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1 ||
        sscanf(rest, " - %31s %255s %511s", type, source, options) != 3)
        return false;
    unescape(point);
    snprintf(m->point, sizeof m->point, "%s", point);
    snprintf(m->type, sizeof m->type, "%s", type);
    snprintf(m->options, sizeof m->options, "%s", options);
    return true;
}

/* The mount at exactly `point` (the last one wins, as it shadows the others). */
static bool mount_at(const char *point, mount_entry *out)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f) return false;
    char *line = NULL;
    size_t cap = 0;
    bool found = false;
    mount_entry m;
    while (getline(&line, &cap, f) > 0) {
        line[strcspn(line, "\n")] = '\0';
        if (parse_mount(line, &m) && strcmp(m.point, point) == 0) {
            *out = m;
            found = true;
        }
    }
    free(line);
    fclose(f);
    return found;
}

/* True if `word` is one of the tokens of `text` separated by any of `seps`. */
static bool has_word(const char *text, const char *word, const char *seps)
{
    size_t n = strlen(word);
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, seps);
        if (len == n && strncmp(p, word, n) == 0) return true;
        p += len;
        if (*p) p++;
    }
    return false;
}

static bool has_option(const char *options, const char *name)
{
    return has_word(options, name, ",");
}

static bool cgroup2_at(const char *dir)
{
    mount_entry m;
    return mount_at(dir, &m) && strcmp(m.type, "cgroup2") == 0;
}

/* ---- layout ------------------------------------------------------------------------------ */

static void detect_v2(cg_layout *l, const char *mount)
{
    l->version = CG_V2;
    snprintf(l->hierarchy, sizeof l->hierarchy, "%s", mount);
    l->available = CG_BIT(CG_CPUACCT) | CG_BIT(CG_FREEZER);
    char list[512];
    if (cg_read(mount, "cgroup.controllers", list, sizeof list) != 0) return;
    for (char *save = NULL, *t = strtok_r(list, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
        if (strcmp(t, "cpu") == 0) l->available |= CG_BIT(CG_CPU);
        if (strcmp(t, "memory") == 0) l->available |= CG_BIT(CG_MEMORY);
    }
}

/* v1: <hierarchy>/<name> (a symlink such as cpu -> cpu,cpuacct is followed) is a cgroup mount
 * carrying the controller. */
static void detect_v1(cg_layout *l, const char *hierarchy)
{
    for (int c = 0; c < CG_NCONTROLLERS; c++) {
        char path[PATH_MAX + 16], real[PATH_MAX];
        mount_entry m;
        snprintf(path, sizeof path, "%s/%s", hierarchy, names[c]);
        if (!realpath(path, real) || !mount_at(real, &m) || strcmp(m.type, "cgroup") != 0 ||
            !has_option(m.options, names[c]))
            continue;
        snprintf(l->mount[c], sizeof l->mount[c], "%s", real);
        l->available |= CG_BIT(c);
    }
    if (l->available) {
        l->version = CG_V1;
        snprintf(l->hierarchy, sizeof l->hierarchy, "%s", hierarchy);
    }
}

int cg_layout_detect(const char *hierarchy, cg_layout *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char real[PATH_MAX], unified[PATH_MAX + 16];
    if (!realpath(hierarchy, real)) {
        int e = errno;
        snprintf(err, errlen, "Cannot use the cgroups hierarchy '%s': %s", hierarchy, strerror(e));
        return -ENOENT;
    }
    if (cgroup2_at(real)) {
        detect_v2(out, real);
        return 0;
    }
    detect_v1(out, real);
    if (out->version) return 0;
    snprintf(unified, sizeof unified, "%s/unified", real);
    if (cgroup2_at(unified)) {
        detect_v2(out, unified);
        return 0;
    }
    snprintf(err, errlen, "No cgroup hierarchy at '%s': it is not a cgroup2 mount, no cgroup v1 "
             "controller (cpu, cpuacct, memory, freezer) is mounted below it and '%s' is not a "
             "cgroup2 mount", real, unified);
    return -ENOENT;
}

char *cg_layout_describe(const cg_layout *l, char *buf, size_t n)
{
    act_buf b = {0};
    if (l->version == CG_V2) {
        act_buf_printf(&b, "cgroup v2 (unified hierarchy) at %s; controllers that can be used:",
                       l->hierarchy);
        for (int c = 0; c < CG_NCONTROLLERS; c++)
            if (l->available & CG_BIT(c)) act_buf_printf(&b, " %s", names[c]);
    } else {
        act_buf_printf(&b, "cgroup v1 hierarchies under %s:", l->hierarchy);
        for (int c = 0; c < CG_NCONTROLLERS; c++)
            act_buf_printf(&b, " %s%s%s", names[c], l->mount[c][0] ? " at " : " (not mounted)",
                           l->mount[c]);
    }
    snprintf(buf, n, "%s", b.data);
    act_buf_free(&b);
    return buf;
}

int cg_layout_require(const cg_layout *l, unsigned needed, char *err, size_t errlen)
{
    for (int c = 0; c < CG_NCONTROLLERS; c++) {
        if (!(needed & CG_BIT(c)) || (l->available & CG_BIT(c))) continue;
        if (l->version == CG_V2)
            snprintf(err, errlen, "the '%s' controller is not available in the cgroup v2 "
                     "hierarchy at %s (see its cgroup.controllers; a controller held by a "
                     "cgroup v1 hierarchy cannot be used in v2)", names[c], l->hierarchy);
        else
            snprintf(err, errlen, "the '%s' controller is not mounted as a cgroup v1 hierarchy "
                     "at %s/%s", names[c], l->hierarchy, names[c]);
        return -ENOTSUP;
    }
    return 0;
}

/* ---- cgroups ----------------------------------------------------------------------------- */

char *cg_dir(const cg_layout *l, cg_controller c, const char *cg, char *buf, size_t n)
{
    const char *base = l->version == CG_V2 ? l->hierarchy : l->mount[c];
    snprintf(buf, n, "%s/%s", base, cg);
    return buf;
}

bool cg_exists(const cg_layout *l, cg_controller c, const char *cg)
{
    char dir[PATH_MAX];
    struct stat st;
    return stat(cg_dir(l, c, cg, dir, sizeof dir), &st) == 0 && S_ISDIR(st.st_mode);
}

/* v2: "+cpu +memory" into dir's subtree_control for those not enabled yet. */
static int enable_controllers(const char *dir, unsigned enable)
{
    static const cg_controller wanted[] = {CG_CPU, CG_MEMORY};
    char have[256] = "";
    cg_read(dir, "cgroup.subtree_control", have, sizeof have);
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        const char *name = names[wanted[i]];
        if (!(enable & CG_BIT(wanted[i])) || has_word(have, name, " \n")) continue;
        char op[32];
        snprintf(op, sizeof op, "+%s", name);
        int rc = cg_write(dir, "cgroup.subtree_control", op);
        if (rc != 0) return rc;
    }
    return 0;
}

int cg_create(const cg_layout *l, cg_controller c, const char *cg, unsigned enable, bool fresh,
              char *err, size_t errlen)
{
    char path[PATH_MAX];
    cg_dir(l, c, "", path, sizeof path);
    size_t len = strlen(path);
    if (len && path[len - 1] == '/') path[--len] = '\0';
    for (const char *p = cg; *p;) {
        size_t seg = strcspn(p, "/");
        bool last = p[seg] == '\0';
        if (seg == 0) {
            p++;
            continue;
        }
        if (l->version == CG_V2 && enable) {
            int rc = enable_controllers(path, enable);
            if (rc != 0) {
                snprintf(err, errlen, "Cannot enable controllers in %s/cgroup.subtree_control: %s",
                         path, strerror(-rc));
                return rc;
            }
        }
        if (len + 1 + seg >= sizeof path) {
            snprintf(err, errlen, "cgroup path too long: %s", cg);
            return -ENAMETOOLONG;
        }
        path[len++] = '/';
        memcpy(path + len, p, seg);
        len += seg;
        path[len] = '\0';
        if (mkdir(path, 0755) != 0 && (errno != EEXIST || (last && fresh))) {
            int e = errno;
            snprintf(err, errlen, "Cannot create cgroup %s: %s", path, strerror(e));
            return -e;
        }
        p += seg;
    }
    return 0;
}

/* ---- control files ----------------------------------------------------------------------- */

static int file_path(const char *dir, const char *file, char *buf, size_t n)
{
    return (size_t)snprintf(buf, n, "%s/%s", dir, file) < n ? 0 : -ENAMETOOLONG;
}

int cg_read(const char *dir, const char *file, char *buf, size_t n)
{
    char path[PATH_MAX];
    if (n == 0) return -EINVAL;
    buf[0] = '\0';
    int rc = file_path(dir, file, path, sizeof path);
    if (rc != 0) return rc;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    size_t got = 0;
    int e = 0;
    while (got < n - 1) {
        ssize_t r = read(fd, buf + got, n - 1 - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) e = errno;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    return -e;
}

int cg_write(const char *dir, const char *file, const char *value)
{
    char path[PATH_MAX];
    int rc = file_path(dir, file, path, sizeof path);
    if (rc != 0) return rc;
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    ssize_t w;
    do w = write(fd, value, strlen(value));
    while (w < 0 && errno == EINTR);
    int e = w < 0 ? errno : 0;
    close(fd);
    return -e;
}

static int parse_u64(const char *text, uint64_t *out)
{
    if (strncmp(text, "max", 3) == 0) {
        *out = UINT64_MAX;
        return 0;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || errno) return -EINVAL;
    *out = v;
    return 0;
}

int cg_read_u64(const char *dir, const char *file, uint64_t *out)
{
    char text[64];
    int rc = cg_read(dir, file, text, sizeof text);
    return rc != 0 ? rc : parse_u64(text, out);
}

int cg_write_u64(const char *dir, const char *file, uint64_t value)
{
    char text[32];
    snprintf(text, sizeof text, "%llu", (unsigned long long)value);
    return cg_write(dir, file, text);
}

int cg_stat(const char *dir, const char *file, const char *key, uint64_t *out)
{
    char text[16384];
    int rc = cg_read(dir, file, text, sizeof text);
    if (rc != 0) return rc;
    size_t klen = strlen(key);
    for (const char *line = text; *line;) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ' ') return parse_u64(line + klen + 1, out);
        const char *nl = strchr(line, '\n');
        if (!nl) break;
        line = nl + 1;
    }
    return -ENOENT;
}

/* ---- processes --------------------------------------------------------------------------- */

int cg_assign(const char *dir, pid_t pid)
{
    char text[32];
    snprintf(text, sizeof text, "%d", (int)pid);
    return cg_write(dir, "cgroup.procs", text);
}

/* The pids in dir's cgroup.procs (malloc'd, *n of them). Returns 0 or -errno. */
static int read_procs(const char *dir, pid_t **out, size_t *n)
{
    char path[PATH_MAX];
    *out = NULL;
    *n = 0;
    int rc = file_path(dir, "cgroup.procs", path, sizeof path);
    if (rc != 0) return rc;
    FILE *f = fopen(path, "re");
    if (!f) return -errno;
    size_t cap = 0;
    for (int pid; fscanf(f, "%d", &pid) == 1;) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = act_realloc(*out, cap * sizeof **out);
        }
        (*out)[(*n)++] = (pid_t)pid;
    }
    fclose(f);
    return 0;
}

size_t cg_count(const char *dir)
{
    pid_t *pids;
    size_t n;
    if (read_procs(dir, &pids, &n) != 0) return 0;
    free(pids);
    return n;
}

static bool listed(const pid_t *v, size_t n, pid_t pid)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == pid) return true;
    return false;
}

int cg_signal(const char *dir, int sig)
{
    pid_t *before, *after;
    size_t nb, na;
    int rc = read_procs(dir, &before, &nb);
    if (rc != 0) return rc;
    int *fds = act_calloc(nb + 1, sizeof *fds);
    for (size_t i = 0; i < nb; i++) fds[i] = (int)syscall(SYS_pidfd_open, before[i], 0);
    rc = read_procs(dir, &after, &na);
    int signalled = 0;
    for (size_t i = 0; i < nb; i++) {
        if (fds[i] < 0) continue;
        /* pinned, and still inside: the pid cannot name anyone else now */
        if (rc == 0 && before[i] > 1 && listed(after, na, before[i]) &&
            syscall(SYS_pidfd_send_signal, fds[i], sig, NULL, 0) == 0)
            signalled++;
        close(fds[i]);
    }
    free(fds);
    free(before);
    free(after);
    return rc != 0 ? rc : signalled;
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits (bounded by `until`) for `file` in dir to contain `text`. */
static bool wait_text(const char *dir, const char *file, const char *text, double until)
{
    for (int ms = 1;; ms = ms < 32 ? ms * 2 : ms) {
        char state[256];
        if (cg_read(dir, file, state, sizeof state) == 0 && strstr(state, text)) return true;
        if (mono_now() > until) return false;
        pause_ms(ms);
    }
}

/* Freezes (true) or thaws the cgroup at dir. Freezing waits until it is frozen (bounded). */
static bool freeze(const cg_layout *l, const char *dir, bool on, double until)
{
    if (l->version == CG_V2) {
        if (cg_write(dir, "cgroup.freeze", on ? "1" : "0") != 0) return false;
        return !on || wait_text(dir, "cgroup.events", "frozen 1", until);
    }
    if (cg_write(dir, "freezer.state", on ? "FROZEN" : "THAWED") != 0) return false;
    return !on || wait_text(dir, "freezer.state", "FROZEN", until);
}

/* Empty: no process listed and, in v2, none that is still dying (v2 hides zombies from
 * cgroup.procs but keeps the cgroup populated, and unremovable, until they are reaped). */
static bool empty(const cg_layout *l, const char *dir)
{
    char events[256];
    if (cg_count(dir) > 0) return false;
    return l->version != CG_V2 || cg_read(dir, "cgroup.events", events, sizeof events) != 0 ||
           strstr(events, "populated 0") != NULL;
}

static bool wait_empty(const cg_layout *l, const char *dir, double until)
{
    for (int ms = 1;; ms = ms < 32 ? ms * 2 : ms) {
        if (empty(l, dir)) return true;
        if (mono_now() > until) return false;
        pause_ms(ms);
    }
}

int cg_kill_all(const cg_layout *l, const char *dir, double secs)
{
    double until = mono_now() + secs;
    char probe[PATH_MAX];
    bool can_freeze = l->version == CG_V2 ||
                      (file_path(dir, "freezer.state", probe, sizeof probe) == 0 &&
                       access(probe, W_OK) == 0);
    while (!empty(l, dir)) {
        if (l->version == CG_V2 && cg_write(dir, "cgroup.kill", "1") == 0) {
            /* the kernel kills every member, forks included */
        } else {
            bool frozen = can_freeze && freeze(l, dir, true, mono_now() + 1.0);
            cg_signal(dir, SIGKILL);
            if (can_freeze) freeze(l, dir, false, until);
            (void)frozen; /* not frozen in time (a process in D state): killed all the same */
        }
        double round = mono_now() + 0.5;
        if (wait_empty(l, dir, round < until ? round : until)) return 0;
        if (mono_now() > until) return -EBUSY;
    }
    return 0;
}

int cg_remove(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT ? 0 : -errno;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
        char child[PATH_MAX];
        if (file_path(dir, e->d_name, child, sizeof child) == 0 && rc == 0) rc = cg_remove(child);
    }
    closedir(d);
    if (rc != 0) return rc;
    return rmdir(dir) == 0 || errno == ENOENT ? 0 : -errno;
}

int cg_children(const cg_layout *l, cg_controller c, const char *cg,
                void (*fn)(void *ctx, const char *name), void *ctx)
{
    char dir[PATH_MAX];
    DIR *d = opendir(cg_dir(l, c, cg, dir, sizeof dir));
    if (!d) return -errno;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_type == DT_DIR && e->d_name[0] != '.') fn(ctx, e->d_name);
    closedir(d);
    return 0;
}

int cg_of_pid(const cg_layout *l, cg_controller c, pid_t pid, char *buf, size_t n)
{
    char path[64], *line = NULL;
    size_t cap = 0;
    snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f) return errno == ENOENT ? -ESRCH : -errno;
    int rc = -ENOENT;
    while (rc != 0 && getline(&line, &cap, f) > 0) {
        line[strcspn(line, "\n")] = '\0';
        char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;
        if (!b) continue;
        *a = *b = '\0'; /* id:controllers:path */
        bool match = l->version == CG_V2 ? strcmp(line, "0") == 0 && a[1] == '\0'
                                         : has_option(a + 1, names[c]);
        if (match) {
            snprintf(buf, n, "%s", b[1] == '/' ? b + 2 : b + 1);
            rc = 0;
        }
    }
    free(line);
    fclose(f);
    return rc;
}

/* ---- usage ------------------------------------------------------------------------------- */

int cg_cpu_usage(const cg_layout *l, const char *cg, bool throttling, cz_stats *out)
{
    char dir[PATH_MAX];
    uint64_t user, system, periods, throttled, time;
    if (l->version == CG_V2) {
        cg_dir(l, CG_CPU, cg, dir, sizeof dir);
        if (cg_stat(dir, "cpu.stat", "user_usec", &user) != 0 ||
            cg_stat(dir, "cpu.stat", "system_usec", &system) != 0)
            return -ENOENT;
        out->cpus_user_time_secs = (double)user / 1e6;
        out->cpus_system_time_secs = (double)system / 1e6;
    } else {
        double ticks = (double)sysconf(_SC_CLK_TCK);
        cg_dir(l, CG_CPUACCT, cg, dir, sizeof dir);
        if (cg_stat(dir, "cpuacct.stat", "user", &user) != 0 ||
            cg_stat(dir, "cpuacct.stat", "system", &system) != 0)
            return -ENOENT;
        out->cpus_user_time_secs = (double)user / ticks;
        out->cpus_system_time_secs = (double)system / ticks;
        cg_dir(l, CG_CPU, cg, dir, sizeof dir);
    }
    out->has_cpus_times = true;
    const char *time_key = l->version == CG_V2 ? "throttled_usec" : "throttled_time";
    if (!throttling || cg_stat(dir, "cpu.stat", "nr_periods", &periods) != 0 ||
        cg_stat(dir, "cpu.stat", "nr_throttled", &throttled) != 0 ||
        cg_stat(dir, "cpu.stat", time_key, &time) != 0)
        return 0;
    out->has_cpus_throttling = true;
    out->cpus_nr_periods = periods;
    out->cpus_nr_throttled = throttled;
    out->cpus_throttled_time_secs = (double)time / (l->version == CG_V2 ? 1e6 : 1e9);
    return 0;
}

int cg_mem_usage(const cg_layout *l, const char *cg, cz_stats *out)
{
    char dir[PATH_MAX];
    cg_dir(l, CG_MEMORY, cg, dir, sizeof dir);
    bool v2 = l->version == CG_V2;
    uint64_t usage;
    if (cg_read_u64(dir, v2 ? "memory.current" : "memory.usage_in_bytes", &usage) != 0)
        return -ENOENT;
    out->has_mem_rss = true;
    out->mem_rss_bytes = usage;
    uint64_t file, anon, mapped;
    if (cg_stat(dir, "memory.stat", v2 ? "file" : "total_cache", &file) == 0 &&
        cg_stat(dir, "memory.stat", v2 ? "anon" : "total_rss", &anon) == 0 &&
        cg_stat(dir, "memory.stat", v2 ? "file_mapped" : "total_mapped_file", &mapped) == 0) {
        out->has_mem_breakdown = true;
        out->mem_file_bytes = file;
        out->mem_anon_bytes = anon;
        out->mem_mapped_file_bytes = mapped;
    }
    return 0;
}
