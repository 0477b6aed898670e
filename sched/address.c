/*
 * address.c - where the master is: the driver's master argument turned into the master
 * actor's pid, as Mesos' standalone detector does ("host:port", "master@ip:port", or
 * "file:///path" holding one of those). ZooKeeper detection ("zk://") arrives with the HA work
 * and is refused with a clear reason until then. Runs on the thread calling start().
 */
#include "sched/sched_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define MASTER_ACTOR "master"
#define FILE_PREFIX "file://"

/* Resolves host to an IPv4 address in host byte order. */
static int resolve_ipv4(const char *host, uint32_t *ip, char *err, size_t errlen)
{
    if (act_ip_parse(host, ip) == 0) return 0;
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, errlen, "Failed to resolve master host '%s': %s", host,
                 rc ? gai_strerror(rc) : "no IPv4 address");
        if (res) freeaddrinfo(res);
        return -ENOENT;
    }
    const struct sockaddr_in *sa = (const struct sockaddr_in *)res->ai_addr;
    *ip = ntohl(sa->sin_addr.s_addr);
    freeaddrinfo(res);
    return 0;
}

/* "host:port" (host a name or a dotted quad) into the pid master@ip:port. */
static int parse_host_port(const char *text, act_pid *out, char *err, size_t errlen)
{
    const char *colon = strrchr(text, ':');
    if (!colon || colon == text || !colon[1]) {
        snprintf(err, errlen, "Invalid master address '%s': expected host:port", text);
        return -EINVAL;
    }
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (*end || errno || port <= 0 || port > 65535) {
        snprintf(err, errlen, "Invalid master port in '%s'", text);
        return -EINVAL;
    }
    char *host = act_strndup(text, (size_t)(colon - text));
    uint32_t ip;
    int rc = resolve_ipv4(host, &ip, err, errlen);
    free(host);
    if (rc != 0) return rc;
    return act_pid_make(MASTER_ACTOR, ip, (uint16_t)port, out);
}

/* "name@host:port": the actor name is kept, the host resolved. */
static int parse_pid(const char *text, act_pid *out, char *err, size_t errlen)
{
    const char *at = strchr(text, '@');
    char *name = act_strndup(text, (size_t)(at - text));
    int rc = parse_host_port(at + 1, out, err, errlen);
    if (rc == 0 && act_pid_make(name, out->ip, out->port, out) != 0) {
        snprintf(err, errlen, "Invalid master actor name in '%s'", text);
        rc = -EINVAL;
    }
    free(name);
    return rc;
}

/* Reads the whole file (small: one address) with surrounding blanks stripped. */
static int read_address_file(const char *path, char **out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "Failed to read master address file '%s': %s", path, strerror(e));
        return -e;
    }
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *s = buf;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    size_t len = strlen(s);
    while (len && strchr(" \t\r\n", s[len - 1])) len--;
    *out = act_strndup(s, len);
    return 0;
}

static int parse_file(const char *text, act_pid *out, char *err, size_t errlen)
{
    char *contents;
    int rc = read_address_file(text + strlen(FILE_PREFIX), &contents, err, errlen);
    if (rc != 0) return rc;
    if (strncmp(contents, FILE_PREFIX, strlen(FILE_PREFIX)) == 0) {
        snprintf(err, errlen, "Master address file '%s' points at another file", text);
        rc = -EINVAL;
    } else {
        rc = sched__master_parse(contents, out, err, errlen);
    }
    free(contents);
    return rc;
}

int sched__master_parse(const char *text, act_pid *out, char *err, size_t errlen)
{
    if (strncmp(text, "zk://", 5) == 0) {
        snprintf(err, errlen,
                 "Master address '%s': ZooKeeper master detection is not supported yet (it "
                 "arrives with the high-availability work); use host:port, master@ip:port or "
                 "file:///path", text);
        return -ENOTSUP;
    }
    if (strcmp(text, "local") == 0) {
        snprintf(err, errlen, "Master address 'local' is not supported: run mesos-local and "
                 "pass its host:port");
        return -ENOTSUP;
    }
    if (strncmp(text, FILE_PREFIX, strlen(FILE_PREFIX)) == 0)
        return parse_file(text, out, err, errlen);
    if (strchr(text, '@')) return parse_pid(text, out, err, errlen);
    return parse_host_port(text, out, err, errlen);
}
