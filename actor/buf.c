/*
 * buf.c - growable byte buffers and the allocation helpers that never return NULL.
 * Everything that builds text (JSON, HTTP heads, log lines) appends into an act_buf; a buffer
 * keeps a NUL after its bytes so its data can be used as a C string. Also reading a small
 * file whole into one (flag values, credentials, whitelists), and base64 (recorded bodies in
 * JSON, Basic credentials).
 */
#include "actor/actor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void oom(size_t n)
{
    /* Logging may itself allocate; write the bare fact and stop. */
    fprintf(stderr, "F out of memory allocating %zu bytes\n", n);
    abort();
}

void *act_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}

void *act_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) oom(count * size);
    return p;
}

void *act_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) oom(n);
    return q;
}

char *act_strdup(const char *s)
{
    return act_strndup(s, strlen(s));
}

char *act_strndup(const char *s, size_t n)
{
    char *d = act_malloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

const char *act_strerror(int err)
{
    if (err == 0) return "Success";
    return strerror(err < 0 ? -err : err);
}

void act_buf_init(act_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void act_buf_free(act_buf *b)
{
    free(b->data);
    act_buf_init(b);
}

void act_buf_reset(act_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

void act_buf_reserve(act_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap *= 2;
    b->data = act_realloc(b->data, cap);
    b->cap = cap;
}

void act_buf_append(act_buf *b, const void *p, size_t n)
{
    act_buf_reserve(b, n);
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void act_buf_puts(act_buf *b, const char *s)
{
    act_buf_append(b, s, strlen(s));
}

void act_buf_putc(act_buf *b, char c)
{
    act_buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void act_buf_vprintf(act_buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, copy);
    va_end(copy);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        act_buf_append(b, small, (size_t)n);
        return;
    }
    act_buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void act_buf_printf(act_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    act_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

/* ---- base64 -------------------------------------------------------------------------------- */

static const char base64_digits[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The two digits of every 12-bit value (8 KB), so that a group of three bytes is two lookups:
 * a /__trace__ watcher asking for bodies has every one of them written so. */
static char base64_pairs[4096][2];
static pthread_once_t base64_once = PTHREAD_ONCE_INIT;

static void base64_build(void)
{
    for (int v = 0; v < 4096; v++) {
        base64_pairs[v][0] = base64_digits[v >> 6];
        base64_pairs[v][1] = base64_digits[v & 63];
    }
}

void act_buf_base64(act_buf *b, const void *data, size_t n)
{
    const uint8_t *p = data;
    const char *tab = base64_digits;
    pthread_once(&base64_once, base64_build);
    act_buf_reserve(b, (n + 2) / 3 * 4);
    char *q = b->data + b->len;
    size_t i = 0;
    for (; i + 3 <= n; i += 3, q += 4) { /* whole groups */
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        memcpy(q, base64_pairs[v >> 12], 2);
        memcpy(q + 2, base64_pairs[v & 0xfff], 2);
    }
    if (i < n) { /* one or two bytes left, padded */
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        q[0] = tab[v >> 18];
        q[1] = tab[v >> 12 & 63];
        q[2] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        q[3] = '=';
        q += 4;
    }
    *q = '\0';
    b->len = (size_t)(q - b->data);
}

long act_base64_decode(const char *s, size_t len, uint8_t *out)
{
    if (len % 4 || len > INT_MAX) return -1;
    if (len == 0) return 0;
    /* padding only at the end ("a===" or "ab=c" would decode to something otherwise) */
    if (memchr(s, '=', len - 2) || (s[len - 2] == '=' && s[len - 1] != '=')) return -1;
    int n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
    if (n < 0) return -1;
    return n - (s[len - 1] == '=') - (s[len - 2] == '='); /* EVP counts the padding as zeros */
}

char *act_buf_detach(act_buf *b, size_t *len)
{
    if (!b->data) act_buf_reserve(b, 0), b->data[0] = '\0';
    char *d = b->data;
    if (len) *len = b->len;
    act_buf_init(b);
    return d;
}

int act_buf_read_file(act_buf *b, const char *path, size_t max)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    int rc = fd < 0 ? -errno : 0;
    if (rc == 0 && fstat(fd, &st) != 0) rc = -errno;
    if (rc == 0 && !S_ISREG(st.st_mode)) rc = -EINVAL;
    size_t start = b->len;
    char chunk[4096];
    while (rc == 0) {
        ssize_t got = read(fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            rc = got < 0 ? -errno : 0;
            break;
        }
        if (b->len - start + (size_t)got > max) rc = -EFBIG;
        else act_buf_append(b, chunk, (size_t)got);
    }
    if (fd >= 0) close(fd);
    act_buf_append(b, "", 0); /* an empty file still gives a string */
    return rc;
}
