/*
 * test_docker.c - the docker client module without a daemon: the `docker run` arguments Mesos
 * 0.22 makes of a ContainerInfo, a CommandInfo and resources (shares, memory, environment,
 * volumes, the sandbox mount, networks, parameters, port mappings checked against the offered
 * ports, the shell), image tags, `docker inspect` parsing, and running a client process (its
 * output, exit status, failure message, cancellation and time bound) with /bin/sh standing in
 * for the client. test_docker_daemon.c drives the same module against a real dockerd.
 */
#include "docker/docker.h"
#include "tests/support/testutil.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- a ContainerInfo and CommandInfo to build on ----------------------------------------- */

typedef struct spec_fixture {
    wire_msg *container, *command;
    res_set resources;
    docker_run_spec spec;
} spec_fixture;

static void fixture_init(spec_fixture *f, const char *image, wire_docker_network net)
{
    memset(f, 0, sizeof *f);
    f->container = wire_new(WIRE_DESC(container_info));
    wire_container_info *ci = f->container->root;
    ci->type = WIRE_CONTAINER_DOCKER;
    ci->docker = wire_alloc(f->container, sizeof *ci->docker);
    wire_init(WIRE_DESC(docker_info), ci->docker);
    ci->docker->image = wire_strdup(f->container, image);
    ci->docker->has_network = true;
    ci->docker->network = net;
    f->command = wire_new(WIRE_DESC(command_info));
    wire_command_info *c = f->command->root;
    c->has_value = true;
    c->value = wire_strdup(f->command, "echo hello");
    ck_assert_int_eq(res_parse("cpus:0.5;mem:64;ports:[31000-31002]", "*", &f->resources, NULL,
                               0), 0);
    f->spec = (docker_run_spec){.container = ci, .command = c, .name = "mesos-c1",
                                .sandbox = "/work/sb", .mapped = "/mnt/mesos/sandbox",
                                .resources = &f->resources};
}

static void fixture_free(spec_fixture *f)
{
    wire_msg_free(f->container);
    wire_msg_free(f->command);
    res_free(&f->resources);
}

/* The arguments joined with single spaces. */
static char *run_line(spec_fixture *f, int expect_rc, char *err, size_t n)
{
    docker_args a = {0};
    err[0] = '\0';
    ck_assert_int_eq(docker_run_args(&f->spec, &a, err, n), expect_rc);
    char *line = docker_args_join(&a, 0);
    docker_args_free(&a);
    return line;
}

static void add_mapping(spec_fixture *f, uint32_t host, uint32_t container, const char *proto)
{
    wire_docker_info *d = ((wire_container_info *)f->container->root)->docker;
    wire_port_mapping *m = wire_alloc_array(f->container, WIRE_DESC(port_mapping),
                                            d->port_mappings_count + 1);
    if (d->port_mappings_count) memcpy(m, d->port_mappings, d->port_mappings_count * sizeof *m);
    m[d->port_mappings_count] = (wire_port_mapping){.host_port = host,
                                                    .container_port = container};
    if (proto) {
        m[d->port_mappings_count].has_protocol = true;
        m[d->port_mappings_count].protocol = wire_strdup(f->container, proto);
    }
    d->port_mappings = m;
    d->port_mappings_count++;
}

/* ---- docker run arguments ---------------------------------------------------------------- */

START_TEST(test_run_args_follow_mesos_for_a_shell_command_on_the_host_network)
{
    spec_fixture f;
    fixture_init(&f, "busybox", WIRE_DOCKER_HOST);
    char *env[] = {"MESOS_TASK_ID=t1", "MESOS_SANDBOX=/host/path", NULL};
    f.spec.env = env;
    f.spec.work_dir = "/var/lib/mesos";
    char err[256];
    char *line = run_line(&f, 0, err, sizeof err);
    ck_assert_str_eq(line, "run -c 512 -m 67108864 -e MESOS_TASK_ID=t1 "
                           "-e MESOS_SANDBOX=/mnt/mesos/sandbox -v /work/sb:/mnt/mesos/sandbox "
                           "--net host --entrypoint /bin/sh --name mesos-c1 "
                           "--label org.mesos.slave.work_dir=/var/lib/mesos busybox -c echo hello");
    free(line);
    fixture_free(&f);
}
END_TEST

START_TEST(test_run_args_pass_the_command_environment_volumes_parameters_and_privileged)
{
    spec_fixture f;
    fixture_init(&f, "python:3", WIRE_DOCKER_NONE);
    wire_container_info *ci = f.container->root;
    ci->docker->privileged = true;
    ci->docker->parameters_count = 1;
    ci->docker->parameters = wire_alloc_array(f.container, WIRE_DESC(parameter), 1);
    ci->docker->parameters[0] = (wire_parameter){"memory-swappiness", "0"};
    ci->volumes_count = 1;
    ci->volumes = wire_alloc_array(f.container, WIRE_DESC(volume), 1);
    ci->volumes[0] = (wire_volume){.container_path = "/data", .has_host_path = true,
                                   .host_path = "/srv/data", .mode = WIRE_VOLUME_RO};
    wire_command_info *c = f.command->root;
    c->has_shell = true;
    c->shell = false;
    c->value = "python3";
    c->arguments_count = 2;
    static char *args[] = {"-c", "print(1)"};
    c->arguments = args;
    c->environment = wire_alloc(f.command, sizeof *c->environment);
    c->environment->variables_count = 1;
    c->environment->variables = wire_alloc_array(f.command, WIRE_DESC(environment_variable), 1);
    c->environment->variables[0] = (wire_environment_variable){"GREETING", "hi there"};
    char err[256];
    char *line = run_line(&f, 0, err, sizeof err);
    ck_assert_str_eq(line, "run --privileged -c 512 -m 67108864 -e GREETING=hi there "
                           "-e MESOS_SANDBOX=/mnt/mesos/sandbox -v /srv/data:/data:ro "
                           "-v /work/sb:/mnt/mesos/sandbox --net none --memory-swappiness=0 "
                           "--name mesos-c1 python:3 python3 -c print(1)");
    free(line);
    fixture_free(&f);
}
END_TEST

START_TEST(test_run_args_map_offered_ports_on_a_bridge_and_refuse_others)
{
    spec_fixture f;
    fixture_init(&f, "nginx", WIRE_DOCKER_BRIDGE);
    add_mapping(&f, 31001, 80, "TCP");
    char err[256];
    char *line = run_line(&f, 0, err, sizeof err);
    ck_assert_ptr_nonnull(strstr(line, "--net bridge -p 31001:80/tcp --entrypoint"));
    free(line);
    add_mapping(&f, 31005, 443, NULL);
    line = run_line(&f, -EINVAL, err, sizeof err);
    ck_assert_str_eq(err, "Port [31005] not included in resources");
    free(line);
    ((wire_container_info *)f.container->root)->docker->network = WIRE_DOCKER_HOST;
    line = run_line(&f, -EINVAL, err, sizeof err);
    ck_assert_str_eq(err, "Port mappings are only supported for bridge network");
    free(line);
    fixture_free(&f);
}
END_TEST

START_TEST(test_run_args_refuse_what_mesos_refuses)
{
    spec_fixture f;
    fixture_init(&f, "busybox", WIRE_DOCKER_HOST);
    char err[256];
    wire_container_info *ci = f.container->root;
    ci->has_hostname = true;
    ci->hostname = "box";
    free(run_line(&f, -EINVAL, err, sizeof err));
    ck_assert_str_eq(err, "Unable to set hostname with host network mode");
    ci->docker->network = WIRE_DOCKER_BRIDGE;
    char *line = run_line(&f, 0, err, sizeof err);
    ck_assert_ptr_nonnull(strstr(line, "--net bridge --hostname box"));
    free(line);
    ((wire_command_info *)f.command->root)->has_value = false;
    free(run_line(&f, -EINVAL, err, sizeof err));
    ck_assert_str_eq(err, "Shell specified but no command value provided");
    ci->type = WIRE_CONTAINER_MESOS;
    free(run_line(&f, -EINVAL, err, sizeof err));
    ck_assert_str_eq(err, "No docker info found in container info");
    fixture_free(&f);
}
END_TEST

START_TEST(test_resources_become_shares_and_a_memory_limit_with_mesos_minimums)
{
    res_set r = {0};
    ck_assert_int_eq(res_parse("cpus:0.001;mem:1", "*", &r, NULL, 0), 0);
    ck_assert_uint_eq(docker_cpu_shares(&r), DOCKER_MIN_CPU_SHARES);
    ck_assert_uint_eq(docker_memory_limit(&r), 32ull << 20);
    res_clear(&r);
    ck_assert_int_eq(res_parse("cpus:1.6;mem:96", "*", &r, NULL, 0), 0);
    ck_assert_uint_eq(docker_cpu_shares(&r), 1638);
    ck_assert_uint_eq(docker_memory_limit(&r), 96ull << 20);
    res_clear(&r);
    ck_assert_uint_eq(docker_cpu_shares(&r), 0);
    ck_assert_uint_eq(docker_memory_limit(NULL), 0);
    res_free(&r);
}
END_TEST

START_TEST(test_an_image_without_a_tag_is_pulled_as_latest)
{
    char buf[256];
    ck_assert_str_eq(docker_image_tag("busybox", buf, sizeof buf), "busybox:latest");
    ck_assert_str_eq(docker_image_tag("python:3", buf, sizeof buf), "python:3");
    ck_assert_str_eq(docker_image_tag("localhost:5000/app", buf, sizeof buf),
                     "localhost:5000/app:latest");
    ck_assert_str_eq(docker_image_tag("localhost:5000/app:v2", buf, sizeof buf),
                     "localhost:5000/app:v2");
    ck_assert_str_eq(docker_image_tag("app@sha256:abcd", buf, sizeof buf), "app@sha256:abcd");
}
END_TEST

START_TEST(test_inspect_output_is_parsed_and_garbage_refused)
{
    const char *json = "[{\"Id\":\"0123abc\",\"Name\":\"/mesos-c1\",\"State\":{\"Running\":true,"
                       "\"Pid\":4242,\"ExitCode\":0},\"HostConfig\":{\"CpuShares\":614,"
                       "\"Memory\":100663296}}]";
    docker_container c;
    char err[256];
    ck_assert_int_eq(docker_container_parse(json, strlen(json), &c, err, sizeof err), 0);
    ck_assert_str_eq(c.id, "0123abc");
    ck_assert_str_eq(c.name, "mesos-c1");
    ck_assert_int_eq(c.pid, 4242);
    ck_assert(c.running);
    ck_assert_uint_eq(c.cpu_shares, 614);
    ck_assert_uint_eq(c.memory, 100663296);
    ck_assert(c.started);
    /* Ended after running, and created but never started (Go's zero time). */
    const char *ran = "[{\"Id\":\"a\",\"Name\":\"/b\",\"State\":{\"Running\":false,\"Pid\":0,"
                      "\"StartedAt\":\"2026-12-02T07:20:01.5Z\"}}]";
    const char *never = "[{\"Id\":\"a\",\"Name\":\"/b\",\"State\":{\"Running\":false,\"Pid\":0,"
                        "\"StartedAt\":\"0001-01-01T00:00:00Z\"}}]";
    ck_assert_int_eq(docker_container_parse(ran, strlen(ran), &c, err, sizeof err), 0);
    ck_assert(c.started && !c.running);
    ck_assert_int_eq(docker_container_parse(never, strlen(never), &c, err, sizeof err), 0);
    ck_assert(!c.started);
    const char *bad[] = {"", "[]", "{}", "[{\"Id\":1}]", "[{\"Id\":\"x\",\"Name\":\"y\"}]", "[1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_int_eq(docker_container_parse(bad[i], strlen(bad[i]), &c, err, sizeof err),
                         -EBADMSG);
}
END_TEST

/* ---- running a client (sh plays it) ------------------------------------------------------ */

static int sh(const char *script, const docker_io *io, act_buf *out, act_buf *err)
{
    docker_args a = {0};
    docker_args_push(&a, "-c");
    docker_args_push(&a, script);
    int rc = docker_cmd("/bin/sh", &a, io, out, err);
    docker_args_free(&a);
    return rc;
}

START_TEST(test_a_client_run_captures_output_status_and_copies_to_the_sandbox)
{
    char *dir = tu_tmpdir(), path[4200];
    snprintf(path, sizeof path, "%s/stderr", dir);
    docker_io io = docker_io_none();
    io.err_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    io.home = dir;
    act_buf out = {0}, err = {0};
    int st = sh("echo out; echo \"home=$HOME\" >&2; exit 3", &io, &out, &err);
    close(io.err_fd);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 3);
    ck_assert_str_eq(out.data, "out\n");
    char want[4300];
    snprintf(want, sizeof want, "home=%s\n", dir);
    ck_assert_str_eq(err.data, want);
    char *copied = tu_read_file(path);
    ck_assert_str_eq(copied, want);
    free(copied);
    docker_args a = {0};
    docker_args_push(&a, "pull");
    docker_args_push(&a, "nope:latest");
    char msg[512];
    act_buf e = {0};
    act_buf_puts(&e, "Error response from daemon: pull access denied\n");
    docker_failure(msg, sizeof msg, "docker", &a, st, &e);
    ck_assert_str_eq(msg, "Failed to 'docker pull nope:latest': exit status = exited with status "
                          "3 stderr = Error response from daemon: pull access denied");
    docker_args_free(&a);
    act_buf_free(&e);
    act_buf_free(&out);
    act_buf_free(&err);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

static atomic_bool cancel_flag;

static void *cancel_later(void *arg)
{
    /* the client writes its pid first: cancel once it runs */
    ck_assert(tu_wait_file_contains(arg, "started", 10));
    atomic_store(&cancel_flag, true);
    return NULL;
}

START_TEST(test_a_client_is_killed_with_its_group_when_cancelled_or_too_slow)
{
    char *dir = tu_tmpdir(), path[4200], script[8600];
    snprintf(path, sizeof path, "%s/mark", dir);
    snprintf(script, sizeof script, "sleep 300 & echo $! > %s.child; echo started > %s; wait",
             path, path);
    atomic_store(&cancel_flag, false);
    docker_io io = docker_io_none();
    io.cancel = &cancel_flag;
    pthread_t t;
    pthread_create(&t, NULL, cancel_later, path);
    ck_assert_int_eq(sh(script, &io, NULL, NULL), -ECANCELED);
    pthread_join(t, NULL);
    char child_path[4300];
    snprintf(child_path, sizeof child_path, "%s.child", path);
    char *child = tu_read_file(child_path);
    ck_assert_ptr_nonnull(child);
    ck_assert_msg(tu_wait_gone(atoi(child), 10), "the client's child %s survived", child);
    free(child);
    docker_io slow = docker_io_none();
    slow.timeout = 0.3;
    ck_assert_int_eq(sh("exec sleep 300", &slow, NULL, NULL), -ETIMEDOUT);
    docker_args none = {0};
    ck_assert_int_eq(docker_cmd("no-such-docker-client-here", &none, NULL, NULL, NULL), -ENOENT);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

Suite *docker_suite(void)
{
    Suite *s = suite_create("docker");
    TCase *tc = tcase_create("run_args");
    tcase_add_test(tc, test_run_args_follow_mesos_for_a_shell_command_on_the_host_network);
    tcase_add_test(tc,
                   test_run_args_pass_the_command_environment_volumes_parameters_and_privileged);
    tcase_add_test(tc, test_run_args_map_offered_ports_on_a_bridge_and_refuse_others);
    tcase_add_test(tc, test_run_args_refuse_what_mesos_refuses);
    tcase_add_test(tc, test_resources_become_shares_and_a_memory_limit_with_mesos_minimums);
    tcase_add_test(tc, test_an_image_without_a_tag_is_pulled_as_latest);
    tcase_add_test(tc, test_inspect_output_is_parsed_and_garbage_refused);
    suite_add_tcase(s, tc);
    tc = tcase_create("client");
    tcase_add_test(tc, test_a_client_run_captures_output_status_and_copies_to_the_sandbox);
    tcase_add_test(tc, test_a_client_is_killed_with_its_group_when_cancelled_or_too_slow);
    suite_add_tcase(s, tc);
    return s;
}
