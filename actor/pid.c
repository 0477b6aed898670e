/*
 * pid.c - actor names and PIDs ("name@ip:port"): validation, parsing, printing, and the
 * unique names ("slave(1)", "slave(2)") processes give their actors.
 */
#include "actor/actor.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

/* The characters of a name, by byte: a lookup per character (every message sent and
 * received checks its names, and a chain of comparisons cost a busy master 2% of its time). */
static const bool name_char[256] = {
    ['a' ... 'z'] = true, ['A' ... 'Z'] = true, ['0' ... '9'] = true,
    ['_'] = true, ['.'] = true, ['('] = true, [')'] = true, ['-'] = true,
};

bool act_name_valid(const char *name)
{
    size_t n = 0;
    while (name_char[(unsigned char)name[n]]) n++;
    return name[n] == '\0' && n > 0 && n < ACT_ID_MAX;
}

/* Without printf: every message sent to another process names its sender this way. */
char *act_ip_format(uint32_t ip, char *buf, size_t n)
{
    char text[16], *p = text;
    for (int shift = 24; shift >= 0; shift -= 8) {
        p = act_put_u64(p, (ip >> shift) & 255);
        *p++ = shift ? '.' : '\0';
    }
    if (n) {
        size_t len = (size_t)(p - text) < n ? (size_t)(p - text) : n;
        memcpy(buf, text, len);
        buf[len - 1] = '\0';
    }
    return buf;
}

char *act_host_name(char *buf, size_t n)
{
    char host[256];
    if (gethostname(host, sizeof host) != 0) return NULL;
    host[sizeof host - 1] = '\0';
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_CANONNAME};
    struct addrinfo *res = NULL;
    bool canon = getaddrinfo(host, NULL, &hints, &res) == 0 && res && res->ai_canonname;
    snprintf(buf, n, "%s", canon ? res->ai_canonname : host);
    if (res) freeaddrinfo(res);
    return buf;
}

char *act_ip_hostname(uint32_t ip, char *buf, size_t n)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(ip)};
    char host[NI_MAXHOST];
    if (getnameinfo((struct sockaddr *)&sa, sizeof sa, host, sizeof host, NULL, 0,
                    NI_NAMEREQD) == 0) {
        snprintf(buf, n, "%s", host);
        return buf;
    }
    if (act_host_name(buf, n)) return buf;
    return act_ip_format(ip, buf, n);
}

int act_ip_parse(const char *text, uint32_t *ip)
{
    uint32_t v = 0;
    const char *p = text;
    for (int part = 0; part < 4; part++) {
        if (*p < '0' || *p > '9') return -EINVAL;
        uint32_t octet = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9') {
            octet = octet * 10 + (uint32_t)(*p++ - '0');
            if (++digits > 3 || octet > 255) return -EINVAL;
        }
        v = (v << 8) | octet;
        if (part < 3 && *p++ != '.') return -EINVAL;
    }
    if (*p) return -EINVAL;
    *ip = v;
    return 0;
}

int act_pid_make(const char *id, uint32_t ip, uint16_t port, act_pid *out)
{
    if (!act_name_valid(id)) return -EINVAL;
    memset(out, 0, sizeof *out);
    strcpy(out->id, id);
    out->ip = ip;
    out->port = port;
    return 0;
}

int act_pid_parse(const char *text, act_pid *out)
{
    const char *at = strchr(text, '@');
    if (!at || (size_t)(at - text) >= ACT_ID_MAX) return -EINVAL;
    const char *colon = strrchr(at, ':');
    if (!colon) return -EINVAL;
    char id[ACT_ID_MAX], ipbuf[16];
    size_t idlen = (size_t)(at - text), iplen = (size_t)(colon - at - 1);
    if (iplen == 0 || iplen >= sizeof ipbuf) return -EINVAL;
    memcpy(id, text, idlen);
    id[idlen] = '\0';
    memcpy(ipbuf, at + 1, iplen);
    ipbuf[iplen] = '\0';
    uint32_t ip;
    if (act_ip_parse(ipbuf, &ip) != 0) return -EINVAL;
    const char *p = colon + 1;
    if (!*p) return -EINVAL;
    uint32_t port = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9') return -EINVAL;
        port = port * 10 + (uint32_t)(*p - '0');
        if (port > 65535) return -EINVAL;
    }
    return act_pid_make(id, ip, (uint16_t)port, out);
}

char *act_pid_format(const act_pid *pid, char *buf, size_t n)
{
    if (act_pid_is_none(pid)) {
        if (n) buf[0] = '\0';
        return buf;
    }
    char text[ACT_ID_MAX + 24], *p = text;
    size_t id = strnlen(pid->id, ACT_ID_MAX - 1);
    memcpy(p, pid->id, id);
    p += id;
    *p++ = '@';
    act_ip_format(pid->ip, p, 16);
    p += strlen(p);
    *p++ = ':';
    p = act_put_u64(p, pid->port);
    *p++ = '\0';
    if (n) {
        size_t len = (size_t)(p - text) < n ? (size_t)(p - text) : n;
        memcpy(buf, text, len);
        buf[len - 1] = '\0';
    }
    return buf;
}

bool act_pid_equal(const act_pid *a, const act_pid *b)
{
    return a->ip == b->ip && a->port == b->port && strcmp(a->id, b->id) == 0;
}

bool act_pid_is_none(const act_pid *pid)
{
    return pid->id[0] == '\0';
}

/* Unique-name counters: a small list of (base, next) pairs; processes have few bases. */
static pthread_mutex_t names_mu = PTHREAD_MUTEX_INITIALIZER;
static struct name_counter { char base[ACT_ID_MAX]; unsigned next; } *counters;
static size_t ncounters;

char *act_unique_name(const char *base, char *out, size_t n)
{
    pthread_mutex_lock(&names_mu);
    struct name_counter *c = NULL;
    for (size_t i = 0; i < ncounters; i++)
        if (strcmp(counters[i].base, base) == 0) c = &counters[i];
    if (!c) {
        counters = act_realloc(counters, (ncounters + 1) * sizeof *counters);
        c = &counters[ncounters++];
        snprintf(c->base, sizeof c->base, "%s", base);
        c->next = 1;
    }
    unsigned v = c->next++;
    pthread_mutex_unlock(&names_mu);
    snprintf(out, n, "%s(%u)", base, v);
    return out;
}
