/*
 * test_docker_containerizer.c - Docker for real: one dockerd on a private socket and data root
 * (tests/support/docker.h), shared by every test here, with a busybox image built locally.
 * First the client module (docker/docker.h) against it: a pull that cannot succeed fails with
 * docker's own error, and `docker run` made of a ContainerInfo runs a container that sees its
 * sandbox, gets the resources as shares and a memory limit, and is listed by its label.
 */
#include "docker/docker.h"
#include "tests/support/cluster.h"
#include "tests/support/docker.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

Suite *docker_containerizer_suite(void)
{
    Suite *s = suite_create("docker_containerizer");
    TCase *tc = tcase_create("docker");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, daemon_up, daemon_down);
    tcase_add_test(tc, test_a_pull_that_cannot_succeed_fails_with_dockers_error);
    tcase_add_test(tc, test_run_args_start_a_container_that_sees_its_sandbox_and_gets_its_limits);
    suite_add_tcase(s, tc);
    return s;
}
