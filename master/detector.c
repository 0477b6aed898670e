/*
 * detector.c - leader detection (detector.h): parsing the addresses masters are named by, and
 * the detector actor. For host:port the leader is known at once; for zk:// the actor lists
 * the path's children with a watch, picks the lowest json.info_ sequence, reads its MasterInfo
 * JSON and reports each change to its owner. As Mesos' ZooKeeperMasterDetector: a lost
 * connection changes nothing (the session may come back); an expired session reports "no
 * leader" and detection starts again on a new session.
 */
#include "master/detector.h"

#include "master/zk_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>

#define FILE_PREFIX "file://"
#define INFO_PREFIX "json.info_"
#define MASTER_ACTOR "master"

struct detector_address {
    bool zk;
    zk_url url;         /* zk */
    act_pid pid;        /* host:port */
};

void detector_leader_free(void *p)
{
    detector_leader *l = p;
    if (!l) return;
    wire_msg_free(l->info);
    free(l->error);
    free(l);
}

/* ---- addresses --------------------------------------------------------------------------- */

/* host (a name or a dotted quad) to IPv4 in host byte order. */
static int resolve_ipv4(const char *host, uint32_t *ip, char *err, size_t errlen)
{
    if (act_ip_parse(host, ip) == 0) return 0;
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, errlen, "Failed to resolve master host '%s': %s", host,
                 rc ? gai_strerror(rc) : "no IPv4 address");
        if (res) freeaddrinfo(res);
        return -ENOENT;
    }
    *ip = ntohl(((const struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr);
    freeaddrinfo(res);
    return 0;
}

/* "[name@]host:port" into a pid (name defaults to "master"). */
static int parse_pid(const char *text, act_pid *out, char *err, size_t errlen)
{
    const char *at = strchr(text, '@'), *hostport = at ? at + 1 : text;
    const char *colon = strrchr(hostport, ':');
    char *end = NULL;
    errno = 0;
    long port = colon ? strtol(colon + 1, &end, 10) : 0;
    if (!colon || colon == hostport || !colon[1] || *end || errno || port <= 0 ||
        port > 65535) {
        snprintf(err, errlen, "Invalid master address '%s': expected host:port, "
                 "master@ip:port, zk://host:port[,host:port...]/path or file:///path", text);
        return -EINVAL;
    }
    char *host = act_strndup(hostport, (size_t)(colon - hostport));
    char *name = at ? act_strndup(text, (size_t)(at - text)) : act_strdup(MASTER_ACTOR);
    uint32_t ip = 0;
    int rc = resolve_ipv4(host, &ip, err, errlen);
    if (rc == 0 && act_pid_make(name, ip, (uint16_t)port, out) != 0) {
        snprintf(err, errlen, "Invalid master actor name in '%s'", text);
        rc = -EINVAL;
    }
    free(host);
    free(name);
    return rc;
}

/* The file's contents with surrounding blanks stripped (an address is small). */
static char *read_address_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "Failed to read master address file '%s': %s", path,
                 strerror(errno));
        return NULL;
    }
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *s = buf;
    while (*s && strchr(" \t\r\n", *s)) s++;
    size_t len = strlen(s);
    while (len && strchr(" \t\r\n", s[len - 1])) len--;
    return act_strndup(s, len);
}

static detector_address *parse_direct(const char *text, char *err, size_t errlen)
{
    detector_address *a = act_calloc(1, sizeof *a);
    int rc = strncmp(text, "zk://", 5) == 0 ? zk_url_parse(text, &a->url, err, errlen)
                                            : parse_pid(text, &a->pid, err, errlen);
    a->zk = strncmp(text, "zk://", 5) == 0;
    if (rc == 0) return a;
    free(a);
    return NULL;
}

detector_address *detector_parse(const char *text, char *err, size_t errlen)
{
    if (strcmp(text, "local") == 0) {
        snprintf(err, errlen, "Master address 'local' is not supported: run mesos-local and "
                 "pass its host:port");
        return NULL;
    }
    if (strncmp(text, FILE_PREFIX, strlen(FILE_PREFIX)) != 0)
        return parse_direct(text, err, errlen);
    char *contents = read_address_file(text + strlen(FILE_PREFIX), err, errlen);
    if (!contents) return NULL;
    detector_address *a = NULL;
    if (strncmp(contents, FILE_PREFIX, strlen(FILE_PREFIX)) == 0)
        snprintf(err, errlen, "Master address file '%s' points at another file", text);
    else
        a = parse_direct(contents, err, errlen);
    free(contents);
    return a;
}

void detector_address_free(detector_address *a)
{
    if (!a) return;
    zk_url_free(&a->url);
    free(a);
}

bool detector_is_zk(const detector_address *a)
{
    return a->zk;
}

/* ---- MasterInfo JSON --------------------------------------------------------------------- */

char *detector_info_json(const wire_master_info *info)
{
    return wire_to_json(WIRE_DESC(master_info), info);
}

wire_msg *detector_info_parse(const char *data, size_t len, char *err, size_t errlen)
{
    wire_msg *m = NULL;
    if (wire_from_json(WIRE_DESC(master_info), data, len, &m, err, errlen) != 0) return NULL;
    const wire_master_info *info = m->root;
    act_pid pid;
    if (info->has_pid && act_pid_parse(info->pid, &pid) != 0) {
        snprintf(err, errlen, "MasterInfo.pid '%s' is not a pid", info->pid);
        wire_msg_free(m);
        return NULL;
    }
    return m;
}

/* The leader's actor: its pid, or master@<ip>:<port> for data without one. */
static act_pid info_pid(const wire_master_info *info)
{
    act_pid pid = {0};
    if (!info->has_pid || act_pid_parse(info->pid, &pid) != 0)
        act_pid_make(MASTER_ACTOR, ntohl(info->ip), (uint16_t)info->port, &pid);
    return pid;
}

/* ---- the actor --------------------------------------------------------------------------- */

typedef struct detector {
    act_actor *self;
    act_pid owner;
    detector_address *addr;
    double timeout;
    zk_session *zk;
    uint64_t seq;          /* tag of the latest listing; older replies are stale */
    char *leader_node;     /* the znode the reported leader came from */
    wire_msg *leader;      /* what the owner was last told (NULL: no leader) */
    bool failed;
} detector;

static void post(detector *d, const wire_master_info *info, const char *error)
{
    detector_leader *l = act_calloc(1, sizeof *l);
    if (info) {
        l->info = wire_copy(WIRE_DESC(master_info), info);
        l->pid = info_pid(info);
    }
    l->error = error ? act_strdup(error) : NULL;
    act_post(d->self, &d->owner, DETECTOR_MSG_LEADER, l, detector_leader_free);
}

/* Tells the owner if the leader changed. Takes info (NULL: no leader). */
static void report(detector *d, wire_msg *info, const char *node)
{
    const wire_master_info *now = info ? info->root : NULL;
    const wire_master_info *was = d->leader ? d->leader->root : NULL;
    bool same = (!now && !was) || (now && was && wire_equal(WIRE_DESC(master_info), now, was));
    free(d->leader_node);
    d->leader_node = node ? act_strdup(node) : NULL;
    wire_msg_free(d->leader);
    d->leader = info;
    if (same) return;
    if (now)
        LOG_INFO("A new leading master (UPID=%s) is detected", now->pid);
    else
        LOG_INFO("No leading master is detected");
    post(d, now, NULL);
}

static void fail(detector *d, const char *why)
{
    LOG_ERROR("Master detection failed: %s", why);
    d->failed = true;
    zk_close(d->zk);
    d->zk = NULL;
    post(d, NULL, why);
}

static void list(detector *d);

/* The lowest json.info_ sequence among children (sorted by name, so the first with the
 * prefix and a valid number of the same width), or NULL. */
static const char *lowest(const zk_reply *r)
{
    const char *best = NULL;
    long long best_seq = 0;
    for (size_t i = 0; i < r->nchildren; i++) {
        const char *c = r->children[i];
        if (strncmp(c, INFO_PREFIX, strlen(INFO_PREFIX)) != 0) continue;
        char *end;
        errno = 0;
        long long seq = strtoll(c + strlen(INFO_PREFIX), &end, 10);
        if (*end || errno || end == c + strlen(INFO_PREFIX)) continue;
        if (!best || seq < best_seq) {
            best = c;
            best_seq = seq;
        }
    }
    return best;
}

static void on_data(act_actor *self, zk_session *s, const zk_reply *r)
{
    detector *d = act_state(self);
    if (r->tag != d->seq) return; /* a newer listing is under way */
    if (r->rc == ZNONODE) {        /* the leader went between listing and reading */
        list(d);
        return;
    }
    if (r->rc != ZOK) {
        LOG_WARNING("Failed to read %s from ZooKeeper: %s", r->path, zerror(r->rc));
        return; /* a retryable error: the next connection lists again */
    }
    char err[256];
    wire_msg *info = detector_info_parse(r->data, r->len, err, sizeof err);
    if (!info) LOG_ERROR("Ignoring the leading master's znode %s: %s", r->path, err);
    report(d, info, strrchr(r->path, '/') + 1);
}

static void on_exists(act_actor *self, zk_session *s, const zk_reply *r)
{
    detector *d = act_state(self);
    if (r->tag == d->seq && r->rc == ZOK) list(d); /* created meanwhile */
}

static void on_children(act_actor *self, zk_session *s, const zk_reply *r)
{
    detector *d = act_state(self);
    if (r->tag != d->seq) return;
    if (r->rc == ZNONODE) { /* no master ever contended here: watch for the path */
        report(d, NULL, NULL);
        zk_exists(s, d->addr->url.path, true, d->seq, on_exists);
        return;
    }
    if (r->rc != ZOK) {
        LOG_WARNING("Failed to list %s in ZooKeeper: %s", d->addr->url.path, zerror(r->rc));
        if (!zk_retryable(r->rc)) fail(d, zerror(r->rc));
        return;
    }
    const char *node = lowest(r);
    if (!node) {
        report(d, NULL, NULL);
        return;
    }
    if (d->leader && d->leader_node && strcmp(node, d->leader_node) == 0) return;
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", d->addr->url.path, node);
    zk_get(s, path, false, d->seq, on_data);
}

static void list(detector *d)
{
    if (!zk_connected(d->zk)) return; /* the next ZK_CONNECTED lists */
    zk_children(d->zk, d->addr->url.path, true, ++d->seq, on_children);
}

static void open_session(detector *d);

static void on_zk_event(act_actor *self, zk_session *s, zk_event ev, const char *path)
{
    detector *d = act_state(self);
    switch (ev) {
    case ZK_CONNECTED:
    case ZK_CHILDREN:
    case ZK_NODE:
        list(d);
        break;
    case ZK_DISCONNECTED:
        LOG_INFO("Lost the connection to ZooKeeper; keeping the last leader while the session "
                 "lives");
        break;
    case ZK_EXPIRED:
        LOG_WARNING("ZooKeeper session expired: detecting the leader again");
        ++d->seq;
        report(d, NULL, NULL);
        zk_close(d->zk);
        d->zk = NULL;
        open_session(d);
        break;
    case ZK_AUTH_FAILED:
        fail(d, "ZooKeeper refused the credentials");
        break;
    }
}

static void open_session(detector *d)
{
    char err[512];
    d->zk = zk_open(d->self, &d->addr->url, d->timeout, on_zk_event, err, sizeof err);
    if (!d->zk) fail(d, err);
}

static void on_init(act_actor *self, void *arg)
{
    detector *d = act_state(self);
    if (d->addr->zk) {
        char url[1200];
        LOG_INFO("Detecting the leading master in %s", zk_url_format(&d->addr->url, url,
                                                                       sizeof url));
        open_session(d);
        return;
    }
    wire_msg *info = wire_new(WIRE_DESC(master_info));
    wire_master_info *mi = info->root;
    char pid[ACT_PID_STRLEN], ip[16];
    act_pid_format(&d->addr->pid, pid, sizeof pid);
    mi->id = wire_strdup(info, pid);
    mi->ip = htonl(d->addr->pid.ip);
    mi->port = d->addr->pid.port;
    mi->has_pid = true;
    mi->pid = wire_strdup(info, pid);
    mi->has_hostname = true;
    mi->hostname = wire_strdup(info, act_ip_format(d->addr->pid.ip, ip, sizeof ip));
    report(d, info, NULL);
}

static void on_terminate(act_actor *self, void *arg)
{
    detector *d = act_state(self);
    zk_close(d->zk);
    wire_msg_free(d->leader);
    free(d->leader_node);
    detector_address_free(d->addr);
    free(d);
}

act_pid detector_spawn(detector_address *a, double session_timeout, const act_pid *owner,
                       int loop)
{
    detector *d = act_calloc(1, sizeof *d);
    d->owner = *owner;
    d->addr = a;
    d->timeout = session_timeout > 0 ? session_timeout : DETECTOR_ZK_SESSION_TIMEOUT;
    char name[ACT_ID_MAX];
    act_actor *self = act_new(act_unique_name("detector", name, sizeof name), d);
    d->self = self;
    act_on_init(self, on_init, NULL);
    act_on_terminate(self, on_terminate, NULL);
    act_pid pid = act_self(self);
    act_spawn(self, loop);
    return pid;
}
