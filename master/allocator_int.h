/*
 * allocator_int.h - the contract between the master and its allocator (SPEC section 4).
 *
 * Two layers. The core (alloc_*) is a plain data structure with no actors and no clock of its
 * own: hierarchical DRF over roles (weighted) then frameworks, static reservations, refuse
 * filters, suppress/revive, and one allocation cycle that yields (framework, slave, resources)
 * decisions. It is what the unit tests and the benchmark drive. The actor ("allocator",
 * normally on loop 1 so a long cycle never stalls the master) wraps the core: the master posts
 * it alloc_event objects (act_post, no encoding) and receives "alloc.offers" back; it runs a
 * cycle every allocation_interval and, batched, soon after events that free or add resources
 * (then only over the slaves those events concern: alloc_run_changed).
 *
 * IDs are the master's strings (framework and slave IDs). Resources are wire's res_set.
 */
#ifndef MASTER_ALLOCATOR_INT_H
#define MASTER_ALLOCATOR_INT_H

#include "actor/actor.h"
#include "wire/wire.h"

/* ---- the core ---------------------------------------------------------------------------- */

typedef struct alloc_state alloc_state;

/* The smallest offer worth making (Mesos' MIN_CPUS / MIN_MEM): an offer must carry at least
 * this many cpus or this much memory (MB). */
#define ALLOC_MIN_CPUS 0.01
#define ALLOC_MIN_MEM 32.0

typedef struct alloc_config {
    double allocation_interval; /* seconds between periodic cycles (actor only) */
    /* --weights: role -> weight (default 1 for roles not listed). Copied. */
    const char *const *weight_roles;
    const double *weights;
    size_t nweights;
} alloc_config;

/* A new, empty allocator. Never NULL. */
alloc_state *alloc_create(const alloc_config *cfg);
void alloc_destroy(alloc_state *a);

/* Frameworks. `used` is what the framework already holds on each slave (tasks and executors,
 * known at re-registration), as parallel arrays of slave IDs and resource sets (may be 0).
 * A new framework is active and not suppressed. Adding a known ID, or removing/changing an
 * unknown one, is logged and ignored. */
void alloc_add_framework(alloc_state *a, const char *framework_id, const char *role,
                         const char *const *used_slaves, const res_set *used, size_t nused);
/* Forgets the framework, its filters and what it held (the master recovers its resources on
 * each slave with alloc_recover first, or not at all when the slave is gone too). */
void alloc_remove_framework(alloc_state *a, const char *framework_id);
/* Inactive frameworks get no offers (disconnected, failing over). */
void alloc_activate_framework(alloc_state *a, const char *framework_id);
void alloc_deactivate_framework(alloc_state *a, const char *framework_id);

/* Slaves. `total` is everything the slave has; `used` what frameworks hold there already
 * (parallel arrays of framework IDs and sets). A new slave is active. */
void alloc_add_slave(alloc_state *a, const char *slave_id, const char *hostname,
                     const res_set *total, const char *const *used_frameworks,
                     const res_set *used, size_t nused);
/* Forgets the slave and everything allocated there (frameworks' shares drop accordingly). */
void alloc_remove_slave(alloc_state *a, const char *slave_id);
/* Inactive slaves (disconnected) are not offered. */
void alloc_activate_slave(alloc_state *a, const char *slave_id);
void alloc_deactivate_slave(alloc_state *a, const char *slave_id);

/* --whitelist: only these hostnames are offered (none when n is 0); NULL: every host.
 * Copied. */
void alloc_update_whitelist(alloc_state *a, const char *const *hostnames, size_t n);

/* Resources the framework held on the slave come back (declined or unused offer resources,
 * ended tasks and executors). With refuse_seconds > 0 the framework is not offered resources
 * on that slave that are contained in `resources` until now + refuse_seconds. Unknown slave:
 * nothing happens. Unknown framework: only what the slave reported it using (alloc_add_slave's
 * `used`) can return; anything else was already returned by alloc_remove_framework. */
void alloc_recover(alloc_state *a, const char *framework_id, const char *slave_id,
                   const res_set *resources, double refuse_seconds, double now);

/* revive clears the framework's filters and ends suppression; suppress stops its offers. */
void alloc_revive(alloc_state *a, const char *framework_id);
void alloc_suppress(alloc_state *a, const char *framework_id);

/* One decision of a cycle: offer `resources` of slave_id to framework_id. The strings and the
 * set are valid during the callback only; the allocator already counts them as allocated.
 * The callback must not call into the allocator (the cycle is still walking its state). */
typedef void (*alloc_offer_fn)(void *ctx, const char *framework_id, const char *slave_id,
                               const res_set *resources);

/* Runs one allocation cycle at time `now` (filters whose time has passed no longer apply):
 * every active, whitelisted slave's free resources go, slave by slave, to roles in order of
 * weighted dominant share and to frameworks within a role in order of dominant share;
 * reserved resources only to their role, "*" to everyone; filtered, suppressed and inactive
 * frameworks are skipped; offers below ALLOC_MIN_CPUS/ALLOC_MIN_MEM are not made. Returns the
 * number of offers made (calls to fn). */
size_t alloc_run(alloc_state *a, double now, alloc_offer_fn fn, void *ctx);

/* alloc_run on only the slaves whose resources may have become offerable since the last
 * cycle (added, reactivated, resources recovered), or on every slave after an event that
 * concerns them all (a framework added, activated or revived, the whitelist changed): what
 * Mesos' allocator does for such events between its periodic cycles, so that a task ending
 * on one of 50,000 slaves does not cost a walk over all of them. */
size_t alloc_run_changed(alloc_state *a, double now, alloc_offer_fn fn, void *ctx);

/* Introspection for tests and /master/roles.json. */
double alloc_framework_share(const alloc_state *a, const char *framework_id); /* dominant */
double alloc_role_share(const alloc_state *a, const char *role); /* weighted dominant */
/* Copies what the framework holds in total (allocated, offered or used) into *out. */
void alloc_framework_allocated(const alloc_state *a, const char *framework_id, res_set *out);
/* Free (unallocated) resources of a slave into *out. */
void alloc_slave_available(const alloc_state *a, const char *slave_id, res_set *out);

/* ---- the actor --------------------------------------------------------------------------- */

#define ALLOC_ACTOR "allocator"

typedef enum alloc_event_kind {
    ALLOC_ADD_FRAMEWORK,
    ALLOC_REMOVE_FRAMEWORK,
    ALLOC_ACTIVATE_FRAMEWORK,
    ALLOC_DEACTIVATE_FRAMEWORK,
    ALLOC_ADD_SLAVE,
    ALLOC_REMOVE_SLAVE,
    ALLOC_ACTIVATE_SLAVE,
    ALLOC_DEACTIVATE_SLAVE,
    ALLOC_UPDATE_WHITELIST,
    ALLOC_RECOVER,
    ALLOC_REVIVE,
    ALLOC_SUPPRESS,
} alloc_event_kind;

/* What the master posts (message name "alloc.event"; build with alloc_event_new, post with
 * act_post(master, &allocator_pid, "alloc.event", ev, alloc_event_free)). Fields are used as
 * the matching alloc_* call's arguments. One post may carry a chain of events (next). */
typedef struct alloc_event {
    alloc_event_kind kind;
    char *framework_id;
    char *slave_id;
    char *role;               /* ADD_FRAMEWORK */
    char *hostname;           /* ADD_SLAVE */
    res_set resources;        /* ADD_SLAVE: total; RECOVER: the resources */
    char **ids;               /* ADD_*: the other side of `used`; UPDATE_WHITELIST: hostnames */
    res_set *used;
    size_t nused;             /* entries of ids/used (whitelist: hostnames; 0 = all hosts) */
    bool whitelist_all;       /* UPDATE_WHITELIST: no whitelist */
    double refuse_seconds;    /* RECOVER */
    act_gauge *pending;       /* allocator/event_queue_dispatches, counted down when freed */
    struct alloc_event *next; /* events posted together, applied in order (owned: freed with
                                 this one) */
} alloc_event;

/* A zeroed event of this kind with copies of the given IDs (NULL allowed). Never NULL. */
alloc_event *alloc_event_new(alloc_event_kind kind, const char *framework_id,
                             const char *slave_id);
/* Appends one (id, resources) pair to ev->ids/ev->used (copies both). */
void alloc_event_add_used(alloc_event *ev, const char *id, const res_set *resources);
void alloc_event_free(void *ev);

/* What the allocator posts to the master (message name "alloc.offers") after each cycle that
 * made offers: one entry per (framework, slave). The master owns it (free with
 * alloc_offers_free after handling, or let act_post's free_obj do it). */
typedef struct alloc_offer {
    char *framework_id;
    char *slave_id;
    res_set resources;
} alloc_offer;

typedef struct alloc_offers {
    alloc_offer *v;
    size_t n;
} alloc_offers;

void alloc_offers_free(void *offers);

/* Spawns the allocator actor on `loop`, posting "alloc.offers" to `master`. Its metrics:
 * allocator/allocation_runs (counter), allocator/allocation_run_ms (timing),
 * allocator/event_queue_dispatches (gauge of pending events). Returns its pid, or an empty
 * pid (error logged) if it cannot be spawned. */
act_pid alloc_spawn(const alloc_config *cfg, const act_pid *master, int loop);

/* Ask for a cycle now (tests; the master posts "alloc.event"s and the allocator schedules
 * cycles itself): message "alloc.run" with no body. */
#define ALLOC_MSG_RUN "alloc.run"
#define ALLOC_MSG_EVENT "alloc.event"
#define ALLOC_MSG_OFFERS "alloc.offers"

#endif /* MASTER_ALLOCATOR_INT_H */
