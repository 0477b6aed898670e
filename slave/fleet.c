/*
 * fleet.c - the fleet actor of mesos-fleet (fleet_int.h): it builds each hollow slave's
 * SlaveInfo (the shared resources and attributes, its own hostname and rack), spawns the
 * slaves over the runtime's loops, follows the leading master with one detector and keeps the
 * one link to it, and tells every slave when the leader changes or the link breaks. The
 * slaves do the rest on their own (hollow.c).
 */
#include "slave/fleet_int.h"

#include "master/detector.h"

#include <errno.h>
#include <string.h>

#define RELINK_MIN 1.0
#define RELINK_MAX 60.0

typedef struct fleet {
    fleet_config cfg;          /* its strings owned */
    act_actor *self;
    detector_address *address; /* handed to the detector at init */
    act_pid detector, master;  /* master: id "" while none is known */
    res_set resources;
    act_pid *slaves;
    size_t nslaves;
    double relink_delay;
    act_timer_id relink_timer;
} fleet;

int fleet_config_check(const fleet_config *cfg, char *err, size_t errlen)
{
    res_set r = {0};
    int rc = res_parse(cfg->resources ? cfg->resources : "", "*", &r, err, errlen);
    bool empty = rc == 0 && res_empty(&r);
    res_free(&r);
    if (rc != 0) return -EINVAL;
    if (empty) return snprintf(err, errlen, "--resources names no resources"), -EINVAL;
    if (cfg->attributes) {
        wire_msg *m = wire_new(WIRE_DESC(slave_info));
        wire_slave_info *info = m->root;
        rc = attr_parse_text(cfg->attributes, m, &info->attributes, &info->attributes_count,
                             err, errlen);
        wire_msg_free(m);
        if (rc != 0) return -EINVAL;
    }
    if (cfg->slaves == 0) return snprintf(err, errlen, "--num_slaves must be at least 1"), -EINVAL;
    if (!cfg->hostname || !*cfg->hostname)
        return snprintf(err, errlen, "--hostname must not be empty"), -EINVAL;
    if (cfg->registration_backoff_factor < 0)
        return snprintf(err, errlen, "--registration_backoff_factor must not be negative"),
               -EINVAL;
    return 0;
}

/* Slave i's SlaveInfo: the fleet's resources and attributes, its hostname and rack. */
static wire_msg *slave_info(fleet *f, size_t i)
{
    wire_msg *m = wire_new(WIRE_DESC(slave_info));
    wire_slave_info *info = m->root;
    char text[256];
    snprintf(text, sizeof text, "%s-%zu", f->cfg.hostname, i + 1);
    info->hostname = wire_strdup(m, text);
    res_to_wire(&f->resources, m, &info->resources, &info->resources_count);
    act_buf attrs = {0};
    if (f->cfg.attributes) act_buf_puts(&attrs, f->cfg.attributes);
    if (f->cfg.racks) act_buf_printf(&attrs, "%srack:rack-%zu", attrs.len ? ";" : "",
                                     i % f->cfg.racks);
    char err[256];
    if (attrs.len && attr_parse_text(attrs.data, m, &info->attributes, &info->attributes_count,
                                     err, sizeof err) != 0)
        LOG_ERROR("Hollow slave %zu: attributes '%s': %s", i + 1, attrs.data, err);
    act_buf_free(&attrs);
    info->has_checkpoint = true;
    info->checkpoint = f->cfg.checkpoint;
    info->has_port = true;
    info->port = act_address().port;
    return m;
}

/* ---- telling the slaves ------------------------------------------------------------------ */

static void broadcast_leader(fleet *f)
{
    for (size_t i = 0; i < f->nslaves; i++) {
        act_pid *leader = act_malloc(sizeof *leader);
        *leader = f->master;
        act_post(f->self, &f->slaves[i], FLEET_MSG_LEADER, leader, free);
    }
}

static void relink(act_actor *self, void *arg)
{
    fleet *f = act_state(self);
    f->relink_timer = 0;
    if (!act_pid_is_none(&f->master)) act_link(self, &f->master);
}

/* The connection to the master broke (or could not be made): every slave re-registers as a
 * slave does; the link is made again after a while, doubling while it keeps breaking. */
static void on_exited(act_actor *self, const act_pid *pid)
{
    fleet *f = act_state(self);
    if (!act_pid_equal(pid, &f->master)) return;
    for (size_t i = 0; i < f->nslaves; i++)
        act_post(self, &f->slaves[i], FLEET_MSG_LINK_BROKEN, NULL, NULL);
    if (f->relink_timer) return;
    f->relink_timer = act_delay(self, f->relink_delay, relink, NULL);
    f->relink_delay = f->relink_delay * 2 < RELINK_MAX ? f->relink_delay * 2 : RELINK_MAX;
}

static void on_detected(act_actor *self, const act_msg *msg)
{
    fleet *f = act_state(self);
    const detector_leader *l = msg->obj;
    if (l->error) {
        LOG_ERROR("Failed to detect a master: %s; exiting", l->error);
        act_stop();
        return;
    }
    f->master = l->info ? l->pid : (act_pid){0};
    char pid[ACT_PID_STRLEN];
    if (l->info) LOG_INFO("New master detected at %s: %zu hollow slaves register with it",
                          act_pid_format(&f->master, pid, sizeof pid), f->nslaves);
    else LOG_INFO("Lost the leading master; waiting for a new one to be detected");
    if (f->relink_timer) act_cancel(self, f->relink_timer);
    f->relink_timer = 0;
    f->relink_delay = RELINK_MIN;
    if (l->info) act_link(self, &f->master);
    broadcast_leader(f);
}

/* ---- life cycle -------------------------------------------------------------------------- */

static void on_init(act_actor *self, void *arg)
{
    fleet *f = act_state(self);
    hollow_metrics_init();
    int loops = act_loop_count();
    f->slaves = act_calloc(f->cfg.slaves, sizeof *f->slaves);
    for (size_t i = 0; i < f->cfg.slaves; i++) {
        act_pid pid = hollow_spawn(slave_info(f, i), f->cfg.registration_backoff_factor,
                                   (int)(i % (size_t)loops));
        if (!act_pid_is_none(&pid)) f->slaves[f->nslaves++] = pid;
    }
    act_gauge_set(act_gauge_get("fleet/slaves"), (double)f->nslaves);
    char *res = res_to_string(&f->resources);
    LOG_INFO("Started %zu hollow slaves on %d loop(s), each with %s", f->nslaves, loops, res);
    free(res);
    act_pid me = act_self(self);
    f->detector = detector_spawn(f->address, DETECTOR_ZK_SESSION_TIMEOUT, &me, 0);
    f->address = NULL;
}

static void fleet_free(fleet *f)
{
    detector_address_free(f->address);
    res_free(&f->resources);
    free(f->slaves);
    free((char *)f->cfg.master);
    free((char *)f->cfg.resources);
    free((char *)f->cfg.attributes);
    free((char *)f->cfg.hostname);
    free(f);
}

/* The slaves end with the runtime, each on its own (a ShutdownMessage ends one earlier). */
static void on_terminate(act_actor *self, void *arg)
{
    fleet *f = act_state(self);
    if (!act_pid_is_none(&f->detector)) act_terminate(&f->detector);
    fleet_free(f);
}

static char *dup_or_null(const char *s)
{
    return s ? act_strdup(s) : NULL;
}

int fleet_spawn(const fleet_config *cfg, act_pid *out)
{
    char err[512];
    if (fleet_config_check(cfg, err, sizeof err) != 0) {
        LOG_ERROR("%s", err);
        return -EINVAL;
    }
    detector_address *address = detector_parse(cfg->master ? cfg->master : "", err, sizeof err);
    if (!address) {
        LOG_ERROR("Cannot use --master='%s': %s", cfg->master ? cfg->master : "", err);
        return -EINVAL;
    }
    fleet *f = act_calloc(1, sizeof *f);
    f->cfg = *cfg;
    f->cfg.master = dup_or_null(cfg->master);
    f->cfg.resources = dup_or_null(cfg->resources);
    f->cfg.attributes = dup_or_null(cfg->attributes);
    f->cfg.hostname = dup_or_null(cfg->hostname);
    f->address = address;
    f->relink_delay = RELINK_MIN;
    res_parse(cfg->resources, "*", &f->resources, err, sizeof err);
    act_actor *a = act_new(FLEET_ACTOR, f);
    f->self = a;
    act_on_init(a, on_init, NULL);
    act_on_terminate(a, on_terminate, NULL);
    act_on_exited(a, on_exited);
    act_on_message(a, DETECTOR_MSG_LEADER, on_detected);
    *out = act_self(a);
    int rc = act_spawn(a, 0);
    if (rc != 0) fleet_free(f); /* the runtime destroyed the actor, not its state */
    return rc;
}
