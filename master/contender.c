/*
 * contender.c - the master's candidacy for leadership (Mesos' ZooKeeperMasterContender): the
 * actor "contender" creates an ephemeral sequential znode <path>/json.info_NNNNNNNNNN holding
 * this master's MasterInfo as JSON, tells the master its name (the registry's writes are
 * fenced on it), and watches it. Who leads is not decided here: the lowest sequence leads, and
 * the master's own detector says which that is.
 *
 * The candidacy is lost when the znode goes or the session expires (the server says so, or
 * the connection stayed lost for the session timeout): the contender tells the master, which
 * exits if it was leading, and contends again with a new session and a new znode.
 */
#include "master/master_int.h"

#include <string.h>

typedef struct contender {
    act_actor *self;
    act_pid master;
    zk_url url;
    double timeout;
    char *data;      /* the MasterInfo JSON */
    zk_session *zk;
    char *node;      /* our znode's path, once created */
    bool creating;   /* a create is in flight */
    bool failed;     /* a permanent error: contention stopped */
    uint64_t gen;    /* session generation: replies of older sessions are ignored */
} contender;

void contender_event_free(void *p)
{
    contender_event *e = p;
    free(e->node);
    free(e->lost);
    free(e);
}

static void tell(contender *c, const char *node, const char *lost, bool fatal)
{
    contender_event *e = act_calloc(1, sizeof *e);
    e->node = node ? act_strdup(node) : NULL;
    e->lost = lost ? act_strdup(lost) : NULL;
    e->fatal = fatal;
    act_post(c->self, &c->master, CONTENDER_MSG, e, contender_event_free);
}

static void open_session(contender *c);

/* The candidacy is over; a permanent failure stops contending, anything else starts anew. */
static void lose(contender *c, const char *why, bool fatal)
{
    LOG_WARNING("Lost the candidacy%s%s: %s", c->node ? " of " : "", c->node ? c->node : "",
                why);
    tell(c, NULL, why, fatal);
    free(c->node);
    c->node = NULL;
    c->creating = false;
    zk_close(c->zk);
    c->zk = NULL;
    c->gen++;
    if (fatal) {
        c->failed = true;
        return;
    }
    LOG_INFO("Contending again for leadership");
    open_session(c);
}

static void on_exists(act_actor *self, zk_session *s, const zk_reply *r)
{
    contender *c = act_state(self);
    if (r->tag != c->gen || !c->node || strcmp(r->path, c->node) != 0) return;
    if (r->rc == ZNONODE) lose(c, "its znode is gone", false);
    else if (r->rc != ZOK && !zk_retryable(r->rc)) lose(c, zerror(r->rc), true);
}

static void watch(contender *c)
{
    zk_exists(c->zk, c->node, true, c->gen, on_exists);
}

static void on_created(act_actor *self, zk_session *s, const zk_reply *r)
{
    contender *c = act_state(self);
    if (r->tag != c->gen) return;
    c->creating = false;
    if (r->rc != ZOK) {
        char why[256];
        snprintf(why, sizeof why, "Failed to create a znode under %s: %s", c->url.path,
                 zerror(r->rc));
        if (zk_retryable(r->rc)) LOG_WARNING("%s; retrying once reconnected", why);
        else lose(c, why, true);
        return;
    }
    c->node = act_strdup(r->data);
    LOG_INFO("Contending for leadership with znode %s", c->node);
    tell(c, c->node, NULL, false);
    watch(c);
}

static void on_path(act_actor *self, zk_session *s, const zk_reply *r)
{
    contender *c = act_state(self);
    if (r->tag != c->gen) return;
    if (r->rc != ZOK) {
        c->creating = false;
        char why[256];
        snprintf(why, sizeof why, "Failed to create %s: %s", c->url.path, zerror(r->rc));
        if (zk_retryable(r->rc)) LOG_WARNING("%s; retrying once reconnected", why);
        else lose(c, why, true);
        return;
    }
    char prefix[1100];
    snprintf(prefix, sizeof prefix, "%s/json.info_", c->url.path);
    zk_create(s, prefix, c->data, strlen(c->data), ZOO_EPHEMERAL | ZOO_SEQUENCE, c->gen,
              on_created);
}

static void on_zk_event(act_actor *self, zk_session *s, zk_event ev, const char *path)
{
    contender *c = act_state(self);
    switch (ev) {
    case ZK_CONNECTED:
        if (c->node) {
            watch(c); /* still ours? */
        } else if (!c->creating) {
            c->creating = true;
            zk_create_path(s, c->url.path, c->gen, on_path);
        }
        break;
    case ZK_NODE:
        if (c->node && strcmp(path, c->node) == 0) watch(c);
        break;
    case ZK_DISCONNECTED:
        LOG_WARNING("Lost the connection to ZooKeeper; the candidacy lasts while the session "
                    "does");
        break;
    case ZK_EXPIRED:
        lose(c, "the ZooKeeper session expired", false);
        break;
    case ZK_AUTH_FAILED:
        lose(c, "ZooKeeper refused the credentials", true);
        break;
    case ZK_CHILDREN:
        break;
    }
}

static void open_session(contender *c)
{
    char err[512];
    c->zk = zk_open(c->self, &c->url, c->timeout, on_zk_event, err, sizeof err);
    if (!c->zk) {
        c->failed = true;
        tell(c, NULL, err, true);
    }
}

static void on_init(act_actor *self, void *arg)
{
    open_session(act_state(self));
}

static void on_terminate(act_actor *self, void *arg)
{
    contender *c = act_state(self);
    zk_close(c->zk); /* the znode goes with the session */
    zk_url_free(&c->url);
    free(c->data);
    free(c->node);
    free(c);
}

act_pid contender_spawn(const zk_url *url, double session_timeout, const char *data,
                        const act_pid *owner, int loop)
{
    contender *c = act_calloc(1, sizeof *c);
    zk_url_copy(&c->url, url);
    c->timeout = session_timeout;
    c->data = act_strdup(data);
    c->master = *owner;
    char name[ACT_ID_MAX];
    act_actor *a = act_new(act_unique_name(CONTENDER_ACTOR, name, sizeof name), c);
    c->self = a;
    act_on_init(a, on_init, NULL);
    act_on_terminate(a, on_terminate, NULL);
    act_pid pid = act_self(a);
    act_spawn(a, loop);
    return pid;
}
