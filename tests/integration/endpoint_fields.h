/*
 * endpoint_fields.h - every documented field of the operator's endpoints, with its JSON type,
 * as Mesos 0.22.1 serves it (src/master/http.cpp, src/slave/http.cpp, src/common/http.cpp,
 * src/master/metrics.cpp, src/slave/metrics.cpp, src/master/registrar.cpp, libprocess'
 * system.hpp). test_endpoints checks each row against live daemons, so a field cannot
 * silently disappear or change type. A path walks objects by key and arrays with "[]" (every
 * element is checked; the test makes the cluster such that each array has one, except where
 * a row says it may be empty). Keys of /metrics/snapshot contain '/', which is not a path
 * separator here: a path is split on '.' only.
 */
#ifndef TESTS_INTEGRATION_ENDPOINT_FIELDS_H
#define TESTS_INTEGRATION_ENDPOINT_FIELDS_H

#include <stdbool.h>

typedef enum { EF_MASTER, EF_SLAVE } ef_daemon;
typedef enum { EF_STRING, EF_NUMBER, EF_INTEGER, EF_BOOL, EF_OBJECT, EF_ARRAY } ef_type;

typedef struct ef_field {
    ef_daemon daemon;
    const char *endpoint;
    const char *path;
    ef_type type;
    bool may_be_empty; /* an array on the path may have no element (then nothing to check) */
} ef_field;

/* clang-format off */
#define TASK_FIELDS(D, E, P, EMPTY)                                                           \
    {D, E, P ".id", EF_STRING, EMPTY}, {D, E, P ".name", EF_STRING, EMPTY},                  \
    {D, E, P ".framework_id", EF_STRING, EMPTY}, {D, E, P ".executor_id", EF_STRING, EMPTY}, \
    {D, E, P ".slave_id", EF_STRING, EMPTY}, {D, E, P ".state", EF_STRING, EMPTY},           \
    {D, E, P ".resources", EF_OBJECT, EMPTY}, {D, E, P ".resources.cpus", EF_NUMBER, EMPTY}, \
    {D, E, P ".resources.mem", EF_NUMBER, EMPTY}, {D, E, P ".resources.disk", EF_NUMBER, EMPTY}, \
    {D, E, P ".statuses", EF_ARRAY, EMPTY}, {D, E, P ".statuses[].state", EF_STRING, EMPTY}, \
    {D, E, P ".statuses[].timestamp", EF_NUMBER, EMPTY}, {D, E, P ".labels", EF_ARRAY, EMPTY}

#define SLAVE_FIELDS(E, P)                                                                    \
    {EF_MASTER, E, P ".id", EF_STRING, false}, {EF_MASTER, E, P ".pid", EF_STRING, false},   \
    {EF_MASTER, E, P ".hostname", EF_STRING, false},                                         \
    {EF_MASTER, E, P ".registered_time", EF_NUMBER, false},                                  \
    {EF_MASTER, E, P ".resources", EF_OBJECT, false},                                        \
    {EF_MASTER, E, P ".attributes", EF_OBJECT, false},                                       \
    {EF_MASTER, E, P ".active", EF_BOOL, false}

#define FRAMEWORK_FIELDS(P, EMPTY)                                                            \
    {EF_MASTER, "/master/state.json", P ".id", EF_STRING, EMPTY},                            \
    {EF_MASTER, "/master/state.json", P ".name", EF_STRING, EMPTY},                          \
    {EF_MASTER, "/master/state.json", P ".user", EF_STRING, EMPTY},                          \
    {EF_MASTER, "/master/state.json", P ".failover_timeout", EF_NUMBER, EMPTY},              \
    {EF_MASTER, "/master/state.json", P ".checkpoint", EF_BOOL, EMPTY},                      \
    {EF_MASTER, "/master/state.json", P ".role", EF_STRING, EMPTY},                          \
    {EF_MASTER, "/master/state.json", P ".registered_time", EF_NUMBER, EMPTY},               \
    {EF_MASTER, "/master/state.json", P ".unregistered_time", EF_NUMBER, EMPTY},             \
    {EF_MASTER, "/master/state.json", P ".active", EF_BOOL, EMPTY},                          \
    {EF_MASTER, "/master/state.json", P ".resources", EF_OBJECT, EMPTY},                     \
    {EF_MASTER, "/master/state.json", P ".used_resources", EF_OBJECT, EMPTY},                \
    {EF_MASTER, "/master/state.json", P ".offered_resources", EF_OBJECT, EMPTY},             \
    {EF_MASTER, "/master/state.json", P ".hostname", EF_STRING, EMPTY},                      \
    {EF_MASTER, "/master/state.json", P ".webui_url", EF_STRING, EMPTY},                     \
    {EF_MASTER, "/master/state.json", P ".tasks", EF_ARRAY, EMPTY},                          \
    {EF_MASTER, "/master/state.json", P ".completed_tasks", EF_ARRAY, EMPTY},                \
    {EF_MASTER, "/master/state.json", P ".offers", EF_ARRAY, EMPTY},                         \
    {EF_MASTER, "/master/state.json", P ".offers[].id", EF_STRING, true},                    \
    {EF_MASTER, "/master/state.json", P ".offers[].framework_id", EF_STRING, true},          \
    {EF_MASTER, "/master/state.json", P ".offers[].slave_id", EF_STRING, true},              \
    {EF_MASTER, "/master/state.json", P ".offers[].resources", EF_OBJECT, true}

#define EXECUTOR_FIELDS(P)                                                                    \
    {EF_SLAVE, "/slave(1)/state.json", P ".id", EF_STRING, false},                           \
    {EF_SLAVE, "/slave(1)/state.json", P ".name", EF_STRING, false},                         \
    {EF_SLAVE, "/slave(1)/state.json", P ".source", EF_STRING, false},                       \
    {EF_SLAVE, "/slave(1)/state.json", P ".container", EF_STRING, false},                    \
    {EF_SLAVE, "/slave(1)/state.json", P ".directory", EF_STRING, false},                    \
    {EF_SLAVE, "/slave(1)/state.json", P ".resources", EF_OBJECT, false},                    \
    {EF_SLAVE, "/slave(1)/state.json", P ".tasks", EF_ARRAY, false},                         \
    {EF_SLAVE, "/slave(1)/state.json", P ".queued_tasks", EF_ARRAY, false},                  \
    {EF_SLAVE, "/slave(1)/state.json", P ".completed_tasks", EF_ARRAY, false}

#define STAT(D, E, NAME) {D, E, NAME, EF_NUMBER, false}
#define MASTER_METRIC(NAME) STAT(EF_MASTER, "/metrics/snapshot", "master/" NAME)
#define SLAVE_METRIC(NAME) STAT(EF_SLAVE, "/metrics/snapshot", "slave/" NAME)
#define SYSTEM_METRICS(D)                                                                     \
    STAT(D, "/metrics/snapshot", "system/load_1min"),                                        \
    STAT(D, "/metrics/snapshot", "system/load_5min"),                                        \
    STAT(D, "/metrics/snapshot", "system/load_15min"),                                       \
    STAT(D, "/metrics/snapshot", "system/cpus_total"),                                       \
    STAT(D, "/metrics/snapshot", "system/mem_total_bytes"),                                  \
    STAT(D, "/metrics/snapshot", "system/mem_free_bytes")

static const ef_field ef_fields[] = {
    /* ---- master: /master/state.json ---- */
    {EF_MASTER, "/master/state.json", "version", EF_STRING, false},
    {EF_MASTER, "/master/state.json", "build_date", EF_STRING, false},
    {EF_MASTER, "/master/state.json", "build_time", EF_NUMBER, false},
    {EF_MASTER, "/master/state.json", "build_user", EF_STRING, false},
    {EF_MASTER, "/master/state.json", "start_time", EF_NUMBER, false},
    {EF_MASTER, "/master/state.json", "elected_time", EF_NUMBER, false},
    {EF_MASTER, "/master/state.json", "id", EF_STRING, false},
    {EF_MASTER, "/master/state.json", "pid", EF_STRING, false},
    {EF_MASTER, "/master/state.json", "hostname", EF_STRING, false},
    {EF_MASTER, "/master/state.json", "leader", EF_STRING, false},
    {EF_MASTER, "/master/state.json", "external_log_file", EF_STRING, false},
    {EF_MASTER, "/master/state.json", "activated_slaves", EF_INTEGER, false},
    {EF_MASTER, "/master/state.json", "deactivated_slaves", EF_INTEGER, false},
    {EF_MASTER, "/master/state.json", "staged_tasks", EF_INTEGER, false},
    {EF_MASTER, "/master/state.json", "started_tasks", EF_INTEGER, false},
    {EF_MASTER, "/master/state.json", "finished_tasks", EF_INTEGER, false},
    {EF_MASTER, "/master/state.json", "killed_tasks", EF_INTEGER, false},
    {EF_MASTER, "/master/state.json", "failed_tasks", EF_INTEGER, false},
    {EF_MASTER, "/master/state.json", "lost_tasks", EF_INTEGER, false},
    {EF_MASTER, "/master/state.json", "flags", EF_OBJECT, false},
    {EF_MASTER, "/master/state.json", "flags.allocation_interval", EF_STRING, false},
    {EF_MASTER, "/master/state.json", "slaves", EF_ARRAY, false},
    SLAVE_FIELDS("/master/state.json", "slaves[]"),
    {EF_MASTER, "/master/state.json", "frameworks", EF_ARRAY, false},
    FRAMEWORK_FIELDS("frameworks[]", false),
    TASK_FIELDS(EF_MASTER, "/master/state.json", "frameworks[].tasks[]", false),
    TASK_FIELDS(EF_MASTER, "/master/state.json", "frameworks[].completed_tasks[]", false),
    {EF_MASTER, "/master/state.json", "completed_frameworks", EF_ARRAY, false},
    FRAMEWORK_FIELDS("completed_frameworks[]", false),
    {EF_MASTER, "/master/state.json", "orphan_tasks", EF_ARRAY, false},
    {EF_MASTER, "/master/state.json", "unregistered_frameworks", EF_ARRAY, false},

    /* ---- master: the other endpoints ---- */
    {EF_MASTER, "/master/slaves", "slaves", EF_ARRAY, false},
    SLAVE_FIELDS("/master/slaves", "slaves[]"),
    {EF_MASTER, "/master/tasks.json", "tasks", EF_ARRAY, false},
    TASK_FIELDS(EF_MASTER, "/master/tasks.json", "tasks[]", false),
    {EF_MASTER, "/master/roles.json", "roles", EF_ARRAY, false},
    {EF_MASTER, "/master/roles.json", "roles[].name", EF_STRING, false},
    {EF_MASTER, "/master/roles.json", "roles[].weight", EF_NUMBER, false},
    {EF_MASTER, "/master/roles.json", "roles[].frameworks", EF_ARRAY, false},
    {EF_MASTER, "/master/roles.json", "roles[].resources", EF_OBJECT, false},
    {EF_MASTER, "/master/flags", "flags", EF_OBJECT, false},
    {EF_MASTER, "/master/flags", "flags.registry", EF_STRING, false},
    STAT(EF_MASTER, "/master/stats.json", "uptime"),
    STAT(EF_MASTER, "/master/stats.json", "elected"),
    STAT(EF_MASTER, "/master/stats.json", "total_schedulers"),
    STAT(EF_MASTER, "/master/stats.json", "active_schedulers"),
    STAT(EF_MASTER, "/master/stats.json", "activated_slaves"),
    STAT(EF_MASTER, "/master/stats.json", "deactivated_slaves"),
    STAT(EF_MASTER, "/master/stats.json", "outstanding_offers"),
    STAT(EF_MASTER, "/master/stats.json", "staged_tasks"),
    STAT(EF_MASTER, "/master/stats.json", "started_tasks"),
    STAT(EF_MASTER, "/master/stats.json", "finished_tasks"),
    STAT(EF_MASTER, "/master/stats.json", "killed_tasks"),
    STAT(EF_MASTER, "/master/stats.json", "failed_tasks"),
    STAT(EF_MASTER, "/master/stats.json", "lost_tasks"),
    STAT(EF_MASTER, "/master/stats.json", "valid_status_updates"),
    STAT(EF_MASTER, "/master/stats.json", "invalid_status_updates"),
    STAT(EF_MASTER, "/master/stats.json", "active_tasks_gauge"),
    STAT(EF_MASTER, "/master/stats.json", "cpus_total"),
    STAT(EF_MASTER, "/master/stats.json", "cpus_used"),
    STAT(EF_MASTER, "/master/stats.json", "cpus_percent"),
    STAT(EF_MASTER, "/master/stats.json", "mem_total"),
    STAT(EF_MASTER, "/master/stats.json", "disk_total"),
    STAT(EF_MASTER, "/master/stats.json", "master/uptime_secs"),

    /* ---- master: /metrics/snapshot (src/master/metrics.cpp, registrar.cpp) ---- */
    MASTER_METRIC("uptime_secs"), MASTER_METRIC("elected"),
    MASTER_METRIC("slaves_connected"), MASTER_METRIC("slaves_disconnected"),
    MASTER_METRIC("slaves_active"), MASTER_METRIC("slaves_inactive"),
    MASTER_METRIC("frameworks_connected"), MASTER_METRIC("frameworks_disconnected"),
    MASTER_METRIC("frameworks_active"), MASTER_METRIC("frameworks_inactive"),
    MASTER_METRIC("outstanding_offers"), MASTER_METRIC("tasks_staging"),
    MASTER_METRIC("tasks_starting"), MASTER_METRIC("tasks_running"),
    MASTER_METRIC("tasks_finished"), MASTER_METRIC("tasks_failed"),
    MASTER_METRIC("tasks_killed"), MASTER_METRIC("tasks_lost"), MASTER_METRIC("tasks_error"),
    MASTER_METRIC("dropped_messages"), MASTER_METRIC("messages_register_framework"),
    MASTER_METRIC("messages_reregister_framework"), MASTER_METRIC("messages_unregister_framework"),
    MASTER_METRIC("messages_deactivate_framework"), MASTER_METRIC("messages_kill_task"),
    MASTER_METRIC("messages_status_update_acknowledgement"),
    MASTER_METRIC("messages_resource_request"), MASTER_METRIC("messages_launch_tasks"),
    MASTER_METRIC("messages_decline_offers"), MASTER_METRIC("messages_revive_offers"),
    MASTER_METRIC("messages_reconcile_tasks"), MASTER_METRIC("messages_framework_to_executor"),
    MASTER_METRIC("messages_register_slave"), MASTER_METRIC("messages_reregister_slave"),
    MASTER_METRIC("messages_unregister_slave"), MASTER_METRIC("messages_status_update"),
    MASTER_METRIC("messages_exited_executor"), MASTER_METRIC("messages_authenticate"),
    MASTER_METRIC("valid_framework_to_executor_messages"),
    MASTER_METRIC("invalid_framework_to_executor_messages"),
    MASTER_METRIC("valid_status_updates"), MASTER_METRIC("invalid_status_updates"),
    MASTER_METRIC("valid_status_update_acknowledgements"),
    MASTER_METRIC("invalid_status_update_acknowledgements"),
    MASTER_METRIC("recovery_slave_removals"), MASTER_METRIC("event_queue_messages"),
    MASTER_METRIC("event_queue_dispatches"), MASTER_METRIC("event_queue_http_requests"),
    MASTER_METRIC("slave_registrations"), MASTER_METRIC("slave_reregistrations"),
    MASTER_METRIC("slave_removals"), MASTER_METRIC("slave_shutdowns_scheduled"),
    MASTER_METRIC("slave_shutdowns_canceled"),
    MASTER_METRIC("cpus_total"), MASTER_METRIC("cpus_used"), MASTER_METRIC("cpus_percent"),
    MASTER_METRIC("mem_total"), MASTER_METRIC("mem_used"), MASTER_METRIC("mem_percent"),
    MASTER_METRIC("disk_total"), MASTER_METRIC("disk_used"), MASTER_METRIC("disk_percent"),
    STAT(EF_MASTER, "/metrics/snapshot", "registrar/queued_operations"),
    STAT(EF_MASTER, "/metrics/snapshot", "registrar/registry_size_bytes"),
    STAT(EF_MASTER, "/metrics/snapshot", "registrar/state_fetch_ms"),
    STAT(EF_MASTER, "/metrics/snapshot", "registrar/state_store_ms"),
    STAT(EF_MASTER, "/metrics/snapshot", "registrar/state_store_ms/p95"),
    STAT(EF_MASTER, "/metrics/snapshot", "registrar/state_store_ms/p9999"),
    SYSTEM_METRICS(EF_MASTER),

    /* ---- slave: /slave(1)/state.json ---- */
    {EF_SLAVE, "/slave(1)/state.json", "version", EF_STRING, false},
    {EF_SLAVE, "/slave(1)/state.json", "build_date", EF_STRING, false},
    {EF_SLAVE, "/slave(1)/state.json", "build_time", EF_NUMBER, false},
    {EF_SLAVE, "/slave(1)/state.json", "build_user", EF_STRING, false},
    {EF_SLAVE, "/slave(1)/state.json", "start_time", EF_NUMBER, false},
    {EF_SLAVE, "/slave(1)/state.json", "id", EF_STRING, false},
    {EF_SLAVE, "/slave(1)/state.json", "pid", EF_STRING, false},
    {EF_SLAVE, "/slave(1)/state.json", "hostname", EF_STRING, false},
    {EF_SLAVE, "/slave(1)/state.json", "master_hostname", EF_STRING, false},
    {EF_SLAVE, "/slave(1)/state.json", "resources", EF_OBJECT, false},
    {EF_SLAVE, "/slave(1)/state.json", "attributes", EF_OBJECT, false},
    {EF_SLAVE, "/slave(1)/state.json", "staged_tasks", EF_INTEGER, false},
    {EF_SLAVE, "/slave(1)/state.json", "started_tasks", EF_INTEGER, false},
    {EF_SLAVE, "/slave(1)/state.json", "finished_tasks", EF_INTEGER, false},
    {EF_SLAVE, "/slave(1)/state.json", "killed_tasks", EF_INTEGER, false},
    {EF_SLAVE, "/slave(1)/state.json", "failed_tasks", EF_INTEGER, false},
    {EF_SLAVE, "/slave(1)/state.json", "lost_tasks", EF_INTEGER, false},
    {EF_SLAVE, "/slave(1)/state.json", "flags", EF_OBJECT, false},
    {EF_SLAVE, "/slave(1)/state.json", "flags.gc_disk_headroom", EF_STRING, false},
    {EF_SLAVE, "/slave(1)/state.json", "flags.resource_monitoring_interval", EF_STRING, false},
    {EF_SLAVE, "/slave(1)/state.json", "frameworks", EF_ARRAY, false},
    {EF_SLAVE, "/slave(1)/state.json", "frameworks[].id", EF_STRING, false},
    {EF_SLAVE, "/slave(1)/state.json", "frameworks[].name", EF_STRING, false},
    {EF_SLAVE, "/slave(1)/state.json", "frameworks[].user", EF_STRING, false},
    {EF_SLAVE, "/slave(1)/state.json", "frameworks[].failover_timeout", EF_NUMBER, false},
    {EF_SLAVE, "/slave(1)/state.json", "frameworks[].checkpoint", EF_BOOL, false},
    {EF_SLAVE, "/slave(1)/state.json", "frameworks[].role", EF_STRING, false},
    {EF_SLAVE, "/slave(1)/state.json", "frameworks[].hostname", EF_STRING, false},
    {EF_SLAVE, "/slave(1)/state.json", "frameworks[].executors", EF_ARRAY, false},
    {EF_SLAVE, "/slave(1)/state.json", "frameworks[].completed_executors", EF_ARRAY, false},
    EXECUTOR_FIELDS("frameworks[].executors[]"),
    EXECUTOR_FIELDS("frameworks[].completed_executors[]"),
    TASK_FIELDS(EF_SLAVE, "/slave(1)/state.json", "frameworks[].executors[].tasks[]", false),
    TASK_FIELDS(EF_SLAVE, "/slave(1)/state.json",
                "frameworks[].completed_executors[].completed_tasks[]", false),
    {EF_SLAVE, "/slave(1)/state.json", "completed_frameworks", EF_ARRAY, false},

    /* ---- slave: /slave(1)/stats.json and /metrics/snapshot (src/slave/metrics.cpp) ---- */
    STAT(EF_SLAVE, "/slave(1)/stats.json", "uptime"),
    STAT(EF_SLAVE, "/slave(1)/stats.json", "total_frameworks"),
    STAT(EF_SLAVE, "/slave(1)/stats.json", "registered"),
    STAT(EF_SLAVE, "/slave(1)/stats.json", "recovery_errors"),
    STAT(EF_SLAVE, "/slave(1)/stats.json", "staged_tasks"),
    STAT(EF_SLAVE, "/slave(1)/stats.json", "started_tasks"),
    STAT(EF_SLAVE, "/slave(1)/stats.json", "finished_tasks"),
    STAT(EF_SLAVE, "/slave(1)/stats.json", "killed_tasks"),
    STAT(EF_SLAVE, "/slave(1)/stats.json", "failed_tasks"),
    STAT(EF_SLAVE, "/slave(1)/stats.json", "lost_tasks"),
    STAT(EF_SLAVE, "/slave(1)/stats.json", "valid_status_updates"),
    STAT(EF_SLAVE, "/slave(1)/stats.json", "invalid_status_updates"),
    STAT(EF_SLAVE, "/slave(1)/stats.json", "queued_tasks_gauge"),
    STAT(EF_SLAVE, "/slave(1)/stats.json", "launched_tasks_gauge"),
    STAT(EF_SLAVE, "/slave(1)/stats.json", "slave/uptime_secs"),
    SLAVE_METRIC("uptime_secs"), SLAVE_METRIC("registered"), SLAVE_METRIC("recovery_errors"),
    SLAVE_METRIC("frameworks_active"), SLAVE_METRIC("tasks_staging"),
    SLAVE_METRIC("tasks_starting"), SLAVE_METRIC("tasks_running"),
    SLAVE_METRIC("tasks_finished"), SLAVE_METRIC("tasks_failed"), SLAVE_METRIC("tasks_killed"),
    SLAVE_METRIC("tasks_lost"), SLAVE_METRIC("executors_registering"),
    SLAVE_METRIC("executors_running"), SLAVE_METRIC("executors_terminating"),
    SLAVE_METRIC("executors_terminated"), SLAVE_METRIC("valid_status_updates"),
    SLAVE_METRIC("invalid_status_updates"), SLAVE_METRIC("valid_framework_messages"),
    SLAVE_METRIC("invalid_framework_messages"),
    SLAVE_METRIC("cpus_total"), SLAVE_METRIC("cpus_used"), SLAVE_METRIC("cpus_percent"),
    SLAVE_METRIC("mem_total"), SLAVE_METRIC("mem_used"), SLAVE_METRIC("mem_percent"),
    SLAVE_METRIC("disk_total"), SLAVE_METRIC("disk_used"), SLAVE_METRIC("disk_percent"),
    SYSTEM_METRICS(EF_SLAVE),
};
/* clang-format on */

#endif /* TESTS_INTEGRATION_ENDPOINT_FIELDS_H */
