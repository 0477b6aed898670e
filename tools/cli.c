/*
 * cli.c - the command-line tools' shared parts: the leader through a detector (as
 * mesos-resolve), JSON over HTTP (libcurl, jansson), tasks by partial ID, sandboxes, and
 * /files/read.json windows. See cli.h for the contracts.
 */
#include "tools/cli.h"

#include "master/detector.h"

#include <curl/curl.h>
#include <errno.h>
#include <string.h>

/* ---- the leading master ------------------------------------------------------------------ */

typedef struct resolve {
    const char *master;
    double timeout;
    char *out;
    size_t n;
    char *err;
    size_t errlen;
} resolve;

static void on_leader(act_actor *self, const act_msg *msg)
{
    resolve *r = act_state(self);
    const detector_leader *l = msg->obj;
    if (l->error) {
        snprintf(r->err, r->errlen, "Failed to detect master from '%s': %s", r->master,
                 l->error);
    } else if (l->info) {
        char ip[16];
        snprintf(r->out, r->n, "%s:%u", act_ip_format(l->pid.ip, ip, sizeof ip),
                 (unsigned)l->pid.port);
    } else {
        return; /* no leader yet: keep waiting */
    }
    act_stop();
}

static void on_timeout(act_actor *self, void *arg)
{
    resolve *r = act_state(self);
    char t[32];
    snprintf(r->err, r->errlen, "Failed to detect master from '%s' within %s", r->master,
             act_duration_format(r->timeout, t, sizeof t));
    act_stop();
}

static void on_init(act_actor *self, void *arg)
{
    resolve *r = act_state(self);
    act_delay(self, r->timeout, on_timeout, NULL);
}

/* Runs a detector for `a` (taken) until it names a leader or the time is up. */
static void run_detector(resolve *r, detector_address *a)
{
    act_config c;
    act_config_default(&c);
    c.port = 0;
    c.listen = false;
    int rc = act_init(&c);
    if (rc != 0) {
        snprintf(r->err, r->errlen, "Failed to start the runtime: %s", act_strerror(rc));
        detector_address_free(a);
        return;
    }
    act_actor *self = act_new("resolve", r);
    act_on_init(self, on_init, NULL);
    act_on_local(self, DETECTOR_MSG_LEADER, on_leader);
    act_pid pid = act_self(self);
    act_spawn(self, 0);
    detector_spawn(a, DETECTOR_ZK_SESSION_TIMEOUT, &pid, 0);
    act_run();
    act_shutdown();
}

int cli_resolve(const char *master, double timeout, char *out, size_t n, char *err,
                size_t errlen)
{
    char why[512];
    out[0] = '\0';
    snprintf(err, errlen, "Failed to detect master from '%s'", master);
    detector_address *a = detector_parse(master, why, sizeof why);
    if (!a) {
        snprintf(err, errlen, "Failed to create a master detector for '%s': %s", master, why);
        return CLI_NO_MASTER;
    }
    resolve r = {master, timeout, out, n, err, errlen};
    run_detector(&r, a);
    return out[0] ? CLI_OK : CLI_NO_MASTER;
}

/* ---- HTTP -------------------------------------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
    act_buf_append(arg, p, size * nmemb);
    return size * nmemb;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* A cluster whose processes speak TLS (LIBPROCESS_SSL_ENABLED) is read over HTTPS with the
 * same environment the daemons take: the CA to trust, the certificate to present, and
 * whether to verify the master's (VERIFY_CERT; its certificate names its address). */
static bool tls_setup(CURL *c)
{
    const char *on = env("LIBPROCESS_SSL_ENABLED");
    if (!on || (strcmp(on, "true") != 0 && strcmp(on, "1") != 0)) return false;
    const char *verify = env("LIBPROCESS_SSL_VERIFY_CERT");
    bool check = verify && (!strcmp(verify, "true") || !strcmp(verify, "1"));
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, check ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, check ? 2L : 0L);
    if (env("LIBPROCESS_SSL_CA_FILE"))
        curl_easy_setopt(c, CURLOPT_CAINFO, env("LIBPROCESS_SSL_CA_FILE"));
    if (env("LIBPROCESS_SSL_CA_DIR"))
        curl_easy_setopt(c, CURLOPT_CAPATH, env("LIBPROCESS_SSL_CA_DIR"));
    if (env("LIBPROCESS_SSL_CERT_FILE"))
        curl_easy_setopt(c, CURLOPT_SSLCERT, env("LIBPROCESS_SSL_CERT_FILE"));
    if (env("LIBPROCESS_SSL_KEY_FILE"))
        curl_easy_setopt(c, CURLOPT_SSLKEY, env("LIBPROCESS_SSL_KEY_FILE"));
    return true;
}

long cli_http_get(const char *hostport, const char *target, act_buf *body, char *err,
                  size_t errlen)
{
    char url[2048];
    CURL *c = curl_easy_init();
    snprintf(url, sizeof url, "%s://%s%s", c && tls_setup(c) ? "https" : "http", hostport,
             target);
    if (!c) {
        snprintf(err, errlen, "%s: cannot start libcurl", url);
        return -1;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(c);
    long status = -1;
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    else
        snprintf(err, errlen, "%s: %s", url, curl_easy_strerror(rc));
    curl_easy_cleanup(c);
    return status;
}

json_t *cli_get_json(const char *hostport, const char *target, long *status, char *err,
                     size_t errlen)
{
    act_buf body = {0};
    long st = cli_http_get(hostport, target, &body, err, errlen);
    if (status) *status = st;
    json_t *j = NULL;
    if (st == 200) {
        json_error_t je;
        j = json_loadb(body.data ? body.data : "", body.len, 0, &je);
        if (!j) snprintf(err, errlen, "http://%s%s: not JSON: %s", hostport, target, je.text);
    } else if (st > 0) {
        snprintf(err, errlen, "http://%s%s: HTTP %ld", hostport, target, st);
    }
    act_buf_free(&body);
    return j;
}

char *cli_escape(const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0);
    char *out = act_strdup(e ? e : "");
    curl_free(e);
    return out;
}

int cli_master_state(const cli_common *c, json_t **state)
{
    char leader[ACT_PID_STRLEN], err[1024];
    *state = NULL;
    if (cli_resolve(c->master, c->timeout, leader, sizeof leader, err, sizeof err) == CLI_OK)
        *state = cli_get_json(leader, "/master/state.json", NULL, err, sizeof err);
    else
        fprintf(stderr, "%s\n", err);
    if (!*state && *leader) fprintf(stderr, "Failed to get the master's state: %s\n", err);
    return *state ? CLI_OK : CLI_NO_MASTER;
}

/* ---- tasks ------------------------------------------------------------------------------- */

const char *cli_str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

json_t *cli_slave_by_id(json_t *state, const char *id)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(state, "slaves"), i, s)
        if (strcmp(cli_str(s, "id"), id) == 0) return s;
    return NULL;
}

typedef struct matches {
    cli_task exact, first;
    size_t nexact, n;
    act_buf names; /* the candidates, for the ambiguity message */
} matches;

static void consider(matches *m, json_t *state, json_t *fw, json_t *task, bool active,
                     const char *want)
{
    const char *id = cli_str(task, "id");
    if (!strstr(id, want)) return;
    cli_task t = {task, fw, cli_slave_by_id(state, cli_str(task, "slave_id")), active};
    bool exact = strcmp(id, want) == 0;
    if (exact && m->nexact++ == 0) m->exact = t;
    if (m->n++ == 0) m->first = t;
    if (m->n <= 10)
        act_buf_printf(&m->names, "\n  %s (framework %s, %s)", id, cli_str(fw, "id"),
                       cli_str(task, "state"));
}

static void scan(matches *m, json_t *state, const char *list, const char *framework,
                 const char *want)
{
    size_t i, k;
    json_t *fw, *task;
    json_array_foreach(json_object_get(state, list), i, fw) {
        if (framework && strcmp(cli_str(fw, "id"), framework) != 0) continue;
        json_array_foreach(json_object_get(fw, "tasks"), k, task)
            consider(m, state, fw, task, true, want);
        json_array_foreach(json_object_get(fw, "completed_tasks"), k, task)
            consider(m, state, fw, task, false, want);
    }
}

int cli_find_task(json_t *state, const char *framework, const char *task, cli_task *out,
                  char *err, size_t errlen)
{
    matches m = {0};
    scan(&m, state, "frameworks", framework, task);
    scan(&m, state, "completed_frameworks", framework, task);
    int rc = CLI_OK;
    if (m.nexact == 1 || (m.nexact == 0 && m.n == 1)) {
        *out = m.nexact ? m.exact : m.first;
    } else if (m.n == 0) {
        snprintf(err, errlen, "No task matches '%s'%s%s", task,
                 framework ? " in framework " : "", framework ? framework : "");
        rc = CLI_NO_TASK;
    } else {
        snprintf(err, errlen, "Task ID '%s' is ambiguous: %zu tasks match%s%s", task, m.n,
                 m.names.data, m.n > 10 ? "\n  ..." : "");
        rc = CLI_AMBIGUOUS;
    }
    act_buf_free(&m.names);
    return rc;
}

void cli_slave_addr(json_t *slave, char *out, size_t n)
{
    const char *pid = cli_str(slave, "pid"), *colon = strrchr(pid, ':');
    snprintf(out, n, "%s:%s", cli_str(slave, "hostname"), colon ? colon + 1 : "5051");
}

/* The directory of executor `eid` in the frameworks of list `key` of a slave's state. */
static const char *find_directory(json_t *slave_state, const char *key, const char *fid,
                                  const char *eid)
{
    size_t i, k;
    json_t *fw, *e;
    json_array_foreach(json_object_get(slave_state, key), i, fw) {
        if (strcmp(cli_str(fw, "id"), fid) != 0) continue;
        json_array_foreach(json_object_get(fw, "executors"), k, e)
            if (strcmp(cli_str(e, "id"), eid) == 0) return cli_str(e, "directory");
        json_array_foreach(json_object_get(fw, "completed_executors"), k, e)
            if (strcmp(cli_str(e, "id"), eid) == 0) return cli_str(e, "directory");
    }
    return NULL;
}

int cli_task_sandbox(const cli_task *t, char *dir, size_t n, char *err, size_t errlen)
{
    if (!t->slave) {
        snprintf(err, errlen, "Task '%s' ran on slave %s, which the master no longer knows",
                 cli_str(t->task, "id"), cli_str(t->task, "slave_id"));
        return CLI_FAILED;
    }
    char addr[512], target[600], why[1024];
    cli_slave_addr(t->slave, addr, sizeof addr);
    const char *pid = cli_str(t->slave, "pid"), *at = strchr(pid, '@');
    snprintf(target, sizeof target, "/%.*s/state.json", at ? (int)(at - pid) : 8,
             at ? pid : "slave(1)");
    json_t *st = cli_get_json(addr, target, NULL, why, sizeof why);
    if (!st) {
        snprintf(err, errlen, "Failed to get the slave's state: %s", why);
        return CLI_FAILED;
    }
    /* A command task has an empty executor ID in the master; its executor is the task's ID. */
    const char *eid = *cli_str(t->task, "executor_id") ? cli_str(t->task, "executor_id")
                                                    : cli_str(t->task, "id");
    const char *fid = cli_str(t->task, "framework_id");
    const char *d = find_directory(st, "frameworks", fid, eid);
    if (!d) d = find_directory(st, "completed_frameworks", fid, eid);
    int rc = d && *d ? CLI_OK : CLI_FAILED;
    if (rc == CLI_OK)
        snprintf(dir, n, "%s", d);
    else
        snprintf(err, errlen, "The sandbox of task '%s' is gone from slave %s",
                 cli_str(t->task, "id"), addr);
    json_decref(st);
    return rc;
}

int cli_read(const char *slave, const char *path, long long offset, long long length,
             act_buf *data, long long *at, char *err, size_t errlen)
{
    char *p = cli_escape(path), target[8192], why[1024];
    snprintf(target, sizeof target, "/files/read.json?path=%s&offset=%lld&length=%lld", p,
             offset, length);
    free(p);
    long status;
    json_t *j = cli_get_json(slave, target, &status, why, sizeof why);
    if (!j) {
        snprintf(err, errlen, status == 404 ? "No such file: %s" : "Failed to read %s: %s",
                 path, why);
        return CLI_FAILED;
    }
    json_t *d = json_object_get(j, "data");
    json_t *o = json_object_get(j, "offset");
    int rc = json_is_string(d) && json_is_integer(o) ? CLI_OK : CLI_FAILED;
    if (rc == CLI_OK) {
        act_buf_append(data, json_string_value(d), json_string_length(d));
        *at = json_integer_value(o);
    } else {
        snprintf(err, errlen, "Failed to read %s: not a read.json answer", path);
    }
    json_decref(j);
    return rc;
}

int cli_find_sandbox(const char *program, const cli_task_flags *f, int npos, char **pos,
                     cli_sandbox *out)
{
    const char *task = npos > 0 ? pos[0] : f->task;
    if (!task) {
        fprintf(stderr, "Missing the task: --task=ID or TASK\n\nSee '%s --help'.\n", program);
        return CLI_USAGE;
    }
    json_t *state;
    cli_task t;
    char err[2048];
    int rc = cli_master_state(&f->common, &state);
    if (rc != CLI_OK) return rc;
    rc = cli_find_task(state, f->framework, task, &t, err, sizeof err);
    if (rc == CLI_OK) rc = cli_task_sandbox(&t, out->dir, sizeof out->dir, err, sizeof err);
    if (rc == CLI_OK) cli_slave_addr(t.slave, out->slave, sizeof out->slave);
    else fprintf(stderr, "%s\n", err);
    json_decref(state);
    return rc;
}

/* ---- arguments --------------------------------------------------------------------------- */

char **cli_expand_short(int *argc, char **argv, const char *const shorts[][2], size_t n)
{
    char **out = act_calloc((size_t)*argc + 1, sizeof *out);
    int k = 0;
    for (int i = 0; i < *argc; i++) {
        const char *a = argv[i], *repl = NULL;
        size_t j = 0;
        for (; i > 0 && j < n && !repl; j++) {
            size_t len = strlen(shorts[j][0]);
            if (strncmp(a, shorts[j][0], len) == 0 && (a[len] == '\0' ||
                shorts[j][1][strlen(shorts[j][1]) - 1] == '='))
                repl = shorts[j][1];
        }
        if (!repl) {
            out[k++] = act_strdup(a);
            continue;
        }
        size_t len = strlen(shorts[j - 1][0]);
        bool takes_value = repl[strlen(repl) - 1] == '=';
        const char *value = !takes_value ? "" : a[len] ? a + len : i + 1 < *argc ? argv[++i]
                                                                                 : "";
        size_t sz = strlen(repl) + strlen(value) + 1;
        out[k] = act_malloc(sz);
        snprintf(out[k++], sz, "%s%s", repl, value);
    }
    *argc = k;
    return out;
}

void cli_argv_free(char **argv, int argc)
{
    for (int i = 0; i < argc; i++) free(argv[i]);
    free(argv);
}

int cli_main(const cli_tool *t, int argc, char **argv)
{
    char **args = cli_expand_short(&argc, argv, t->shorts, t->nshorts);
    /* act_flags_load overwrites args[1..] with the positional arguments: keep the strings */
    char **owned = act_malloc(((size_t)argc + 1) * sizeof *owned);
    memcpy(owned, args, ((size_t)argc + 1) * sizeof *owned);
    char version[64], err[512];
    snprintf(version, sizeof version, "%s %s", t->program, WIRE_VERSION);
    act_flags flags = {t->program, t->usage, version, t->table, t->count, t->values, NULL};
    int npos = 0;
    int rc = act_flags_load(&flags, argc, args, &npos, "MESOS_", err, sizeof err);
    if (rc == 0 && npos > t->max_positional) {
        snprintf(err, sizeof err, "Unexpected argument '%s'", args[1 + t->max_positional]);
        rc = -EINVAL;
    } else if (rc == 0 && !((cli_common *)t->values)->master) {
        snprintf(err, sizeof err, "Missing --master");
        rc = -EINVAL;
    }
    if (rc < 0) {
        fprintf(stderr, "%s\n\nSee '%s --help'.\n", err, t->program);
        rc = CLI_USAGE;
    } else if (rc > 0) {
        rc = CLI_OK; /* --help or --version */
    } else {
        act_log_set_level(ACT_LOG_ERROR);
        rc = t->run(t->values, npos, args + 1);
    }
    act_flags_free(&flags);
    free(args);
    cli_argv_free(owned, argc);
    return rc;
}
