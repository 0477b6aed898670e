/*
 * mesos_inspect.c - mesos-inspect, the actor inspector (SPEC section 9), on the runtime's
 * introspection endpoints:
 *
 *   mesos-inspect HOST:PORT                     the process' actors: mailbox, traffic, links
 *   mesos-inspect --top HOST:PORT               the same, refreshed, with rates
 *   mesos-inspect --watch HOST:PORT [...]       live message flow of one or several processes,
 *                                               merged by time (--actor --name --from --to
 *                                               --framework --task --decode --json)
 *   mesos-inspect --follow-task=ID MASTER [...] a task's life as a sequence diagram from the
 *                                               flight recorders (--html=FILE to share it)
 *
 * A source may also be a file of events (what --json writes, or a saved /__recorder__
 * answer), so a flow can be looked at again later. HTTP and JSON go through tools/cli.c as for
 * the other tools (libcurl's multi interface for the live streams); what is done with the
 * events is tools/inspect.c and inspect_diagram.c.
 */
#include "tools/cli.h"
#include "tools/inspect.h"

#include <curl/curl.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct inspect_flags {
    bool watch, top, decode, json;
    char *follow_task, *html;
    char *actor, *name, *from, *to, *framework, *task;
    double interval, duration;
    int64_t count;
} inspect_flags;

#define F(name, type, def, help) \
    ACT_FLAG_ROW(inspect_flags, name, type, def, help, NULL, NULL)

static const act_flag flag_table[] = {
    F(watch, BOOL, "false", "Stream the message flow of the given processes, merged by time."),
    F(top, BOOL, "false", "Refresh the table of actors every --interval, with message rates."),
    F(follow_task, STRING, NULL, "Print the life of this task as a sequence diagram, from the "
      "flight recorders of the given processes and of those its messages lead to (the "
      "master alone is enough while it knows the task)."),
    F(html, STRING, NULL, "With --follow-task: also write the diagram to this file as a "
      "self-contained HTML page."),
    F(actor, STRING, NULL, "--watch: only messages to or from this actor (a name such as "
      "master, a pid, or a process' ip:port)."),
    F(from, STRING, NULL, "--watch: only messages from this actor."),
    F(to, STRING, NULL, "--watch: only messages to this actor."),
    F(name, STRING, NULL, "--watch: only messages whose name contains this text."),
    F(framework, STRING, NULL, "--watch: only messages about this framework ID."),
    F(task, STRING, NULL, "--watch: only messages about this task ID."),
    F(decode, BOOL, "false", "--watch: print each body as JSON through the wire schema."),
    F(json, BOOL, "false", "--watch: write one JSON event per line; --follow-task: one JSON "
      "object per message of the diagram (for scripts)."),
    F(interval, DURATION, "1secs", "--top: time between refreshes."),
    F(count, INT, "0", "Stop after this many refreshes (--top) or events (--watch); 0: never."),
    F(duration, DURATION, "0ns", "--watch: stop after this long; 0ns: never."),
};

/* ---- sources ----------------------------------------------------------------------------- */

static bool is_file(const char *source)
{
    struct stat st;
    return strchr(source, '/') || (stat(source, &st) == 0 && S_ISREG(st.st_mode));
}

/* Loads the events of a source: a file, or the process' /__recorder__. */
static int load_source(const char *source, ins_events *l, char *err, size_t errlen)
{
    act_buf text = {0};
    int n = -1;
    if (is_file(source)) {
        FILE *f = fopen(source, "r");
        char buf[65536];
        size_t r;
        if (!f) {
            snprintf(err, errlen, "%s: %s", source, strerror(errno));
            return -1;
        }
        while ((r = fread(buf, 1, sizeof buf, f)) > 0) act_buf_append(&text, buf, r);
        fclose(f);
    } else {
        long st = cli_http_get(source, "/__recorder__", &text, err, errlen);
        if (st != 200) {
            if (st > 0) snprintf(err, errlen, "%s/__recorder__: HTTP %ld", source, st);
            act_buf_free(&text);
            return -1;
        }
    }
    n = ins_events_load(l, text.data ? text.data : "", source, err, errlen);
    act_buf_free(&text);
    return n;
}

/* ---- the table of actors ----------------------------------------------------------------- */

static int by_id(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "id"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "id"));
    return strcmp(x ? x : "", y ? y : "");
}

static uint64_t num(json_t *o, const char *key)
{
    return (uint64_t)json_number_value(json_object_get(o, key));
}

/* One table of the actors of `source`; with `prev` (the last answer) and `secs` since it,
 * message rates too. Returns the parsed answer (the caller keeps it for the next round), or
 * NULL after printing why. */
static json_t *actors_table(const char *source, json_t *prev, double secs)
{
    char err[1024];
    json_t *now = cli_get_json(source, "/__actors__", NULL, err, sizeof err);
    if (!json_is_array(now)) {
        fprintf(stderr, "mesos-inspect: %s\n", now ? "/__actors__ is not a list" : err);
        json_decref(now);
        return NULL;
    }
    size_t n = json_array_size(now);
    json_t **rows = act_malloc((n ? n : 1) * sizeof *rows);
    for (size_t i = 0; i < n; i++) rows[i] = json_array_get(now, i);
    qsort(rows, n, sizeof *rows, by_id);
    printf("%-40s %8s %12s %12s %12s %6s%s\n", "ACTOR", "MAILBOX", "RECEIVED", "SENT",
           "HANDLER_MS", "LINKS", prev ? "     IN/S    OUT/S" : "");
    for (size_t i = 0; i < n; i++) {
        json_t *r = rows[i], *p = NULL, *e;
        size_t k;
        const char *id = json_string_value(json_object_get(r, "id"));
        json_array_foreach(prev, k, e)
            if (!p && id && strcmp(id, json_string_value(json_object_get(e, "id"))) == 0) p = e;
        printf("%-40s %8llu %12llu %12llu %12.3f %6llu", id ? id : "?",
               (unsigned long long)num(r, "mailbox"),
               (unsigned long long)num(r, "messages_received"),
               (unsigned long long)num(r, "messages_sent"),
               json_number_value(json_object_get(r, "handler_time_ms")),
               (unsigned long long)num(r, "links"));
        if (prev && secs > 0)
            printf(" %8.1f %8.1f",
                   p ? (double)(num(r, "messages_received") - num(p, "messages_received")) / secs : 0,
                   p ? (double)(num(r, "messages_sent") - num(p, "messages_sent")) / secs : 0);
        printf("\n");
    }
    fflush(stdout);
    free(rows);
    return now;
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_actors(const inspect_flags *f, char *source)
{
    json_t *prev = NULL;
    double at = mono();
    for (int64_t round = 0; f->count == 0 || round < (f->top ? f->count : 1); round++) {
        if (round > 0) usleep((useconds_t)(f->interval * 1e6));
        if (f->top && isatty(STDOUT_FILENO)) printf("\033[H\033[2J");
        if (f->top) printf("%s  (every %.1fs)\n", source, f->interval);
        double now = mono();
        json_t *cur = actors_table(source, f->top ? prev : NULL, now - at);
        at = now;
        json_decref(prev);
        prev = cur;
        if (!cur) return 1;
        if (!f->top) break;
    }
    json_decref(prev);
    return 0;
}

/* ---- --watch ----------------------------------------------------------------------------- */

typedef struct stream {
    char *source;
    CURL *easy;
    bool open;         /* its answer's head said 200: events will come */
    ins_trace_reader reader;
    char error[512];   /* why the stream was given up (its bytes were not a trace stream) */
    ins_events *pending;
} stream;

/* Reads /__trace__?format=binary; an answer that is not 200 (its text) is not events. */
static size_t stream_data(char *p, size_t size, size_t n, void *arg)
{
    stream *s = arg;
    if (s->open && ins_trace_feed(&s->reader, p, size * n, s->source, s->pending, s->error,
                                  sizeof s->error) < 0)
        return 0; /* curl ends the transfer: CURLE_WRITE_ERROR */
    return size * n;
}

static size_t stream_head(char *p, size_t size, size_t n, void *arg)
{
    stream *s = arg;
    if (size * n > 12 && strncmp(p, "HTTP/1.", 7) == 0 && strncmp(p + 8, " 200", 4) == 0)
        s->open = true;
    return size * n;
}

typedef struct watch_out {
    const inspect_flags *f;
    ins_filter filter;
    int64_t printed;
} watch_out;

/* Prints the events that pass; false once --count is reached. */
static bool print_events(watch_out *w, ins_events *l, size_t upto)
{
    for (size_t i = 0; i < upto; i++) {
        ins_event *e = &l->v[i];
        if (!ins_filter_match(&w->filter, e)) continue;
        if (w->f->json) {
            ins_event_print_json(e, stdout);
        } else {
            act_buf line = {0};
            ins_event_line(e, w->f->decode, &line);
            printf("%s\n", line.data);
            act_buf_free(&line);
        }
        if (e->kind != INS_LOST && w->f->count && ++w->printed >= w->f->count) return false;
    }
    fflush(stdout);
    return true;
}

/* Removes the first n events of l. */
static void shift(ins_events *l, size_t n)
{
    if (n == 0) return;
    for (size_t i = 0; i < n; i++) ins_event_free(&l->v[i]);
    memmove(l->v, l->v + n, (l->n - n) * sizeof *l->v);
    l->n -= n;
}

/* Live streams: events wait `delay` seconds so those of slower streams can be merged in
 * time order; files are read whole. */
static int run_watch(const inspect_flags *f, char **sources, int n)
{
    watch_out w = {.f = f, .filter = {f->actor, f->from, f->to, f->name, f->framework, f->task}};
    ins_events pending = {0};
    char err[512];
    int live = 0;
    for (int i = 0; i < n; i++) {
        if (!is_file(sources[i])) {
            live++;
        } else if (load_source(sources[i], &pending, err, sizeof err) < 0) {
            fprintf(stderr, "mesos-inspect: %s\n", err);
            return 1;
        }
    }
    ins_events_sort(&pending);
    if (!live) {
        print_events(&w, &pending, pending.n);
        ins_events_free(&pending);
        return 0;
    }
    CURLM *multi = curl_multi_init();
    stream *st = act_calloc((size_t)n, sizeof *st);
    char query[1024];
    snprintf(query, sizeof query, "/__trace__?format=binary%s", f->decode ? "&bodies=1" : "");
    for (int i = 0; i < n; i++) {
        if (is_file(sources[i])) continue;
        st[i].source = sources[i];
        st[i].pending = &pending;
        char url[1200];
        snprintf(url, sizeof url, "http://%s%s", sources[i], query);
        CURL *c = curl_easy_init();
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, stream_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &st[i]);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, stream_head);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, &st[i]);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PRIVATE, (char *)&st[i]);
        curl_multi_add_handle(multi, c);
        st[i].easy = c;
    }
    double delay = live > 1 ? 0.25 : 0, start = mono();
    int running = 1, rc = 0;
    bool more = true, announced = false;
    while (more && running) {
        curl_multi_perform(multi, &running);
        int open = 0;
        for (int i = 0; i < n; i++) open += st[i].open;
        if (!announced && open == live) { /* from here on nothing is missed */
            fprintf(stderr, "mesos-inspect: watching %d process%s\n", live, live > 1 ? "es" : "");
            announced = true;
        }
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(multi, &left)))
            if (m->msg == CURLMSG_DONE && m->data.result != CURLE_OK) {
                char *priv;
                curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
                const stream *bad = (const stream *)priv;
                if (bad->error[0])
                    fprintf(stderr, "mesos-inspect: %s\n", bad->error);
                else
                    fprintf(stderr, "mesos-inspect: %s: %s\n", bad->source,
                            curl_easy_strerror(m->data.result));
                rc = 1;
            }
        ins_events_sort(&pending);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        double cut = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 - delay;
        size_t ready = 0;
        while (ready < pending.n && (delay == 0 || pending.v[ready].time <= cut)) ready++;
        more = print_events(&w, &pending, ready);
        shift(&pending, ready);
        if (f->duration > 0 && mono() - start >= f->duration) more = false;
        if (more && running) curl_multi_poll(multi, NULL, 0, 100, NULL);
    }
    if (more) print_events(&w, &pending, pending.n);
    for (int i = 0; i < n; i++)
        if (st[i].easy) {
            curl_multi_remove_handle(multi, st[i].easy);
            curl_easy_cleanup(st[i].easy);
        }
    curl_multi_cleanup(multi);
    for (int i = 0; i < n; i++) ins_trace_reader_free(&st[i].reader);
    free(st);
    ins_events_free(&pending);
    return rc;
}

/* ---- --follow-task ----------------------------------------------------------------------- */

#define MAX_PROCESSES 32

/* Where a master's state.json says the task lives: its framework's scheduler and its slave
 * (their ip:port go into `todo`). A task named by part of its ID is found too: then its
 * whole ID goes into task. */
static void from_master_state(const char *source, char *task, size_t n, act_map *todo)
{
    char err[1024];
    json_t *state = cli_get_json(source, "/master/state.json", NULL, err, sizeof err);
    cli_task t;
    if (state && cli_find_task(state, NULL, task, &t, err, sizeof err) == CLI_OK) {
        const char *pids[] = {cli_str(t.framework, "pid"), t.slave ? cli_str(t.slave, "pid") : ""};
        for (int i = 0; i < 2; i++)
            if (strrchr(pids[i], '@')) act_map_put(todo, strrchr(pids[i], '@') + 1, (void *)1);
        snprintf(task, n, "%s", cli_str(t.task, "id"));
    }
    json_decref(state);
}

static int write_html(const ins_diagram *d, const char *path)
{
    act_buf html = {0};
    ins_diagram_html(d, &html);
    FILE *out = fopen(path, "w");
    bool ok = out && fwrite(html.data, 1, html.len, out) == html.len;
    if (out && fclose(out) != 0) ok = false;
    if (!ok) fprintf(stderr, "mesos-inspect: cannot write %s: %s\n", path, strerror(errno));
    act_buf_free(&html);
    return ok ? 0 : 1;
}

static int run_follow(const inspect_flags *f, char **sources, int n)
{
    char task[WIRE_ID_MAX * 2];
    snprintf(task, sizeof task, "%s", f->follow_task);
    ins_events all = {0};
    act_map *todo = act_map_new(), *done = act_map_new();
    char *read[MAX_PROCESSES];
    size_t nread = 0;
    char err[512];
    for (int i = 0; i < n; i++) act_map_put(todo, sources[i], (void *)1);
    /* Rounds: read every source not read yet, then add where the task's messages went. */
    for (bool found = true; found && nread < MAX_PROCESSES;) {
        found = false;
        char *round[MAX_PROCESSES];
        size_t nround = 0;
        const char *src;
        for (size_t it = 0; act_map_next(todo, &it, &src, NULL) && nround < MAX_PROCESSES;)
            if (!act_map_get(done, src)) round[nround++] = act_strdup(src);
        for (size_t i = 0; i < nround; i++) {
            act_map_put(done, round[i], (void *)1);
            found = true;
            if (nread == MAX_PROCESSES || load_source(round[i], &all, err, sizeof err) < 0) {
                if (nread < MAX_PROCESSES) fprintf(stderr, "mesos-inspect: %s (skipped)\n", err);
                free(round[i]);
                continue;
            }
            read[nread++] = round[i];
            if (!is_file(round[i])) from_master_state(round[i], task, sizeof task, todo);
        }
        ins_diagram_peers(&all, task, todo); /* where its messages went */
    }
    ins_diagram d;
    int rc = 0;
    if (ins_diagram_build(&d, &all, task, read, nread) == 0) {
        fprintf(stderr, "mesos-inspect: no message about task '%s' in the recorders read\n",
                task);
        rc = 1;
    } else if (f->json) {
        json_t *hops = ins_diagram_json(&d), *h;
        size_t i;
        json_array_foreach(hops, i, h) {
            char *line = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER);
            printf("%s\n", line);
            free(line);
        }
        json_decref(hops);
    } else {
        act_buf text = {0};
        ins_diagram_text(&d, &text);
        fputs(text.data, stdout);
        act_buf_free(&text);
    }
    if (rc == 0 && f->html) rc = write_html(&d, f->html);
    ins_diagram_free(&d);
    for (size_t i = 0; i < nread; i++) free(read[i]);
    act_map_free(todo);
    act_map_free(done);
    ins_events_free(&all);
    return rc;
}

/* Lets flags be written as the issue and Mesos' docs write them: --follow-task as well as
 * --follow_task, and a value after a space (--follow-task ID). Returns a new argv. */
static char **normalize_args(int *argc, char **argv)
{
    char **out = act_calloc((size_t)*argc + 1, sizeof *out);
    int n = 0;
    for (int i = 0; i < *argc; i++) {
        char *a = act_strdup(argv[i]);
        if (i > 0 && strncmp(a, "--", 2) == 0 && a[2]) {
            char *name = a + 2 + (strncmp(a + 2, "no-", 3) == 0 ? 3 : 0);
            for (char *p = name; *p && *p != '='; p++)
                if (*p == '-') *p = '_';
            const act_flag *fl = NULL;
            for (size_t k = 0; k < sizeof flag_table / sizeof flag_table[0]; k++)
                if (strcmp(flag_table[k].name, a + 2) == 0) fl = &flag_table[k];
            if (fl && fl->type != ACT_FLAG_BOOL && i + 1 < *argc) {
                act_buf joined = {0};
                act_buf_printf(&joined, "%s=%s", a, argv[++i]);
                free(a);
                a = act_buf_detach(&joined, NULL);
            }
        }
        out[n++] = a;
    }
    *argc = n;
    return out;
}

int main(int argc, char **argv)
{
    argv = normalize_args(&argc, argv);
    char **owned = act_malloc(((size_t)argc + 1) * sizeof *owned); /* argv gets reordered */
    memcpy(owned, argv, ((size_t)argc + 1) * sizeof *owned);
    inspect_flags f;
    act_flags flags = {"mesos-inspect", "HOST:PORT [HOST:PORT|FILE ...]", "mesos-inspect 0.22.0",
                       flag_table, sizeof flag_table / sizeof flag_table[0], &f, NULL};
    char err[512];
    int npos = 0;
    int rc = act_flags_load(&flags, argc, argv, &npos, "MESOS_", err, sizeof err);
    if (rc == 0 && npos == 0) {
        snprintf(err, sizeof err, "Missing the process to inspect (HOST:PORT)");
        rc = -EINVAL;
    } else if (rc == 0 && !f.watch && !f.follow_task && npos != 1) {
        snprintf(err, sizeof err, "Only --watch and --follow-task take several processes");
        rc = -EINVAL;
    } else if (rc == 0 && f.watch + f.top + (f.follow_task != NULL) > 1) {
        snprintf(err, sizeof err, "--watch, --top and --follow-task do not go together");
        rc = -EINVAL;
    }
    if (rc != 0) {
        if (rc < 0) fprintf(stderr, "%s\n\nSee 'mesos-inspect --help'.\n", err);
        act_flags_free(&flags);
        for (int i = 0; i < argc; i++) free(owned[i]);
        free(owned);
        free(argv);
        return rc < 0 ? 2 : 0;
    }
    act_log_set_level(ACT_LOG_ERROR);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (f.follow_task)
        rc = run_follow(&f, argv + 1, npos);
    else if (f.watch)
        rc = run_watch(&f, argv + 1, npos);
    else
        rc = run_actors(&f, argv[1]);
    curl_global_cleanup();
    act_flags_free(&flags);
    for (int i = 0; i < argc; i++) free(owned[i]);
    free(owned);
    free(argv);
    return rc;
}
