/*
 * master.c - the master actor's frame: configuration defaults, spawning the registrar, the
 * allocator and the master, the table that decodes every incoming message with wire/ and
 * hands it to a typed handler (counting it in master/messages_<name>), and the small helpers
 * every master file uses to send messages and talk to the allocator.
 */
#include "master/master_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

void master_config_default(master_config *c)
{
    memset(c, 0, sizeof *c);
    c->registry_in_memory = true;
    c->zk_session_timeout = 10.0;
    c->registry_store_timeout = 5.0;
    c->registry_fetch_timeout = 60.0;
    c->allocation_interval = 1.0;
    c->slave_ping_timeout = 15.0;
    c->max_slave_ping_timeouts = 5;
    c->slave_reregister_timeout = 600.0;
    c->recovery_slave_removal_limit = 1.0;
    c->max_completed_frameworks = 50;
    c->max_completed_tasks_per_framework = 1000;
    c->root_submissions = true;
    c->allocator_loop = 0;
}

/* ---- typed handlers ---------------------------------------------------------------------- */

typedef struct handler_entry {
    const wire_desc *desc;
    m_handler_fn fn;
    act_counter *count;
} handler_entry;

static act_map *handlers; /* message name -> handler_entry; one master per process */

/* "mesos.internal.StatusUpdateAcknowledgementMessage" -> "status_update_acknowledgement" */
static void metric_name(const char *type, char *out, size_t n)
{
    const char *p = strrchr(type, '.');
    p = p ? p + 1 : type;
    size_t len = strlen(p), k = 0;
    if (len > 7 && strcmp(p + len - 7, "Message") == 0) len -= 7;
    k = (size_t)snprintf(out, n, "master/messages_");
    for (size_t i = 0; i < len && k + 2 < n; i++) {
        if (isupper((unsigned char)p[i]) && i > 0) out[k++] = '_';
        out[k++] = (char)tolower((unsigned char)p[i]);
    }
    out[k] = '\0';
}

void m_drop(master *m, const act_msg *msg, const char *why)
{
    char from[ACT_PID_STRLEN];
    m_count(m, M_DROPPED_MESSAGES);
    LOG_WARNING_LIMITED("Dropping %s from %s: %s", msg->name,
                        act_pid_format(&msg->from, from, sizeof from), why);
}

/* ---- messages that arrive before the master can handle them ----------------------------- */

/* A message that arrives while the registry is being recovered is held and handled once it is
 * read (Mesos dropped them, which cost every slave and framework a retry after a failover).
 * A standby holds messages for a moment too: slaves and frameworks learn of a new leader from
 * the same ZooKeeper event as the leader itself and may get here first; what is still held
 * when this master is elected is handled if it is younger than STANDBY_HOLD_SECS, and dropped
 * otherwise. Bounded in count and bytes. */
#define HELD_MAX 100000
#define HELD_MAX_BYTES (64u << 20)
#define STANDBY_HOLD_SECS 1.0

void m_held_copy(m_held *h, const act_msg *msg)
{
    h->from = msg->from;
    h->name = act_strdup(msg->name);
    h->body = act_malloc(msg->len ? msg->len : 1);
    if (msg->len) memcpy(h->body, msg->body, msg->len);
    h->len = msg->len;
    h->content_type = msg->content_type ? act_strdup(msg->content_type) : NULL;
    h->libprocess = msg->libprocess;
    h->at = act_now();
}

act_msg m_held_msg(const m_held *h, bool *taken)
{
    *taken = false;
    return (act_msg){.from = h->from, .name = h->name, .body = h->body, .len = h->len,
                     .obj_taken = taken, .content_type = h->content_type,
                     .libprocess = h->libprocess};
}

void m_held_free(m_held *h)
{
    free(h->name);
    free(h->body);
    free(h->content_type);
}

/* A standby forgets what it held longer than STANDBY_HOLD_SECS. */
static void prune(master *m)
{
    size_t old = 0;
    while (old < m->nheld && m->held[old].at < act_now() - STANDBY_HOLD_SECS) {
        m->held_bytes -= m->held[old].len;
        m_held_free(&m->held[old++]);
    }
    if (!old) return;
    act_counter_add(m->counters[M_DROPPED_MESSAGES], old);
    memmove(m->held, m->held + old, (m->nheld - old) * sizeof *m->held);
    m->nheld -= old;
}

static void hold(master *m, const act_msg *msg)
{
    if (!m->elected) prune(m);
    if (m->nheld == HELD_MAX || m->held_bytes + msg->len > HELD_MAX_BYTES) {
        m_drop(m, msg, "too many messages held");
        return;
    }
    if (m->nheld == m->held_cap) {
        m->held_cap = m->held_cap ? 2 * m->held_cap : 64;
        m->held = act_realloc(m->held, m->held_cap * sizeof *m->held);
    }
    m_held_copy(&m->held[m->nheld++], msg);
    m->held_bytes += msg->len;
}

static void held_free(master *m)
{
    for (size_t i = 0; i < m->nheld; i++) m_held_free(&m->held[i]);
    free(m->held);
    m->held = NULL;
    m->nheld = m->held_cap = m->held_bytes = 0;
}

static void trampoline(act_actor *self, const act_msg *msg);

void m_replay_held(master *m)
{
    if (m->nheld) LOG_INFO("Handling %zu message(s) that arrived before recovery", m->nheld);
    for (size_t i = 0; i < m->nheld; i++) {
        bool taken;
        m_held *h = &m->held[i];
        act_msg msg = m_held_msg(h, &taken);
        if (h->at < m->elected_time - STANDBY_HOLD_SECS)
            m_drop(m, &msg, "it reached this master long before it was elected");
        else
            trampoline(m->self, &msg);
    }
    held_free(m);
}

static void dispatch(master *m, const act_msg *msg, const handler_entry *h);

static void trampoline(act_actor *self, const act_msg *msg)
{
    master *m = act_state(self);
    handler_entry *h = act_map_get(handlers, msg->name);
    if (!h) return;
    if (act_pid_is_none(&msg->from)) { /* a plain HTTP POST: nobody to answer or check */
        act_count_refused();
        m_drop(m, msg, "no sender (Libprocess-From)");
        return;
    }
    if (m->aborted) {
        m_drop(m, msg, "the master is aborting");
        return;
    }
    if (!m->recovered) { /* a standby, or a leader reading the registry */
        hold(m, msg);
        return;
    }
    if (m_rate_limited(m, msg)) return; /* its framework's turn comes (ratelimit.c) */
    dispatch(m, msg, h);
}

void m_dispatch(master *m, const act_msg *msg)
{
    dispatch(m, msg, act_map_get(handlers, msg->name));
}

/* Decodes the message for its handler h (NULL: none) and runs it. */
static void dispatch(master *m, const act_msg *msg, const handler_entry *h)
{
    wire_msg *decoded = h ? wire_decode_msg(msg, h->desc) : NULL;
    if (!decoded) {
        m_count(m, M_DROPPED_MESSAGES);
        return;
    }
    char principal[M_PRINCIPAL_MAX];
    bool counted = m_principal_of(m, &msg->from, principal, sizeof principal);
    if (h->count) act_counter_inc(h->count);
    h->fn(m, msg, decoded->root);
    wire_msg_free(decoded);
    if (counted) m_principal_processed(m, principal);
}

static void handle(act_actor *a, const wire_desc *desc, m_handler_fn fn, bool counted)
{
    if (!handlers) handlers = act_map_new();
    handler_entry *h = act_calloc(1, sizeof *h);
    char name[128];
    metric_name(wire_type_name(desc), name, sizeof name);
    h->desc = desc;
    h->fn = fn;
    h->count = counted ? act_counter_get(name) : NULL;
    free(act_map_put(handlers, wire_type_name(desc), h));
    act_on_message(a, wire_type_name(desc), trampoline);
}

void m_handle(act_actor *a, const wire_desc *desc, m_handler_fn fn)
{
    handle(a, desc, fn, true);
}

void m_handle_counted_by_handler(act_actor *a, const wire_desc *desc, m_handler_fn fn)
{
    handle(a, desc, fn, false);
}

static void handlers_free(void)
{
    void *h;
    for (size_t it = 0; act_map_next(handlers, &it, NULL, &h);) free(h);
    act_map_free(handlers);
    handlers = NULL;
}

/* ---- helpers ----------------------------------------------------------------------------- */

void m_send(master *m, const act_pid *to, const wire_desc *desc, const void *msg)
{
    wire_send(m->self, to, desc, msg);
}

void m_forward(master *m, const act_pid *to, const wire_desc *desc, const act_msg *msg,
               const void *decoded)
{
    wire_forward(m->self, to, desc, msg, decoded);
}

#define M_RECOVER_BATCH 64

static void recovers_post(master *m)
{
    if (!m->recovers) return;
    act_post(m->self, &m->allocator, ALLOC_MSG_EVENT, m->recovers, alloc_event_free);
    m->recovers = NULL;
    m->nrecovers = 0;
}

/* Queued behind what the master had to handle when a batch began (self NULL: the master is
 * gone, and its termination freed the batch). */
static void recovers_flush(act_actor *self, void *arg)
{
    if (!self) return;
    master *m = act_state(self);
    m->recovers_flush_queued = false;
    recovers_post(m);
}

void m_alloc(master *m, alloc_event *ev)
{
    recovers_post(m);
    act_post(m->self, &m->allocator, ALLOC_MSG_EVENT, ev, alloc_event_free);
}

void m_alloc_recover(master *m, alloc_event *ev)
{
    if (!m->recovers) m->recovers_tail = &m->recovers;
    *m->recovers_tail = ev;
    m->recovers_tail = &ev->next;
    if (++m->nrecovers >= M_RECOVER_BATCH) recovers_post(m);
    if (m->recovers && !m->recovers_flush_queued)
        m->recovers_flush_queued = act_dispatch(&m->pid, recovers_flush, NULL) == 0;
    if (m->recovers && !m->recovers_flush_queued) recovers_post(m); /* no dispatch: post now */
}

void m_count(master *m, m_counter c)
{
    act_counter_inc(m->counters[c]);
}

void m_abort(master *m, const char *why)
{
    if (m->aborted) return;
    LOG_ERROR("%s", why);
    m->aborted = true;
    m->elected = false;
    act_gauge_set(act_gauge_get("master/elected"), 0);
    if (m->cfg.abort) m->cfg.abort(why);
    else act_stop();
}

/* ---- lifecycle --------------------------------------------------------------------------- */

static void make_info(master *m)
{
    act_pid self = act_self(m->self);
    char pid[ACT_PID_STRLEN], ip[16];
    wire_id_master(m->id, sizeof m->id, (time_t)act_now(), self.ip, self.port, (long)getpid());
    m->info_msg = wire_new(WIRE_DESC(master_info));
    m->info = m->info_msg->root;
    m->info->id = wire_strdup(m->info_msg, m->id);
    m->info->ip = htonl(self.ip); /* as Mesos: the in_addr value */
    m->info->port = self.port;
    m->info->has_pid = true;
    m->info->pid = wire_strdup(m->info_msg, act_pid_format(&self, pid, sizeof pid));
    m->info->has_hostname = true;
    m->info->hostname = wire_strdup(m->info_msg, m->cfg.hostname ? m->cfg.hostname
                                    : act_ip_format(self.ip, ip, sizeof ip));
    m->info->has_version = true;
    m->info->version = wire_strdup(m->info_msg, MASTER_VERSION);
}

static void on_init(act_actor *self, void *arg)
{
    master *m = act_state(self);
    m->pid = act_self(self);
    m->start_time = act_now();
    make_info(m);
    m_metrics_init(m);
    act_metrics_add_collector(&m->pid, m_metrics_refresh);
    /* the web UI's LOG link: /files/read.json?path=/master/log */
    const char *log = m->cfg.external_log_file ? m->cfg.external_log_file : act_log_file();
    if (log) act_files_attach(&m->files, log, "/master/log");
    LOG_INFO("Master %s (%s) started on %s", m->id, m->info->hostname, m->info->pid);
    m_whitelist_start(m);
    m_election_start(m);
}

/* A linked scheduler or slave went away. */
static void on_exited(act_actor *self, const act_pid *pid)
{
    master *m = act_state(self);
    if (m_rate_limited_exit(m, pid)) return; /* after the framework's queued messages */
    m_exited(m, pid);
}

void m_exited(master *m, const act_pid *pid)
{
    m_auth_exited(m, pid);
    m_framework_exited(m, pid);
    m_slave_exited(m, pid);
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

static void on_terminate(act_actor *self, void *arg)
{
    master *m = act_state(self);
    act_metrics_remove_collector(&m->pid);
    if (!act_pid_is_none(&m->contender)) act_terminate(&m->contender);
    if (!act_pid_is_none(&m->detector)) act_terminate(&m->detector);
    wire_msg_free(m->leader);
    free(m->candidacy);
    held_free(m);
    alloc_event_free(m->recovers); /* not posted: the master is going */
    m->recovers = NULL;
    m_offers_remove_matching(m, NULL, NULL, false); /* before what they point into */
    m_frameworks_free(m);
    m_slaves_free(m);
    act_map_free(m->offers);
    act_map_free(m->frameworks);
    act_map_free(m->slaves);
    act_map_free(m->slaves_by_pid);
    act_map_free(m->registering);
    act_map_free(m->removed_slaves);
    act_map_free(m->removals);
    act_map_free(m->orphans);
    wire_msg *w;
    for (size_t it = 0; act_map_next(m->recovered_slaves, &it, NULL, (void **)&w);)
        wire_msg_free(w);
    act_map_free(m->recovered_slaves);
    m_registrar_abandon(m);
    m_auth_free(m);
    m_rate_limits_free(m);
    act_map_free(m->frameworks_by_pid);
    m_state_abandon(m);
    wire_msg_free(m->info_msg);
    free_strings(m->cfg.roles, m->cfg.nroles);
    free_strings(m->cfg.weight_roles, m->cfg.nweights);
    free(m->cfg.weights);
    free((char *)m->cfg.work_dir);
    free((char *)m->cfg.cluster);
    free((char *)m->cfg.webui_dir);
    free((char *)m->cfg.hostname);
    free((char *)m->cfg.zk);
    free((char *)m->cfg.whitelist);
    handlers_free();
    free(m);
}

static char **copy_strings(char *const *v, size_t n)
{
    char **out = act_calloc(n ? n : 1, sizeof *out);
    for (size_t i = 0; i < n; i++) out[i] = act_strdup(v[i]);
    return out;
}

static void copy_config(master_config *dst, const master_config *src)
{
    *dst = *src;
    dst->work_dir = src->work_dir ? act_strdup(src->work_dir) : NULL;
    dst->cluster = src->cluster ? act_strdup(src->cluster) : NULL;
    dst->hostname = src->hostname ? act_strdup(src->hostname) : NULL;
    dst->zk = src->zk ? act_strdup(src->zk) : NULL;
    dst->webui_dir = src->webui_dir ? act_strdup(src->webui_dir) : NULL;
    dst->whitelist = src->whitelist ? act_strdup(src->whitelist) : NULL;
    dst->roles = copy_strings(src->roles, src->nroles);
    dst->weight_roles = copy_strings(src->weight_roles, src->nweights);
    dst->weights = act_calloc(src->nweights ? src->nweights : 1, sizeof(double));
    if (src->nweights) memcpy(dst->weights, src->weights, src->nweights * sizeof(double));
}

int master_spawn(const master_config *cfg, act_pid *out)
{
    bool file_registry = !cfg->registry_in_memory && !cfg->zk;
    if (file_registry && (!cfg->work_dir || !*cfg->work_dir)) {
        LOG_ERROR("--work_dir is required unless --registry=in_memory or --zk");
        return -EINVAL;
    }
    zk_url url;
    char err[512];
    if (cfg->zk && zk_url_parse(cfg->zk, &url, err, sizeof err) != 0) {
        LOG_ERROR("--zk: %s", err);
        return -EINVAL;
    }
    if (cfg->zk) zk_url_free(&url);
    master *m = act_calloc(1, sizeof *m);
    copy_config(&m->cfg, cfg);
    m->frameworks = act_map_new();
    m->slaves = act_map_new();
    m->slaves_by_pid = act_map_new();
    m->registering = act_map_new();
    m->recovered_slaves = act_map_new();
    m->removed_slaves = act_map_new();
    m->removals = act_map_new();
    m->orphans = act_map_new();
    m->offers = act_map_new();
    m->pending_ops = act_map_new();
    m->authenticated = act_map_new();
    m->auth_sessions = act_map_new();
    m->frameworks_by_pid = act_map_new();
    m_rate_limits_init(m);
    act_actor *a = act_new(MASTER_ACTOR, m);
    act_pid mpid = act_self(a);
    alloc_config ac = {cfg->allocation_interval, (const char *const *)cfg->weight_roles,
                       cfg->weights, cfg->nweights};
    m->allocator = alloc_spawn(&ac, &mpid, cfg->allocator_loop);
    m->registrar = registrar_spawn(&m->cfg, &mpid, cfg->allocator_loop);
    m->files = act_files_spawn(0);
    m->self = a;
    act_on_init(a, on_init, NULL);
    act_on_terminate(a, on_terminate, NULL);
    act_on_exited(a, on_exited);
    m_framework_handlers(a);
    m_slave_handlers(a);
    m_offer_handlers(a);
    m_task_handlers(a);
    m_registrar_handlers(a);
    m_election_handlers(a);
    m_auth_handlers(a);
    m_http_routes(a);
    m_webui_routes(a);
    int rc = act_spawn(a, 0);
    if (rc != 0) return rc;
    *out = mpid;
    return 0;
}
