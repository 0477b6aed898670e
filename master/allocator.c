/*
 * allocator.c - Mesos 0.22's hierarchical DRF allocator (see allocator_int.h): the core keeps
 * slaves (total and free resources), frameworks in roles, what each framework holds on each
 * slave, and refuse filters, and runs allocation cycles that hand each slave's free resources
 * to the role, then the framework, with the lowest dominant share (master/sorter.c). The
 * actor around it turns the master's alloc_event posts into core calls and batches each
 * cycle's decisions into one "alloc.offers" post.
 */
#include "master/allocator_int.h"
#include "master/sorter_int.h"

#include <stddef.h>
#include <string.h>
#include <time.h>

/* ---- a map from (framework, slave) pairs: 64-bit keys, values never NULL ------------------ */

typedef struct pair_slot {
    uint64_t key;
    void *val;        /* NULL: empty slot */
} pair_slot;

/* Open addressing, linear probing; cap is 0 or a power of two, at most half full. */
typedef struct pair_map {
    pair_slot *slots;
    size_t cap, n;
} pair_map;

static size_t pair_home(const pair_map *m, uint64_t key)
{
    key ^= key >> 30;
    key *= 0xbf58476d1ce4e5b9ULL;
    key ^= key >> 27;
    key *= 0x94d049bb133111ebULL;
    return (size_t)(key ^ (key >> 31)) & (m->cap - 1);
}

static pair_slot *pair_find(const pair_map *m, uint64_t key)
{
    if (!m->cap) return NULL;
    for (size_t i = pair_home(m, key);; i = (i + 1) & (m->cap - 1)) {
        pair_slot *s = &m->slots[i];
        if (!s->val) return NULL;
        if (s->key == key) return s;
    }
}

static void pair_insert_slot(pair_map *m, pair_slot from)
{
    size_t i = pair_home(m, from.key);
    while (m->slots[i].val) i = (i + 1) & (m->cap - 1);
    m->slots[i] = from;
    m->n++;
}

/* Adds a key that is not in the map. */
static void pair_put(pair_map *m, uint64_t key, void *val)
{
    if (2 * (m->n + 1) > m->cap) {
        pair_map old = *m;
        m->cap = old.cap ? 2 * old.cap : 64;
        m->slots = act_calloc(m->cap, sizeof *m->slots);
        m->n = 0;
        for (size_t i = 0; i < old.cap; i++)
            if (old.slots[i].val) pair_insert_slot(m, old.slots[i]);
        free(old.slots);
    }
    pair_insert_slot(m, (pair_slot){key, val});
}

/* Empties a slot, shifting later entries of its probe run back (no tombstones). */
static void pair_del_slot(pair_map *m, pair_slot *slot)
{
    size_t mask = m->cap - 1, i = (size_t)(slot - m->slots);
    for (size_t j = (i + 1) & mask; m->slots[j].val; j = (j + 1) & mask) {
        size_t home = pair_home(m, m->slots[j].key);
        bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    m->slots[i].val = NULL;
    m->n--;
}

/* ---- intrusive circular lists ------------------------------------------------------------ */

typedef struct alloc_link {
    struct alloc_link *prev, *next;
} alloc_link;

#define CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

static void link_init(alloc_link *l) { l->prev = l->next = l; }

static void link_push(alloc_link *head, alloc_link *x)
{
    x->next = head;
    x->prev = head->prev;
    head->prev->next = x;
    head->prev = x;
}

static void link_remove(alloc_link *x)
{
    x->prev->next = x->next;
    x->next->prev = x->prev;
    link_init(x);
}

/* ---- the model --------------------------------------------------------------------------- */

typedef struct alloc_role {
    char *name;
    double weight;
    sorter *frameworks;     /* its frameworks by dominant share */
    sorter_client *client;  /* in alloc_state.roles */
    size_t nframeworks;
    uint64_t stamp;         /* the slave visit that last offered to this role */
} alloc_role;

typedef struct alloc_framework {
    char *id;
    alloc_role *role;
    sorter_client *client;  /* in role->frameworks; in the order while active, unsuppressed */
    bool active, suppressed;
    res_set allocated;      /* sum of its holdings */
    alloc_link holdings, filters;
    size_t nfilters;
    uint32_t serial;
} alloc_framework;

typedef struct alloc_slave {
    char *id, *hostname;
    res_set total, free;    /* free = total - its holdings */
    bool active, whitelisted, has_reserved;
    bool changed;           /* in alloc_state.changed */
    alloc_link holdings, filters;
    size_t index;           /* in alloc_state.slaves */
    size_t changed_index;   /* in alloc_state.changed while `changed` */
    uint32_t serial;
} alloc_slave;

/* What one framework holds on one slave. fw is NULL for a framework the allocator does not
 * know yet (the slave re-registered first): then fw_id names it, and the framework adopts the
 * holding when it is added. */
typedef struct holding {
    alloc_framework *fw;
    char *fw_id;
    alloc_slave *slave;
    res_set res;
    alloc_link by_fw, by_slave;
} holding;

/* A refuse filter: fw is not offered resources on slave contained in res before expires. */
typedef struct refuse_filter {
    alloc_framework *fw;
    alloc_slave *slave;
    res_set res;
    double expires;
    struct refuse_filter *next_same; /* other filters of the same (framework, slave) */
    alloc_link by_fw, by_slave;
} refuse_filter;

struct alloc_state {
    act_map *frameworks, *slaves_by_id, *roles_by_name; /* by ID / name */
    pair_map holdings;                   /* (framework, slave) serials -> holding */
    pair_map filters;                    /* (framework, slave) serials -> refuse_filter chain */
    alloc_slave **slaves;                /* every slave, in no particular order */
    size_t nslaves, slaves_cap;
    alloc_slave **order;                 /* a cycle's slaves */
    /* Slaves whose resources may have become offerable since the last cycle (added,
     * recovered, reactivated), for alloc_run_changed; all_changed: every slave (a framework
     * came, was activated or revived, the whitelist changed). */
    alloc_slave **changed;
    size_t nchanged, changed_cap;
    bool all_changed;
    sorter *roles;
    res_set cluster_total;
    char **weight_roles;
    double *weights;
    size_t nweights;
    act_map *whitelist;                  /* hostname -> a marker; NULL: every host */
    uint32_t next_serial;
    uint64_t rng;                        /* shuffles slaves; seeded, so runs repeat */
    uint64_t stamp;
    size_t last_cycle_slaves;
    res_set offer, scratch;              /* reused by the cycle */
};

/* Serials are handed out once each (never reused within 2^32 additions), so a pair key never
 * names a framework or slave that came and went. */
static uint64_t pair_key(const alloc_framework *fw, const alloc_slave *s)
{
    return (uint64_t)fw->serial << 32 | s->serial;
}

/* ---- creation ---------------------------------------------------------------------------- */

alloc_state *alloc_create(const alloc_config *cfg)
{
    alloc_state *a = act_calloc(1, sizeof *a);
    a->frameworks = act_map_new();
    a->slaves_by_id = act_map_new();
    a->roles_by_name = act_map_new();
    a->roles = sorter_create();
    a->rng = 0x9e3779b97f4a7c15ULL;
    a->next_serial = 1;
    size_t n = cfg ? cfg->nweights : 0;
    a->weight_roles = act_calloc(n ? n : 1, sizeof *a->weight_roles);
    a->weights = act_calloc(n ? n : 1, sizeof *a->weights);
    for (size_t i = 0; i < n; i++) {
        a->weight_roles[i] = act_strdup(cfg->weight_roles[i]);
        a->weights[i] = cfg->weights[i];
    }
    a->nweights = n;
    return a;
}

static double role_weight(const alloc_state *a, const char *role)
{
    for (size_t i = 0; i < a->nweights; i++)
        if (strcmp(a->weight_roles[i], role) == 0 && a->weights[i] > 0) return a->weights[i];
    return 1.0;
}

static alloc_role *role_get(alloc_state *a, const char *name)
{
    alloc_role *r = act_map_get(a->roles_by_name, name);
    if (r) return r;
    r = act_calloc(1, sizeof *r);
    r->name = act_strdup(name);
    r->weight = role_weight(a, name);
    r->frameworks = sorter_create();
    sorter_add_total(r->frameworks, &a->cluster_total);
    r->client = sorter_add(a->roles, name, r->weight, r);
    act_map_put(a->roles_by_name, r->name, r);
    return r;
}

static void role_free(alloc_role *r)
{
    sorter_destroy(r->frameworks);
    free(r->name);
    free(r);
}

/* Forgets a role once its last framework is gone. */
static void role_put(alloc_state *a, alloc_role *r)
{
    if (r->nframeworks > 0) return;
    sorter_remove(a->roles, r->client);
    act_map_remove(a->roles_by_name, r->name);
    role_free(r);
}

/* ---- accounting -------------------------------------------------------------------------- */

/* Counts r as held by fw (sign > 0) or no longer held, in its total and both sorters. */
static void account(alloc_state *a, alloc_framework *fw, const res_set *r, int sign)
{
    if (sign > 0) {
        res_add(&fw->allocated, r);
        sorter_allocated(fw->role->frameworks, fw->client, r);
        sorter_allocated(a->roles, fw->role->client, r);
    } else {
        res_subtract(&fw->allocated, r);
        sorter_unallocated(fw->role->frameworks, fw->client, r);
        sorter_unallocated(a->roles, fw->role->client, r);
    }
}

static holding *holding_find(const alloc_state *a, const alloc_framework *fw,
                             const alloc_slave *s)
{
    pair_slot *slot = pair_find(&a->holdings, pair_key(fw, s));
    return slot ? slot->val : NULL;
}

static holding *holding_new(alloc_state *a, alloc_framework *fw, const char *fw_id,
                            alloc_slave *s)
{
    holding *h = act_calloc(1, sizeof *h);
    h->fw = fw;
    h->fw_id = fw ? NULL : act_strdup(fw_id);
    h->slave = s;
    link_init(&h->by_fw);
    link_push(&s->holdings, &h->by_slave);
    if (fw) {
        link_push(&fw->holdings, &h->by_fw);
        pair_put(&a->holdings, pair_key(fw, s), h);
    }
    return h;
}

/* Unlinks and frees a holding; the caller has done the accounting. */
static void holding_drop(alloc_state *a, holding *h)
{
    if (h->fw) {
        pair_slot *slot = pair_find(&a->holdings, pair_key(h->fw, h->slave));
        if (slot) pair_del_slot(&a->holdings, slot);
    }
    link_remove(&h->by_fw);
    link_remove(&h->by_slave);
    res_free(&h->res);
    free(h->fw_id);
    free(h);
}

/* fw now holds r on s too (r is already taken out of s->free). */
static void holding_add(alloc_state *a, alloc_framework *fw, alloc_slave *s, const res_set *r)
{
    holding *h = holding_find(a, fw, s);
    if (!h) h = holding_new(a, fw, NULL, s);
    res_add(&h->res, r);
    account(a, fw, r, 1);
}

/* r (contained in h->res) goes back to the slave's free resources. */
static void holding_release(alloc_state *a, holding *h, const res_set *r)
{
    if (h->fw) account(a, h->fw, r, -1);
    res_add(&h->slave->free, r);
    if (r == &h->res || res_equal(&h->res, r))
        holding_drop(a, h);
    else
        res_subtract(&h->res, r);
}

static holding *unowned_find(const alloc_slave *s, const char *fw_id)
{
    for (alloc_link *l = s->holdings.next; l != &s->holdings; l = l->next) {
        holding *h = CONTAINER_OF(l, holding, by_slave);
        if (!h->fw && strcmp(h->fw_id, fw_id) == 0) return h;
    }
    return NULL;
}

/* ---- refuse filters ---------------------------------------------------------------------- */

static void filter_add(alloc_state *a, alloc_framework *fw, alloc_slave *s, const res_set *r,
                       double expires)
{
    refuse_filter *f = act_calloc(1, sizeof *f);
    f->fw = fw;
    f->slave = s;
    res_copy(&f->res, r);
    f->expires = expires;
    pair_slot *slot = pair_find(&a->filters, pair_key(fw, s));
    if (slot) {
        f->next_same = slot->val;
        slot->val = f;
    } else {
        pair_put(&a->filters, pair_key(fw, s), f);
    }
    link_push(&fw->filters, &f->by_fw);
    link_push(&s->filters, &f->by_slave);
    fw->nfilters++;
}

static void filter_remove(alloc_state *a, refuse_filter *f)
{
    pair_slot *slot = pair_find(&a->filters, pair_key(f->fw, f->slave));
    if (slot && slot->val == f) {
        if (f->next_same)
            slot->val = f->next_same;
        else
            pair_del_slot(&a->filters, slot);
    } else if (slot) {
        refuse_filter *p = slot->val;
        while (p->next_same != f) p = p->next_same;
        p->next_same = f->next_same;
    }
    link_remove(&f->by_fw);
    link_remove(&f->by_slave);
    f->fw->nfilters--;
    res_free(&f->res);
    free(f);
}

/* True if a filter of fw on s covers `offer` at `now`; expired filters are dropped here. */
static bool is_filtered(alloc_state *a, alloc_framework *fw, alloc_slave *s,
                        const res_set *offer, double now)
{
    if (!fw->nfilters) return false;
    pair_slot *slot = pair_find(&a->filters, pair_key(fw, s));
    refuse_filter *f = slot ? slot->val : NULL;
    bool filtered = false;
    while (f) {
        refuse_filter *next = f->next_same;
        if (now >= f->expires)
            filter_remove(a, f);
        else if (res_contains(&f->res, offer))
            filtered = true;
        f = next;
    }
    return filtered;
}

static void framework_filters_clear(alloc_state *a, alloc_framework *fw)
{
    while (fw->filters.next != &fw->filters)
        filter_remove(a, CONTAINER_OF(fw->filters.next, refuse_filter, by_fw));
}

static void slave_filters_clear(alloc_state *a, alloc_slave *s)
{
    while (s->filters.next != &s->filters)
        filter_remove(a, CONTAINER_OF(s->filters.next, refuse_filter, by_slave));
}

/* ---- frameworks -------------------------------------------------------------------------- */

/* A framework is in its role's order only while active and not suppressed. */
static void framework_sync(alloc_framework *fw)
{
    if (fw->active && !fw->suppressed)
        sorter_activate(fw->role->frameworks, fw->client);
    else
        sorter_deactivate(fw->role->frameworks, fw->client);
}

/* ---- what changed since the last cycle --------------------------------------------------- */

static void mark_changed(alloc_state *a, alloc_slave *s)
{
    if (s->changed || a->all_changed) return;
    if (a->nchanged == a->changed_cap) {
        a->changed_cap = a->changed_cap ? 2 * a->changed_cap : 64;
        a->changed = act_realloc(a->changed, a->changed_cap * sizeof *a->changed);
    }
    s->changed = true;
    s->changed_index = a->nchanged;
    a->changed[a->nchanged++] = s;
}

static void unmark_changed(alloc_state *a, alloc_slave *s)
{
    if (!s->changed) return;
    alloc_slave *last = a->changed[--a->nchanged];
    a->changed[s->changed_index] = last;
    last->changed_index = s->changed_index;
    s->changed = false;
}

static void mark_all_changed(alloc_state *a)
{
    while (a->nchanged) unmark_changed(a, a->changed[a->nchanged - 1]);
    a->all_changed = true;
}

static alloc_framework *framework_lookup(const alloc_state *a, const char *id, const char *op)
{
    alloc_framework *fw = id ? act_map_get(a->frameworks, id) : NULL;
    if (!fw && op) LOG_WARNING("Ignoring %s of unknown framework %s", op, id ? id : "(null)");
    return fw;
}

static alloc_slave *slave_lookup(const alloc_state *a, const char *id, const char *op)
{
    alloc_slave *s = id ? act_map_get(a->slaves_by_id, id) : NULL;
    if (!s && op) LOG_WARNING("Ignoring %s of unknown slave %s", op, id ? id : "(null)");
    return s;
}

/* fw reports it holds r on slave s: adopt what s reported for it, then take r from s. */
static void framework_take_used(alloc_state *a, alloc_framework *fw, alloc_slave *s,
                                const res_set *r)
{
    holding *orphan = unowned_find(s, fw->id);
    if (orphan) holding_release(a, orphan, &orphan->res);
    if (!res_contains(&s->free, r)) {
        LOG_WARNING("Framework %s reports resources on slave %s that the slave does not have "
                    "free; not counted", fw->id, s->id);
        return;
    }
    res_subtract(&s->free, r);
    holding_add(a, fw, s, r);
}

void alloc_add_framework(alloc_state *a, const char *framework_id, const char *role,
                         const char *const *used_slaves, const res_set *used, size_t nused)
{
    if (!framework_id || framework_lookup(a, framework_id, NULL)) {
        LOG_WARNING("Ignoring the addition of framework %s: already added or no ID",
                    framework_id ? framework_id : "(null)");
        return;
    }
    alloc_framework *fw = act_calloc(1, sizeof *fw);
    fw->id = act_strdup(framework_id);
    fw->role = role_get(a, role && *role ? role : "*");
    fw->role->nframeworks++;
    fw->client = sorter_add(fw->role->frameworks, fw->id, 1.0, fw);
    fw->active = true;
    fw->serial = a->next_serial++;
    link_init(&fw->holdings);
    link_init(&fw->filters);
    act_map_put(a->frameworks, fw->id, fw);
    mark_all_changed(a);
    for (size_t i = 0; i < nused; i++) {
        alloc_slave *s = slave_lookup(a, used_slaves[i], NULL);
        if (s) framework_take_used(a, fw, s, &used[i]);
        else LOG_WARNING("Framework %s reports resources on unknown slave %s; not counted",
                         fw->id, used_slaves[i]);
    }
    LOG_INFO("Added framework %s in role '%s'", fw->id, fw->role->name);
}

void alloc_remove_framework(alloc_state *a, const char *framework_id)
{
    alloc_framework *fw = framework_lookup(a, framework_id, "removal");
    if (!fw) return;
    while (fw->holdings.next != &fw->holdings) {
        holding *h = CONTAINER_OF(fw->holdings.next, holding, by_fw);
        holding_release(a, h, &h->res);
    }
    framework_filters_clear(a, fw);
    alloc_role *role = fw->role;
    sorter_remove(role->frameworks, fw->client);
    act_map_remove(a->frameworks, fw->id);
    role->nframeworks--;
    role_put(a, role);
    LOG_INFO("Removed framework %s", framework_id);
    res_free(&fw->allocated);
    free(fw->id);
    free(fw);
}

static void framework_set_active(alloc_state *a, const char *framework_id, bool active)
{
    alloc_framework *fw = framework_lookup(a, framework_id,
                                           active ? "activation" : "deactivation");
    if (!fw) return;
    fw->active = active;
    if (active) mark_all_changed(a);
    framework_sync(fw);
    LOG_INFO("%s framework %s", active ? "Activated" : "Deactivated", fw->id);
}

void alloc_activate_framework(alloc_state *a, const char *framework_id)
{
    framework_set_active(a, framework_id, true);
}

void alloc_deactivate_framework(alloc_state *a, const char *framework_id)
{
    framework_set_active(a, framework_id, false);
}

void alloc_revive(alloc_state *a, const char *framework_id)
{
    alloc_framework *fw = framework_lookup(a, framework_id, "revive");
    if (!fw) return;
    framework_filters_clear(a, fw);
    fw->suppressed = false;
    mark_all_changed(a);
    framework_sync(fw);
    VLOG(1, "Removed all filters of framework %s (revive)", fw->id);
}

void alloc_suppress(alloc_state *a, const char *framework_id)
{
    alloc_framework *fw = framework_lookup(a, framework_id, "suppress");
    if (!fw) return;
    fw->suppressed = true;
    framework_sync(fw);
    VLOG(1, "Suppressed offers for framework %s", fw->id);
}

/* ---- slaves ------------------------------------------------------------------------------ */

static bool host_whitelisted(const alloc_state *a, const char *hostname)
{
    return !a->whitelist || act_map_get(a->whitelist, hostname ? hostname : "") != NULL;
}

static bool has_reservations(const res_set *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i].role, "*") != 0) return true;
    return false;
}

/* Every sorter's total follows the cluster total. */
static void cluster_total_change(alloc_state *a, const res_set *r, int sign)
{
    void (*change)(sorter *, const res_set *) = sign > 0 ? sorter_add_total : sorter_remove_total;
    if (sign > 0)
        res_add(&a->cluster_total, r);
    else
        res_subtract(&a->cluster_total, r);
    change(a->roles, r);
    alloc_role *role;
    for (size_t it = 0; act_map_next(a->roles_by_name, &it, NULL, (void **)&role);)
        change(role->frameworks, r);
}

/* What a framework held on the slave before it (re-)registered. */
static void slave_take_used(alloc_state *a, alloc_slave *s, const char *fw_id, const res_set *r)
{
    if (!res_contains(&s->free, r)) {
        LOG_WARNING("Slave %s reports resources used by framework %s beyond its total; "
                    "not counted", s->id, fw_id);
        return;
    }
    res_subtract(&s->free, r);
    alloc_framework *fw = framework_lookup(a, fw_id, NULL);
    if (fw) {
        holding_add(a, fw, s, r);
        return;
    }
    holding *h = unowned_find(s, fw_id);
    if (!h) h = holding_new(a, NULL, fw_id, s);
    res_add(&h->res, r);
}

static alloc_slave *slave_new(alloc_state *a, const char *slave_id, const char *hostname,
                              const res_set *total)
{
    alloc_slave *s = act_calloc(1, sizeof *s);
    s->id = act_strdup(slave_id);
    s->hostname = act_strdup(hostname ? hostname : "");
    res_copy(&s->total, total);
    res_copy(&s->free, total);
    s->active = true;
    s->whitelisted = host_whitelisted(a, s->hostname);
    s->has_reserved = has_reservations(total);
    s->serial = a->next_serial++;
    link_init(&s->holdings);
    link_init(&s->filters);
    if (a->nslaves == a->slaves_cap) {
        a->slaves_cap = a->slaves_cap ? 2 * a->slaves_cap : 64;
        a->slaves = act_realloc(a->slaves, a->slaves_cap * sizeof *a->slaves);
        a->order = act_realloc(a->order, a->slaves_cap * sizeof *a->order);
    }
    s->index = a->nslaves;
    a->slaves[a->nslaves++] = s;
    act_map_put(a->slaves_by_id, s->id, s);
    return s;
}

void alloc_add_slave(alloc_state *a, const char *slave_id, const char *hostname,
                     const res_set *total, const char *const *used_frameworks,
                     const res_set *used, size_t nused)
{
    if (!slave_id || !total || slave_lookup(a, slave_id, NULL)) {
        LOG_WARNING("Ignoring the addition of slave %s: already added, or no ID or resources",
                    slave_id ? slave_id : "(null)");
        return;
    }
    alloc_slave *s = slave_new(a, slave_id, hostname, total);
    mark_changed(a, s);
    cluster_total_change(a, total, 1);
    for (size_t i = 0; i < nused; i++) slave_take_used(a, s, used_frameworks[i], &used[i]);
    if (act_log_enabled(ACT_LOG_INFO)) {
        char *t = res_to_string(total), *f = res_to_string(&s->free);
        LOG_INFO("Added slave %s (%s) with %s (and %s available)", s->id, s->hostname, t, f);
        free(t);
        free(f);
    }
}

/* Frees a slave whose holdings and filters are gone. */
static void slave_free(alloc_slave *s)
{
    res_free(&s->total);
    res_free(&s->free);
    free(s->id);
    free(s->hostname);
    free(s);
}

void alloc_remove_slave(alloc_state *a, const char *slave_id)
{
    alloc_slave *s = slave_lookup(a, slave_id, "removal");
    if (!s) return;
    while (s->holdings.next != &s->holdings) {
        holding *h = CONTAINER_OF(s->holdings.next, holding, by_slave);
        if (h->fw) account(a, h->fw, &h->res, -1);
        holding_drop(a, h);
    }
    slave_filters_clear(a, s);
    unmark_changed(a, s);
    cluster_total_change(a, &s->total, -1);
    alloc_slave *last = a->slaves[--a->nslaves];
    a->slaves[s->index] = last;
    last->index = s->index;
    act_map_remove(a->slaves_by_id, s->id);
    LOG_INFO("Removed slave %s", s->id);
    slave_free(s);
}

static void slave_set_active(alloc_state *a, const char *slave_id, bool active)
{
    alloc_slave *s = slave_lookup(a, slave_id, active ? "activation" : "deactivation");
    if (!s) return;
    s->active = active;
    if (active) mark_changed(a, s);
    LOG_INFO("Slave %s %s", s->id, active ? "reactivated" : "deactivated");
}

void alloc_activate_slave(alloc_state *a, const char *slave_id)
{
    slave_set_active(a, slave_id, true);
}

void alloc_deactivate_slave(alloc_state *a, const char *slave_id)
{
    slave_set_active(a, slave_id, false);
}

static char whitelisted_marker;

void alloc_update_whitelist(alloc_state *a, const char *const *hostnames, size_t n)
{
    act_map_free(a->whitelist);
    a->whitelist = NULL;
    if (hostnames) {
        a->whitelist = act_map_new();
        for (size_t i = 0; i < n; i++) act_map_put(a->whitelist, hostnames[i], &whitelisted_marker);
    }
    for (size_t i = 0; i < a->nslaves; i++)
        a->slaves[i]->whitelisted = host_whitelisted(a, a->slaves[i]->hostname);
    mark_all_changed(a);
    LOG_INFO("Updated the slave whitelist: %s",
             a->whitelist ? "only listed hosts are offered" : "every host is offered");
}

/* ---- recover ----------------------------------------------------------------------------- */

/* Unknown framework: what its re-registered slave reported for it may come back. */
static void recover_unowned(alloc_state *a, alloc_slave *s, const char *fw_id,
                            const res_set *r)
{
    holding *h = unowned_find(s, fw_id);
    if (h && res_contains(&h->res, r))
        holding_release(a, h, r);
    else
        VLOG(1, "Nothing held by unknown framework %s on slave %s to recover", fw_id, s->id);
}

void alloc_recover(alloc_state *a, const char *framework_id, const char *slave_id,
                   const res_set *resources, double refuse_seconds, double now)
{
    alloc_slave *s = slave_lookup(a, slave_id, NULL);
    alloc_framework *fw = framework_lookup(a, framework_id, NULL);
    if (!s || res_empty(resources)) return;
    mark_changed(a, s);
    if (!fw) {
        recover_unowned(a, s, framework_id, resources);
        return;
    }
    holding *h = holding_find(a, fw, s);
    if (h && res_contains(&h->res, resources))
        holding_release(a, h, resources);
    else
        LOG_WARNING("Framework %s recovers resources on slave %s it does not hold; ignored",
                    fw->id, s->id);
    if (refuse_seconds > 0) {
        filter_add(a, fw, s, resources, now + refuse_seconds);
        VLOG(1, "Framework %s filtered slave %s for %.3f secs", fw->id, s->id, refuse_seconds);
    }
}

/* ---- the allocation cycle ---------------------------------------------------------------- */

typedef struct cycle {
    alloc_state *a;
    double now;
    alloc_offer_fn fn;
    void *ctx;
    size_t offers;
} cycle;

/* Worth offering: Mesos' MIN_CPUS / MIN_MEM, in thousandths. */
static bool allocatable(const res_set *r)
{
    return res_scalar_milli(r, "cpus") >= (int64_t)(ALLOC_MIN_CPUS * RES_SCALE + 0.5) ||
           res_scalar_milli(r, "mem") >= (int64_t)(ALLOC_MIN_MEM * RES_SCALE + 0.5);
}

static uint64_t rng_next(alloc_state *a)
{
    a->rng ^= a->rng >> 12;
    a->rng ^= a->rng << 25;
    a->rng ^= a->rng >> 27;
    return a->rng * 0x2545f4914f6cdd1dULL;
}

/* The slaves a cycle visits (active, whitelisted, something free; of `from`) in shuffled
 * order. */
static size_t collect_slaves(alloc_state *a, alloc_slave *const *from, size_t count)
{
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        alloc_slave *s = from[i];
        if (s->active && s->whitelisted && allocatable(&s->free)) a->order[n++] = s;
    }
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rng_next(a) % i);
        alloc_slave *t = a->order[i - 1];
        a->order[i - 1] = a->order[j];
        a->order[j] = t;
    }
    return n;
}

/* What frameworks of `role` may get on s: its free "*" resources plus those reserved for the
 * role. Points into scratch space valid until the next call. */
static const res_set *offerable(alloc_state *a, const alloc_slave *s, const alloc_role *role)
{
    if (!s->has_reserved) {
        res_copy(&a->offer, &s->free);
        return &a->offer;
    }
    res_filter_role(&s->free, "*", &a->offer);
    if (strcmp(role->name, "*") != 0) {
        res_filter_role(&s->free, role->name, &a->scratch);
        res_add(&a->offer, &a->scratch);
    }
    return &a->offer;
}

static void make_offer(cycle *cy, alloc_framework *fw, alloc_slave *s, const res_set *r)
{
    res_subtract(&s->free, r);
    holding_add(cy->a, fw, s, r);
    cy->offers++;
    if (act_vlog_enabled(2)) {
        char *text = res_to_string(r);
        VLOG(2, "Offering %s on slave %s to framework %s", text, s->id, fw->id);
        free(text);
    }
    if (cy->fn) cy->fn(cy->ctx, fw->id, s->id, r);
}

/* Offers s's resources for `role` to the role's first framework that does not filter them.
 * Everything the role could get goes in one offer, so one framework per role per slave. */
static void allocate_role(cycle *cy, alloc_slave *s, alloc_role *role)
{
    sorter_cursor cur = SORTER_CURSOR_INIT;
    sorter_client *c = sorter_next(role->frameworks, &cur);
    if (!c) return; /* no framework of the role wants offers */
    const res_set *r = offerable(cy->a, s, role);
    if (!allocatable(r)) return;
    for (; c; c = sorter_next(role->frameworks, &cur)) {
        alloc_framework *fw = sorter_client_data(c);
        if (is_filtered(cy->a, fw, s, r, cy->now)) continue;
        make_offer(cy, fw, s, r);
        return;
    }
}

/* Roles in order of weighted share; stops once nothing worth offering is left. A role whose
 * share grew moves on in the order: the stamp keeps it from being visited twice. */
static void allocate_slave(cycle *cy, alloc_slave *s)
{
    alloc_state *a = cy->a;
    a->stamp++;
    sorter_cursor cur = SORTER_CURSOR_INIT;
    for (sorter_client *c; allocatable(&s->free) && (c = sorter_next(a->roles, &cur));) {
        alloc_role *role = sorter_client_data(c);
        if (role->stamp == a->stamp) continue;
        role->stamp = a->stamp;
        allocate_role(cy, s, role);
    }
}

/* Allocates the slaves of `from` that can take offers; every change is then accounted for.
 * fn must not call back into the allocator: the cycle is walking its structures. */
static size_t run_on(alloc_state *a, alloc_slave *const *from, size_t count, double now,
                     alloc_offer_fn fn, void *ctx)
{
    cycle cy = {a, now, fn, ctx, 0};
    size_t n = sorter_count(a->roles) ? collect_slaves(a, from, count) : 0;
    while (a->nchanged) unmark_changed(a, a->changed[a->nchanged - 1]);
    a->all_changed = false;
    a->last_cycle_slaves = n;
    for (size_t i = 0; i < n; i++) allocate_slave(&cy, a->order[i]);
    return cy.offers;
}

size_t alloc_run(alloc_state *a, double now, alloc_offer_fn fn, void *ctx)
{
    return run_on(a, a->slaves, a->nslaves, now, fn, ctx);
}

size_t alloc_run_changed(alloc_state *a, double now, alloc_offer_fn fn, void *ctx)
{
    if (a->all_changed) return alloc_run(a, now, fn, ctx);
    return run_on(a, a->changed, a->nchanged, now, fn, ctx);
}

/* ---- introspection and teardown ---------------------------------------------------------- */

double alloc_framework_share(const alloc_state *a, const char *framework_id)
{
    const alloc_framework *fw = framework_lookup(a, framework_id, NULL);
    return fw ? sorter_share(fw->role->frameworks, fw->client) : 0.0;
}

double alloc_role_share(const alloc_state *a, const char *role)
{
    const alloc_role *r = role ? act_map_get(a->roles_by_name, role) : NULL;
    return r ? sorter_share(a->roles, r->client) : 0.0;
}

void alloc_framework_allocated(const alloc_state *a, const char *framework_id, res_set *out)
{
    const alloc_framework *fw = framework_lookup(a, framework_id, NULL);
    if (fw) res_copy(out, &fw->allocated);
    else res_clear(out);
}

void alloc_slave_available(const alloc_state *a, const char *slave_id, res_set *out)
{
    const alloc_slave *s = slave_lookup(a, slave_id, NULL);
    if (s) res_copy(out, &s->free);
    else res_clear(out);
}

void alloc_destroy(alloc_state *a)
{
    if (!a) return;
    for (size_t i = 0; i < a->nslaves; i++) {
        alloc_slave *s = a->slaves[i];
        while (s->holdings.next != &s->holdings)
            holding_drop(a, CONTAINER_OF(s->holdings.next, holding, by_slave));
        slave_filters_clear(a, s);
        slave_free(s);
    }
    alloc_framework *fw;
    for (size_t it = 0; act_map_next(a->frameworks, &it, NULL, (void **)&fw);) {
        res_free(&fw->allocated);
        free(fw->id);
        free(fw);
    }
    alloc_role *role;
    for (size_t it = 0; act_map_next(a->roles_by_name, &it, NULL, (void **)&role);)
        role_free(role);
    for (size_t i = 0; i < a->nweights; i++) free(a->weight_roles[i]);
    free(a->weight_roles);
    free(a->weights);
    act_map_free(a->frameworks);
    act_map_free(a->slaves_by_id);
    act_map_free(a->roles_by_name);
    act_map_free(a->whitelist);
    free(a->holdings.slots);
    free(a->filters.slots);
    free(a->slaves);
    free(a->order);
    free(a->changed);
    sorter_destroy(a->roles);
    res_free(&a->cluster_total);
    res_free(&a->offer);
    res_free(&a->scratch);
    free(a);
}

/* ---- events ------------------------------------------------------------------------------ */

static act_gauge *pending_gauge(void)
{
    return act_gauge_get("allocator/event_queue_dispatches");
}

alloc_event *alloc_event_new(alloc_event_kind kind, const char *framework_id,
                             const char *slave_id)
{
    alloc_event *ev = act_calloc(1, sizeof *ev);
    ev->kind = kind;
    ev->framework_id = framework_id ? act_strdup(framework_id) : NULL;
    ev->slave_id = slave_id ? act_strdup(slave_id) : NULL;
    ev->pending = pending_gauge();
    act_gauge_add(ev->pending, 1);
    return ev;
}

void alloc_event_add_used(alloc_event *ev, const char *id, const res_set *resources)
{
    ev->ids = act_realloc(ev->ids, (ev->nused + 1) * sizeof *ev->ids);
    ev->used = act_realloc(ev->used, (ev->nused + 1) * sizeof *ev->used);
    ev->ids[ev->nused] = act_strdup(id);
    memset(&ev->used[ev->nused], 0, sizeof ev->used[ev->nused]);
    if (resources) res_copy(&ev->used[ev->nused], resources);
    ev->nused++;
}

void alloc_event_free(void *p)
{
    for (alloc_event *ev = p, *next; ev; ev = next) {
        next = ev->next;
        for (size_t i = 0; i < ev->nused; i++) {
            free(ev->ids[i]);
            if (ev->used) res_free(&ev->used[i]);
        }
        free(ev->ids);
        free(ev->used);
        free(ev->framework_id);
        free(ev->slave_id);
        free(ev->role);
        free(ev->hostname);
        res_free(&ev->resources);
        act_gauge_add(ev->pending, -1);
        free(ev);
    }
}

/* Applies one event to the core. Returns true when it may have made resources offerable. */
static bool apply_event(alloc_state *a, const alloc_event *ev, double now)
{
    const char *const *ids = (const char *const *)ev->ids;
    switch (ev->kind) {
    case ALLOC_ADD_FRAMEWORK:
        alloc_add_framework(a, ev->framework_id, ev->role, ids, ev->used, ev->nused);
        return true;
    case ALLOC_REMOVE_FRAMEWORK: alloc_remove_framework(a, ev->framework_id); return false;
    case ALLOC_ACTIVATE_FRAMEWORK: alloc_activate_framework(a, ev->framework_id); return true;
    case ALLOC_DEACTIVATE_FRAMEWORK: alloc_deactivate_framework(a, ev->framework_id); return false;
    case ALLOC_ADD_SLAVE:
        alloc_add_slave(a, ev->slave_id, ev->hostname, &ev->resources, ids, ev->used, ev->nused);
        return true;
    case ALLOC_REMOVE_SLAVE: alloc_remove_slave(a, ev->slave_id); return false;
    case ALLOC_ACTIVATE_SLAVE: alloc_activate_slave(a, ev->slave_id); return true;
    case ALLOC_DEACTIVATE_SLAVE: alloc_deactivate_slave(a, ev->slave_id); return false;
    case ALLOC_UPDATE_WHITELIST: {
        static const char *const none[1];
        alloc_update_whitelist(a, ev->whitelist_all ? NULL : ids ? ids : none, ev->nused);
        return true;
    }
    case ALLOC_RECOVER:
        alloc_recover(a, ev->framework_id, ev->slave_id, &ev->resources, ev->refuse_seconds,
                      now);
        return true;
    case ALLOC_REVIVE: alloc_revive(a, ev->framework_id); return true;
    case ALLOC_SUPPRESS: alloc_suppress(a, ev->framework_id); return false;
    }
    LOG_WARNING("Ignoring allocator event of unknown kind %d", (int)ev->kind);
    return false;
}

void alloc_offers_free(void *p)
{
    alloc_offers *o = p;
    if (!o) return;
    for (size_t i = 0; i < o->n; i++) {
        free(o->v[i].framework_id);
        free(o->v[i].slave_id);
        res_free(&o->v[i].resources);
    }
    free(o->v);
    free(o);
}

/* ---- the actor --------------------------------------------------------------------------- */

typedef struct alloc_actor {
    alloc_state *core;     /* owned */
    act_pid master;
    double interval;
    bool soon;             /* a cycle is already scheduled for a coming turn */
    act_counter *runs;
    act_timing *run_ms;
} alloc_actor;

typedef struct batch {
    alloc_offers *offers;
    size_t cap;
} batch;

static void collect_offer(void *ctx, const char *framework_id, const char *slave_id,
                          const res_set *resources)
{
    batch *b = ctx;
    alloc_offers *o = b->offers;
    if (o->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 16;
        o->v = act_realloc(o->v, b->cap * sizeof *o->v);
    }
    alloc_offer *e = &o->v[o->n++];
    e->framework_id = act_strdup(framework_id);
    e->slave_id = act_strdup(slave_id);
    memset(&e->resources, 0, sizeof e->resources);
    res_copy(&e->resources, resources);
}

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* One cycle, over every slave or only those that changed; its offers go to the master in one
 * post. */
static void run_cycle(act_actor *self, alloc_actor *st, bool changed_only)
{
    batch b = {act_calloc(1, sizeof(alloc_offers)), 0};
    double start = mono_ms();
    size_t n = (changed_only ? alloc_run_changed : alloc_run)(st->core, act_now(), collect_offer,
                                                              &b);
    double ms = mono_ms() - start;
    act_counter_inc(st->runs);
    act_timing_record(st->run_ms, ms);
    VLOG(1, "Performed allocation for %zu slaves in %.3f ms: %zu offers",
         st->core->last_cycle_slaves, ms, n);
    if (b.offers->n == 0) {
        alloc_offers_free(b.offers);
        return;
    }
    int rc = act_post(self, &st->master, ALLOC_MSG_OFFERS, b.offers, alloc_offers_free);
    if (rc != 0) LOG_WARNING("Cannot post offers to the master: %s", act_strerror(rc));
}

static void soon_fired(act_actor *self, void *arg)
{
    alloc_actor *st = act_state(self);
    st->soon = false;
    run_cycle(self, st, true);
}

/* Many events in a row lead to one cycle, on a later turn of the loop. */
static void schedule_soon(act_actor *self, alloc_actor *st)
{
    if (st->soon) return;
    st->soon = true;
    act_delay(self, 0, soon_fired, NULL);
}

static void periodic_fired(act_actor *self, void *arg)
{
    alloc_actor *st = act_state(self);
    run_cycle(self, st, false);
    act_delay(self, st->interval, periodic_fired, NULL);
}

static void on_init(act_actor *self, void *arg)
{
    alloc_actor *st = act_state(self);
    act_delay(self, st->interval, periodic_fired, NULL);
}

static void on_terminate(act_actor *self, void *arg)
{
    alloc_actor *st = arg;
    alloc_destroy(st->core);
    free(st);
}

static void on_event(act_actor *self, const act_msg *msg)
{
    alloc_actor *st = act_state(self);
    const alloc_event *ev = msg->obj;
    if (!ev) {
        LOG_WARNING("Ignoring an alloc.event without an event object");
        return;
    }
    bool offerable = false;
    for (double now = act_now(); ev; ev = ev->next) offerable |= apply_event(st->core, ev, now);
    if (offerable) schedule_soon(self, st);
}

static void on_run(act_actor *self, const act_msg *msg)
{
    run_cycle(self, act_state(self), false);
}

/* The actor owns its state (freed by on_terminate). An empty pid means it could not be
 * spawned (the name is taken, or no such loop); the error is logged. */
act_pid alloc_spawn(const alloc_config *cfg, const act_pid *master, int loop)
{
    alloc_actor *st = act_calloc(1, sizeof *st);
    st->core = alloc_create(cfg);
    st->master = *master;
    st->interval = cfg && cfg->allocation_interval > 0 ? cfg->allocation_interval : 1.0;
    st->runs = act_counter_get("allocator/allocation_runs");
    st->run_ms = act_timing_get("allocator/allocation_run_ms");
    pending_gauge(); /* shown from the start */
    act_actor *a = act_new(ALLOC_ACTOR, st);
    act_on_local(a, ALLOC_MSG_EVENT, on_event);
    act_on_local(a, ALLOC_MSG_RUN, on_run);
    act_on_init(a, on_init, NULL);
    act_on_terminate(a, on_terminate, st);
    act_pid pid = act_self(a);
    int rc = act_spawn(a, loop);
    if (rc != 0) {
        LOG_ERROR("Cannot spawn the allocator on loop %d: %s", loop, act_strerror(rc));
        alloc_destroy(st->core);
        free(st);
        memset(&pid, 0, sizeof pid);
    }
    return pid;
}
