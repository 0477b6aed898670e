/*
 * files.c - the "files" actor: serves attached directories and files over HTTP as Mesos'
 * FilesProcess does (/files/browse.json, read.json, download.json, debug.json); the slave
 * attaches sandboxes and its log, the master its log. A real path is attached under a
 * virtual name; a request path resolves through the longest attached name, and anything
 * that would leave the attached real path is answered 404.
 * read.json and download.json stream from the open file as the client takes the answer
 * (act_http_respond_stream), so a large sandbox file is never held in memory and a client
 * that does not read costs a bounded amount of it.
 */
#include "actor/actor.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* read.json returns at most this many pages per request (Mesos caps at 16 pages too; the
 * web UI's pailer asks again for the rest). */
#define FILES_READ_PAGES 16
/* read.json escapes at most this many file bytes per piece it produces. */
#define FILES_ESCAPE_PIECE 16384

#define FILES_ACTOR "files"
#define FILES_MSG_ATTACH "files.attach" /* files_attach: serve `path` as `name` */
#define FILES_MSG_DETACH "files.detach" /* files_attach (name only) */

typedef struct files_attach {
    char *path;
    char *name;
} files_attach;

typedef struct files_state {
    act_map *paths; /* virtual name -> canonical real path (owned char *) */
} files_state;

static void files_attach_free(void *p)
{
    files_attach *a = p;
    if (!a) return;
    free(a->path);
    free(a->name);
    free(a);
}

static int post(const act_pid *files, const char *what, const char *path, const char *name)
{
    files_attach *a = act_calloc(1, sizeof *a);
    a->path = path ? act_strdup(path) : NULL;
    a->name = act_strdup(name);
    return act_post(NULL, files, what, a, files_attach_free);
}

int act_files_attach(const act_pid *files, const char *path, const char *name)
{
    return post(files, FILES_MSG_ATTACH, path, name);
}

int act_files_detach(const act_pid *files, const char *name)
{
    return post(files, FILES_MSG_DETACH, NULL, name);
}

static void strip_trailing_slashes(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '/') s[--n] = '\0';
}

/* ---- attach and detach ------------------------------------------------------------------- */

static void on_attach(act_actor *self, const act_msg *msg)
{
    files_state *st = act_state(self);
    const files_attach *a = msg->obj;
    if (!a || !a->path || !a->name) {
        LOG_WARNING("Ignoring a %s without path or name", FILES_MSG_ATTACH);
        return;
    }
    char real[PATH_MAX];
    if (!realpath(a->path, real)) {
        LOG_WARNING("Failed to attach '%s' as '%s': %s", a->path, a->name,
                    act_strerror(-errno));
        return;
    }
    if (access(real, R_OK) != 0) {
        LOG_WARNING("Failed to attach '%s' as '%s': %s", real, a->name, act_strerror(-errno));
        return;
    }
    /* As Mesos does: "/sandbox/" and "/sandbox" are one name; "/" becomes "". */
    char *name = act_strdup(a->name);
    strip_trailing_slashes(name);
    free(act_map_put(st->paths, name, act_strdup(real)));
    VLOG(1, "Attached '%s' as '%s'", real, name);
    free(name);
}

static void on_detach(act_actor *self, const act_msg *msg)
{
    files_state *st = act_state(self);
    const files_attach *a = msg->obj;
    if (!a || !a->name) return;
    char *name = act_strdup(a->name);
    strip_trailing_slashes(name);
    free(act_map_remove(st->paths, name));
    free(name);
}

/* ---- resolving virtual paths ------------------------------------------------------------- */

/* True when canonical path p is root or below it. */
static bool is_below(const char *root, const char *p)
{
    size_t n = strlen(root);
    if (n == 1 && root[0] == '/') return true;
    return strncmp(p, root, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

/* The real path attached under the longest name that is a whole-component prefix of key
 * (trailing slashes stripped); *len gets that name's length. NULL if none. */
static const char *longest_attached(const act_map *paths, const char *key, size_t *len)
{
    char buf[PATH_MAX];
    size_t n = strlen(key);
    memcpy(buf, key, n + 1);
    for (;;) {
        buf[n] = '\0';
        const char *real = act_map_get(paths, buf);
        if (real) {
            *len = n;
            return real;
        }
        char *slash = memrchr(buf, '/', n);
        if (!slash) return NULL;
        n = (size_t)(slash - buf);
    }
}

/* Resolves virtual path vpath to a canonical real path in out (PATH_MAX bytes). Returns 0;
 * -ENOENT when no attached name covers it or it does not exist; -EPERM when it would leave
 * the attached path (through "..", or a symlink pointing outside); or realpath's -errno. */
static int resolve(const files_state *st, const char *vpath, char *out)
{
    char key[PATH_MAX], joined[PATH_MAX];
    if (strlen(vpath) >= sizeof key) return -ENAMETOOLONG;
    strcpy(key, vpath);
    strip_trailing_slashes(key);
    size_t n = 0;
    const char *root = longest_attached(st->paths, key, &n);
    if (!root) return -ENOENT;
    const char *suffix = key + n;
    while (*suffix == '/') suffix++;
    int w = snprintf(joined, sizeof joined, "%s%s%s", root, *suffix ? "/" : "", suffix);
    if (w < 0 || (size_t)w >= sizeof joined) return -ENAMETOOLONG;
    if (!realpath(joined, out)) return -errno;
    if (!is_below(root, out)) {
        LOG_WARNING_LIMITED("Refusing '%s': it resolves to '%s', outside '%s'", vpath, out,
                            root);
        return -EPERM;
    }
    return 0;
}

/* Answers a failed resolve or open: 404 for what is not there (or not ours to show). */
static void respond_error(act_http_req *req, int err)
{
    switch (-err) {
    case ENOENT: case ENOTDIR: case ELOOP: case ENAMETOOLONG: case EPERM:
        act_http_respond_text(req, 404, "No such file or directory.\n");
        return;
    case EISDIR:
        act_http_respond_text(req, 400, "Cannot read a directory.\n");
        return;
    case EINVAL:
        act_http_respond_text(req, 400, "Not a regular file.\n");
        return;
    default: {
        char text[256];
        snprintf(text, sizeof text, "%s.\n", act_strerror(err));
        act_http_respond_text(req, 500, text);
    }
    }
}

/* Resolves the request's ?path= into real (PATH_MAX bytes) or answers the request (400
 * without a path, else as respond_error). True when real was set. */
static bool request_target(act_actor *self, act_http_req *req, char *real)
{
    const char *path = act_http_query(req, "path");
    if (!path || !*path) {
        act_http_respond_text(req, 400, "Expecting 'path=value' in query.\n");
        return false;
    }
    int rc = resolve(act_state(self), path, real);
    if (rc != 0) respond_error(req, rc);
    return rc == 0;
}

/* Opens a regular file for reading without blocking on FIFOs or following a final symlink
 * swapped in since resolve. Returns an fd and fills *s, or -EISDIR, -EINVAL (not a regular
 * file) or open's -errno. */
static int open_regular(const char *real, struct stat *s)
{
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY);
    if (fd < 0) return -errno;
    int rc = 0;
    if (fstat(fd, s) != 0)
        rc = -errno;
    else if (S_ISDIR(s->st_mode))
        rc = -EISDIR;
    else if (!S_ISREG(s->st_mode))
        rc = -EINVAL;
    if (rc != 0) {
        close(fd);
        return rc;
    }
    return fd;
}

/* Reads up to n bytes at offset; returns the count (short only at end of file) or -errno. */
static ssize_t pread_full(int fd, char *buf, size_t n, off_t offset)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, offset + (off_t)got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -errno;
        if (r == 0) break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* ---- bodies streamed from a file --------------------------------------------------------- */

/* A window of an open file, produced as the client takes it: the raw bytes (download.json),
 * or escaped inside read.json's {"data":"...","offset":N}. Owns the descriptor. */
typedef struct file_body {
    int fd;
    off_t pos, left;   /* next byte to read; bytes of the window still to read */
    bool json;         /* read.json's object around escaped data */
    int phase;         /* json: 0 before the data, 1 in it, 2 done */
    long long offset;  /* json: the "offset" field */
} file_body;

/* Raw bytes: as many as there is room for. A file that shrank ends the body early (the
 * transport then closes the connection: the announced length cannot be met). */
static int produce_raw(file_body *f, act_buf *out, size_t room)
{
    size_t want = (uint64_t)f->left < room ? (size_t)f->left : room;
    act_buf_reserve(out, want);
    ssize_t got = pread_full(f->fd, out->data + out->len, want, f->pos);
    if (got < 0) return (int)got;
    out->len += (size_t)got;
    out->data[out->len] = '\0';
    f->pos += got;
    f->left -= got;
    return f->left == 0 || (size_t)got < want ? 1 : 0;
}

/* read.json: escaping can make a byte six, so a piece reads at most room/6 bytes. */
static int produce_json(file_body *f, act_buf *out, size_t room)
{
    if (f->phase == 0) {
        act_buf_puts(out, "{\"data\":\"");
        f->phase = 1;
    }
    if (f->phase == 1 && f->left > 0) {
        char raw[FILES_ESCAPE_PIECE];
        size_t want = room / 6 ? room / 6 : 1;
        if (want > sizeof raw) want = sizeof raw;
        if ((uint64_t)f->left < want) want = (size_t)f->left;
        ssize_t got = pread_full(f->fd, raw, want, f->pos);
        if (got < 0) return (int)got;
        act_json_escape(out, raw, (size_t)got, false);
        f->pos += got;
        f->left = (size_t)got < want ? 0 : f->left - got; /* a shrunk file ends the data */
    }
    if (f->left > 0) return 0;
    act_buf_printf(out, "\",\"offset\":%lld}", f->offset);
    return 1;
}

static int file_produce(void *ctx, act_buf *out, size_t room)
{
    file_body *f = ctx;
    return f->json ? produce_json(f, out, room) : produce_raw(f, out, room);
}

static void file_release(void *ctx)
{
    file_body *f = ctx;
    close(f->fd);
    free(f);
}

/* A producer over [pos, pos + len) of fd, which it takes over. */
static act_http_producer file_producer(int fd, off_t pos, off_t len, bool json,
                                       long long offset)
{
    file_body *f = act_calloc(1, sizeof *f);
    *f = (file_body){.fd = fd, .pos = pos, .left = len, .json = json, .offset = offset};
    return (act_http_producer){.produce = file_produce, .release = file_release, .ctx = f};
}

/* ---- browse.json ------------------------------------------------------------------------- */

/* "drwxr-xr-x", as Mesos' jsonFileInfo (and ls -l) writes it; out has 11 bytes. */
static void format_mode(mode_t m, char *out)
{
    out[0] = S_ISDIR(m) ? 'd' : S_ISCHR(m) ? 'c' : S_ISBLK(m) ? 'b' : S_ISFIFO(m) ? 'p'
           : S_ISLNK(m) ? 'l' : S_ISSOCK(m) ? 's' : '-';
    static const char rwx[] = "rwxrwxrwx";
    for (int i = 0; i < 9; i++) out[1 + i] = (m & (0400 >> i)) ? rwx[i] : '-';
    out[10] = '\0';
}

static void user_name(uid_t uid, char *out, size_t n)
{
    struct passwd pw, *res = NULL;
    char buf[1024];
    if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res)
        snprintf(out, n, "%s", pw.pw_name);
    else
        snprintf(out, n, "%lu", (unsigned long)uid);
}

static void group_name(gid_t gid, char *out, size_t n)
{
    struct group gr, *res = NULL;
    char buf[1024];
    if (getgrgid_r(gid, &gr, buf, sizeof buf, &res) == 0 && res)
        snprintf(out, n, "%s", gr.gr_name);
    else
        snprintf(out, n, "%lu", (unsigned long)gid);
}

/* One listing entry with Mesos' keys, in Mesos' (sorted) order. */
static void write_file_info(act_json *j, const char *vpath, const struct stat *s)
{
    char mode[11], uid[256], gid[256];
    format_mode(s->st_mode, mode);
    user_name(s->st_uid, uid, sizeof uid);
    group_name(s->st_gid, gid, sizeof gid);
    act_json_object_begin(j);
    act_json_kv_string(j, "gid", gid);
    act_json_kv_string(j, "mode", mode);
    act_json_kv_int(j, "mtime", (int64_t)s->st_mtime);
    act_json_kv_uint(j, "nlink", (uint64_t)s->st_nlink);
    act_json_kv_string(j, "path", vpath);
    act_json_kv_int(j, "size", (int64_t)s->st_size);
    act_json_kv_string(j, "uid", uid);
    act_json_object_end(j);
}

static int not_dots(const struct dirent *d)
{
    return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Writes the entries of directory real as a JSON array; entries show as vdir/name. Like
 * Mesos, entries are stat()ed (a symlink shows what it points to) and skipped if that fails. */
static int write_listing(act_json *j, const char *real, const char *vdir)
{
    struct dirent **names = NULL;
    int n = scandir(real, &names, not_dots, by_name);
    if (n < 0) return -errno;
    act_json_array_begin(j);
    for (int i = 0; i < n; i++) {
        char full[PATH_MAX * 2], vpath[PATH_MAX * 2];
        struct stat s;
        snprintf(full, sizeof full, "%s/%s", real, names[i]->d_name);
        snprintf(vpath, sizeof vpath, "%s/%s", vdir, names[i]->d_name);
        if (stat(full, &s) == 0)
            write_file_info(j, vpath, &s);
        else
            LOG_WARNING("Found '%s' in a listing but stat failed: %s", full,
                        act_strerror(-errno));
        free(names[i]);
    }
    free(names);
    act_json_array_end(j);
    return 0;
}

static void on_browse(act_actor *self, act_http_req *req)
{
    char real[PATH_MAX];
    if (!request_target(self, req, real)) return;
    struct stat s;
    if (stat(real, &s) != 0) {
        respond_error(req, -errno);
        return;
    }
    if (!S_ISDIR(s.st_mode)) { /* as Mesos: a file lists nothing */
        act_buf empty = {0};
        act_buf_puts(&empty, "[]");
        act_http_respond_json(req, 200, &empty);
        act_buf_free(&empty);
        return;
    }
    char *vdir = act_strdup(act_http_query(req, "path"));
    strip_trailing_slashes(vdir);
    act_buf out = {0};
    act_json j;
    act_json_init(&j, &out);
    int rc = write_listing(&j, real, vdir);
    if (rc == 0)
        act_http_respond_json(req, 200, &out);
    else
        respond_error(req, rc);
    act_buf_free(&out);
    free(vdir);
}

/* ---- read.json --------------------------------------------------------------------------- */

/* Parses an offset or length: absent means -1 (Mesos' "the end" / "the rest"); anything but
 * a decimal integer >= -1 is -EINVAL. */
static int parse_position(const char *text, long long *out)
{
    *out = -1;
    if (!text) return 0;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end || v < -1) return -EINVAL;
    *out = v;
    return 0;
}

/* Answers length bytes at offset of fd (a file of `size` bytes; fd is taken over), Mesos'
 * way: offset -1 means the end (so the answer is the size), length -1 the rest, capped at 16
 * pages; at or past the end the answer is the size with no data. */
static void read_window(act_http_req *req, int fd, off_t size, long long offset,
                        long long length)
{
    if (offset == -1 || offset > size) offset = size;
    if (length == -1 || length > size - offset) length = size - offset;
    long long cap = sysconf(_SC_PAGESIZE) * FILES_READ_PAGES;
    if (length > cap) length = cap;
    act_http_producer p = file_producer(fd, (off_t)offset, (off_t)length, true, offset);
    act_http_respond_json_stream(req, 200, &p);
}

static void on_read(act_actor *self, act_http_req *req)
{
    long long offset, length;
    char real[PATH_MAX];
    if (parse_position(act_http_query(req, "offset"), &offset) != 0) {
        act_http_respond_text(req, 400, "Failed to parse offset.\n");
    } else if (parse_position(act_http_query(req, "length"), &length) != 0) {
        act_http_respond_text(req, 400, "Failed to parse length.\n");
    } else if (request_target(self, req, real)) {
        struct stat s;
        int fd = open_regular(real, &s);
        if (fd < 0)
            respond_error(req, fd);
        else
            read_window(req, fd, s.st_size, offset, length);
    }
}

/* ---- download.json ----------------------------------------------------------------------- */

/* "Content-Disposition: attachment; filename=<basename>\r\n"; control bytes in the name
 * become '_' so a file name cannot inject header lines. */
static void disposition_header(const char *real, act_buf *out)
{
    const char *slash = strrchr(real, '/');
    const char *base = slash ? slash + 1 : real;
    act_buf_puts(out, "Content-Disposition: attachment; filename=");
    for (const char *p = base; *p; p++) {
        unsigned char c = (unsigned char)*p;
        act_buf_putc(out, c < 0x20 || c == 0x7f ? '_' : (char)c);
    }
    act_buf_puts(out, "\r\n");
}

/* Sends the file's bytes as they are now (fd is taken over); the client learns the length
 * first, and the body comes from the file as the client takes it. */
static void send_file(act_http_req *req, int fd, const struct stat *s, const char *real)
{
    act_buf headers = {0};
    disposition_header(real, &headers);
    act_http_producer p = file_producer(fd, 0, s->st_size, false, 0);
    act_http_respond_stream(req, 200, "application/octet-stream", (int64_t)s->st_size,
                            headers.data, &p);
    act_buf_free(&headers);
}

static void on_download(act_actor *self, act_http_req *req)
{
    char real[PATH_MAX];
    if (!request_target(self, req, real)) return;
    struct stat s;
    int fd = open_regular(real, &s);
    if (fd == -EISDIR) {
        act_http_respond_text(req, 400, "Cannot download a directory.\n");
    } else if (fd < 0) {
        respond_error(req, fd);
    } else {
        send_file(req, fd, &s, real);
    }
}

/* ---- debug.json -------------------------------------------------------------------------- */

static void on_debug(act_actor *self, act_http_req *req)
{
    files_state *st = act_state(self);
    act_buf out = {0};
    act_json j;
    act_json_init(&j, &out);
    act_json_object_begin(&j);
    const char *name;
    void *real;
    for (size_t it = 0; act_map_next(st->paths, &it, &name, &real);)
        act_json_kv_string(&j, name, real);
    act_json_object_end(&j);
    act_http_respond_json(req, 200, &out);
    act_buf_free(&out);
}

/* ---- the actor --------------------------------------------------------------------------- */

static void state_free(files_state *st)
{
    void *real;
    for (size_t it = 0; act_map_next(st->paths, &it, NULL, &real);) free(real);
    act_map_free(st->paths);
    free(st);
}

static void on_terminate(act_actor *self, void *arg)
{
    state_free(act_state(self));
}

act_pid act_files_spawn(int loop)
{
    files_state *st = act_calloc(1, sizeof *st);
    st->paths = act_map_new();
    act_actor *a = act_new(FILES_ACTOR, st);
    /* Sandboxes hold task data: with --authenticate_http these need HTTP credentials. */
    act_route_protected(a, "browse.json", on_browse, "Lists a directory: ?path=. An array of "
                        "{gid, mode, mtime, nlink, path, size, uid}.");
    act_route_protected(a, "read.json", on_read, "Reads a file: ?path=&offset=&length=. "
                        "{\"data\", \"offset\"}; offset=-1 (or none) gives the size; at most 16 "
                        "pages per request.");
    act_route_protected(a, "download.json", on_download, "Returns a file's bytes as an "
                        "attachment: ?path=. Any size: the file is sent as the client reads it.");
    act_route_protected(a, "debug.json", on_debug,
                        "The attached paths: {virtual name: real path}.");
    act_on_local(a, FILES_MSG_ATTACH, on_attach);
    act_on_local(a, FILES_MSG_DETACH, on_detach);
    act_on_terminate(a, on_terminate, NULL);
    act_pid pid = act_self(a);
    int rc = act_spawn(a, loop);
    if (rc == -EEXIST) {
        state_free(st); /* the process has its files actor already: that one serves */
    } else if (rc != 0) {
        state_free(st);
        return (act_pid){0};
    }
    return pid;
}
