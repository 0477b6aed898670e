/*
 * test_docker_containerizer.c - Docker for real: one dockerd on a private socket and data root
 * (tests/support/docker.h), shared by every test here, with a busybox image built locally, and
 * per test a real master and a slave with --containerizers=docker,mesos.
 *
 * The client module first (docker/docker.h): a pull that cannot succeed fails with docker's own
 * error, and `docker run` made of a ContainerInfo runs a container that sees its sandbox and gets
 * its limits. Then the containerizer through real tasks: a command task in the image finishes
 * with its output in the sandbox; a file written to $MESOS_SANDBOX appears on the host; the
 * resources become the container's cpu shares and memory limit and statistics.json reads its
 * cgroups; a kill stops the container within --docker_stop_timeout and it is removed after
 * --docker_remove_delay; an image that cannot be pulled fails the task with the pull error; a
 * slave SIGKILLed and restarted reattaches its running container and removes the mesos-
 * containers of its own that nobody owns (and no other's); BRIDGE port mappings reach the
 * container through the offered host port (skipped, saying why, where the machine allows no
 * bridge); port mappings outside the offered ports are refused with TASK_ERROR; a custom
 * executor runs in an image; mesos-execute --docker_image runs a command.
 */
#include "docker/docker.h"
#include "tests/support/cluster.h"
#include "tests/support/docker.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef TEST_BUILD_DIR
#define TEST_BUILD_DIR "build"
#endif

#define IMAGE "mesos-test-busybox:1"

static td_daemon *dockerd; /* started once, in the runner (unchecked fixture) */

static void daemon_up(void)
{
    dockerd = td_start(true);
    td_build_busybox_image(dockerd, IMAGE);
}

static void daemon_down(void)
{
    td_stop(dockerd);
    dockerd = NULL;
}

/* ---- the client module -------------------------------------------------------------------- */

START_TEST(test_a_pull_that_cannot_succeed_fails_with_dockers_error)
{
    char err[2048];
    docker_io io = docker_io_none();
    io.timeout = 120;
    int rc = docker_pull(dockerd->client, "mesos-test-no-such-image", false, &io, err,
                         sizeof err);
    ck_assert_int_lt(rc, 0);
    char want[4400];
    snprintf(want, sizeof want, "Failed to '%s pull mesos-test-no-such-image:latest': exit "
             "status = exited with status 1 stderr = ", dockerd->client);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got: %s", err);
    ck_assert_msg(strlen(err) > strlen(want), "docker's stderr is missing: %s", err);
    /* a present image is not pulled at all */
    ck_assert_int_eq(docker_pull(dockerd->client, IMAGE, false, &io, err, sizeof err), 0);
}
END_TEST

START_TEST(test_run_args_start_a_container_that_sees_its_sandbox_and_gets_its_limits)
{
    char *sandbox = tu_tmpdir();
    wire_msg *cm = wire_new(WIRE_DESC(container_info));
    wire_container_info *ci = cm->root;
    ci->type = WIRE_CONTAINER_DOCKER;
    ci->docker = wire_alloc(cm, sizeof *ci->docker);
    wire_init(WIRE_DESC(docker_info), ci->docker);
    ci->docker->image = IMAGE;
    wire_command_info cmd;
    wire_init(WIRE_DESC(command_info), &cmd);
    cmd.has_value = true;
    cmd.value = "echo inside > $MESOS_SANDBOX/proof; echo to-stdout; exit 7";
    res_set r = {0};
    ck_assert_int_eq(res_parse("cpus:0.6;mem:96", "*", &r, NULL, 0), 0);
    docker_run_spec spec = {.container = ci, .command = &cmd, .name = "mesos-client-test",
                            .sandbox = sandbox, .mapped = "/mnt/mesos/sandbox",
                            .resources = &r, .work_dir = "/tmp/test-work-dir"};
    docker_args args = {0};
    char err[1024];
    ck_assert_int_eq(docker_run_args(&spec, &args, err, sizeof err), 0);
    act_buf out = {0};
    int st = docker_cmd(dockerd->client, &args, NULL, &out, NULL);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 7, "docker run: status %d", st);
    ck_assert_str_eq(out.data, "to-stdout\n");
    char proof[4300];
    snprintf(proof, sizeof proof, "%s/proof", sandbox);
    char *text = tu_read_file(proof);
    ck_assert_msg(text && strcmp(text, "inside\n") == 0, "proof: %s", text ? text : "(none)");
    free(text);
    docker_container c;
    ck_assert_int_eq(docker_inspect(dockerd->client, "mesos-client-test", &c, err, sizeof err), 0);
    ck_assert_uint_eq(c.cpu_shares, 614);
    ck_assert_uint_eq(c.memory, 96ull << 20);
    ck_assert(!c.running);
    ck_assert_int_eq(c.exit_code, 7);
    ck_assert_int_eq(docker_ps(dockerd->client, "/tmp/other", NULL, NULL, err, sizeof err), 0);
    ck_assert_int_eq(docker_rm(dockerd->client, "mesos-client-test", false, err, sizeof err), 0);
    ck_assert_int_eq(docker_inspect(dockerd->client, "mesos-client-test", &c, err, sizeof err),
                     -ENOENT);
    docker_args_free(&args);
    act_buf_free(&out);
    res_free(&r);
    wire_msg_free(cm);
    tu_rmrf(sandbox);
    free(sandbox);
}
END_TEST

/* ---- a cluster with the Docker containerizer --------------------------------------------- */

#define STOP_TIMEOUT "1secs"

/* The slave's flags: docker then mesos containers; extra: one more flag or NULL. */
static const char *const *slave_flags(const char *extra)
{
    static char docker[4300];
    static const char *flags[5];
    snprintf(docker, sizeof docker, "--docker=%s", dockerd->client);
    flags[0] = "--containerizers=docker,mesos";
    flags[1] = docker;
    flags[2] = "--docker_stop_timeout=" STOP_TIMEOUT;
    flags[3] = extra;
    flags[4] = NULL;
    return flags;
}

/* Starts a master and such a slave. */
static void start_cluster(tc_cluster *c, const char *extra)
{
    tc_start(c, slave_flags(extra));
}

/* A DOCKER ContainerInfo for `image` on `net`, in a message of its own. */
static wire_msg *container_of(const char *image, wire_docker_network net)
{
    wire_msg *m = wire_new(WIRE_DESC(container_info));
    wire_container_info *ci = m->root;
    ci->type = WIRE_CONTAINER_DOCKER;
    ci->docker = wire_alloc(m, sizeof *ci->docker);
    wire_init(WIRE_DESC(docker_info), ci->docker);
    ci->docker->image = wire_strdup(m, image);
    ci->docker->has_network = true;
    ci->docker->network = net;
    return m;
}

static void add_port_mapping(wire_msg *m, uint32_t host, uint32_t container)
{
    wire_docker_info *d = ((wire_container_info *)m->root)->docker;
    d->port_mappings = wire_alloc_array(m, WIRE_DESC(port_mapping), 1);
    d->port_mappings[0] = (wire_port_mapping){.host_port = host, .container_port = container};
    d->port_mappings_count = 1;
}

/* The name of the container of executor_id's latest run: mesos-<run's container id>. */
static char *container_name(tc_cluster *c, const char *executor_id, char *buf, size_t n)
{
    char pattern[4600], link[PATH_MAX];
    tc_sandbox_glob(c, executor_id, "", pattern, sizeof pattern);
    pattern[strlen(pattern) - 1] = '\0'; /* .../runs/latest */
    glob_t g;
    ck_assert_msg(glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc == 1, "no sandbox %s", pattern);
    ssize_t len = readlink(g.gl_pathv[0], link, sizeof link - 1);
    globfree(&g);
    ck_assert_int_gt(len, 0);
    link[len] = '\0';
    snprintf(buf, n, "%s%s", DOCKER_NAME_PREFIX, basename(link));
    return buf;
}

/* docker inspect, asserting the container exists. */
static docker_container inspect(const char *name)
{
    docker_container c;
    char err[2048];
    ck_assert_msg(docker_inspect(dockerd->client, name, &c, err, sizeof err) == 0, "%s", err);
    return c;
}

static bool gone(const char *name)
{
    docker_container c;
    char err[2048];
    return docker_inspect(dockerd->client, name, &c, err, sizeof err) == -ENOENT;
}

static bool wait_gone(const char *name, double secs)
{
    for (int i = 0; i < (int)(secs * 10); i++) {
        if (gone(name)) return true;
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    return false;
}

/* ---- command tasks in an image ----------------------------------------------------------- */

START_TEST(test_a_command_task_in_an_image_finishes_with_its_output_in_the_sandbox)
{
    tc_cluster c;
    start_cluster(&c, NULL);
    tc_sched *s = tc_sched_start(&c, false);
    wire_msg *ci = container_of(IMAGE, WIRE_DOCKER_HOST);
    wire_environment_variable var = {"GREETING", "secret-greeting"};
    wire_environment env = {.variables = &var, .variables_count = 1};
    tc_task t = {.id = "hello", .command = "echo hello-from-docker; echo to-stderr >&2; "
                                           "echo \"got $GREETING as $MESOS_EXECUTOR_ID\"",
                 .cpus = 0.2, .mem = 32, .container = ci->root, .environment = &env};
    tc_sched_launch(s, &t, 1);
    ck_assert_msg(tc_wait_state(s, "hello", WIRE_TASK_FINISHED, 120), "see %s", c.slave_log);
    ck_assert_int_eq(tc_count_state(s, "hello", WIRE_TASK_RUNNING), 1);
    char msg[1024], pattern[4600];
    ck_assert_str_eq(tc_last_message(s, "hello", msg, sizeof msg),
                     "Container exited with status 0");
    tc_sandbox_glob(&c, "hello", "stdout", pattern, sizeof pattern);
    ck_assert_msg(tc_wait_glob_contains(pattern, "hello-from-docker", 10), "stdout: %s", pattern);
    /* CommandInfo.environment and the executor's environment reach the container; the
     * executor's account of the command shows no value of them */
    ck_assert(tc_wait_glob_contains(pattern, "got secret-greeting as hello", 10));
    char *out = tc_read_glob(pattern);
    const char *running = strstr(out, "Running ");
    ck_assert_ptr_nonnull(running);
    ck_assert_ptr_nonnull(strstr(running, "-e GREETING=... "));
    const char *only = strstr(out, "secret-greeting"); /* the task's output, nothing else */
    ck_assert_ptr_eq(only, strstr(out, "got secret-greeting") + strlen("got "));
    ck_assert_ptr_null(strstr(only + 1, "secret-greeting"));
    free(out);
    tc_sandbox_glob(&c, "hello", "stderr", pattern, sizeof pattern);
    ck_assert_msg(tc_wait_glob_contains(pattern, "to-stderr", 10), "stderr: %s", pattern);
    char name[128];
    docker_container dc = inspect(container_name(&c, "hello", name, sizeof name));
    ck_assert(!dc.running);
    ck_assert_int_eq(dc.exit_code, 0);
    wire_msg_free(ci);
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

START_TEST(test_a_file_written_to_mesos_sandbox_appears_in_the_host_sandbox)
{
    tc_cluster c;
    start_cluster(&c, NULL);
    tc_sched *s = tc_sched_start(&c, false);
    wire_msg *ci = container_of(IMAGE, WIRE_DOCKER_NONE);
    tc_task t = {.id = "writer", .command = "echo written-inside > \"$MESOS_SANDBOX/made.txt\"",
                 .cpus = 0.2, .mem = 32, .container = ci->root};
    tc_sched_launch(s, &t, 1);
    ck_assert_msg(tc_wait_state(s, "writer", WIRE_TASK_FINISHED, 120), "see %s", c.slave_log);
    char pattern[4600];
    tc_sandbox_glob(&c, "writer", "made.txt", pattern, sizeof pattern);
    char *text = tc_read_glob(pattern);
    ck_assert_msg(text && strcmp(text, "written-inside\n") == 0, "%s: %s", pattern,
                  text ? text : "(missing)");
    free(text);
    wire_msg_free(ci);
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

START_TEST(test_a_command_that_fails_in_its_container_fails_the_task_with_its_exit_status)
{
    tc_cluster c;
    start_cluster(&c, NULL);
    tc_sched *s = tc_sched_start(&c, false);
    wire_msg *ci = container_of(IMAGE, WIRE_DOCKER_HOST);
    tc_task t = {.id = "failing", .command = "echo about-to-fail; exit 3", .cpus = 0.2,
                 .mem = 32, .container = ci->root};
    tc_sched_launch(s, &t, 1);
    ck_assert_msg(tc_wait_state(s, "failing", WIRE_TASK_FAILED, 120), "see %s", c.slave_log);
    char msg[1024];
    ck_assert_str_eq(tc_last_message(s, "failing", msg, sizeof msg),
                     "Container exited with status 3");
    ck_assert_int_eq(tc_count_state(s, "failing", WIRE_TASK_RUNNING), 1);
    wire_msg_free(ci);
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

/* docker run creates the container, and then it cannot start (its user does not exist): the
 * task fails with docker's exit status and was never reported running. */
START_TEST(test_a_container_that_cannot_start_fails_the_task_without_running_it)
{
    tc_cluster c;
    start_cluster(&c, NULL);
    tc_sched *s = tc_sched_start(&c, false);
    wire_msg *ci = container_of(IMAGE, WIRE_DOCKER_HOST);
    wire_docker_info *d = ((wire_container_info *)ci->root)->docker;
    d->parameters = wire_alloc_array(ci, WIRE_DESC(parameter), 1);
    d->parameters[0] = (wire_parameter){.key = "user", .value = "no-such-user"};
    d->parameters_count = 1;
    tc_task t = {.id = "unstartable", .command = "echo never", .cpus = 0.2, .mem = 32,
                 .container = ci->root};
    tc_sched_launch(s, &t, 1);
    ck_assert_msg(tc_wait_state(s, "unstartable", WIRE_TASK_FAILED, 120), "see %s", c.slave_log);
    char msg[1024];
    tc_last_message(s, "unstartable", msg, sizeof msg);
    ck_assert_msg(strstr(msg, "docker run failed"), "%s", msg);
    ck_assert_int_eq(tc_count_state(s, "unstartable", WIRE_TASK_RUNNING), 0);
    wire_msg_free(ci);
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

/* The statistics.json entry of executor_id, or NULL. */
static json_t *statistics_of(tc_cluster *c, const char *executor_id, json_t **all)
{
    act_buf out = {0};
    *all = NULL;
    if (tu_http_get(c->slave_port, "/monitor/statistics.json", &out) == 200)
        *all = json_loadb(out.data, out.len, 0, NULL);
    act_buf_free(&out);
    size_t i;
    json_t *e;
    json_array_foreach(*all, i, e) {
        const char *id = json_string_value(json_object_get(e, "executor_id"));
        if (id && strcmp(id, executor_id) == 0) return json_object_get(e, "statistics");
    }
    return NULL;
}

START_TEST(test_resources_become_the_containers_limits_and_usage_comes_from_its_cgroups)
{
    tc_cluster c;
    start_cluster(&c, NULL);
    tc_sched *s = tc_sched_start(&c, false);
    wire_msg *ci = container_of(IMAGE, WIRE_DOCKER_HOST);
    tc_task t = {.id = "sized", .command = "exec sleep 1000", .cpus = 0.5, .mem = 64,
                 .container = ci->root};
    tc_sched_launch(s, &t, 1);
    ck_assert_msg(tc_wait_state(s, "sized", WIRE_TASK_RUNNING, 120), "see %s", c.slave_log);
    char name[128];
    docker_container dc = inspect(container_name(&c, "sized", name, sizeof name));
    /* the task's and its executor's 0.1 cpus and 32 MB, as Mesos' command executor takes */
    ck_assert(dc.running);
    ck_assert_uint_eq(dc.cpu_shares, 614);
    ck_assert_uint_eq(dc.memory, 96ull << 20);
    json_t *all = NULL, *st = NULL;
    for (int i = 0; i < 300; i++) { /* the cgroups are found on the first request */
        json_decref(all);
        st = statistics_of(&c, "sized", &all);
        if (st && json_integer_value(json_object_get(st, "mem_rss_bytes")) > 0) break;
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    ck_assert_msg(st, "no statistics for the executor");
    ck_assert(json_real_value(json_object_get(st, "cpus_limit")) > 0.59);
    ck_assert_int_eq(json_integer_value(json_object_get(st, "mem_limit_bytes")), 96 << 20);
    json_int_t rss = json_integer_value(json_object_get(st, "mem_rss_bytes"));
    ck_assert_msg(rss > 0 && rss < 96 << 20, "mem_rss_bytes %lld", (long long)rss);
    json_decref(all);
    tc_kill(s, "sized");
    ck_assert(tc_wait_state(s, "sized", WIRE_TASK_KILLED, 60));
    wire_msg_free(ci);
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

START_TEST(test_a_kill_stops_the_container_within_the_stop_timeout_and_it_is_removed_later)
{
    tc_cluster c;
    start_cluster(&c, "--docker_remove_delay=2secs");
    tc_sched *s = tc_sched_start(&c, false);
    wire_msg *ci = container_of(IMAGE, WIRE_DOCKER_HOST);
    /* sleep as the container's first process ignores SIGTERM: docker stop must kill it */
    tc_task t = {.id = "stubborn", .command = "exec sleep 1000", .cpus = 0.2, .mem = 32,
                 .container = ci->root};
    tc_sched_launch(s, &t, 1);
    ck_assert_msg(tc_wait_state(s, "stubborn", WIRE_TASK_RUNNING, 120), "see %s", c.slave_log);
    char name[128];
    ck_assert(inspect(container_name(&c, "stubborn", name, sizeof name)).running);
    double asked = tu_mono();
    tc_kill(s, "stubborn");
    ck_assert(tc_wait_state(s, "stubborn", WIRE_TASK_KILLED, 60));
    double took = tu_mono() - asked;
    docker_container dc = inspect(name);
    ck_assert(!dc.running);
    ck_assert_int_eq(dc.exit_code, 137); /* SIGKILL once the stop timeout passed */
    ck_assert_msg(took < 1 + 20, "the kill took %.1f s with a stop timeout of 1 s", took);
    char pattern[4600], want[256];
    snprintf(want, sizeof want, "Stopping container %s (docker stop -t " STOP_TIMEOUT ")", name);
    tc_sandbox_glob(&c, "stubborn", "stdout", pattern, sizeof pattern);
    ck_assert_msg(tc_wait_glob_contains(pattern, want, 5), "no '%s' in %s", want, pattern);
    ck_assert_msg(wait_gone(name, 60), "%s was not removed after --docker_remove_delay", name);
    wire_msg_free(ci);
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

START_TEST(test_an_image_that_cannot_be_pulled_fails_the_task_with_the_pull_error)
{
    tc_cluster c;
    start_cluster(&c, NULL);
    tc_sched *s = tc_sched_start(&c, false);
    wire_msg *ci = container_of("mesos-test-missing", WIRE_DOCKER_HOST);
    tc_task t = {.id = "unpullable", .command = "true", .cpus = 0.2, .mem = 32,
                 .container = ci->root};
    tc_sched_launch(s, &t, 1);
    ck_assert_msg(tc_wait_state(s, "unpullable", WIRE_TASK_FAILED, 120), "see %s", c.slave_log);
    char msg[1024], want[4400];
    tc_last_message(s, "unpullable", msg, sizeof msg);
    snprintf(want, sizeof want, "Failed to '%s pull mesos-test-missing:latest': exit status = "
             "exited with status 1 stderr = ", dockerd->client);
    const char *at = strstr(msg, want);
    ck_assert_msg(at, "the update says: %s", msg);
    const char *stderr_text = at + strlen(want);
    ck_assert_msg(strlen(stderr_text) > 5, "no stderr of docker in: %s", msg);
    ck_assert_msg(tu_wait_file_contains(c.slave_log, want, 10), "the slave's log %s lacks: %s",
                  c.slave_log, want);
    char pattern[4600], line[128];
    snprintf(line, sizeof line, "%.60s", stderr_text); /* what docker printed, in the sandbox */
    tc_sandbox_glob(&c, "unpullable", "stderr", pattern, sizeof pattern);
    ck_assert_msg(tc_wait_glob_contains(pattern, line, 5), "no '%s' in %s", line, pattern);
    wire_msg_free(ci);
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

/* A client that pulls forever (the real one otherwise): no registry is reachable here to make
 * a real pull slow. It writes its pid first so that the test can see it killed. */
static const char *slow_pull_client(tc_cluster *c, char *path, size_t n)
{
    snprintf(path, n, "%s/slow-docker", c->dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "#!/bin/sh\nif [ \"$1\" = pull ]; then echo $$ > '%s.pid'; exec sleep 300; fi\n"
               "exec '%s' \"$@\"\n", path, dockerd->client);
    fclose(f);
    chmod(path, 0755);
    return path;
}

START_TEST(test_a_pull_counts_against_the_registration_timeout_and_is_killed)
{
    tc_cluster c;
    memset(&c, 0, sizeof c);
    c.dir = tu_tmpdir();
    tc_start_master(&c);
    char client[4400], docker[4500], pid_path[4500];
    slow_pull_client(&c, client, sizeof client);
    snprintf(docker, sizeof docker, "--docker=%s", client);
    const char *flags[] = {"--containerizers=docker,mesos", docker,
                           "--executor_registration_timeout=2secs", NULL};
    tc_start_slave(&c, flags);
    tc_sched *s = tc_sched_start(&c, false);
    wire_msg *ci = container_of("mesos-test-slow-to-pull", WIRE_DOCKER_HOST);
    tc_task t = {.id = "waiting", .command = "true", .cpus = 0.2, .mem = 32,
                 .container = ci->root};
    tc_sched_launch(s, &t, 1);
    ck_assert_msg(tc_wait_state(s, "waiting", WIRE_TASK_FAILED, 60), "see %s", c.slave_log);
    char msg[1024];
    ck_assert_str_eq(tc_last_message(s, "waiting", msg, sizeof msg),
                     "Executor did not register within 2secs");
    snprintf(pid_path, sizeof pid_path, "%s.pid", client);
    char *pid = tu_read_file(pid_path);
    ck_assert_msg(pid, "the pull never started; see %s", c.slave_log);
    ck_assert_msg(tu_wait_gone(atoi(pid), 10), "the pull (pid %s) outlived its launch", pid);
    free(pid);
    wire_msg_free(ci);
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

START_TEST(test_a_slave_that_cannot_run_docker_or_names_an_unknown_containerizer_exits)
{
    tc_cluster c;
    memset(&c, 0, sizeof c);
    c.dir = tu_tmpdir();
    tc_start_master(&c);
    const char *no_docker[] = {"--containerizers=docker,mesos", "--docker=/bin/false", NULL};
    const char *unknown[] = {"--containerizers=mesos,rkt", NULL};
    const char *const *cases[] = {no_docker, unknown};
    const char *says[] = {"Failed to create a containerizer: Failed to create the Docker "
                          "containerizer: Failed to '/bin/false version': exit status = exited "
                          "with status 1",
                          "Unknown containerizer 'rkt' in --containerizers"};
    for (int i = 0; i < 2; i++) {
        char log[4400];
        snprintf(log, sizeof log, "%s/refused-%d.log", c.dir, i);
        int pid = tc_spawn_slave(&c, cases[i], log);
        int st = tu_stop(pid, 0, 30); /* it exits by itself */
        ck_assert_msg(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %d; see %s", st,
                      log);
        ck_assert_msg(tu_wait_file_contains(log, says[i], 1), "%s lacks: %s", log, says[i]);
    }
    tc_stop(&c);
}
END_TEST

/* The helper's promise: a test process that dies leaves no daemon and no data root. */
START_TEST(test_a_daemon_is_stopped_and_its_data_root_removed_when_its_test_process_dies)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t child = fork();
    if (child == 0) {
        close(fds[0]);
        td_daemon *d = td_start(false);
        dprintf(fds[1], "%s\n", d->dir);
        abort(); /* a test that crashes: no td_stop */
    }
    close(fds[1]);
    char dir[4300] = "";
    FILE *f = fdopen(fds[0], "r");
    ck_assert_msg(fgets(dir, sizeof dir, f), "the daemon did not start");
    fclose(f);
    dir[strcspn(dir, "\n")] = '\0';
    waitpid(child, NULL, 0);
    char ready[4400], data[4400], line[128];
    snprintf(ready, sizeof ready, "%s/ready", dir);
    snprintf(data, sizeof data, "%s/data", dir);
    int daemon = 0;
    FILE *r = fopen(ready, "r");
    while (r && fgets(line, sizeof line, r)) sscanf(line, "pid %d", &daemon);
    if (r) fclose(r);
    ck_assert_int_gt(daemon, 0);
    ck_assert_msg(tu_wait_gone(daemon, 90), "dockerd %d outlived its test process", daemon);
    for (int i = 0; i < 900 && access(data, F_OK) == 0; i++) {
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    ck_assert_msg(access(data, F_OK) != 0, "%s was left behind", data);
    tu_rmrf(dir);
}
END_TEST

/* Runs one task on a fresh cluster whose slave has --containerizers=list; returns the message
 * of its TASK_FAILED. */
static void failed_on(const char *list, const tc_task *t, char *msg, size_t n)
{
    tc_cluster c;
    char flag[64], docker[4300];
    snprintf(flag, sizeof flag, "--containerizers=%s", list);
    snprintf(docker, sizeof docker, "--docker=%s", dockerd->client);
    const char *flags[] = {flag, docker, NULL};
    tc_start(&c, flags);
    tc_sched *s = tc_sched_start(&c, false);
    tc_sched_launch(s, t, 1);
    ck_assert_msg(tc_wait_state(s, t->id, WIRE_TASK_FAILED, 60), "see %s", c.slave_log);
    tc_last_message(s, t->id, msg, n);
    tc_sched_stop(s);
    tc_stop(&c);
}

START_TEST(test_each_containerizer_refuses_what_only_the_other_runs)
{
    wire_msg *ci = container_of(IMAGE, WIRE_DOCKER_HOST);
    tc_task in_image = {.id = "in-image", .command = "true", .cpus = 0.1, .mem = 16,
                        .container = ci->root};
    tc_task plain = {.id = "plain", .command = "true", .cpus = 0.1, .mem = 16};
    char msg[1024];
    failed_on("mesos", &in_image, msg, sizeof msg);
    ck_assert_msg(strstr(msg, "runs in a Docker image: this slave's --containerizers has no "
                              "'docker'"), "%s", msg);
    failed_on("docker", &plain, msg, sizeof msg);
    ck_assert_msg(strstr(msg, "has no Docker ContainerInfo"), "%s", msg);
    wire_msg_free(ci);
}
END_TEST

/* ---- recovery ---------------------------------------------------------------------------- */

START_TEST(test_a_restarted_slave_reattaches_its_container_and_removes_its_orphans)
{
    tc_cluster c;
    start_cluster(&c, NULL);
    tc_sched *s = tc_sched_start(&c, true);
    wire_msg *ci = container_of(IMAGE, WIRE_DOCKER_HOST);
    tc_task t = {.id = "survivor", .command = "exec sleep 1000", .cpus = 0.2, .mem = 32,
                 .container = ci->root};
    tc_sched_launch(s, &t, 1);
    ck_assert_msg(tc_wait_state(s, "survivor", WIRE_TASK_RUNNING, 120), "see %s", c.slave_log);
    char name[128], orphan[64], foreign[64];
    container_name(&c, "survivor", name, sizeof name);
    snprintf(orphan, sizeof orphan, "mesos-orphan-%d", (int)getpid());
    snprintf(foreign, sizeof foreign, "mesos-foreign-%d", (int)getpid());
    ck_assert_int_eq(td_docker(dockerd, NULL, "run -d --name %s --label %s=%s %s sleep 1000",
                               orphan, DOCKER_LABEL_WORK_DIR, tc_slave_work_dir(&c), IMAGE), 0);
    ck_assert_int_eq(td_docker(dockerd, NULL, "run -d --name %s --label %s=/another/slave %s "
                               "sleep 1000", foreign, DOCKER_LABEL_WORK_DIR, IMAGE), 0);
    tc_kill_slave(&c, SIGKILL);
    ck_assert(inspect(name).running);
    tc_start_slave(&c, slave_flags(NULL));
    ck_assert_msg(tu_wait_file_contains(c.slave_log, "re-registered", 30), "see %s",
                  c.slave_log);
    ck_assert_msg(wait_gone(orphan, 60), "the orphan %s was not removed; see %s", orphan,
                  c.slave_log);
    ck_assert_msg(inspect(foreign).running, "another slave's container was touched");
    ck_assert(inspect(name).running);
    tc_kill(s, "survivor"); /* through the executor the restarted slave reattached */
    ck_assert_msg(tc_wait_state(s, "survivor", WIRE_TASK_KILLED, 60), "see %s", c.slave_log);
    ck_assert(!inspect(name).running);
    td_docker(dockerd, NULL, "rm -f %s", foreign);
    wire_msg_free(ci);
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

/* ---- networks ---------------------------------------------------------------------------- */

/* Whether the server behind 127.0.0.1:port says `want`, waiting while nothing listens yet,
 * until `secs` pass or task `id` failed. */
static bool serves(tc_sched *s, const char *id, uint16_t port, const char *want, double secs)
{
    for (double end = tu_mono() + secs; tu_mono() < end;) {
        if (tc_count_state(s, id, WIRE_TASK_FAILED) > 0) return false;
        int fd = tu_connect(port);
        if (fd >= 0) {
            act_buf got = {0};
            tu_read_until_closed(fd, &got);
            close(fd);
            bool ok = got.data && strstr(got.data, want);
            act_buf_free(&got);
            if (ok) return true;
        }
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    return false;
}

/* A port of the slave's range (31000-31100) that nothing holds on 0.0.0.0 now, where
 * docker's proxy will listen. Other programs (another checkout's run of this test) may take
 * ports of the range, so each process starts looking at a place of its own. */
static uint16_t free_offered_port(int attempt)
{
    for (int i = 0; i <= 100; i++) {
        uint16_t p = (uint16_t)(31000 + (getpid() + 37 * attempt + i) % 101);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(p)};
        bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
        if (fd >= 0) close(fd);
        if (ok) return p;
    }
    ck_abort_msg("every port of 31000-31100 is taken");
    return 0;
}

/* Runs task `id`, a server in the image answering `token` on 8080, mapped to a free offered
 * port; returns that port once the token comes back through it, or 0 when the port was taken
 * before docker's proxy could listen on it (the container then fails to start, never running,
 * and says so). */
static uint16_t run_server(tc_cluster *c, tc_sched *s, const char *id, const char *token,
                           int attempt)
{
    wire_msg *ci = container_of(IMAGE, WIRE_DOCKER_BRIDGE);
    uint16_t port = free_offered_port(attempt);
    char range[32], command[128];
    snprintf(range, sizeof range, "[%u-%u]", port, port);
    snprintf(command, sizeof command, "while true; do echo %s | nc -l -p 8080; done", token);
    add_port_mapping(ci, port, 8080);
    tc_task t = {.id = id, .command = command, .cpus = 0.2, .mem = 32, .container = ci->root,
                 .ports = range};
    tc_sched_launch(s, &t, 1);
    int state = tc_wait_either(s, id, WIRE_TASK_RUNNING, WIRE_TASK_FAILED, 120);
    ck_assert_msg(state >= 0, "see %s", c->slave_log);
    bool ok = state == WIRE_TASK_RUNNING && serves(s, id, port, token, 60);
    wire_msg_free(ci);
    if (ok) return port;
    char pattern[4600];
    tc_sandbox_glob(c, id, "stderr", pattern, sizeof pattern);
    ck_assert_msg(tc_wait_state(s, id, WIRE_TASK_FAILED, 10), "nothing answered on host port "
                  "%u; see %s", port, pattern);
    ck_assert_msg(tc_wait_glob_contains(pattern, "address already in use", 10),
                  "the container failed; see %s", pattern);
    return 0;
}

START_TEST(test_bridge_port_mappings_reach_the_container_through_the_offered_host_port)
{
    if (!dockerd->bridge[0]) {
        fprintf(stderr, "SKIPPED %s: no bridge network here: %s\n", __func__, dockerd->no_bridge);
        return;
    }
    tc_cluster c;
    start_cluster(&c, NULL);
    tc_sched *s = tc_sched_start(&c, false);
    char token[64], id[32];
    snprintf(token, sizeof token, "pong-from-%d", (int)getpid()); /* no other run's server */
    uint16_t port = 0;
    for (int attempt = 0; attempt < 3 && !port; attempt++) {
        snprintf(id, sizeof id, "server-%d", attempt);
        port = run_server(&c, s, id, token, attempt);
    }
    ck_assert_msg(port, "another program took each port offered; see %s", c.slave_log);
    tc_kill(s, id);
    ck_assert_msg(tc_wait_state(s, id, WIRE_TASK_KILLED, 60), "see %s", c.slave_log);
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

START_TEST(test_port_mappings_outside_the_offered_ports_are_refused_with_task_error)
{
    tc_cluster c;
    start_cluster(&c, NULL);
    tc_sched *s = tc_sched_start(&c, false);
    wire_msg *bridge = container_of(IMAGE, WIRE_DOCKER_BRIDGE);
    add_port_mapping(bridge, 31050, 80);
    wire_msg *host = container_of(IMAGE, WIRE_DOCKER_HOST);
    add_port_mapping(host, 31001, 80);
    tc_task t[] = {{.id = "unoffered", .command = "true", .cpus = 0.1, .mem = 16,
                    .container = bridge->root, .ports = "[31001-31001]"},
                   {.id = "on-host", .command = "true", .cpus = 0.1, .mem = 16,
                    .container = host->root, .ports = "[31001-31001]"}};
    tc_sched_launch(s, t, 2);
    ck_assert(tc_wait_state(s, "unoffered", WIRE_TASK_ERROR, 60));
    ck_assert(tc_wait_state(s, "on-host", WIRE_TASK_ERROR, 60));
    char msg[1024];
    ck_assert_str_eq(tc_last_message(s, "unoffered", msg, sizeof msg),
                     "Port [31050] not included in resources");
    ck_assert_str_eq(tc_last_message(s, "on-host", msg, sizeof msg),
                     "Port mappings are only supported for bridge network");
    wire_msg_free(bridge);
    wire_msg_free(host);
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

/* ---- an executor in an image, mesos-execute --------------------------------------------- */

/* A read-only volume host_path:host_path. */
static void add_volume(wire_msg *m, wire_volume *v, const char *path)
{
    *v = (wire_volume){.container_path = wire_strdup(m, path), .has_host_path = true,
                       .host_path = wire_strdup(m, path), .mode = WIRE_VOLUME_RO};
}

/* Waits until the container's shares and memory limit are these (docker update is on a
 * thread of the slave's). */
static bool wait_limits(const char *name, uint64_t shares, uint64_t memory, double secs)
{
    docker_container dc = {0};
    for (int i = 0; i < (int)(secs * 10); i++) {
        dc = inspect(name);
        if (dc.cpu_shares == shares && dc.memory == memory) return true;
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "%s has %llu shares and %llu bytes\n", name,
            (unsigned long long)dc.cpu_shares, (unsigned long long)dc.memory);
    return false;
}

START_TEST(test_a_custom_executor_in_an_image_runs_tasks_and_its_limits_follow_them)
{
    tc_cluster c;
    start_cluster(&c, NULL);
    tc_sched *s = tc_sched_start(&c, false);
    /* the release example-executor, its libraries from the host's /usr read-only */
    char bin[PATH_MAX], exe[PATH_MAX + 32];
    ck_assert_ptr_nonnull(realpath(TEST_BUILD_DIR "/bin", bin));
    snprintf(exe, sizeof exe, "%s/example-executor", bin);
    wire_msg *m = wire_new(WIRE_DESC(executor_info));
    wire_executor_info *e = m->root;
    e->executor_id.value = "in-image";
    e->command.has_value = true;
    e->command.value = exe;
    e->command.has_shell = true;
    e->command.shell = false;
    res_set r = {0};
    res_parse("cpus:0.1;mem:32", "*", &r, NULL, 0);
    res_to_wire(&r, m, &e->resources, &e->resources_count);
    res_free(&r);
    wire_msg *cm = container_of(IMAGE, WIRE_DOCKER_HOST);
    wire_container_info *ci = cm->root;
    const char *paths[] = {"/usr", "/lib", "/lib64", bin};
    ci->volumes = wire_alloc_array(cm, WIRE_DESC(volume), 4);
    for (int i = 0; i < 4; i++) add_volume(cm, &ci->volumes[i], paths[i]);
    ci->volumes_count = 4;
    e->container = ci;
    tc_task t = {.id = "imaged", .command = "data-for-the-executor", .executor = e, .cpus = 0.1,
                 .mem = 16};
    tc_sched_launch(s, &t, 1);
    ck_assert_msg(tc_wait_state(s, "imaged", WIRE_TASK_FINISHED, 120), "see %s", c.slave_log);
    char pattern[4600], name[128];
    tc_sandbox_glob(&c, "in-image", "stdout", pattern, sizeof pattern);
    ck_assert_msg(tc_wait_glob_contains(pattern, "data-for-the-executor", 10), "%s", pattern);
    ck_assert(inspect(container_name(&c, "in-image", name, sizeof name)).running);
    /* launched with the executor's and the task's 0.2 cpus and 48 MB; the task gone, the
     * shares follow (0.1 cpus) but the memory limit never goes down */
    ck_assert(wait_limits(name, 102, 48 << 20, 30));
    tc_task bigger = {.id = "bigger", .command = "more-data", .executor = e, .cpus = 0.3,
                      .mem = 64};
    tc_sched_launch(s, &bigger, 1);
    ck_assert_msg(tc_wait_state(s, "bigger", WIRE_TASK_FINISHED, 60), "see %s", c.slave_log);
    ck_assert(tc_wait_glob_contains(pattern, "more-data", 10));
    /* it joined (0.4 cpus, 96 MB: a higher limit) and left again (0.1 cpus) */
    ck_assert_msg(wait_limits(name, 102, 96 << 20, 30), "see %s", c.slave_log);
    /* (the joining task's 409 shares may never be applied when it left while the update
     * before was on its way; its memory limit is, as the task may still hold that memory) */
    ck_assert_msg(tu_wait_file_contains(c.slave_log, "a higher memory limit", 1),
                  "the update for the joining task is not in %s", c.slave_log);
    tc_sched_stop(s); /* the framework ends: its executor is shut down, the container stops */
    for (int i = 0; i < 300 && inspect(name).running; i++) {
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    ck_assert_msg(!inspect(name).running, "the executor's container still runs");
    wire_msg_free(cm);
    wire_msg_free(m);
    tc_stop(&c);
}
END_TEST

START_TEST(test_mesos_execute_runs_a_command_in_a_docker_image)
{
    tc_cluster c;
    start_cluster(&c, NULL);
    char master[128], image[128], out[4400];
    snprintf(master, sizeof master, "--master=%s", c.master_addr);
    snprintf(image, sizeof image, "--docker_image=%s", IMAGE);
    snprintf(out, sizeof out, "%s/execute.out", c.dir);
    char *argv[] = {(char *)tu_bin("mesos-execute"), master, "--name=in-docker",
                    "--command=test -d \"$MESOS_SANDBOX\" && echo ran-in-image", image,
                    "--resources=cpus:0.2;mem:32", NULL};
    ck_assert_msg(tu_run(argv, out, 120) == 0, "mesos-execute failed; see %s", out);
    ck_assert(tu_wait_file_contains(out, "TASK_FINISHED", 1));
    char pattern[4600];
    tc_sandbox_glob(&c, "in-docker", "stdout", pattern, sizeof pattern);
    ck_assert_msg(tc_wait_glob_contains(pattern, "ran-in-image", 5), "%s", pattern);
    tc_stop(&c);
}
END_TEST

Suite *docker_containerizer_suite(void)
{
    Suite *s = suite_create("docker_containerizer");
    TCase *tc = tcase_create("docker");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, daemon_up, daemon_down);
    tcase_add_test(tc, test_a_pull_that_cannot_succeed_fails_with_dockers_error);
    tcase_add_test(tc, test_run_args_start_a_container_that_sees_its_sandbox_and_gets_its_limits);
    tcase_add_test(tc, test_a_command_task_in_an_image_finishes_with_its_output_in_the_sandbox);
    tcase_add_test(tc, test_a_file_written_to_mesos_sandbox_appears_in_the_host_sandbox);
    tcase_add_test(tc,
                   test_resources_become_the_containers_limits_and_usage_comes_from_its_cgroups);
    tcase_add_test(tc,
                   test_a_kill_stops_the_container_within_the_stop_timeout_and_it_is_removed_later);
    tcase_add_test(tc, test_an_image_that_cannot_be_pulled_fails_the_task_with_the_pull_error);
    tcase_add_test(tc,
                   test_a_restarted_slave_reattaches_its_container_and_removes_its_orphans);
    tcase_add_test(tc, test_bridge_port_mappings_reach_the_container_through_the_offered_host_port);
    tcase_add_test(tc, test_port_mappings_outside_the_offered_ports_are_refused_with_task_error);
    tcase_add_test(tc, test_a_custom_executor_in_an_image_runs_tasks_and_its_limits_follow_them);
    tcase_add_test(tc, test_mesos_execute_runs_a_command_in_a_docker_image);
    tcase_add_test(tc,
                   test_a_command_that_fails_in_its_container_fails_the_task_with_its_exit_status);
    tcase_add_test(tc, test_a_container_that_cannot_start_fails_the_task_without_running_it);
    tcase_add_test(tc,
                   test_a_pull_counts_against_the_registration_timeout_and_is_killed);
    tcase_add_test(tc, test_a_slave_that_cannot_run_docker_or_names_an_unknown_containerizer_exits);
    tcase_add_test(tc, test_each_containerizer_refuses_what_only_the_other_runs);
    tcase_add_test(tc,
                   test_a_daemon_is_stopped_and_its_data_root_removed_when_its_test_process_dies);
    suite_add_tcase(s, tc);
    return s;
}
