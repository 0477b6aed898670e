/*
 * slave.c - the slave actor "slave(1)": it spawns its helpers (containerizer, status update
 * manager, files, gc), recovers its checkpoint, follows the leading master its detector
 * reports (master/detector.h: host:port, zk:// or file://), registers with it with randomized
 * exponential backoff, answers pings, re-registers when the master goes quiet or away, obeys
 * ShutdownMessage, and serves /slave(1)/state.json and the slave's gauges (PROTOCOL.md,
 * "Slave registration", "Health and loss of a slave" and "Master failover").
 */
#include "slave/slave_state_int.h"

#include "master/auth.h"
#include "master/detector.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BACKOFF 60.0
#define DEFAULT_PING_TIMEOUT 75.0
/* How long after an executor's grace period a shutdown waits for its kill to be reported. */
#define SHUTDOWN_MARGIN 5.0

void slave_config_default(slave_config *c)
{
    memset(c, 0, sizeof *c);
    c->work_dir = "/tmp/mesos";
    c->default_role = "*";
    c->checkpoint = true;
    c->switch_user = true;
    c->recover_reconnect = true;
    c->strict = true;
    c->executor_registration_timeout = 60;
    c->executor_shutdown_grace_period = 5;
    c->recovery_timeout = 900;
    c->registration_backoff_factor = 1;
    c->gc_delay = 7 * 86400;
    c->gc_disk_headroom = 0.1;
    c->disk_watch_interval = 60;
    cz_config_default(&c->isolation);
    c->containerizers = "mesos";
    dz_config_default(&c->docker);
}

/* --default_container_info: Mesos' JSON ContainerInfo. Returns 0 or -EINVAL (logged). */
static int parse_default_container(slave *s)
{
    const char *text = s->cfg.default_container_info;
    if (!text) return 0;
    char err[512];
    int rc = wire_from_json(WIRE_DESC(container_info), text, strlen(text), &s->default_container,
                            err, sizeof err);
    if (rc != 0) {
        LOG_ERROR("Invalid --default_container_info (a JSON ContainerInfo such as "
                  "{\"type\":\"MESOS\",\"volumes\":[{\"host_path\":\"tmp\",\"container_path\":"
                  "\"/tmp\",\"mode\":\"RW\"}]}): %s", err);
        return -EINVAL;
    }
    return 0;
}

/* The containerizers of --containerizers (through the composing layer). Returns none with the
 * reason logged when one cannot be made here (docker unreachable, a cgroup missing ...). */
static act_pid spawn_containerizers(const slave_config *cfg, int loop)
{
    act_pid none = {0};
    cz_kind kinds[CZ_KINDS_MAX];
    char err[2048];
    int n = cz_kinds_parse(cfg->containerizers, kinds, err, sizeof err);
    dz_config docker = cfg->docker;
    docker.work_dir = cfg->work_dir;
    docker.cgroups_hierarchy = cfg->isolation.cgroups_hierarchy;
    act_pid pid = n > 0 ? composing_spawn(kinds, (size_t)n, &cfg->isolation, &docker, loop, err,
                                          sizeof err)
                        : none;
    if (act_pid_is_none(&pid)) LOG_ERROR("Failed to create a containerizer: %s", err);
    return pid;
}

void s_send(slave *s, const act_pid *to, const wire_desc *desc, const void *msg)
{
    wire_send(s->self, to, desc, msg);
}

s_framework *s_framework_find(slave *s, const char *id)
{
    return act_map_get(s->frameworks, id);
}

bool s_from_master(slave *s, const act_msg *msg)
{
    if (act_pid_equal(&msg->from, &s->master)) return true;
    char from[ACT_PID_STRLEN];
    act_count_refused();
    LOG_WARNING_LIMITED("Ignoring %s from %s: not the master", msg->name,
                        act_pid_format(&msg->from, from, sizeof from));
    return false;
}

bool s_from_this_host(slave *s, const act_msg *msg)
{
    if (!act_pid_is_none(&msg->from) && msg->from.ip == s->pid.ip) return true;
    char from[ACT_PID_STRLEN];
    act_count_refused();
    LOG_WARNING_LIMITED("Ignoring %s from %s: executors run on this slave's host", msg->name,
                        act_pid_format(&msg->from, from, sizeof from));
    return false;
}

/* ---- registration ------------------------------------------------------------------------ */

static double jitter(double max)
{
    return max * ((double)random() / (double)RAND_MAX);
}

static void send_registration(slave *s)
{
    if (!s->id[0]) {
        wire_register_slave_message r = {.slave = *s->info, .has_version = true,
                                         .version = SLAVE_VERSION};
        s_send(s, &s->master, WIRE_DESC(register_slave_message), &r);
        return;
    }
    wire_msg *m = wire_new(WIRE_DESC(reregister_slave_message));
    wire_reregister_slave_message *r = m->root;
    r->slave_id.value = s->id;
    r->slave = *s->info;
    r->has_version = true;
    r->version = SLAVE_VERSION;
    s_collect_for_reregistration(s, m, r);
    s_send(s, &s->master, WIRE_DESC(reregister_slave_message), r);
    wire_msg_free(m);
}

static void registration_attempt(act_actor *self, void *arg)
{
    slave *s = act_state(self);
    s->registration_timer = 0;
    if (s->connected) return;
    char mpid[ACT_PID_STRLEN];
    LOG_INFO("%s with master %s", s->id[0] ? "Re-registering" : "Registering",
             act_pid_format(&s->master, mpid, sizeof mpid));
    send_registration(s);
    s->backoff = s->backoff * 2 < MAX_BACKOFF ? s->backoff * 2 : MAX_BACKOFF;
    s->registration_timer = act_delay(self, jitter(s->backoff), registration_attempt, NULL);
}

/* ---- authentication (with --credential) -------------------------------------------------- */

static void abandon_authentication(slave *s)
{
    if (!act_pid_is_none(&s->authenticatee)) act_terminate(&s->authenticatee);
    s->authenticatee = (act_pid){0};
    s->authenticated = false;
}

static void authenticate(slave *s)
{
    if (!act_pid_is_none(&s->authenticatee)) return; /* in progress */
    act_pid self = act_self(s->self);
    if (auth_authenticatee_spawn(&s->master, &self, s->cfg.credential, act_actor_loop(s->self),
                                 &s->authenticatee) != 0)
        s->authenticatee = (act_pid){0};
}

/* The authenticatee this slave spawned last is done: registration follows, or, if the master
 * refused the credential, the slave shuts down (Mesos: "Master refused authentication"). */
static void on_authenticated(act_actor *self, const act_msg *msg)
{
    slave *s = act_state(self);
    if (!act_pid_equal(&msg->from, &s->authenticatee)) return; /* an abandoned attempt's */
    s->authenticatee = (act_pid){0};
    if (!((const auth_result *)msg->obj)->completed) {
        LOG_ERROR("The master refused this slave's authentication (--credential); shutting "
                  "down");
        slave_shutdown(self, NULL);
        return;
    }
    s->authenticated = true;
    s_register(s);
}

/* Registration (re)starts with the current master; with a credential the slave authenticates
 * first, after every disconnection (the master forgets a pid whose connection broke). */
void s_register(slave *s)
{
    if (!s->recovered || s->registration_timer || act_pid_is_none(&s->master)) return;
    if (s->cfg.credential && !s->authenticated) {
        authenticate(s);
        return;
    }
    s->backoff = s->cfg.registration_backoff_factor;
    act_link(s->self, &s->master);
    s->registration_timer = act_delay(s->self, jitter(s->backoff), registration_attempt, NULL);
}

static void pause_updates(slave *s)
{
    act_pid *none = act_calloc(1, sizeof *none);
    act_post(s->self, &s->sum, SUM_MSG_MASTER, none, free);
}

static void no_ping(act_actor *self, void *arg);

static void arm_ping_timer(slave *s)
{
    if (s->ping_timer) act_cancel(s->self, s->ping_timer);
    s->ping_timer = act_delay(s->self, s->ping_timeout, no_ping, NULL);
}

/* No longer registered: no pings expected, status updates wait. */
static void lose_master(slave *s)
{
    s->connected = false;
    abandon_authentication(s);
    if (s->ping_timer) act_cancel(s->self, s->ping_timer);
    s->ping_timer = 0;
    pause_updates(s);
}

static void disconnected(slave *s, const char *why)
{
    if (!s->connected) return;
    LOG_WARNING("Disconnected from the master: %s; re-registering", why);
    lose_master(s);
    s_register(s);
}

static void no_ping(act_actor *self, void *arg)
{
    slave *s = act_state(self);
    s->ping_timer = 0;
    char why[128];
    snprintf(why, sizeof why, "no ping within %.0f s", s->ping_timeout);
    disconnected(s, why);
}

static void registered(slave *s, const act_msg *msg, const char *id,
                       const wire_master_slave_connection *conn, bool re)
{
    if (s->connected && strcmp(s->id, id) == 0) return; /* a duplicate acknowledgement */
    if (s->id[0] && strcmp(s->id, id) != 0) {
        LOG_ERROR("The master gave slave ID %s, but this slave is %s: shutting down", id, s->id);
        s_exit(s);
        return;
    }
    snprintf(s->id, sizeof s->id, "%s", id);
    if (!s->info->id) s->info->id = wire_alloc(s->info_msg, sizeof *s->info->id);
    s->info->id->value = wire_strdup(s->info_msg, id);
    s->connected = true;
    act_ip_hostname(s->master.ip, s->master_hostname, sizeof s->master_hostname);
    if (s->registration_timer) act_cancel(s->self, s->registration_timer);
    s->registration_timer = 0;
    s->ping_timeout = conn && conn->has_total_ping_timeout_seconds &&
                      conn->total_ping_timeout_seconds > 0 ? conn->total_ping_timeout_seconds
                                                           : DEFAULT_PING_TIMEOUT;
    arm_ping_timer(s);
    if (s->cfg.checkpoint) s_checkpoint_slave_info(s);
    act_pid *master = act_malloc(sizeof *master);
    *master = s->master;
    act_post(s->self, &s->sum, SUM_MSG_MASTER, master, free);
    s_report_exits(s);
    act_counter_inc(act_counter_get(re ? "slave/reregistrations" : "slave/registrations"));
    char mpid[ACT_PID_STRLEN];
    LOG_INFO("%s with master %s; given slave ID %s", re ? "Re-registered" : "Registered",
             act_pid_format(&s->master, mpid, sizeof mpid), id);
}

static void on_registered(act_actor *self, const act_msg *msg)
{
    slave *s = act_state(self);
    if (!s_from_master(s, msg)) return;
    wire_msg *m = wire_decode_msg(msg, WIRE_DESC(slave_registered_message));
    if (!m) return;
    wire_slave_registered_message *r = m->root;
    registered(s, msg, r->slave_id.value, r->connection, false);
    wire_msg_free(m);
}

static void on_reregistered(act_actor *self, const act_msg *msg)
{
    slave *s = act_state(self);
    if (!s_from_master(s, msg)) return;
    wire_msg *m = wire_decode_msg(msg, WIRE_DESC(slave_reregistered_message));
    if (!m) return;
    wire_slave_reregistered_message *r = m->root;
    registered(s, msg, r->slave_id.value, r->connection, true);
    wire_msg_free(m);
}

static void on_ping(act_actor *self, const act_msg *msg)
{
    slave *s = act_state(self);
    if (!s_from_master(s, msg)) return;
    wire_msg *m = wire_decode_msg(msg, WIRE_DESC(ping_slave_message));
    bool connected = m ? ((wire_ping_slave_message *)m->root)->connected : true;
    wire_msg_free(m);
    act_send(self, &msg->from, "mesos.internal.PongSlaveMessage", "\x80", 1);
    if (!s->connected) return;
    arm_ping_timer(s);
    if (!connected) disconnected(s, "the master says this slave is disconnected");
}

void s_exit(slave *s)
{
    if (s->exiting) return;
    s->exiting = true;
    LOG_INFO("Slave %s terminating", s->id[0] ? s->id : s->pid.id);
    act_exit(s->self);
}

/* The executors outlived their grace period and the kill that follows it: stop anyway. */
static void shutdown_overdue(act_actor *self, void *arg)
{
    slave *s = act_state(self);
    LOG_ERROR("%zu framework(s) still have executors %.0f s after the shutdown began; "
              "stopping without them", act_map_size(s->frameworks),
              s->cfg.executor_shutdown_grace_period + SHUTDOWN_MARGIN);
    s_exit(s);
}

static void shut_down(slave *s)
{
    act_actor *self = s->self;
    if (s->terminating) return;
    s->terminating = true;
    if (act_map_size(s->frameworks) == 0) {
        s_exit(s);
        return;
    }
    LOG_INFO("Shutting down %zu framework(s); executors have %.3f s to exit",
             act_map_size(s->frameworks), s->cfg.executor_shutdown_grace_period);
    act_delay(self, s->cfg.executor_shutdown_grace_period + SHUTDOWN_MARGIN, shutdown_overdue,
              NULL);
    s_framework *f;
    for (size_t it = 0; act_map_next(s->frameworks, &it, NULL, (void **)&f);)
        s_framework_shutdown(s, f); /* the last one to retire ends the slave */
}

/* The slave's own decision (a signal, mesos-local stopping): as Mesos' slave does, it
 * unregisters first, so that the master removes it at once (its live tasks TASK_LOST, its
 * resources no longer offered) instead of offering a slave that is going away until the
 * health check gives up on it. */
void slave_shutdown(act_actor *self, void *arg)
{
    if (!self) { /* the slave already ended */
        act_stop();
        return;
    }
    slave *s = act_state(self);
    if (!s->terminating && s->connected && s->id[0]) {
        LOG_INFO("Unregistering from the master and shutting down");
        s_send(s, &s->master, WIRE_DESC(unregister_slave_message),
               &(wire_unregister_slave_message){.slave_id = {s->id}});
    }
    shut_down(s);
}

static void on_shutdown(act_actor *self, const act_msg *msg)
{
    slave *s = act_state(self);
    if (!s_from_master(s, msg)) return;
    wire_msg *m = wire_decode_msg(msg, WIRE_DESC(shutdown_message));
    const char *why = "no reason given";
    if (m && ((wire_shutdown_message *)m->root)->has_message)
        why = ((wire_shutdown_message *)m->root)->message;
    LOG_ERROR("The master asked this slave to shut down: %s", why);
    wire_msg_free(m);
    shut_down(s);
}

static void on_exited(act_actor *self, const act_pid *pid)
{
    slave *s = act_state(self);
    if (act_pid_equal(pid, &s->master)) disconnected(s, "the connection to the master broke");
}

/* The detector reports a new leading master, or none (Mesos' Slave::detected): updates
 * pause, and registration starts over with the new master after a random part of
 * --registration_backoff_factor. */
static void on_detected(act_actor *self, const act_msg *msg)
{
    slave *s = act_state(self);
    const detector_leader *l = msg->obj;
    if (l->error) { /* Mesos exits; executors live on for a restarted slave to recover */
        LOG_ERROR("Failed to detect a master: %s; exiting", l->error);
        if (s->cfg.exit_status) *s->cfg.exit_status = 1;
        act_stop();
        return;
    }
    if (s->connected) LOG_WARNING("Disconnected from the master: a new leader was detected");
    lose_master(s);
    if (s->registration_timer) act_cancel(self, s->registration_timer);
    s->registration_timer = 0;
    s->master = l->info ? l->pid : (act_pid){0};
    if (!l->info) {
        LOG_INFO("Lost the leading master; waiting for a new one to be detected");
        return;
    }
    char pid[ACT_PID_STRLEN];
    LOG_INFO("New master detected at %s", act_pid_format(&s->master, pid, sizeof pid));
    s_register(s);
}

/* ---- lifecycle --------------------------------------------------------------------------- */

static int build_info(slave *s, char *err, size_t errlen)
{
    s->info_msg = wire_new(WIRE_DESC(slave_info));
    s->info = s->info_msg->root;
    const char *role = s->cfg.default_role ? s->cfg.default_role : "*";
    if (s->cfg.resources &&
        res_parse(s->cfg.resources, role, &s->resources, err, errlen) != 0)
        return -EINVAL;
    if (res_detect_defaults(s->cfg.work_dir, role, &s->resources, err, errlen) != 0)
        return -EINVAL;
    res_to_wire(&s->resources, s->info_msg, &s->info->resources, &s->info->resources_count);
    if (s->cfg.attributes &&
        attr_parse_text(s->cfg.attributes, s->info_msg, &s->info->attributes,
                        &s->info->attributes_count, err, errlen) != 0)
        return -EINVAL;
    char ip[16];
    s->info->hostname = wire_strdup(s->info_msg, s->cfg.hostname ? s->cfg.hostname
                                    : act_ip_format(act_address().ip, ip, sizeof ip));
    s->info->has_checkpoint = true;
    s->info->checkpoint = s->cfg.checkpoint;
    s->info->has_port = true;
    s->info->port = act_address().port;
    return 0;
}

static void on_init(act_actor *self, void *arg)
{
    slave *s = act_state(self);
    s->pid = act_self(self);
    s->start_time = act_now();
    act_metrics_add_collector(&s->pid, s_metrics_refresh);
    /* the UI's LOG link: /files/read.json?path=/slave/log */
    const char *log = s->cfg.external_log_file ? s->cfg.external_log_file : act_log_file();
    if (log) act_files_attach(&s->files, log, "/slave/log");
    char *res = res_to_string(&s->resources);
    LOG_INFO("Slave %s starting on %s with %s", s->pid.id, s->info->hostname, res);
    free(res);
    s->detector = detector_spawn(s->master_address, DETECTOR_ZK_SESSION_TIMEOUT, &s->pid, 0);
    s->master_address = NULL;
    s_recover(s); /* calls s_register when done */
}

/* Frees everything and leaves every process and checkpoint as it is: a slave that ends
 * without a shutdown (the runtime ends) is recovered by the next one. */
static void on_terminate(act_actor *self, void *arg)
{
    slave *s = act_state(self);
    bool stop = s->cfg.stop_runtime;
    act_metrics_remove_collector(&s->pid);
    if (!act_pid_is_none(&s->detector)) act_terminate(&s->detector);
    abandon_authentication(s);
    detector_address_free(s->master_address);
    s_frameworks_free(s);
    wire_msg_free(s->info_msg);
    wire_msg_free(s->default_container);
    res_free(&s->resources);
    free(s);
    if (stop) act_stop();
}

int slave_spawn(const slave_config *cfg, act_pid *out)
{
    slave *s = act_calloc(1, sizeof *s);
    s->cfg = *cfg;
    char err[512];
    int made = ckpt_mkdirs(cfg->work_dir, 0755);
    if (made != 0) {
        LOG_ERROR("Cannot create --work_dir=%s: %s", cfg->work_dir, strerror(-made));
        free(s);
        return made;
    }
    s->master_address = detector_parse(cfg->master ? cfg->master : "", err, sizeof err);
    if (!s->master_address) {
        LOG_ERROR("Cannot use --master='%s': %s", cfg->master ? cfg->master : "", err);
        free(s);
        return -EINVAL;
    }
    if (build_info(s, err, sizeof err) != 0) {
        LOG_ERROR("Invalid slave resources or attributes: %s", err);
        detector_address_free(s->master_address);
        wire_msg_free(s->info_msg);
        res_free(&s->resources);
        free(s);
        return -EINVAL;
    }
    int loop = act_loop_count() > 1 ? 1 : 0;
    int rc = parse_default_container(s);
    s->containerizer = cfg->containerizer;
    if (rc == 0 && act_pid_is_none(&cfg->containerizer)) {
        s->containerizer = spawn_containerizers(cfg, loop);
        if (act_pid_is_none(&s->containerizer)) rc = -EINVAL;
    }
    if (rc != 0) {
        detector_address_free(s->master_address);
        wire_msg_free(s->info_msg);
        wire_msg_free(s->default_container);
        res_free(&s->resources);
        free(s);
        return -EINVAL;
    }
    s->frameworks = act_map_new();
    s_history_init(&s->completed, S_MAX_COMPLETED_FRAMEWORKS);
    s->sum = sum_spawn(NULL, 0);
    s->files = act_files_spawn(0);
    s->gc = gc_spawn(cfg->work_dir, cfg->gc_delay, cfg->gc_disk_headroom,
                     cfg->disk_watch_interval, loop);
    char name[ACT_ID_MAX];
    act_actor *a = act_new(act_unique_name("slave", name, sizeof name), s);
    s->self = a;
    act_on_init(a, on_init, NULL);
    act_on_terminate(a, on_terminate, NULL);
    act_on_exited(a, on_exited);
    act_on_local(a, AUTH_MSG_RESULT, on_authenticated);
    act_on_message(a, "mesos.internal.SlaveRegisteredMessage", on_registered);
    act_on_message(a, "mesos.internal.SlaveReregisteredMessage", on_reregistered);
    act_on_message(a, "mesos.internal.PingSlaveMessage", on_ping);
    act_on_message(a, "mesos.internal.ShutdownMessage", on_shutdown);
    act_on_local(a, DETECTOR_MSG_LEADER, on_detected);
    s_http_routes(a);
    s_executor_handlers(a);
    s_recover_handlers(a);
    *out = act_self(a);
    rc = act_spawn(a, 0);
    if (rc == 0) act_set_default_actor(name);
    return rc;
}
