/*
 * fetcher.c - puts an executor's CommandInfo.uris into its sandbox before launch, as Mesos'
 * mesos-fetcher does: local paths and file:// are copied (relative paths resolved under
 * --frameworks_home), http(s)/ftp(s) are downloaded with libcurl, `executable` sets mode 0755,
 * otherwise `extract` unpacks .tar/.tgz/.tar.gz/.tbz2/.tar.bz2/.txz/.tar.xz with tar and .zip with
 * unzip. It blocks, so it runs on the launch thread; progress goes to the sandbox's stderr.
 */
#include "slave/cz_int.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Writes a reason; truncation of long paths is fine. */
static void errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* A line for the sandbox's stderr (what Mesos' fetcher writes there). */
static void note(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(int fd, const char *fmt, ...)
{
    if (fd < 0) return;
    char line[PATH_MAX + 256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n > sizeof line - 2) n = (int)sizeof line - 2;
    line[n++] = '\n';
    ssize_t w = write(fd, line, (size_t)n);
    (void)w;
}

static bool has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static bool has_suffix(const char *s, const char *x)
{
    size_t n = strlen(s), m = strlen(x);
    return n >= m && strcmp(s + n - m, x) == 0;
}

static bool is_net_uri(const char *uri)
{
    return has_prefix(uri, "http://") || has_prefix(uri, "https://") ||
           has_prefix(uri, "ftp://") || has_prefix(uri, "ftps://");
}

/* The file name a URI is saved under: its last path segment, without a query. */
static int uri_basename(const char *uri, char *out, size_t n, char *err, size_t errlen)
{
    size_t len = strcspn(uri, "?#");
    while (len > 0 && uri[len - 1] == '/') len--;
    size_t start = len;
    while (start > 0 && uri[start - 1] != '/') start--;
    bool dots = (len - start == 1 && uri[start] == '.') ||
                (len - start == 2 && uri[start] == '.' && uri[start + 1] == '.');
    if (start == len || len - start >= n || dots) {
        errf(err, errlen, "Cannot tell a file name from URI '%s'", uri);
        return -EINVAL;
    }
    memcpy(out, uri + start, len - start);
    out[len - start] = '\0';
    return 0;
}

/* The local file a non-network URI names, or an error for a scheme we cannot fetch. */
static int local_path(const char *uri, const char *frameworks_home, char *out, size_t n,
                      char *err, size_t errlen)
{
    if (has_prefix(uri, "file://")) uri += strlen("file://");
    else if (strstr(uri, "://")) {
        errf(err, errlen, "Unsupported URI scheme in '%s'", uri);
        return -EPROTONOSUPPORT;
    }
    if (uri[0] == '/') {
        snprintf(out, n, "%s", uri);
        return 0;
    }
    if (!frameworks_home || !*frameworks_home) {
        errf(err, errlen,
                 "A relative path was passed for the resource '%s' but the Mesos framework "
                 "home was not specified; either set --frameworks_home or use an absolute path",
                 uri);
        return -EINVAL;
    }
    snprintf(out, n, "%s/%s", frameworks_home, uri);
    return 0;
}

static int copy_file(const char *from, const char *to, char *err, size_t errlen)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out = in < 0 ? -1 : open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = in < 0 || out < 0 ? -errno : 0;
    char buf[65536];
    while (rc == 0) {
        ssize_t r = read(in, buf, sizeof buf);
        if (r == 0) break;
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 || write(out, buf, (size_t)r) != r) rc = errno ? -errno : -EIO;
    }
    if (in >= 0) close(in);
    if (out >= 0 && close(out) != 0 && rc == 0) rc = -errno;
    if (rc != 0) errf(err, errlen, "Failed to copy '%s' to '%s': %s", from, to, strerror(-rc));
    return rc;
}

static size_t curl_write(void *data, size_t size, size_t count, void *file)
{
    return fwrite(data, size, count, file);
}

static int download(const char *uri, const char *to, char *err, size_t errlen)
{
    FILE *f = fopen(to, "we");
    if (!f) {
        errf(err, errlen, "Failed to open '%s': %s", to, strerror(errno));
        return -errno;
    }
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, uri);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curl_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 60L);
    CURLcode cc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    int rc = fclose(f) == 0 ? 0 : -errno;
    bool ftp = has_prefix(uri, "ftp");
    if (cc != CURLE_OK) {
        errf(err, errlen, "Error downloading resource '%s': %s", uri, curl_easy_strerror(cc));
        rc = -EIO;
    } else if (code != (ftp ? 226 : 200)) {
        errf(err, errlen, "Error downloading resource '%s', received %s return code %ld",
                 uri, ftp ? "FTP" : "HTTP", code);
        rc = -EIO;
    } else if (rc != 0) {
        errf(err, errlen, "Failed to write '%s': %s", to, strerror(-rc));
    }
    return rc;
}

/* Runs argv[0] (found on PATH) with its output appended to log_fd; waits for it. */
static int run_tool(char *const argv[], int log_fd, char *err, size_t errlen)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (log_fd >= 0) {
        posix_spawn_file_actions_adddup2(&fa, log_fd, 1);
        posix_spawn_file_actions_adddup2(&fa, log_fd, 2);
    }
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    int status = 0;
    if (rc == 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
    if (rc != 0) errf(err, errlen, "Failed to run '%s': %s", argv[0], strerror(rc));
    else errf(err, errlen, "'%s' failed with status %d", argv[0], status);
    return rc ? -rc : -EIO;
}

/* Unpacks path into dir if its extension names an archive. Returns 1 if extracted, 0 if not
 * an archive, or -errno. */
static int extract(const char *path, const char *dir, int log_fd, char *err, size_t errlen)
{
    static const char *const tars[] = {".tar", ".tgz", ".tar.gz", ".tbz2", ".tar.bz2",
                                       ".txz", ".tar.xz"};
    bool tar = false;
    for (size_t i = 0; i < sizeof tars / sizeof tars[0]; i++) tar |= has_suffix(path, tars[i]);
    char *tar_argv[] = {"tar", "-C", (char *)dir, "-xf", (char *)path, NULL};
    char *zip_argv[] = {"unzip", "-o", "-q", "-d", (char *)dir, (char *)path, NULL};
    char why[512] = "";
    int rc;
    if (tar) rc = run_tool(tar_argv, log_fd, why, sizeof why);
    else if (has_suffix(path, ".zip")) rc = run_tool(zip_argv, log_fd, why, sizeof why);
    else return 0;
    if (rc == 0) return 1;
    errf(err, errlen, "Failed to extract '%s': %s", path, why);
    return rc;
}

/* Fetches one URI; on success applies executable / extract. */
static int fetch_one(const wire_command_uri *u, const char *dir, const char *frameworks_home,
                     int log_fd, const char *ids, char *err, size_t errlen)
{
    const char *uri = u->value ? u->value : "";
    while (isspace((unsigned char)*uri)) uri++;
    note(log_fd, "Fetching URI '%s'", uri);
    LOG_INFO("Fetching URI '%s' for %s", uri, ids);
    char name[NAME_MAX + 1], to[PATH_MAX], from[PATH_MAX];
    int rc = uri_basename(uri, name, sizeof name, err, errlen);
    if (rc == 0) snprintf(to, sizeof to, "%s/%s", dir, name);
    if (rc == 0 && is_net_uri(uri)) {
        note(log_fd, "Downloading resource from '%s' to '%s'", uri, to);
        rc = download(uri, to, err, errlen);
    } else if (rc == 0) {
        rc = local_path(uri, frameworks_home, from, sizeof from, err, errlen);
        if (rc == 0) note(log_fd, "Copying resource from '%s' to '%s'", from, to);
        if (rc == 0) rc = copy_file(from, to, err, errlen);
    }
    if (rc == 0 && u->executable && chmod(to, 0755) != 0) {
        rc = -errno;
        errf(err, errlen, "Failed to chmod executable '%s': %s", to, strerror(errno));
    } else if (rc == 0 && !u->executable && u->extract) {
        rc = extract(to, dir, log_fd, err, errlen);
        if (rc == 1) note(log_fd, "Extracted resource '%s' into '%s'", to, dir);
        rc = rc > 0 ? 0 : rc;
    }
    return rc;
}

int cz__fetch(const wire_command_uri *uris, size_t n, const char *directory,
              const char *frameworks_home, int log_fd, const char *ids, char *err,
              size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        char why[768];
        int rc = fetch_one(&uris[i], directory, frameworks_home, log_fd, ids, why, sizeof why);
        if (rc == 0) continue;
        note(log_fd, "Failed to fetch: %s", why);
        LOG_ERROR("Failed to fetch URIs for %s: %s", ids, why);
        errf(err, errlen, "Failed to fetch URIs: %s", why);
        return rc;
    }
    if (n > 0) note(log_fd, "Fetched %zu URI(s) into '%s'", n, directory);
    return 0;
}
