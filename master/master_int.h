/*
 * master_int.h - the master's state and the functions its files share. The master actor
 * ("master") owns frameworks, slaves, tasks, executors and offers; the allocator
 * (allocator_int.h) decides what to offer and the registrar (registrar.c) makes slave
 * admission durable. Everything here runs on the master's loop; nothing is locked.
 *
 * Ownership: a slave owns its tasks and executors (tasks outlive their framework's
 * registration after a master failover); a framework's task map only refers to them. The
 * master owns frameworks, slaves and offers.
 */
#ifndef MASTER_MASTER_INT_H
#define MASTER_MASTER_INT_H

#include "actor/actor.h"
#include "master/allocator_int.h"
#include "master/auth.h"
#include "master/zk_int.h"
#include "wire/wire.h"

#define MASTER_ACTOR "master"
#define REGISTRAR_ACTOR "registrar"
#define CONTENDER_ACTOR "contender"
#define MASTER_VERSION WIRE_VERSION

typedef struct master_config {
    const char *work_dir;        /* the registry file lives here unless registry_in_memory */
    bool registry_in_memory;
    const char *zk;              /* --zk URL (zk://...): contend for leadership; NULL: lead */
    double zk_session_timeout;
    int quorum;                  /* --quorum, checked against the ensemble; 0 = not given */
    double registry_store_timeout, registry_fetch_timeout;
    /* The master cannot go on (lost leadership, registry failure): called once on the
     * master's loop after logging why; NULL: act_stop(). The daemon exits non-zero. */
    void (*abort)(const char *why);
    const char *cluster;
    const char *hostname;        /* NULL: the advertised IP */
    char **roles;                /* --roles whitelist; nroles 0 = any role */
    size_t nroles;
    char **weight_roles;         /* --weights */
    double *weights;
    size_t nweights;
    double allocation_interval;
    double offer_timeout;        /* 0: offers are never rescinded for age */
    double slave_ping_timeout;
    int max_slave_ping_timeouts;
    double slave_reregister_timeout;
    double recovery_slave_removal_limit; /* fraction 0..1 */
    double slave_removal_interval; /* --slave_removal_rate_limit N/D: D/N seconds between
                                      removals for failed health checks; 0 = at once */
    bool root_submissions;       /* frameworks may run as user root */
    size_t max_completed_frameworks;
    size_t max_completed_tasks_per_framework;
    int allocator_loop;          /* loop for the allocator and registrar */
    const act_flags *flags;      /* borrowed, for /master/flags and state.json; may be NULL */
    const auth_credentials *credentials; /* --credentials, borrowed (outlives the master);
                                            NULL: every authentication fails */
    bool authenticate_frameworks; /* --authenticate: only authenticated frameworks register */
    bool authenticate_slaves;     /* --authenticate_slaves */
    const wire_acls *acls;        /* --acls, borrowed (outlives the master); NULL: no
                                     authorization, everything is allowed */
    const char *whitelist;        /* --whitelist: a file of the slave hostnames to offer,
                                     watched for changes; NULL: every slave is offered */
    const wire_rate_limits *rate_limits; /* --rate_limits, borrowed (outlives the master),
                                     checked with m_rate_limits_check; NULL: none */
    const char *log_dir;         /* for state.json and /master/log */
    const char *external_log_file; /* the same */
    const char *webui_dir;       /* the web UI's files (index.html, static/); NULL: none */
} master_config;

/* Fills every field with the Mesos defaults (registry in memory, no work_dir). */
void master_config_default(master_config *c);

typedef struct m_task {
    wire_msg *msg;          /* a wire_task: the master's record, with its statuses */
    wire_task *t;
    res_set resources;      /* the task's own resources */
    char framework_id[WIRE_ID_MAX];
    char slave_id[WIRE_ID_MAX];
    char key[WIRE_KEY_MAX]; /* "<framework-id>/<task-id>" (wire_id_key) */
    bool has_uuid;          /* the latest update applied, for duplicate detection */
    wire_uuid uuid;
    bool terminal;          /* a terminal update was applied; released on its ack */
    wire_uuid terminal_uuid;
    bool terminal_uuid_unknown; /* reported terminal at re-registration: the slave's resent
                                   terminal update names the UUID to await */
    wire_msg *held_update;  /* the latest update its framework was not connected to get
                               (a wire_status_update_message), forwarded when it is */
    act_blob *json;         /* its state.json model until it changes; NULL: not made yet */
} m_task;

/* A finished task as its framework keeps it (a wire_task, and its JSON once made). */
typedef struct m_done {
    wire_msg *task;
    act_blob *json;
} m_done;

typedef struct m_executor {
    wire_msg *msg;          /* a wire_executor_info */
    wire_executor_info *info;
    res_set resources;
    char framework_id[WIRE_ID_MAX];
} m_executor;

typedef struct m_offer {
    char id[WIRE_ID_MAX];
    char framework_id[WIRE_ID_MAX];
    char slave_id[WIRE_ID_MAX];
    res_set resources;
    act_timer_id timeout;
} m_offer;

typedef struct m_framework {
    char id[WIRE_ID_MAX];
    wire_msg *info_msg;     /* a wire_framework_info, id filled in */
    wire_framework_info *info;
    act_pid pid;
    char *authenticated_as; /* with --authenticate: the principal its scheduler proved when it
                               registered (owned); only that principal may take it over */
    bool connected, active;
    double registered_time, reregistered_time, unregistered_time;
    act_map *tasks;         /* task id -> m_task (owned by the slave) */
    res_set used, offered;
    act_timer_id failover_timer;
    m_done *completed;      /* ring of finished tasks */
    size_t ncompleted, completed_next;
    act_map *offers;        /* its outstanding offers: offer id -> m_offer (m->offers owns) */
    /* What state.json shows of it, kept until it changes (state.c; NULL: not made yet): the
     * elements of its "tasks" and "completed_tasks" arrays, and its whole model. */
    act_blob *tasks_json, *completed_json;
    act_pieces *json;
} m_framework;

typedef struct m_slave {
    char id[WIRE_ID_MAX];
    wire_msg *info_msg;     /* a wire_slave_info, id filled in */
    wire_slave_info *info;
    act_pid pid;
    bool connected, active;
    double registered_time, reregistered_time;
    res_set total, used, offered;
    act_map *tasks;         /* "<framework-id>/<task-id>" -> m_task (owned) */
    act_map *executors;     /* "<framework-id>/<executor-id>" -> m_executor (owned) */
    int missed_pings;
    bool pong_received;
    bool removal_scheduled; /* failed its health checks; waits in m->removals */
    act_timer_id ping_timer, reregister_timer;
    act_blob *json;         /* its state.json model until it changes; NULL: not made yet */
} m_slave;

/* The counters Mesos 0.22 registers at start-up (src/master/metrics.cpp), each
 * master/<name>: registered at 0 by m_metrics_init and counted through m_count (the
 * messages_* of handled messages are registered by m_handle). */
#define M_COUNTERS(X) \
    X(DROPPED_MESSAGES, "master/dropped_messages") \
    X(TASKS_FINISHED, "master/tasks_finished") \
    X(TASKS_FAILED, "master/tasks_failed") \
    X(TASKS_KILLED, "master/tasks_killed") \
    X(TASKS_LOST, "master/tasks_lost") \
    X(TASKS_ERROR, "master/tasks_error") \
    X(MESSAGES_DECLINE_OFFERS, "master/messages_decline_offers") \
    X(MESSAGES_LAUNCH_TASKS, "master/messages_launch_tasks") \
    X(MESSAGES_AUTHENTICATE, "master/messages_authenticate") \
    X(VALID_FRAMEWORK_TO_EXECUTOR_MESSAGES, "master/valid_framework_to_executor_messages") \
    X(INVALID_FRAMEWORK_TO_EXECUTOR_MESSAGES, "master/invalid_framework_to_executor_messages") \
    X(VALID_STATUS_UPDATES, "master/valid_status_updates") \
    X(INVALID_STATUS_UPDATES, "master/invalid_status_updates") \
    X(VALID_STATUS_UPDATE_ACKNOWLEDGEMENTS, "master/valid_status_update_acknowledgements") \
    X(INVALID_STATUS_UPDATE_ACKNOWLEDGEMENTS, "master/invalid_status_update_acknowledgements") \
    X(RECOVERY_SLAVE_REMOVALS, "master/recovery_slave_removals") \
    X(SLAVE_REGISTRATIONS, "master/slave_registrations") \
    X(SLAVE_REREGISTRATIONS, "master/slave_reregistrations") \
    X(SLAVE_REMOVALS, "master/slave_removals") \
    X(SLAVE_SHUTDOWNS_SCHEDULED, "master/slave_shutdowns_scheduled") \
    X(SLAVE_SHUTDOWNS_CANCELED, "master/slave_shutdowns_canceled")

typedef enum m_counter {
#define M_COUNTER_ENUM(id, name) M_##id,
    M_COUNTERS(M_COUNTER_ENUM)
#undef M_COUNTER_ENUM
    M_NCOUNTERS
} m_counter;

typedef struct m_limiter m_limiter;
#define M_TASK_STATES 8 /* wire_task_state values are 0..7 */

typedef struct master {
    act_actor *self;
    act_pid pid, allocator, registrar;
    master_config cfg;
    char id[WIRE_ID_MAX];
    wire_msg *info_msg;     /* a wire_master_info */
    wire_master_info *info;
    double start_time, elected_time;
    bool elected;           /* this master leads (standalone: at once) */
    bool aborted;           /* gave up (m_abort): nothing is handled any more */
    bool recovering;        /* elected, reading the registry */
    bool recovered;         /* the registry was read; until then messages are held */
    act_pid contender, detector;
    act_pid files;          /* serves the /files endpoints, this master's log as /master/log */
    wire_msg *leader;       /* the leading master's wire_master_info, as detected */
    char *candidacy;        /* our contender's znode (fences registry writes) */
    struct m_held *held;    /* messages that arrived while recovering, replayed after */
    size_t nheld, held_cap, held_bytes;
    act_map *frameworks;    /* id -> m_framework */
    m_framework **completed_frameworks; /* ring */
    size_t ncompleted_frameworks, completed_frameworks_next;
    act_map *slaves;        /* id -> m_slave */
    act_map *slaves_by_pid; /* pid text -> m_slave (pongs and exits find slaves by pid) */
    act_map *registering;   /* slave pid text -> (void *)1 while admission is pending */
    act_map *recovered_slaves; /* from the registry, awaiting re-registration: id -> wire_msg */
    act_map *removed_slaves;   /* ids removed this run: id -> (void *)1 */
    act_map *offers;        /* id -> m_offer */
    uint64_t next_framework, next_slave, next_offer, next_token;
    act_map *pending_ops;   /* registrar token -> pending operation (registrar.c) */
    act_timer_id recovery_timer;
    act_map *authenticated; /* pid text -> principal (owned): pids that authenticated */
    act_map *auth_sessions; /* authenticatee pid text -> session (authenticator.c) */
    uint64_t whitelist_sig; /* the version of the --whitelist file last read (whitelist.c) */
    act_map *frameworks_by_pid; /* scheduler pid text -> m_framework (registered ones) */
    act_map *principals;    /* principal -> its frameworks' message counters (ratelimit.c) */
    act_map *limiters;      /* principal -> m_limiter, or a marker for "not limited" */
    struct m_limiter *default_limiter; /* aggregate_default_qps: every other framework */
    act_map *removals;      /* slave id -> m_slave: health check failed, removal rate-limited */
    act_map *orphans;       /* task key -> m_task: tasks whose framework is not registered
                               (after a failover, until it re-registers) */
    act_timer_id removal_timer;
    double last_removal;    /* when the rate limiter last let a removal through */
    uint64_t task_states[M_TASK_STATES]; /* task state changes by state (staged_tasks ...) */
    uint64_t live_tasks[M_TASK_STATES];  /* the tasks the master holds, by current state */
    int64_t res_total[3], res_used[3];   /* thousandths of cpus, mem, disk on the slaves */
    struct m_state_req *state_reqs; /* state.json requests in progress (state.c) */
    act_counter *counters[M_NCOUNTERS]; /* m_counter -> its registered counter */
    /* Recover events of removed tasks not posted yet (m_alloc_recover): a chain, posted as
     * one message before any other allocator event, when M_RECOVER_BATCH wait or when the
     * master has handled what was queued when the first came. */
    alloc_event *recovers, **recovers_tail;
    size_t nrecovers;
    bool recovers_flush_queued;
} master;

/* ---- master.c ---------------------------------------------------------------------------- */

/* A message kept to be handled later (while the registry is recovered, or while its framework
 * waits for its rate limit): a copy of everything the handler sees. */
typedef struct m_held {
    act_pid from;
    char *name;
    uint8_t *body;
    size_t len;
    char *content_type;  /* NULL for msgpack; a protobuf peer's body stays protobuf */
    bool libprocess;
    double at;           /* when it arrived (runtime clock) */
} m_held;

void m_held_copy(m_held *h, const act_msg *msg);
/* The message to hand to a handler (valid while h lives). */
act_msg m_held_msg(const m_held *h, bool *taken);
void m_held_free(m_held *h);
/* Decodes and handles a message now (counted in master/messages_<name> and, for a framework
 * with a principal, frameworks/<principal>/messages_processed). */
void m_dispatch(master *m, const act_msg *msg);
/* A linked pid went away (its connection broke), in the order of its framework's messages. */
void m_exited(master *m, const act_pid *pid);

/* Spawns the registrar, the allocator and the master (on loop 0) with this configuration
 * (copied). Returns 0 and the master's pid, or a negative code (work_dir unusable ...). */
int master_spawn(const master_config *cfg, act_pid *out);

/* A handler of one decoded message type (master.c decodes and guards). */
typedef void (*m_handler_fn)(master *m, const act_msg *msg, void *decoded);
/* Handles messages of type desc (named as the type), counted in master/messages_<name>. */
void m_handle(act_actor *a, const wire_desc *desc, m_handler_fn fn);
/* The same, for a handler that counts the message itself (launches and declines share one
 * message type but not one counter). */
void m_handle_counted_by_handler(act_actor *a, const wire_desc *desc, m_handler_fn fn);

/* Encodes `msg` (a `desc` struct) and sends it from the master. */
void m_send(master *m, const act_pid *to, const wire_desc *desc, const void *msg);
/* Passes a received message on as it came (wire_forward); decoded is its decoded form. */
void m_forward(master *m, const act_pid *to, const wire_desc *desc, const act_msg *msg,
               const void *decoded);
/* Posts an allocator event (takes ownership of ev), after the recovers waiting. */
void m_alloc(master *m, alloc_event *ev);
/* The same for the recover of a removed task's resources, which may wait to go with others
 * (one message instead of one per task; the allocator applies them in order). */
void m_alloc_recover(master *m, alloc_event *ev);
/* Adds one to a counter of M_COUNTERS (registered by m_metrics_init). */
void m_count(master *m, m_counter c);
/* Drops a message: counted in master/dropped_messages and logged. */
void m_drop(master *m, const act_msg *msg, const char *why);
/* Gives up for good (lost leadership, a registry failure): logs why, handles nothing more and
 * calls cfg.abort. Mesos exits here ("committing suicide") so a supervisor restarts it. */
void m_abort(master *m, const char *why);
/* Handles the messages held while the registry was being recovered, in arrival order. */
void m_replay_held(master *m);

/* ---- election.c: contending and detecting the leader with --zk --------------------------- */

/* Starts the contender and the master's detector (cfg.zk), or leads at once without. */
void m_election_start(master *m);
void m_election_handlers(act_actor *a);
/* The leading master as this master knows it (itself when elected), or NULL. */
const wire_master_info *m_leader(const master *m);

/* ---- contender.c ------------------------------------------------------------------------- */

#define CONTENDER_MSG "contender.event"

/* What the contender posts to the master. */
typedef struct contender_event {
    char *node;  /* the candidacy started: our znode's path; else NULL */
    char *lost;  /* the candidacy ended, why; else NULL */
    bool fatal;  /* it cannot contend again (credentials refused, no access to the path) */
} contender_event;

void contender_event_free(void *e);
/* Spawns "contender(N)", which puts `data` (MasterInfo JSON) in an ephemeral sequential znode
 * <url.path>/json.info_ and posts CONTENDER_MSG to owner when it has it and when it is lost. */
act_pid contender_spawn(const zk_url *url, double session_timeout, const char *data,
                        const act_pid *owner, int loop);

/* ---- frameworks.c ------------------------------------------------------------------------ */
void m_framework_handlers(act_actor *a);
m_framework *m_framework_find(master *m, const char *id);
/* The framework `id` if msg came from its scheduler (exactly its pid); otherwise the message
 * is dropped (counted, logged, and in runtime/refused_messages when another pid sent it) and
 * NULL is returned. Every message a scheduler sends about its framework goes through here. */
m_framework *m_framework_from_scheduler(master *m, const act_msg *msg, const char *id);
/* The framework whose scheduler is `pid`, or NULL. */
m_framework *m_framework_by_pid(master *m, const act_pid *pid);
void m_framework_exited(master *m, const act_pid *pid);
void m_frameworks_free(master *m);
/* Sends an error to a framework's scheduler. */
void m_framework_error(master *m, const act_pid *to, const char *message);

/* ---- slaves.c ---------------------------------------------------------------------------- */
void m_slave_handlers(act_actor *a);
m_slave *m_slave_find(master *m, const char *id);
m_slave *m_slave_by_pid(master *m, const act_pid *pid);
/* The slave `id` if msg came from it (exactly its pid); otherwise dropped as
 * m_framework_from_scheduler does, and NULL. Status updates are the exception: the slave's
 * status update manager, another actor of its process, sends them (tasks.c). */
m_slave *m_slave_from_slave(master *m, const act_msg *msg, const char *id);
void m_slave_exited(master *m, const act_pid *pid);
/* Removes a slave for good: registrar, TASK_LOST for its tasks, slaveLost to frameworks. */
void m_slave_remove(master *m, m_slave *s, const char *reason);
void m_slaves_free(master *m);
/* After registry recovery: expects these slaves back within slave_reregister_timeout. */
void m_slaves_recovered(master *m, wire_msg *registry);

/* ---- offers.c ---------------------------------------------------------------------------- */
void m_offer_handlers(act_actor *a);
/* Removes an offer; its resources go back to the allocator (no filter) if `recover`; the
 * framework is told (offerRescinded) if `rescind`. */
void m_offer_remove(master *m, m_offer *o, bool recover, bool rescind);
/* Removes every offer of a framework (slave_id NULL) or on a slave (framework_id NULL). */
void m_offers_remove_matching(master *m, const char *framework_id, const char *slave_id,
                              bool rescind);

/* ---- tasks.c ----------------------------------------------------------------------------- */
void m_task_handlers(act_actor *a);
/* Creates a STAGING task on the slave for the framework (validated by the caller). A command
 * task counts its own resources only: the slave gives its command executor 0.1 cpus and
 * 32 MB on top, which the master does not account, as in Mesos 0.22. */
m_task *m_task_add(master *m, m_framework *f, m_slave *s, const wire_task_info *ti,
                   const res_set *resources);
/* Adds a task a slave reported at re-registration. */
m_task *m_task_add_reported(master *m, m_slave *s, const wire_task *t);
/* Releases a task: its resources go back to the allocator, it joins the framework's completed
 * tasks, it leaves both maps. */
void m_task_remove(master *m, m_task *t);
/* Frees a task record (at the master's end, when it is in no map any more). */
void m_task_free(m_task *t);
/* Sends the framework a status update made by the master (TASK_LOST, TASK_ERROR ...); reason
 * is a wire_status_reason or -1. */
void m_send_status(master *m, const act_pid *to, const char *framework_id, const char *slave_id,
                   const char *task_id, wire_task_state state, const char *message, int reason,
                   bool with_uuid);
/* Moves a task to `state` as the master sees it (slave lost ...) and tells the framework. */
void m_task_fail(master *m, m_task *t, wire_task_state state, const char *message, int reason);
/* Releases the task of a removed framework: a task still running is recorded TASK_KILLED
 * ("Framework <id> removed", REASON_FRAMEWORK_REMOVED) first, as Mesos does. */
void m_task_abandon(master *m, m_task *t, const char *framework_id);
/* Forwards the updates held for a framework's tasks while it was away (after a failover or a
 * disconnection), now that it is connected again. */
void m_tasks_forward_held(master *m, m_framework *f);
void m_executor_add(master *m, m_slave *s, const char *framework_id,
                    const wire_executor_info *info);
void m_executor_remove(master *m, m_slave *s, const char *key);

/* ---- registrar.c, registrar_zk.c --------------------------------------------------------- */

/* The registrar actor's protocol (act_post between the master and the registrar). */
#define REG_MSG_RECOVER "registrar.recover"     /* reg_recover, master -> registrar */
#define REG_MSG_RECOVERED "registrar.recovered" /* wire_msg (a wire_registry) */
#define REG_MSG_APPLY "registrar.apply"         /* reg_op */
#define REG_MSG_APPLIED "registrar.applied"     /* reg_result */
#define REG_MSG_FAILED "registrar.failed"       /* char *: the registry is unusable */

typedef enum registrar_op_kind { REG_ADMIT, REG_READMIT, REG_REMOVE } registrar_op_kind;

typedef struct reg_recover {
    wire_msg *info;   /* the recovering master's wire_master_info */
    char *fence;      /* with ZooKeeper: the leader's contender znode; writes check it */
} reg_recover;

typedef struct reg_op {
    registrar_op_kind kind;
    wire_msg *info;   /* a wire_slave_info with id */
    uint64_t token;
} reg_op;

typedef struct reg_result {
    uint64_t token;
    bool ok;
    bool fatal;       /* not a refusal: the registry cannot be written (the master aborts) */
    char error[256];
} reg_result;

/* What every registrar shows, whichever store keeps the registry: registrar/operations,
 * registrar/operation_failures, registrar/state_store_ms (each write), registrar/
 * state_fetch_ms (reading it at election), registrar/queued_operations (waiting to be
 * stored) and registrar/registry_size_bytes (as stored). */
typedef struct reg_metrics {
    act_counter *ops, *failures;
    act_timing *store_ms, *fetch_ms;
    act_gauge *queued, *size;
} reg_metrics;

reg_metrics reg_metrics_get(void);
void reg_op_free(void *op);
void reg_recover_free(void *r);
/* The registrar for cfg: ZooKeeper with cfg->zk (unless in memory), else the file or memory
 * one. Spawned on `loop`; it answers `owner`. */
act_pid registrar_spawn(const master_config *cfg, const act_pid *owner, int loop);
act_pid registrar_zk_spawn(const master_config *cfg, const act_pid *owner, int loop);

/* Result callback, on the master: ok or not (with a reason), and the operation's context. */
typedef void (*registrar_done_fn)(master *m, bool ok, const char *error, void *ctx);
/* Applies an operation durably; done runs on the master when it is (or is not) stored. If the
 * master terminates first, free_ctx(ctx) runs instead. */
void m_registrar_apply(master *m, registrar_op_kind kind, const wire_slave_info *info,
                       registrar_done_fn done, void *ctx, void (*free_ctx)(void *));
/* Releases operations still waiting for the registrar (master termination). */
void m_registrar_abandon(master *m);
void m_registrar_handlers(act_actor *a);
/* Asks the registrar for the registry; the master continues in m_recovered. */
void m_registrar_recover(master *m);
void m_recovered(master *m, wire_msg *registry);

/* ---- authenticator.c --------------------------------------------------------------------- */
void m_auth_handlers(act_actor *a);
/* The principal `pid` authenticated as (its connection unbroken since), or NULL. */
const char *m_auth_principal(master *m, const act_pid *pid);
/* pid's connection broke: it must authenticate again. */
void m_auth_exited(master *m, const act_pid *pid);
void m_auth_free(master *m);

/* ---- acls.c: authorization (--acls) ----------------------------------------------------- */
/* Whether `principal` (NULL: a framework without one, the ANY entity) may register with
 * `role`, launch tasks as `user`, or shut down a framework of `framework_principal` (NULL:
 * one without). Always true without ACLs. */
bool m_authorize_role(const wire_acls *acls, const char *principal, const char *role);
bool m_authorize_user(const wire_acls *acls, const char *principal, const char *user);
bool m_authorize_shutdown(const wire_acls *acls, const char *principal,
                          const char *framework_principal);

/* ---- ratelimit.c: --rate_limits and frameworks/<principal>/messages_* ------------------- */
#define M_PRINCIPAL_MAX 256

/* Checks a --rate_limits value as Mesos does at start-up: NULL, or the reason in buf. */
const char *m_rate_limits_check(const wire_rate_limits *r, char *buf, size_t n);
void m_rate_limits_init(master *m);
void m_rate_limits_free(master *m);
/* Counts a message from a framework's scheduler (messages_received) and, when its principal's
 * rate limit says it must wait, queues it (or drops it with an error to the framework when
 * the queue is at capacity). True if the message was taken: the caller handles it no more. */
bool m_rate_limited(master *m, const act_msg *msg);
/* The same for the exited event of pid: true if it waits behind its framework's messages. */
bool m_rate_limited_exit(master *m, const act_pid *pid);
/* A framework (with its pid in frameworks_by_pid) joins or leaves its principal's counters. */
void m_principal_add(master *m, const m_framework *f);
void m_principal_remove(master *m, const m_framework *f);
/* The principal of the framework whose scheduler is pid, copied into buf; false if none. */
bool m_principal_of(master *m, const act_pid *pid, char *buf, size_t n);
/* Counts a message of that principal's frameworks handled (unless the last one just left). */
void m_principal_processed(master *m, const char *principal);

/* ---- whitelist.c: --whitelist ------------------------------------------------------------ */
/* Starts watching cfg.whitelist (if set): the allocator offers only the slaves whose hostname
 * it lists, and learns of every change to the file within WHITELIST_INTERVAL. */
#define WHITELIST_INTERVAL 1.0
void m_whitelist_start(master *m);

/* ---- http.c ------------------------------------------------------------------------------ */
void m_http_routes(act_actor *a);

/* ---- state.c: state.json and the JSON of tasks and slaves -------------------------------- */

typedef struct m_state_req m_state_req;

/* The JSON model of a task or slave as a blob, kept until the object changes (whoever
 * changes what state.json shows of it drops t->json / s->json). Borrowed: take a reference
 * to keep it. */
act_blob *m_task_json(m_task *t);
act_blob *m_done_json(m_done *d);
act_blob *m_slave_json(m_slave *s);
/* Drops what state.json keeps of a task and of its framework's task list (the task was added
 * or changed), or of framework f's list only (a task came or left; f NULL: none). */
void m_task_changed(master *m, m_task *t);
void m_task_list_changed(master *m, m_framework *f);
/* Drops what state.json keeps of a framework (its fields, resources or offers changed). */
void m_framework_changed(m_framework *f);

/* A JSON body written around blobs (see act_pieces). */
typedef struct m_out {
    act_buf text;       /* written since the last blob */
    act_json j;         /* writes into text */
    act_pieces *pieces;
} m_out;
void m_out_init(m_out *o);
/* The next JSON value is blob b. */
void m_out_blob(m_out *o, act_blob *b);
/* Answers req with the body (200) and releases o. */
void m_out_respond(m_out *o, act_http_req *req);

/* Answers /master/state.json: the blobs it lacks are made a few milliseconds at a time, the
 * master handling other messages in between, then the body is written in one step. */
void m_state_json(master *m, act_http_req *req);
/* Answers the requests still in progress 503 (the master terminates). */
void m_state_abandon(master *m);
/* Drops every JSON kept: the next state.json is made from scratch (tests compare the two). */
void m_state_forget(master *m);

/* ---- metrics.c --------------------------------------------------------------------------- */
/* Registers every master counter at 0 and sets the gauges (the master's on_init). */
void m_metrics_init(master *m);
/* Refreshes the gauges from the master's state (a /metrics/snapshot collector). */
void m_metrics_refresh(act_actor *self, void *arg);
/* Counts a task reaching `state` (the first update of each state a task gets, STAGING at
 * launch, and tasks refused at launch): state.json's staged_tasks ..., master/tasks_<state>
 * for terminal states and, with a reason (>= 0), master/<state>/<source>/<reason>. */
void m_count_task_state(master *m, wire_task_state state, int source, int reason);
/* The same for a status the master records. */
void m_count_status(master *m, const wire_task_status *st);
/* Keeps the gauges' sums current: a task held (+1) or let go (-1) in `state`; resources
 * added to (+1) or taken from (-1) the slaves' totals or what they use. */
void m_count_live_task(master *m, wire_task_state state, int sign);
void m_count_resources(master *m, const res_set *r, int sign, bool used);

/* ---- webui.c ----------------------------------------------------------------------------- */
void m_webui_routes(act_actor *a);

#endif /* MASTER_MASTER_INT_H */
