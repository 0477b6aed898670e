/*
 * test_endpoints.c - the operator's HTTP API against a live cluster of the real binaries, as
 * Mesos 0.22 serves it: after tasks finish, fail, are killed and are lost, and a framework is
 * shut down through /master/shutdown, every field of endpoint_fields.h is present with its
 * JSON type; the counters and metrics have moved by what happened; custom resources appear
 * with their exact values; /master/tasks pages; /master/log reads the master's log through
 * /files/read.json; the slave's tasks carry their status history and its executors their
 * tasks' resources.
 */
#include "tests/integration/endpoint_fields.h"
#include "tests/support/cluster.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static json_t *get_json(uint16_t port, const char *path)
{
    act_buf out = {0};
    int status = tu_http_get(port, path, &out);
    json_error_t err;
    json_t *j = status == 200 ? json_loadb(out.data, out.len, 0, &err) : NULL;
    ck_assert_msg(j, "GET %s answered %d: %.200s", path, status, out.data ? out.data : "");
    act_buf_free(&out);
    return j;
}

static bool has_type(const json_t *v, ef_type t)
{
    switch (t) {
    case EF_STRING: return json_is_string(v);
    case EF_NUMBER: return json_is_number(v);
    case EF_INTEGER: return json_is_integer(v);
    case EF_BOOL: return json_is_boolean(v);
    case EF_OBJECT: return json_is_object(v);
    case EF_ARRAY: return json_is_array(v);
    }
    return false;
}

/* Checks the rest of a path ("a[].b.c") from v; every element of every array on the way. */
static void check_path(const json_t *v, const char *rest, const ef_field *f)
{
    if (!*rest) {
        ck_assert_msg(has_type(v, f->type), "%s %s: '%s' has the wrong type (%d)", f->endpoint,
                      f->path, f->path, (int)json_typeof(v));
        return;
    }
    const char *dot = strchr(rest, '.');
    size_t n = dot ? (size_t)(dot - rest) : strlen(rest);
    char key[256];
    bool array = n > 2 && rest[n - 2] == '[' && rest[n - 1] == ']';
    snprintf(key, sizeof key, "%.*s", (int)(array ? n - 2 : n), rest);
    const json_t *child = json_object_get(v, key);
    ck_assert_msg(child, "%s: no '%s' (on the way to %s)", f->endpoint, key, f->path);
    const char *next = dot ? dot + 1 : "";
    if (!array) {
        check_path(child, next, f);
        return;
    }
    ck_assert_msg(json_is_array(child), "%s: '%s' is not an array", f->endpoint, key);
    ck_assert_msg(json_array_size(child) > 0 || f->may_be_empty,
                  "%s: '%s' is empty: nothing to check %s against", f->endpoint, key, f->path);
    for (size_t i = 0; i < json_array_size(child); i++)
        check_path(json_array_get(child, i), next, f);
}

static double num(const json_t *j, const char *key)
{
    const json_t *v = json_object_get(j, key);
    ck_assert_msg(json_is_number(v), "'%s' is not a number", key);
    return json_number_value(v);
}

/* The task with `id` in an array of tasks, or NULL. */
static json_t *task_in(json_t *tasks, const char *id)
{
    for (size_t i = 0; i < json_array_size(tasks); i++) {
        json_t *t = json_array_get(tasks, i);
        if (strcmp(json_string_value(json_object_get(t, "id")), id) == 0) return t;
    }
    return NULL;
}

START_TEST(test_every_documented_field_is_served_with_its_type_and_values_move)
{
    /* a slave that does not checkpoint is removed when it stops, and its tasks are lost */
    const char *extra[] = {"--resources=cpus:4;mem:2048;disk:1024;ports:[31000-31100];"
                           "gpus:2;bugs:{a,b,c};myranges:[1-10];mem(dev):1000.5",
                           "--checkpoint=false", NULL};
    tc_cluster c;
    tc_start(&c, extra);
    tc_sched *a = tc_sched_start(&c, false), *b = tc_sched_start(&c, false);
    ck_assert(tc_wait_registrations(a, 1, 30) && tc_wait_registrations(b, 1, 30));
    tc_task t[] = {{.id = "fin", .command = "exit 0", .cpus = 0.5, .mem = 32},
                   {.id = "fail", .command = "exit 3", .cpus = 0.5, .mem = 32},
                   {.id = "kill", .command = "exec sleep 1000", .cpus = 0.5, .mem = 32},
                   {.id = "run", .command = "exec sleep 1000", .cpus = 0.5, .mem = 32}};
    tc_sched_launch(a, t, 4);
    ck_assert(tc_wait_state(a, "fin", WIRE_TASK_FINISHED, 60));
    ck_assert(tc_wait_state(a, "fail", WIRE_TASK_FAILED, 60));
    ck_assert(tc_wait_state(a, "kill", WIRE_TASK_RUNNING, 60));
    ck_assert(tc_wait_state(a, "run", WIRE_TASK_RUNNING, 60));
    tc_kill(a, "kill");
    ck_assert(tc_wait_state(a, "kill", WIRE_TASK_KILLED, 60));
    ck_assert_msg(tc_wait_slave_metric(&c, "slave/executors_terminated", 3, 60) &&
                  tc_wait_slave_metric(&c, "slave/executors_running", 1, 60),
                  "see %s", c.slave_log);

    /* /master/shutdown removes framework b */
    char body[256], req[1024];
    snprintf(body, sizeof body, "frameworkId=%s", tc_framework_id(b));
    snprintf(req, sizeof req, "POST /master/shutdown HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
             "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(body), body);
    act_buf out = {0};
    ck_assert_int_eq(tu_http_raw(c.master_port, req, strlen(req), &out), 200);
    act_buf_free(&out);
    json_t *ms = get_json(c.master_port, "/master/state.json");
    ck_assert_uint_eq(json_array_size(json_object_get(ms, "frameworks")), 1);
    ck_assert_uint_eq(json_array_size(json_object_get(ms, "completed_frameworks")), 1);
    json_decref(ms);

    /* every row of the table, on a fresh fetch of its endpoint */
    for (size_t i = 0; i < sizeof ef_fields / sizeof ef_fields[0]; i++) {
        const ef_field *f = &ef_fields[i];
        json_t *doc = get_json(f->daemon == EF_MASTER ? c.master_port : c.slave_port,
                               f->endpoint);
        if (strcmp(f->endpoint, "/metrics/snapshot") == 0 || strstr(f->endpoint, "stats.json")) {
            const json_t *v = json_object_get(doc, f->path); /* keys hold '/' */
            ck_assert_msg(v && has_type(v, f->type), "%s: no number '%s'", f->endpoint, f->path);
        } else {
            check_path(doc, f->path, f);
        }
        json_decref(doc);
    }

    /* values: the master's counters and metrics moved as the tasks did */
    ms = get_json(c.master_port, "/master/state.json");
    ck_assert_int_eq((int)num(ms, "finished_tasks"), 1);
    ck_assert_int_eq((int)num(ms, "failed_tasks"), 1);
    ck_assert_int_eq((int)num(ms, "killed_tasks"), 1);
    ck_assert_int_eq((int)num(ms, "lost_tasks"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(ms, "external_log_file")), c.master_log);
    json_t *res = json_object_get(json_array_get(json_object_get(ms, "slaves"), 0), "resources");
    ck_assert_double_eq(num(res, "gpus"), 2);
    ck_assert_str_eq(json_string_value(json_object_get(res, "bugs")), "{a, b, c}");
    ck_assert_str_eq(json_string_value(json_object_get(res, "myranges")), "[1-10]");
    ck_assert_double_eq(num(res, "mem"), 3048.5); /* the roles' sum, not floored */
    json_t *fw = json_array_get(json_object_get(ms, "frameworks"), 0);
    json_t *run = task_in(json_object_get(fw, "tasks"), "run");
    ck_assert_ptr_nonnull(run);
    ck_assert_str_eq(json_string_value(json_object_get(run, "state")), "TASK_RUNNING");
    /* a command task counts its own resources only (Mesos 0.22) */
    ck_assert_double_eq(num(json_object_get(fw, "used_resources"), "cpus"), 0.5);
    json_decref(ms);
    static const struct { const char *name; double value; } moved[] = {
        {"master/tasks_finished", 1}, {"master/tasks_failed", 1}, {"master/tasks_killed", 1},
        {"master/tasks_lost", 0}, {"master/tasks_running", 1}, {"master/messages_kill_task", 1},
        {"master/frameworks_active", 1}, {"master/cpus_used", 0.5}};
    for (size_t i = 0; i < sizeof moved / sizeof moved[0]; i++)
        ck_assert_msg(tu_metric(c.master_port, moved[i].name) == moved[i].value, "%s is %g",
                      moved[i].name, tu_metric(c.master_port, moved[i].name));

    /* /master/tasks pages: newest first by default, limit and offset, order=asc */
    json_t *all = get_json(c.master_port, "/master/tasks.json?order=asc");
    json_t *tasks = json_object_get(all, "tasks");
    ck_assert_uint_ge(json_array_size(tasks), 4);
    json_t *page = get_json(c.master_port, "/master/tasks?limit=2&offset=1&order=asc");
    json_t *pt = json_object_get(page, "tasks");
    ck_assert_uint_eq(json_array_size(pt), 2);
    for (size_t i = 0; i < 2; i++)
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(pt, i), "id")),
                         json_string_value(json_object_get(json_array_get(tasks, i + 1), "id")));
    json_decref(page);
    json_decref(all);

    /* /master/log through the file server, as the web UI's LOG link reads it */
    json_t *log = get_json(c.master_port, "/files/read.json?path=/master/log&offset=0");
    ck_assert_msg(strstr(json_string_value(json_object_get(log, "data")), "Elected as the leading"),
                  "%.300s", json_string_value(json_object_get(log, "data")));
    json_decref(log);

    /* the slave: status history, executors with their tasks' resources, its counters */
    json_t *ss = get_json(c.slave_port, "/slave(1)/state.json");
    ck_assert_int_eq((int)num(ss, "finished_tasks"), 1);
    ck_assert_int_eq((int)num(ss, "failed_tasks"), 1);
    ck_assert_int_eq((int)num(ss, "killed_tasks"), 1);
    ck_assert_int_eq((int)num(ss, "staged_tasks"), 4);
    json_t *ex = json_array_get(json_object_get(json_array_get(json_object_get(ss, "frameworks"),
                                                               0), "executors"), 0);
    ck_assert_double_eq(num(json_object_get(ex, "resources"), "cpus"), 0.6); /* 0.5 + 0.1 */
    json_t *st = json_object_get(json_array_get(json_object_get(ex, "tasks"), 0), "statuses");
    ck_assert_uint_ge(json_array_size(st), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(st,
                                                                      json_array_size(st) - 1),
                                                       "state")), "TASK_RUNNING");
    json_decref(ss);
    ck_assert_double_eq(tu_metric(c.slave_port, "slave/cpus_used"), 0.6);
    ck_assert_double_eq(tu_metric(c.slave_port, "slave/tasks_finished"), 1);
    ck_assert(tu_metric(c.slave_port, "slave/valid_status_updates") >= 4);
    json_t *sst = get_json(c.slave_port, "/stats.json");
    ck_assert_int_eq((int)num(sst, "launched_tasks_gauge"), 1);
    ck_assert_int_eq((int)num(sst, "registered"), 1);
    json_decref(sst);

    /* the slave goes: its running task is lost, and counted so */
    tc_kill_slave(&c, SIGTERM);
    ck_assert(tc_wait_state(a, "run", WIRE_TASK_LOST, 60));
    ms = get_json(c.master_port, "/master/state.json");
    ck_assert_int_eq((int)num(ms, "lost_tasks"), 1);
    ck_assert_uint_eq(json_array_size(json_object_get(ms, "slaves")), 0);
    json_decref(ms);
    ck_assert_double_eq(tu_metric(c.master_port, "master/tasks_lost"), 1);
    ck_assert_double_eq(tu_metric(c.master_port, "master/slave_removals"), 1);

    tc_sched_stop(a);
    tc_sched_stop(b);
    tc_stop(&c);
}
END_TEST

/* Every flag of Mesos 0.22.1's master and slave (src/master/flags.hpp, src/slave/flags.hpp,
 * src/logging/flags.hpp and the mains) is known to our binaries: implemented, or taking its
 * default only; another value of an unbuilt one stops the daemon naming the flag, never with
 * "Unknown flag". */
START_TEST(test_every_mesos_flag_is_known_and_an_unbuilt_one_is_refused_by_name)
{
    static const char *const logging =
        "external_log_file initialize_driver_logging log_dir logbufsecs logging_level quiet "
        "version ip port";
    static const struct { const char *bin, *flags, *needed, *refused; } d[] = {
        {"mesos-master", "acls allocation_interval authenticate authenticate_slaves "
         "authenticators cluster credentials framework_sorter hooks hostname "
         "log_auto_initialize max_executors_per_slave modules offer_timeout quorum rate_limits "
         "recovery_slave_removal_limit registry registry_fetch_timeout registry_store_timeout "
         "registry_strict roles root_submissions slave_removal_rate_limit "
         "slave_reregister_timeout user_sorter webui_dir weights whitelist work_dir zk "
         "zk_session_timeout", "--registry=in_memory", "--modules={}"},
        {"mesos-slave", "attributes authenticatee cgroups_enable_cfs cgroups_hierarchy "
         "cgroups_limit_swap cgroups_root container_disk_watch_interval containerizer_path "
         "containerizers credential default_container_image default_container_info "
         "default_role disk_watch_interval docker docker_remove_delay docker_sandbox_directory "
         "docker_stop_timeout egress_rate_limit_per_container enforce_container_disk_quota "
         "ephemeral_ports_per_container eth0_name executor_registration_timeout "
         "executor_shutdown_grace_period frameworks_home gc_delay gc_disk_headroom hadoop_home "
         "hooks hostname isolation lo_name master modules "
         "network_enable_socket_statistics_details network_enable_socket_statistics_summary "
         "perf_duration perf_events perf_interval recover recovery_timeout "
         "registration_backoff_factor resource_monitoring_interval resources slave_subsystems "
         "strict switch_user work_dir", "--master=127.0.0.1:1", "--perf_events=cycles"}};
    char *dir = tu_tmpdir(), log[4200];
    snprintf(log, sizeof log, "%s/out", dir);
    for (size_t i = 0; i < 2; i++) {
        ck_assert_int_eq(tu_sh(log, "%s --help", tu_bin(d[i].bin)), 0);
        char *help = tu_read_file(log);
        char all[2048];
        snprintf(all, sizeof all, "%s %s", d[i].flags, logging);
        for (char *save = NULL, *name = strtok_r(all, " ", &save); name;
             name = strtok_r(NULL, " ", &save)) {
            char plain[128], negatable[128];
            snprintf(plain, sizeof plain, "--%s=", name);
            snprintf(negatable, sizeof negatable, "--[no-]%s ", name);
            ck_assert_msg(strstr(help, plain) || strstr(help, negatable),
                          "%s --help does not know --%s", d[i].bin, name);
        }
        free(help);
        unlink(log);
        char *argv[] = {(char *)tu_bin(d[i].bin), (char *)d[i].needed, (char *)d[i].refused,
                        NULL};
        int pid = tu_spawn(argv, log), status;
        waitpid(pid, &status, 0);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
        char *out = tu_read_file(log), flag[64];
        snprintf(flag, sizeof flag, "'%.*s'", (int)strcspn(d[i].refused + 2, "="),
                 d[i].refused + 2);
        ck_assert_msg(strstr(out, flag) && strstr(out, "not in this build") &&
                      !strstr(out, "Unknown"), "%s %s: %s", d[i].bin, d[i].refused, out);
        free(out);
        unlink(log);
    }
    tu_rmrf(dir);
    free(dir);
}
END_TEST

Suite *endpoints_suite(void)
{
    Suite *s = suite_create("endpoints");
    TCase *tc = tcase_create("live");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_every_documented_field_is_served_with_its_type_and_values_move);
    tcase_add_test(tc, test_every_mesos_flag_is_known_and_an_unbuilt_one_is_refused_by_name);
    suite_add_tcase(s, tc);
    return s;
}
