/*
 * offers.c - offers in the master: the allocator's decisions become Offers sent to
 * frameworks (one ResourceOffersMessage per framework per cycle), offers are rescinded when
 * they time out or their framework or slave goes, and LaunchTasksMessage is validated task by
 * task (PROTOCOL.md, "Offers, launch, status updates"): invalid offers make every task
 * TASK_LOST, an invalid task gets TASK_ERROR with the reason, valid tasks go to the slave as
 * RunTaskMessage, and whatever the tasks did not use goes back to the allocator with the
 * framework's filter.
 */
#include "master/master_int.h"

#include <string.h>

#define DEFAULT_REFUSE_SECONDS 5.0

static void recover(master *m, const char *framework_id, const char *slave_id,
                    const res_set *resources, double refuse_seconds)
{
    alloc_event *ev = alloc_event_new(ALLOC_RECOVER, framework_id, slave_id);
    res_copy(&ev->resources, resources);
    ev->refuse_seconds = refuse_seconds;
    m_alloc(m, ev);
}

void m_offer_remove(master *m, m_offer *o, bool recover_resources, bool rescind)
{
    if (o->timeout) act_cancel(m->self, o->timeout);
    m_framework *f = m_framework_find(m, o->framework_id);
    m_slave *s = m_slave_find(m, o->slave_id);
    if (f) {
        res_subtract(&f->offered, &o->resources);
        act_map_remove(f->offers, o->id);
        m_framework_changed(f);
    }
    if (s) res_subtract(&s->offered, &o->resources);
    if (recover_resources) recover(m, o->framework_id, o->slave_id, &o->resources, 0);
    if (rescind && f && f->connected) {
        wire_rescind_resource_offer_message r = {.offer_id = {o->id}};
        m_send(m, &f->pid, WIRE_DESC(rescind_resource_offer_message), &r);
    }
    act_map_remove(m->offers, o->id);
    res_free(&o->resources);
    free(o);
}

void m_offers_remove_matching(master *m, const char *framework_id, const char *slave_id,
                              bool rescind)
{
    m_offer *o;
    for (size_t it = 0; act_map_next(m->offers, &it, NULL, (void **)&o);) {
        if (framework_id && strcmp(o->framework_id, framework_id) != 0) continue;
        if (slave_id && strcmp(o->slave_id, slave_id) != 0) continue;
        m_offer_remove(m, o, true, rescind);
    }
}

static void offer_timeout(act_actor *self, void *arg)
{
    master *m = act_state(self);
    m_offer *o = arg; /* removal cancels this timer */
    o->timeout = 0;
    LOG_INFO("Rescinding offer %s of framework %s: held longer than --offer_timeout", o->id,
             o->framework_id);
    m_offer_remove(m, o, true, true);
}

/* ---- making offers ----------------------------------------------------------------------- */

/* Fills `w` (in arena `msg`) for an offer of framework f on slave s. */
static void fill_offer(master *m, wire_msg *msg, wire_offer *w, const m_offer *o,
                       const m_slave *s)
{
    w->id.value = wire_strdup(msg, o->id);
    w->framework_id.value = wire_strdup(msg, o->framework_id);
    w->slave_id.value = wire_strdup(msg, o->slave_id);
    w->hostname = wire_strdup(msg, s->info->hostname);
    res_to_wire(&o->resources, msg, &w->resources, &w->resources_count);
    w->attributes_count = s->info->attributes_count;
    w->attributes = wire_alloc_array(msg, WIRE_DESC(attribute), w->attributes_count);
    for (size_t i = 0; i < w->attributes_count; i++)
        wire_copy_into(msg, WIRE_DESC(attribute), &w->attributes[i], &s->info->attributes[i]);
    size_t n = 0;
    m_executor *e;
    for (size_t it = 0; act_map_next(s->executors, &it, NULL, (void **)&e);)
        n += strcmp(e->framework_id, o->framework_id) == 0;
    w->executor_ids = wire_alloc_array(msg, WIRE_DESC(executor_id), n);
    for (size_t it = 0; act_map_next(s->executors, &it, NULL, (void **)&e);)
        if (strcmp(e->framework_id, o->framework_id) == 0)
            w->executor_ids[w->executor_ids_count++].value =
                wire_strdup(msg, e->info->executor_id.value);
}

static m_offer *offer_new(master *m, m_framework *f, m_slave *s, const res_set *resources)
{
    m_offer *o = act_calloc(1, sizeof *o);
    wire_id_offer(o->id, sizeof o->id, m->id, m->next_offer++);
    snprintf(o->framework_id, sizeof o->framework_id, "%s", f->id);
    snprintf(o->slave_id, sizeof o->slave_id, "%s", s->id);
    res_copy(&o->resources, resources);
    res_add(&f->offered, resources);
    act_map_put(f->offers, o->id, o);
    m_framework_changed(f);
    res_add(&s->offered, resources);
    act_map_put(m->offers, o->id, o);
    if (m->cfg.offer_timeout > 0)
        o->timeout = act_delay(m->self, m->cfg.offer_timeout, offer_timeout, o);
    return o;
}

/* Sends framework f its offers from this cycle: the entries of `all` chained from `first`
 * through `next` (all->n ends the chain) that are still usable. */
static void send_offers(master *m, m_framework *f, const alloc_offers *all, size_t first,
                        const size_t *next)
{
    size_t n = 0;
    for (size_t i = first; i < all->n; i = next[i]) n++;
    wire_msg *msg = wire_new(WIRE_DESC(resource_offers_message));
    wire_resource_offers_message *r = msg->root;
    r->offers = wire_alloc_array(msg, WIRE_DESC(offer), n);
    r->pids = wire_alloc(msg, n * sizeof(char *));
    for (size_t i = first; i < all->n; i = next[i]) {
        const alloc_offer *a = &all->v[i];
        m_slave *s = m_slave_find(m, a->slave_id);
        if (!s || !s->active) {
            recover(m, a->framework_id, a->slave_id, &a->resources, 0);
            continue;
        }
        m_offer *o = offer_new(m, f, s, &a->resources);
        char pid[ACT_PID_STRLEN];
        fill_offer(m, msg, &r->offers[r->offers_count++], o, s);
        r->pids[r->pids_count++] = wire_strdup(msg, act_pid_format(&s->pid, pid, sizeof pid));
    }
    if (r->offers_count) {
        VLOG(1, "Sending %zu offer(s) to framework %s", r->offers_count, f->id);
        m_send(m, &f->pid, WIRE_DESC(resource_offers_message), r);
    }
    wire_msg_free(msg);
}

/* The allocator's decisions of one cycle, framework by framework in the order each first
 * appears, each framework's in the cycle's order. The entries of a framework are chained
 * first (one map lookup per entry), so a cycle costs the same with 1 or 100 frameworks. */
static void on_alloc_offers(act_actor *self, const act_msg *msg)
{
    master *m = act_state(self);
    const alloc_offers *all = msg->obj;
    if (!all || !all->n) return;
    size_t *next = act_malloc(all->n * sizeof *next);
    bool *first = act_calloc(all->n, sizeof *first);
    act_map *last = act_map_new(); /* framework id -> 1 + the index of its latest entry */
    for (size_t i = 0; i < all->n; i++) {
        next[i] = all->n;
        uintptr_t prev = (uintptr_t)act_map_put(last, all->v[i].framework_id, (void *)(i + 1));
        if (prev) next[prev - 1] = i;
        else first[i] = true;
    }
    for (size_t i = 0; i < all->n; i++) {
        if (!first[i]) continue;
        const char *id = all->v[i].framework_id;
        m_framework *f = m_framework_find(m, id);
        if (f && f->active) {
            send_offers(m, f, all, i, next);
            continue;
        }
        for (size_t k = i; k < all->n; k = next[k]) /* nobody to offer to: give them back */
            recover(m, id, all->v[k].slave_id, &all->v[k].resources, 0);
    }
    act_map_free(last);
    free(first);
    free(next);
}

/* ---- launching --------------------------------------------------------------------------- */

/* Checks the offers of a launch. Returns NULL and fills *slave / *available, or a reason. */
static const char *take_offers(master *m, m_framework *f, const wire_launch_tasks_message *l,
                               char *why, size_t n, m_slave **slave, res_set *available)
{
    const char *slave_id = NULL;
    for (size_t i = 0; i < l->offer_ids_count; i++) {
        const m_offer *o = act_map_get(m->offers, l->offer_ids[i].value);
        if (!o || strcmp(o->framework_id, f->id) != 0) {
            snprintf(why, n, "Offer %s is no longer valid", l->offer_ids[i].value);
            return why;
        }
        if (slave_id && strcmp(slave_id, o->slave_id) != 0) {
            snprintf(why, n, "Aggregated offers must belong to one slave");
            return why;
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(l->offer_ids[k].value, o->id) == 0) {
                snprintf(why, n, "Offer %s appears more than once", o->id);
                return why;
            }
        slave_id = o->slave_id;
    }
    if (!slave_id) return snprintf(why, n, "No offers given"), why;
    *slave = m_slave_find(m, slave_id);
    for (size_t i = 0; i < l->offer_ids_count; i++) {
        m_offer *o = act_map_get(m->offers, l->offer_ids[i].value);
        res_add(available, &o->resources);
        m_offer_remove(m, o, false, false);
    }
    return NULL;
}

static const char *role_of(const m_framework *f)
{
    return f->info->has_role && *f->info->role ? f->info->role : "*";
}

static const char *check_roles(const m_framework *f, const res_set *r, char *why, size_t n)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i].role, "*") != 0 && strcmp(r->v[i].role, role_of(f)) != 0) {
            snprintf(why, n, "Task uses resources reserved for role '%s' but the framework's "
                     "role is '%s'", r->v[i].role, role_of(f));
            return why;
        }
    return NULL;
}

/* Validates the executor part of a task; fills *exec with what a new executor needs. */
static const char *check_executor(master *m, m_framework *f, m_slave *s, const wire_task_info *t,
                                  res_set *exec, char *why, size_t n)
{
    res_clear(exec);
    if (!t->executor) return NULL; /* the command executor is not accounted (m_task_add) */
    const char *eid = t->executor->executor_id.value;
    if (!wire_id_valid(eid)) return snprintf(why, n, "Executor ID '%s' is invalid", eid), why;
    char key[WIRE_KEY_MAX];
    wire_id_key(key, f->id, eid);
    const m_executor *e = act_map_get(s->executors, key);
    if (e) {
        wire_executor_info mine = *t->executor;
        mine.framework_id = e->info->framework_id; /* the master fills it in */
        if (!wire_equal(WIRE_DESC(executor_info), &mine, e->info))
            return snprintf(why, n, "Task has an ExecutorInfo for executor '%s' that differs "
                            "from the one it runs with", eid), why;
        return NULL;
    }
    if (res_from_wire(t->executor->resources, t->executor->resources_count, exec, why, n) != 0)
        return why;
    return check_roles(f, exec, why, n);
}

/* A task's Docker ContainerInfo: an image, and BRIDGE port mappings whose host ports are among
 * the task's ports (the words of Mesos' Docker::run, which refuses them too late). */
static const char *check_container(const wire_task_info *t, const res_set *res, char *why,
                                   size_t n)
{
    const wire_container_info *c = t->container;
    if (!c || c->type != WIRE_CONTAINER_DOCKER) return NULL;
    if (!c->docker || !c->docker->image || !c->docker->image[0])
        return snprintf(why, n, "Task has a DOCKER ContainerInfo without an image"), why;
    const wire_docker_info *d = c->docker;
    if (d->port_mappings_count && d->network != WIRE_DOCKER_BRIDGE)
        return snprintf(why, n, "Port mappings are only supported for bridge network"), why;
    res_range *ports = NULL;
    size_t nports = 0;
    res_ranges(res, "ports", &ports, &nports);
    const char *bad = NULL;
    for (size_t i = 0; i < d->port_mappings_count && !bad; i++) {
        uint32_t p = d->port_mappings[i].host_port;
        bool offered = false;
        for (size_t k = 0; k < nports && !offered; k++)
            offered = p >= ports[k].begin && p <= ports[k].end;
        if (!offered) {
            snprintf(why, n, "Port [%u] not included in resources", p);
            bad = why;
        }
    }
    free(ports);
    return bad;
}

/* Validates one task against what is left of the offers. Returns NULL or a reason. */
static const char *check_task(master *m, m_framework *f, m_slave *s, const wire_task_info *t,
                              const res_set *available, res_set *res, res_set *exec, char *why,
                              size_t n)
{
    const char *id = t->task_id.value;
    if (!wire_id_valid(id)) return snprintf(why, n, "Task ID '%s' is invalid", id), why;
    if (act_map_get(f->tasks, id)) return snprintf(why, n, "Task has duplicate ID: %s", id), why;
    if (strcmp(t->slave_id.value, s->id) != 0)
        return snprintf(why, n, "Task uses slave %s but the offers are for slave %s",
                        t->slave_id.value, s->id), why;
    if (!t->command == !t->executor)
        return snprintf(why, n, t->command ? "TaskInfo must not have both 'executor' and "
                        "'command'" : "TaskInfo must have either 'executor' or 'command'"), why;
    if (res_from_wire(t->resources, t->resources_count, res, why, n) != 0) return why;
    if (res_empty(res)) return snprintf(why, n, "Task uses no resources"), why;
    if (check_roles(f, res, why, n)) return why;
    if (check_container(t, res, why, n)) return why;
    if (check_executor(m, f, s, t, exec, why, n)) return why;
    res_set need = {0};
    res_copy(&need, res);
    res_add(&need, exec);
    bool fits = res_contains(available, &need);
    if (!fits) {
        char *a = res_to_string(&need), *b = res_to_string(available);
        snprintf(why, n, "Task uses more resources (%s) than available (%s)", a, b);
        free(a);
        free(b);
    }
    res_free(&need);
    return fits ? NULL : why;
}

static void run_task(master *m, m_framework *f, m_slave *s, const wire_task_info *ti)
{
    char pid[ACT_PID_STRLEN];
    wire_run_task_message r = {.framework_id = {f->id}, .framework = *f->info,
                               .pid = act_pid_format(&f->pid, pid, sizeof pid), .task = *ti};
    m_send(m, &s->pid, WIRE_DESC(run_task_message), &r);
}

/* The user a task runs as (Mesos' Master::authorizeTask): its command's, else its executor's
 * command's, else the framework's. */
static const char *task_user(const m_framework *f, const wire_task_info *t)
{
    if (t->command && t->command->has_user) return t->command->user;
    if (t->executor && t->executor->command.has_user) return t->executor->command.user;
    return f->info->user;
}

/* The run_tasks ACLs: may the framework's principal launch tasks as the task's user? */
static const char *unauthorized(master *m, const m_framework *f, const wire_task_info *t,
                                char *why, size_t n)
{
    const char *user = task_user(f, t);
    if (m_authorize_user(m->cfg.acls, f->info->has_principal ? f->info->principal : NULL, user))
        return NULL;
    snprintf(why, n, "Not authorized to launch as user '%s'", user);
    return why;
}

static void launch_one(master *m, m_framework *f, m_slave *s, const wire_task_info *ti,
                       res_set *available)
{
    char why[1024];
    res_set res = {0}, exec = {0};
    const char *err = unauthorized(m, f, ti, why, sizeof why);
    int reason = err ? WIRE_REASON_TASK_UNAUTHORIZED : -1;
    if (!err) err = check_task(m, f, s, ti, available, &res, &exec, why, sizeof why);
    if (err) {
        LOG_WARNING_LIMITED("Refusing task %s of framework %s: %s", ti->task_id.value, f->id,
                            err);
        if (reason < 0) reason = WIRE_REASON_TASK_INVALID;
        m_count_task_state(m, WIRE_TASK_ERROR, WIRE_SOURCE_MASTER, reason);
        m_send_status(m, &f->pid, f->id, s->id, ti->task_id.value, WIRE_TASK_ERROR, err, reason,
                      false);
    } else {
        if (ti->executor && !res_empty(&exec)) m_executor_add(m, s, f->id, ti->executor);
        m_task_add(m, f, s, ti, &res);
        res_subtract(available, &res);
        res_subtract(available, &exec);
        LOG_INFO("Launching task %s of framework %s on slave %s (%s)", ti->task_id.value, f->id,
                 s->id, s->info->hostname);
        run_task(m, f, s, ti);
    }
    res_free(&res);
    res_free(&exec);
}

static void on_launch(master *m, const act_msg *msg, void *decoded)
{
    wire_launch_tasks_message *l = decoded;
    m_count(m, l->tasks_count ? M_MESSAGES_LAUNCH_TASKS : M_MESSAGES_DECLINE_OFFERS);
    m_framework *f = m_framework_from_scheduler(m, msg, l->framework_id.value);
    if (!f) return;
    double refuse = l->filters.has_refuse_seconds ? l->filters.refuse_seconds
                                                  : DEFAULT_REFUSE_SECONDS;
    char why[512];
    m_slave *s = NULL;
    res_set available = {0};
    const char *bad = take_offers(m, f, l, why, sizeof why, &s, &available);
    if (bad) {
        for (size_t i = 0; i < l->offer_ids_count; i++) { /* release this framework's offers */
            m_offer *o = act_map_get(m->offers, l->offer_ids[i].value);
            if (o && strcmp(o->framework_id, f->id) == 0) m_offer_remove(m, o, true, false);
        }
        for (size_t i = 0; i < l->tasks_count; i++) {
            m_count_task_state(m, WIRE_TASK_LOST, WIRE_SOURCE_MASTER, WIRE_REASON_INVALID_OFFERS);
            m_send_status(m, &f->pid, f->id, l->tasks[i].slave_id.value,
                          l->tasks[i].task_id.value, WIRE_TASK_LOST, bad,
                          WIRE_REASON_INVALID_OFFERS, false);
        }
        return;
    }
    for (size_t i = 0; i < l->tasks_count; i++) launch_one(m, f, s, &l->tasks[i], &available);
    if (!res_empty(&available) || l->tasks_count == 0)
        recover(m, f->id, s->id, &available, refuse);
    res_free(&available);
}

void m_offer_handlers(act_actor *a)
{
    m_handle_counted_by_handler(a, WIRE_DESC(launch_tasks_message), on_launch);
    act_on_local(a, ALLOC_MSG_OFFERS, on_alloc_offers);
}
