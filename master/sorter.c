/*
 * sorter.c - the DRF sorter (see sorter_int.h): clients with per-kind scalar allocations, the
 * cluster total per kind, and the active clients kept in an AA tree ordered by (share,
 * allocations, name). An allocation moves one client (remove, recompute, insert: O(log n)),
 * so an allocation cycle never re-sorts; only a change of the total rebuilds the tree, once,
 * the next time the order is walked.
 */
#include "master/sorter_int.h"

#include <string.h>

struct sorter_client {
    char *name;
    double weight;
    double share;          /* the key, as of the last insert */
    uint64_t allocations;  /* tie-break: offers made to this client */
    int64_t *alloc;        /* thousandths per kind; kinds past nalloc are zero */
    size_t nalloc;
    size_t index;          /* in sorter.clients */
    bool active;
    void *data;
    sorter_client *left, *right; /* the AA tree */
    int level;
};

struct sorter {
    char **kinds;          /* scalar resource names seen so far */
    int64_t *total;        /* thousandths per kind */
    size_t nkinds;
    sorter_client **clients;
    size_t nclients, cap;
    sorter_client *root;   /* active clients */
    bool dirty;            /* the total changed: shares and tree are stale */
};

/* ---- keys -------------------------------------------------------------------------------- */

static int key_cmp(double share, uint64_t allocations, const char *name, const sorter_client *c)
{
    if (share != c->share) return share < c->share ? -1 : 1;
    if (allocations != c->allocations) return allocations < c->allocations ? -1 : 1;
    return strcmp(name, c->name);
}

static bool client_less(const sorter_client *a, const sorter_client *b)
{
    return key_cmp(a->share, a->allocations, a->name, b) < 0;
}

static double compute_share(const sorter *s, const sorter_client *c)
{
    double share = 0;
    for (size_t k = 0; k < s->nkinds && k < c->nalloc; k++) {
        if (s->total[k] <= 0) continue;
        double x = (double)c->alloc[k] / (double)s->total[k];
        if (x > share) share = x;
    }
    return share / c->weight;
}

/* ---- the AA tree (levels: NULL is 0, leaves 1) -------------------------------------------- */

static int level(const sorter_client *t) { return t ? t->level : 0; }

static sorter_client *skew(sorter_client *t)
{
    if (t && t->left && t->left->level == t->level) {
        sorter_client *l = t->left;
        t->left = l->right;
        l->right = t;
        return l;
    }
    return t;
}

static sorter_client *split(sorter_client *t)
{
    if (t && t->right && t->right->right && t->right->right->level == t->level) {
        sorter_client *r = t->right;
        t->right = r->left;
        r->left = t;
        r->level++;
        return r;
    }
    return t;
}

static sorter_client *tree_insert(sorter_client *t, sorter_client *x)
{
    if (!t) {
        x->left = x->right = NULL;
        x->level = 1;
        return x;
    }
    if (client_less(x, t))
        t->left = tree_insert(t->left, x);
    else
        t->right = tree_insert(t->right, x);
    return split(skew(t));
}

static sorter_client *rebalance_after_delete(sorter_client *t)
{
    int should = (level(t->left) < level(t->right) ? level(t->left) : level(t->right)) + 1;
    if (should < t->level) {
        t->level = should;
        if (t->right && should < t->right->level) t->right->level = should;
    }
    t = skew(t);
    t->right = skew(t->right);
    if (t->right) t->right->right = skew(t->right->right);
    t = split(t);
    t->right = split(t->right);
    return t;
}

static sorter_client *tree_delete(sorter_client *t, sorter_client *x);

/* Puts `by` (a node of t's subtree, already unlinked from it) in t's place. */
static sorter_client *take_place(sorter_client *t, sorter_client *by)
{
    by->left = t->left;
    by->right = t->right;
    by->level = t->level;
    return by;
}

static sorter_client *tree_delete(sorter_client *t, sorter_client *x)
{
    if (!t) return NULL;
    if (t == x) {
        if (!t->left && !t->right) return NULL;
        sorter_client *by;
        if (!t->left) {
            for (by = t->right; by->left; by = by->left) {}
            t->right = tree_delete(t->right, by);
        } else {
            for (by = t->left; by->right; by = by->right) {}
            t->left = tree_delete(t->left, by);
        }
        t = take_place(t, by);
    } else if (client_less(x, t)) {
        t->left = tree_delete(t->left, x);
    } else {
        t->right = tree_delete(t->right, x);
    }
    return rebalance_after_delete(t);
}

/* ---- clients ----------------------------------------------------------------------------- */

sorter *sorter_create(void)
{
    return act_calloc(1, sizeof(sorter));
}

static void client_free(sorter_client *c)
{
    free(c->name);
    free(c->alloc);
    free(c);
}

void sorter_destroy(sorter *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nclients; i++) client_free(s->clients[i]);
    for (size_t k = 0; k < s->nkinds; k++) free(s->kinds[k]);
    free(s->kinds);
    free(s->total);
    free(s->clients);
    free(s);
}

sorter_client *sorter_add(sorter *s, const char *name, double weight, void *data)
{
    sorter_client *c = act_calloc(1, sizeof *c);
    c->name = act_strdup(name);
    c->weight = weight > 0 ? weight : 1.0;
    c->data = data;
    if (s->nclients == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->clients = act_realloc(s->clients, s->cap * sizeof *s->clients);
    }
    c->index = s->nclients;
    s->clients[s->nclients++] = c;
    sorter_activate(s, c);
    return c;
}

void sorter_remove(sorter *s, sorter_client *c)
{
    sorter_deactivate(s, c);
    sorter_client *last = s->clients[--s->nclients];
    s->clients[c->index] = last;
    last->index = c->index;
    client_free(c);
}

void sorter_activate(sorter *s, sorter_client *c)
{
    if (c->active) return;
    c->share = compute_share(s, c);
    c->active = true;
    if (!s->dirty) s->root = tree_insert(s->root, c);
}

void sorter_deactivate(sorter *s, sorter_client *c)
{
    if (!c->active) return;
    if (!s->dirty) s->root = tree_delete(s->root, c);
    c->active = false;
}

/* ---- allocations and the total ----------------------------------------------------------- */

/* The index of scalar kind `name`, added (with total 0) when new. */
static size_t kind_index(sorter *s, const char *name)
{
    for (size_t k = 0; k < s->nkinds; k++)
        if (strcmp(s->kinds[k], name) == 0) return k;
    s->kinds = act_realloc(s->kinds, (s->nkinds + 1) * sizeof *s->kinds);
    s->total = act_realloc(s->total, (s->nkinds + 1) * sizeof *s->total);
    s->kinds[s->nkinds] = act_strdup(name);
    s->total[s->nkinds] = 0;
    return s->nkinds++;
}

static void client_add_scalars(sorter *s, sorter_client *c, const res_set *r, int sign)
{
    for (size_t i = 0; i < r->n; i++) {
        const res_entry *e = &r->v[i];
        if (e->type != WIRE_VALUE_SCALAR) continue;
        size_t k = kind_index(s, e->name);
        if (k >= c->nalloc) {
            c->alloc = act_realloc(c->alloc, s->nkinds * sizeof *c->alloc);
            memset(c->alloc + c->nalloc, 0, (s->nkinds - c->nalloc) * sizeof *c->alloc);
            c->nalloc = s->nkinds;
        }
        c->alloc[k] += sign * e->scalar;
    }
}

/* Applies a change to c's allocation and moves c to its new place in the order. */
static void client_change(sorter *s, sorter_client *c, const res_set *r, int sign)
{
    bool placed = c->active && !s->dirty;
    if (placed) s->root = tree_delete(s->root, c);
    client_add_scalars(s, c, r, sign);
    if (sign > 0) c->allocations++;
    c->share = compute_share(s, c);
    if (placed) s->root = tree_insert(s->root, c);
}

void sorter_allocated(sorter *s, sorter_client *c, const res_set *r)
{
    client_change(s, c, r, 1);
}

void sorter_unallocated(sorter *s, sorter_client *c, const res_set *r)
{
    client_change(s, c, r, -1);
}

static void total_change(sorter *s, const res_set *r, int sign)
{
    for (size_t i = 0; i < r->n; i++) {
        const res_entry *e = &r->v[i];
        if (e->type != WIRE_VALUE_SCALAR) continue;
        size_t k = kind_index(s, e->name); /* may move s->total */
        s->total[k] += sign * e->scalar;
    }
    s->dirty = true;
}

void sorter_add_total(sorter *s, const res_set *r)
{
    total_change(s, r, 1);
}

void sorter_remove_total(sorter *s, const res_set *r)
{
    total_change(s, r, -1);
}

/* Recomputes every share and rebuilds the order: O(n log n), once per change of the total. */
static void rebuild(sorter *s)
{
    s->root = NULL;
    for (size_t i = 0; i < s->nclients; i++) {
        sorter_client *c = s->clients[i];
        c->share = compute_share(s, c);
        if (c->active) s->root = tree_insert(s->root, c);
    }
    s->dirty = false;
}

/* ---- walking the order ------------------------------------------------------------------- */

sorter_client *sorter_next(sorter *s, sorter_cursor *cur)
{
    if (s->dirty) rebuild(s);
    sorter_client *best = NULL;
    for (sorter_client *t = s->root; t;) {
        if (!cur->started || key_cmp(cur->share, cur->allocations, cur->name, t) < 0) {
            best = t;
            t = t->left;
        } else {
            t = t->right;
        }
    }
    if (best) {
        cur->started = true;
        cur->share = best->share;
        cur->allocations = best->allocations;
        cur->name = best->name;
    }
    return best;
}

double sorter_share(const sorter *s, const sorter_client *c)
{
    return compute_share(s, c);
}

void *sorter_client_data(const sorter_client *c)
{
    return c->data;
}

const char *sorter_client_name(const sorter_client *c)
{
    return c->name;
}

size_t sorter_count(const sorter *s)
{
    return s->nclients;
}
