/*
 * log.c - glog-compatible logging: the line format operators and their tools already know
 * ("I1125 10:00:00.123456  4242 file.c:123] message"), written to stderr and, with a log
 * directory, to glog's per-level files (<program>.INFO, .WARNING, .ERROR symlinks to the
 * current <program>.<host>.<user>.log.<LEVEL>.<YYYYMMDD-HHMMSS>.<pid> file, rotated by size).
 * One mutex serialises output; the level checks the macros make are single relaxed loads.
 * Lines a remote peer can provoke go through a per-call-site limiter (LOG_WARNING_LIMITED).
 */
#include "actor/actor.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NUM_FILE_LEVELS 3 /* INFO, WARNING, ERROR files; FATAL lines go into all three */
#define DEFAULT_MAX_FILE_BYTES (100ULL << 20)
#define RETRY_OPEN_EVERY 32 /* lines between attempts to create a file that failed (glog) */

static const char level_letters[] = "IWEF";
static const char *const level_names[] = {"INFO", "WARNING", "ERROR", "FATAL"};

typedef struct log_file {
    FILE *fp;
    uint64_t len;          /* bytes written to the current file */
    unsigned skipped;      /* lines dropped since creating the file failed */
} log_file;

/* Every path handed out by act_log_file stays valid until act_log_close or act_log_init. */
typedef struct path_node {
    struct path_node *next;
    char path[];
} path_node;

static struct {
    pthread_mutex_t lock;
    char *dir;             /* NULL: stderr only */
    char *program;
    bool quiet;
    double bufsecs;
    uint64_t max_bytes;
    double last_flush;     /* CLOCK_MONOTONIC seconds */
    log_file files[NUM_FILE_LEVELS];
    path_node *paths;
    int toggle_restore;    /* verbosity to restore when the toggle expires */
    double toggle_deadline;
} L = {.lock = PTHREAD_MUTEX_INITIALIZER};

static atomic_int min_level = ACT_LOG_INFO;
/* --quiet without --log_dir: lines below FATAL go nowhere, so they are not even formatted (a
 * busy master logs a line per launched task). */
static atomic_bool sinkless = false;
static atomic_int verbosity = 0;
static atomic_bool toggled = false;
static _Atomic(const char *) info_path = NULL;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* GLOG_v gives the initial verbosity, as with glog. */
static void read_env(void)
{
    const char *v = getenv("GLOG_v");
    if (!v || !*v) return;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end == '\0' && n >= -1000 && n <= 1000) atomic_store(&verbosity, (int)n);
}

static void ensure_env(void)
{
    pthread_once(&env_once, read_env);
}

/* ---- toggle ------------------------------------------------------------------------------ */

static void expire_toggle_locked(void)
{
    if (!atomic_load_explicit(&toggled, memory_order_relaxed)) return;
    if (mono_now() < L.toggle_deadline) return;
    atomic_store(&verbosity, L.toggle_restore);
    atomic_store(&toggled, false);
}

static void expire_toggle(void)
{
    if (!atomic_load_explicit(&toggled, memory_order_relaxed)) return;
    pthread_mutex_lock(&L.lock);
    expire_toggle_locked();
    pthread_mutex_unlock(&L.lock);
}

void act_log_toggle(int level, double secs)
{
    ensure_env();
    if (!(secs > 0)) secs = 0; /* also NaN: restore at the next check */
    pthread_mutex_lock(&L.lock);
    /* A toggle during a toggle extends it; the level restored stays the original one. */
    if (!atomic_load(&toggled)) L.toggle_restore = atomic_load(&verbosity);
    L.toggle_deadline = mono_now() + secs;
    atomic_store(&verbosity, level);
    atomic_store(&toggled, true);
    pthread_mutex_unlock(&L.lock);
}

/* An explicit setting cancels a pending toggle: it is what the operator asked for last. */
void act_log_set_verbosity(int level)
{
    ensure_env();
    pthread_mutex_lock(&L.lock);
    atomic_store(&toggled, false);
    atomic_store(&verbosity, level);
    pthread_mutex_unlock(&L.lock);
}

int act_log_verbosity(void)
{
    ensure_env();
    expire_toggle();
    return atomic_load_explicit(&verbosity, memory_order_relaxed);
}

bool act_vlog_enabled(int level)
{
    ensure_env();
    expire_toggle();
    return level <= atomic_load_explicit(&verbosity, memory_order_relaxed);
}

bool act_log_enabled(act_log_level level)
{
    if (level < ACT_LOG_FATAL && atomic_load_explicit(&sinkless, memory_order_relaxed))
        return false;
    return (int)level >= atomic_load_explicit(&min_level, memory_order_relaxed);
}

void act_log_set_level(act_log_level level)
{
    atomic_store_explicit(&min_level, (int)level, memory_order_relaxed);
}

/* ---- files ------------------------------------------------------------------------------- */

static const char *user_name(char *buf, size_t n)
{
    const char *user = getenv("USER");
    if (user && *user) return user;
    struct passwd pw, *res = NULL;
    char tmp[1024];
    if (getpwuid_r(geteuid(), &pw, tmp, sizeof tmp, &res) == 0 && res) {
        snprintf(buf, n, "%s", res->pw_name);
        return buf;
    }
    return "invalid-user";
}

static void remember_path(const char *path)
{
    size_t n = strlen(path) + 1;
    path_node *node = act_malloc(sizeof *node + n);
    memcpy(node->path, path, n);
    node->next = L.paths;
    L.paths = node;
    atomic_store(&info_path, node->path);
}

/* What goes into a file's name and header: when it was created and on which machine. */
typedef struct file_stamp {
    struct tm tm;
    char host[256];
    char user[256];
} file_stamp;

static void make_stamp(file_stamp *st)
{
    time_t now = time(NULL);
    localtime_r(&now, &st->tm);
    if (gethostname(st->host, sizeof st->host) != 0) snprintf(st->host, sizeof st->host, "?");
    st->host[sizeof st->host - 1] = '\0';
    char buf[256];
    snprintf(st->user, sizeof st->user, "%s", user_name(buf, sizeof buf));
}

/* Creates a new file for `level` named the glog way; if a file of that name exists (two
 * rotations within one second) a ".N" suffix keeps the names distinct. */
static int create_file(int level, const file_stamp *st, char *path, size_t n, FILE **out)
{
    const struct tm *tm = &st->tm;
    int len = snprintf(path, n, "%s/%s.%s.%s.log.%s.%04d%02d%02d-%02d%02d%02d.%d", L.dir,
                       L.program, st->host, st->user, level_names[level], tm->tm_year + 1900,
                       tm->tm_mon + 1, tm->tm_mday, tm->tm_hour, tm->tm_min, tm->tm_sec,
                       (int)getpid());
    if (len < 0 || (size_t)len + 8 >= n) return -ENAMETOOLONG;
    int fd = -1;
    for (int suffix = 0; fd < 0 && suffix < 1000; suffix++) {
        if (suffix) snprintf(path + len, n - (size_t)len, ".%d", suffix);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0664);
        if (fd < 0 && errno != EEXIST) return -errno;
    }
    if (fd < 0) return -EEXIST;
    *out = fdopen(fd, "a");
    if (*out) return 0;
    int err = -errno;
    close(fd);
    unlink(path);
    return err;
}

/* Points <dir>/<program>.<LEVEL> at `path` (relative, so the directory can move). */
static void update_symlink(int level, const char *path)
{
    char link[4096];
    snprintf(link, sizeof link, "%s/%s.%s", L.dir, L.program, level_names[level]);
    unlink(link);
    const char *slash = strrchr(path, '/');
    if (symlink(slash ? slash + 1 : path, link) != 0) {
        /* No symlink is no error: glog ignores it too. */
    }
}

static void write_file_header(log_file *f, const file_stamp *st)
{
    const struct tm *tm = &st->tm;
    int n = fprintf(f->fp,
                    "Log file created at: %04d/%02d/%02d %02d:%02d:%02d\n"
                    "Running on machine: %s\n"
                    "Log line format: [IWEF]mmdd hh:mm:ss.uuuuuu threadid file:line] msg\n",
                    tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday, tm->tm_hour, tm->tm_min,
                    tm->tm_sec, st->host);
    if (n > 0) f->len += (uint64_t)n;
}

/* Opens a fresh file for `level` (closing the one it replaces). Returns 0 or a negative
 * errno; on failure the current file, if any, stays in use. */
static int open_level(int level)
{
    log_file *f = &L.files[level];
    file_stamp st;
    make_stamp(&st);
    char path[4096];
    FILE *fp = NULL;
    int rc = create_file(level, &st, path, sizeof path, &fp);
    if (rc != 0) return rc;
    if (f->fp) fclose(f->fp);
    *f = (log_file){.fp = fp};
    update_symlink(level, path);
    write_file_header(f, &st);
    if (level == ACT_LOG_INFO) remember_path(path);
    return 0;
}

static void close_files_locked(void)
{
    for (int i = 0; i < NUM_FILE_LEVELS; i++) {
        if (L.files[i].fp) fclose(L.files[i].fp);
        L.files[i] = (log_file){0};
    }
    atomic_store(&info_path, NULL);
    while (L.paths) {
        path_node *next = L.paths->next;
        free(L.paths);
        L.paths = next;
    }
    free(L.dir);
    L.dir = NULL;
    atomic_store(&sinkless, L.quiet);
}

static void flush_files_locked(void)
{
    for (int i = 0; i < NUM_FILE_LEVELS; i++)
        if (L.files[i].fp) fflush(L.files[i].fp);
    L.last_flush = mono_now();
}

/* Appends a line to one level's file, creating or rotating the file first when needed. */
static void write_to_file(int level, const char *line, size_t len)
{
    log_file *f = &L.files[level];
    bool full = f->fp && f->len >= L.max_bytes;
    if (!f->fp || full) {
        /* After a failure, retry only every few lines so a vanished directory stays cheap. */
        if (!full && f->skipped++ % RETRY_OPEN_EVERY != 0) return;
        if (open_level(level) != 0 && !f->fp) return;
    }
    fwrite(line, 1, len, f->fp);
    f->len += len;
}

/* mkdir -p */
static int make_dirs(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) return -ENAMETOOLONG;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) return -errno;
        *p = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST) return -errno;
    return 0;
}

int act_log_init(const act_log_options *opts)
{
    ensure_env();
    act_log_options o = opts ? *opts : (act_log_options){0};
    const char *program = o.program && *o.program ? o.program : "mesos";
    const char *slash = strrchr(program, '/');
    pthread_mutex_lock(&L.lock);
    close_files_locked();
    free(L.program);
    L.program = act_strdup(slash ? slash + 1 : program);
    L.quiet = o.quiet;
    L.bufsecs = o.logbufsecs > 0 ? o.logbufsecs : 0;
    L.max_bytes = o.max_file_bytes ? o.max_file_bytes : DEFAULT_MAX_FILE_BYTES;
    L.last_flush = mono_now();
    atomic_store(&min_level, (int)o.level);
    int rc = 0;
    if (o.log_dir && *o.log_dir) {
        rc = make_dirs(o.log_dir);
        if (rc == 0) {
            L.dir = act_strdup(o.log_dir);
            rc = open_level(ACT_LOG_INFO);
            if (rc != 0) close_files_locked();
        }
    }
    atomic_store(&sinkless, L.quiet && !L.dir);
    pthread_mutex_unlock(&L.lock);
    return rc;
}

void act_log_close(void)
{
    pthread_mutex_lock(&L.lock);
    flush_files_locked();
    close_files_locked();
    free(L.program);
    L.program = NULL;
    pthread_mutex_unlock(&L.lock);
}

const char *act_log_file(void)
{
    return atomic_load(&info_path);
}

/* ---- writing ----------------------------------------------------------------------------- */

/* Writes the glog prefix "I1125 10:00:00.123456  4242 file.c:123] " into buf. */
static int format_prefix(char *buf, size_t n, act_log_level level, const char *file, int line)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    const char *base = file ? strrchr(file, '/') : NULL;
    base = base ? base + 1 : (file ? file : "?");
    int letter = level_letters[level < 0 ? 0 : level > ACT_LOG_FATAL ? ACT_LOG_FATAL : level];
    return snprintf(buf, n, "%c%02d%02d %02d:%02d:%02d.%06ld %5ld %s:%d] ", letter,
                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                    (long)(ts.tv_nsec / 1000), (long)syscall(SYS_gettid), base, line);
}

static void emit_locked(act_log_level level, const char *text, size_t len)
{
    /* --quiet silences stderr below FATAL, as Mesos does with glog's stderrthreshold. */
    if (!L.quiet || level >= ACT_LOG_FATAL) fwrite(text, 1, len, stderr);
    if (!L.dir) return;
    int top = (int)level < NUM_FILE_LEVELS ? (int)level : NUM_FILE_LEVELS - 1;
    for (int lv = top; lv >= ACT_LOG_INFO; lv--) write_to_file(lv, text, len);
    if (L.bufsecs == 0 || level >= ACT_LOG_WARNING || mono_now() - L.last_flush >= L.bufsecs)
        flush_files_locked();
}

/* Formats and writes one line; `suppressed` > 0 appends the count a rate-limited site
 * skipped (before the newline, so the line stays one line). */
static void log_vwrite(act_log_level level, const char *file, int line, uint64_t suppressed,
                       const char *fmt, va_list ap)
{
    if (!act_log_enabled(level)) return;
    char prefix[1024];
    int head = format_prefix(prefix, sizeof prefix, level, file, line);
    if (head < 0) head = 0;
    if ((size_t)head >= sizeof prefix) head = sizeof prefix - 1; /* absurd file name */
    act_buf text = {0};
    act_buf_append(&text, prefix, (size_t)head);
    act_buf_vprintf(&text, fmt, ap);
    while (text.len > (size_t)head && text.data[text.len - 1] == '\n') text.data[--text.len] = 0;
    if (suppressed)
        act_buf_printf(&text, " (%llu similar lines suppressed)", (unsigned long long)suppressed);
    act_buf_putc(&text, '\n');
    pthread_mutex_lock(&L.lock);
    expire_toggle_locked();
    emit_locked(level, text.data, text.len);
    pthread_mutex_unlock(&L.lock);
    act_buf_free(&text);
}

void act_log_vwrite(act_log_level level, const char *file, int line, const char *fmt,
                    va_list ap)
{
    log_vwrite(level, file, line, 0, fmt, ap);
}

void act_log_write(act_log_level level, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, file, line, 0, fmt, ap);
    va_end(ap);
}

/* ---- rate-limited sites ------------------------------------------------------------------ */

bool act_log_limit_pass(act_log_limit *l, uint64_t *suppressed)
{
    const int64_t window = (int64_t)(ACT_LOG_LIMIT_SECS * 1e6);
    int64_t now = (int64_t)(act_now() * 1e6);
    int64_t next = __atomic_load_n(&l->next_us, __ATOMIC_RELAXED);
    /* A clock that went back (a test's advanced clock resumed) must not silence the site. */
    bool open = now >= next || next - now > window;
    if (!open || !__atomic_compare_exchange_n(&l->next_us, &next, now + window, false,
                                              __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
        __atomic_fetch_add(&l->suppressed, 1, __ATOMIC_RELAXED);
        return false;
    }
    *suppressed = __atomic_exchange_n(&l->suppressed, 0, __ATOMIC_ACQ_REL);
    return true;
}

void act_log_write_limited(act_log_level level, const char *file, int line, uint64_t suppressed,
                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, file, line, suppressed, fmt, ap);
    va_end(ap);
}

int act_log_level_parse(const char *text, act_log_level *out)
{
    static const char *const names[] = {"INFO", "WARNING", "ERROR"};
    for (int i = 0; i < 3; i++)
        if (strcmp(text, names[i]) == 0) {
            *out = (act_log_level)i;
            return 0;
        }
    return -EINVAL;
}
