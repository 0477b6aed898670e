/*
 * composing.c - which containerizer runs an executor (Mesos' ComposingContainerizer and
 * --containerizers): the kinds a slave has, in order of preference; which kind runs which
 * executor (docker those whose ContainerInfo is DOCKER, mesos the others, as Mesos'
 * containerizers decline what they cannot run); and, when a slave has more than one, the
 * "composing-containerizer" actor the slave talks to instead of a containerizer. It speaks the
 * CZ_MSG_* contract on both sides: a launch goes to the first containerizer that runs its
 * executor, a destroy, an update and each recovered executor to the one that has the
 * container, and what they report comes back through it to whoever asked.
 */
#include "slave/cz_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const kind_names[] = {[CZ_MESOS] = "mesos", [CZ_DOCKER] = "docker"};

int cz_kinds_parse(const char *list, cz_kind *out, char *err, size_t errlen)
{
    int n = 0;
    const char *p = list ? list : "";
    while (*p) {
        size_t len = strcspn(p, ",");
        int kind = -1;
        for (int k = 0; k < CZ_KINDS_MAX; k++)
            if (strlen(kind_names[k]) == len && strncmp(p, kind_names[k], len) == 0) kind = k;
        for (int i = 0; kind >= 0 && i < n; i++)
            if (out[i] == (cz_kind)kind) {
                snprintf(err, errlen, "--containerizers names '%s' twice", kind_names[kind]);
                return -EINVAL;
            }
        if (kind < 0) {
            snprintf(err, errlen, "Unknown containerizer '%.*s' in --containerizers (this build "
                     "has 'mesos' and 'docker')", (int)len, p);
            return -EINVAL;
        }
        out[n++] = (cz_kind)kind;
        p += len;
        if (*p == ',') p++;
    }
    if (n == 0) {
        snprintf(err, errlen, "--containerizers names no containerizer");
        return -EINVAL;
    }
    return n;
}

bool cz_kind_runs(cz_kind kind, const wire_executor_info *e)
{
    bool docker = e->container && e->container->type == WIRE_CONTAINER_DOCKER;
    return kind == CZ_DOCKER ? docker : !docker;
}

/* ---- the composing containerizer --------------------------------------------------------- */

typedef struct route {
    int target;             /* index into the containerizers */
    act_pid requester;      /* gets LAUNCHED and TERMINATED */
} route;

typedef struct composer {
    act_pid cz[CZ_KINDS_MAX];
    cz_kind kinds[CZ_KINDS_MAX];
    size_t n;
    act_map *routes;        /* container id -> route (owned) */
} composer;

static void forget(composer *c, const char *container_id)
{
    free(act_map_remove(c->routes, container_id));
}

static void add_route(composer *c, const char *container_id, int target, const act_pid *requester)
{
    route *r = act_calloc(1, sizeof *r);
    r->target = target;
    r->requester = *requester;
    free(act_map_put(c->routes, container_id, r));
}

static void refuse_launch(act_actor *self, const act_pid *to, const char *container_id,
                          const char *why)
{
    cz_result *r = act_calloc(1, sizeof *r);
    snprintf(r->container_id, sizeof r->container_id, "%s", container_id);
    r->status = -1;
    snprintf(r->message, sizeof r->message, "%s", why);
    act_post(self, to, CZ_MSG_LAUNCHED, r, free);
}

static void on_launch(act_actor *self, const act_msg *msg)
{
    composer *c = act_state(self);
    cz_launch *l = msg->obj;
    if (!l) return;
    *msg->obj_taken = true;
    int target = -1;
    for (size_t i = 0; l->executor && target < 0 && i < c->n; i++)
        if (cz_kind_runs(c->kinds[i], l->executor->root)) target = (int)i;
    if (target < 0 || act_map_get(c->routes, l->container_id)) {
        refuse_launch(self, &msg->from, l->container_id,
                      target < 0 ? "No containerizer of this slave runs this executor"
                                 : "Container already exists");
        cz_launch_free(l);
        return;
    }
    add_route(c, l->container_id, target, &msg->from);
    act_post(self, &c->cz[target], CZ_MSG_LAUNCH, l, cz_launch_free);
}

/* LAUNCHED and TERMINATED from a containerizer, relayed to whoever asked. */
static void on_result(act_actor *self, const act_msg *msg)
{
    composer *c = act_state(self);
    const cz_result *r = msg->obj;
    route *rt = r ? act_map_get(c->routes, r->container_id) : NULL;
    if (!rt) return;
    cz_result *copy = act_malloc(sizeof *copy);
    *copy = *r;
    act_post(self, &rt->requester, msg->name, copy, free);
    if (strcmp(msg->name, CZ_MSG_TERMINATED) == 0 || r->pid <= 0) forget(c, r->container_id);
}

static void on_destroy(act_actor *self, const act_msg *msg)
{
    composer *c = act_state(self);
    const cz_destroy *d = msg->obj;
    route *rt = d ? act_map_get(c->routes, d->container_id) : NULL;
    if (!rt) {
        LOG_WARNING("Ignoring destroy of unknown container %s", d ? d->container_id : "?");
        return;
    }
    cz_destroy *copy = act_malloc(sizeof *copy);
    *copy = *d;
    act_post(self, &c->cz[rt->target], CZ_MSG_DESTROY, copy, free);
}

static void on_update(act_actor *self, const act_msg *msg)
{
    composer *c = act_state(self);
    cz_update *u = msg->obj;
    route *rt = u ? act_map_get(c->routes, u->container_id) : NULL;
    if (!rt) return; /* it ended meanwhile */
    *msg->obj_taken = true;
    act_post(self, &c->cz[rt->target], CZ_MSG_UPDATE, u, cz_update_free);
}

/* Each containerizer gets the recovered executors it runs (an empty list too: the Docker
 * containerizer then still removes the containers nobody knows). */
static void on_recover(act_actor *self, const act_msg *msg)
{
    composer *c = act_state(self);
    cz_recover *r = msg->obj;
    if (!r) return;
    *msg->obj_taken = true;
    for (size_t i = 0; i < c->n; i++) {
        cz_recover *part = act_calloc(1, sizeof *part);
        part->v = act_calloc(r->n ? r->n : 1, sizeof *part->v);
        for (size_t k = 0; k < r->n; k++) {
            bool docker = r->v[k].container_type == WIRE_CONTAINER_DOCKER;
            if (docker != (c->kinds[i] == CZ_DOCKER)) continue;
            cz_recovered *to = &part->v[part->n];
            *to = r->v[k];
            memset(&to->resources, 0, sizeof to->resources);
            res_copy(&to->resources, &r->v[k].resources);
            to->directory = act_strdup(r->v[k].directory ? r->v[k].directory : "");
            add_route(c, r->v[k].container_id, (int)i, &msg->from);
            part->n++;
        }
        act_post(self, &c->cz[i], CZ_MSG_RECOVER, part, cz_recover_free);
    }
    cz_recover_free(r);
}

static void composer_terminate(act_actor *self, void *arg)
{
    composer *c = arg;
    const char *key;
    void *value;
    for (size_t it = 0; act_map_next(c->routes, &it, &key, &value);) free(value);
    act_map_free(c->routes);
    free(c);
}

static act_pid composer_spawn(const act_pid *cz, const cz_kind *kinds, size_t n, int loop)
{
    act_pid none;
    memset(&none, 0, sizeof none);
    composer *c = act_calloc(1, sizeof *c);
    memcpy(c->cz, cz, n * sizeof *cz);
    memcpy(c->kinds, kinds, n * sizeof *kinds);
    c->n = n;
    c->routes = act_map_new();
    act_actor *a = act_new(COMPOSING_ACTOR, c);
    act_on_message(a, CZ_MSG_LAUNCH, on_launch);
    act_on_message(a, CZ_MSG_LAUNCHED, on_result);
    act_on_message(a, CZ_MSG_TERMINATED, on_result);
    act_on_message(a, CZ_MSG_DESTROY, on_destroy);
    act_on_message(a, CZ_MSG_UPDATE, on_update);
    act_on_message(a, CZ_MSG_RECOVER, on_recover);
    act_on_terminate(a, composer_terminate, c);
    act_pid me = act_self(a);
    if (act_spawn(a, loop) != 0) {
        act_map_free(c->routes);
        free(c);
        return none;
    }
    return me;
}

/* ---- spawning ---------------------------------------------------------------------------- */

act_pid composing_spawn(const cz_kind *kinds, size_t n, const cz_config *mesos,
                        const dz_config *docker, int loop, char *err, size_t errlen)
{
    act_pid none, cz[CZ_KINDS_MAX];
    memset(&none, 0, sizeof none);
    cz_source sources[CZ_KINDS_MAX];
    size_t made = 0;
    for (; made < n && made < CZ_KINDS_MAX; made++) {
        bool is_docker = kinds[made] == CZ_DOCKER;
        cz[made] = is_docker ? dz__spawn(docker, loop, err, errlen)
                             : containerizer_spawn(mesos, loop, err, errlen);
        if (act_pid_is_none(&cz[made])) break;
        sources[made] = (cz_source){cz[made], is_docker ? dz__each_container : cz__each_container};
    }
    act_pid front = made == n ? (n == 1 ? cz[0] : composer_spawn(cz, kinds, n, loop)) : none;
    double interval = mesos ? mesos->resource_monitoring_interval : 1;
    int rc = act_pid_is_none(&front) ? -EINVAL : cz__monitor_spawn(sources, n, interval, loop);
    if (rc != 0 && !act_pid_is_none(&front))
        LOG_ERROR("Cannot spawn the monitor: %s", act_strerror(rc));
    if (act_pid_is_none(&front)) {
        if (made == n) snprintf(err, errlen, "Cannot spawn the composing containerizer");
        for (size_t i = 0; i < made; i++) act_terminate(&cz[i]);
    }
    return front;
}
