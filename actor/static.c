/*
 * static.c - answering a request with a file from a directory: the web UI's pages, scripts
 * and the libraries served beside them. The file is named by a path relative to the root;
 * a path that is empty, absolute, has a "." or ".." segment, or resolves (through symlinks)
 * outside the root is refused, so a request can read nothing else on the machine. Answers
 * carry a content type by extension, an ETag and "Cache-Control: no-cache" (the browser
 * keeps the file and revalidates it: a 304 costs one stat, and an upgraded UI is seen at
 * once).
 */
#include "actor/actor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Files above this size are refused: the body is built in memory. */
#define STATIC_MAX_BYTES ((off_t)16 << 20)

static const struct {
    const char *ext, *type;
} content_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
};

const char *act_content_type(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot && !strchr(dot, '/'))
        for (size_t i = 0; i < sizeof content_types / sizeof content_types[0]; i++)
            if (strcmp(dot, content_types[i].ext) == 0) return content_types[i].type;
    return "application/octet-stream";
}

/* True when rel is a plain relative path: no leading '/', no empty, "." or ".." segment. */
static bool rel_path_ok(const char *rel)
{
    if (!*rel || *rel == '/') return false;
    for (const char *p = rel; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        p += n;
        if (*p == '/') p++;
    }
    return true;
}

/* Resolves root/rel into real (PATH_MAX bytes), refusing anything outside root. 0, or a
 * negative errno (-ENOENT for anything not to be shown). */
static int resolve_below(const char *root, const char *rel, char *real)
{
    char root_real[PATH_MAX], joined[PATH_MAX * 2];
    if (!rel_path_ok(rel)) return -ENOENT;
    if (!realpath(root, root_real)) return -errno;
    snprintf(joined, sizeof joined, "%s/%s", root_real, rel);
    if (!realpath(joined, real)) return -ENOENT;
    size_t n = strlen(root_real);
    if (strncmp(real, root_real, n) != 0 || real[n] != '/') return -ENOENT;
    return 0;
}

/* Reads a regular file of at most STATIC_MAX_BYTES into *body (free it); fills *s. */
static int read_regular(const char *real, struct stat *s, char **body)
{
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) return -errno;
    int rc = 0;
    if (fstat(fd, s) != 0) rc = -errno;
    else if (!S_ISREG(s->st_mode)) rc = -ENOENT;
    else if (s->st_size > STATIC_MAX_BYTES) rc = -EFBIG;
    char *buf = rc == 0 ? act_malloc((size_t)s->st_size + 1) : NULL;
    size_t got = 0;
    while (rc == 0 && got < (size_t)s->st_size) {
        ssize_t r = pread(fd, buf + got, (size_t)s->st_size - got, (off_t)got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) rc = r < 0 ? -errno : -EIO; /* shrank while we read */
        else got += (size_t)r;
    }
    close(fd);
    if (rc != 0) free(buf);
    else *body = buf;
    return rc;
}

void act_http_respond_file(act_http_req *req, const char *root, const char *rel)
{
    char real[PATH_MAX], *body = NULL, etag[96], headers[192];
    struct stat s;
    int rc = resolve_below(root, rel, real);
    if (rc == 0) rc = read_regular(real, &s, &body);
    if (rc == -ENOENT || rc == -ENOTDIR) {
        act_http_respond_text(req, 404, "Not Found");
        return;
    }
    if (rc != 0) {
        LOG_WARNING("Cannot serve '%s' from '%s': %s", rel, root, act_strerror(rc));
        act_http_respond_text(req, rc == -EFBIG ? 413 : 500, act_strerror(rc));
        return;
    }
    snprintf(etag, sizeof etag, "\"%llx-%llx-%lx\"", (unsigned long long)s.st_ino,
             (unsigned long long)s.st_size, (long)s.st_mtime);
    snprintf(headers, sizeof headers, "ETag: %s\r\nCache-Control: no-cache\r\n", etag);
    const char *match = act_http_header(req, "If-None-Match");
    if (match && strcmp(match, etag) == 0)
        act_http_respond(req, 304, NULL, NULL, 0, headers);
    else
        act_http_respond(req, 200, act_content_type(real), body, (size_t)s.st_size, headers);
    free(body);
}
