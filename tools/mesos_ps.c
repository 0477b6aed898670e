/*
 * mesos_ps.c - mesos-ps: the cluster's tasks in the columns of Mesos' tool (USER, FRAMEWORK,
 * TASK, SLAVE, MEM used/limit, TIME of CPU, CPU allocated) and their STATE, one line per
 * task, reading the master's state.json and each slave's /monitor/statistics.json. Active
 * tasks only; -i (--inactive) adds finished ones.
 *
 *   mesos-ps --master=127.0.0.1:5050 [-i]
 */
#include "tools/cli.h"

#include <stddef.h>
#include <string.h>

typedef struct ps_flags {
    cli_common common;
    bool inactive;
} ps_flags;

#define F(name, type, def, help) ACT_FLAG_ROW(ps_flags, name, type, def, help, NULL, NULL)

static const act_flag flag_table[] = {
    CLI_COMMON_FLAGS(ps_flags),
    F(inactive, BOOL, "false", "Also list tasks that are no longer active (-i)."),
};

/* Mesos' columns, each at least as wide as its title and padding (Mesos cut longer text;
 * we widen the column instead, so IDs stay whole). */
typedef struct column {
    const char *title;
    int padding;
} column;

static const column columns[] = {
    {"USER", 4}, {"FRAMEWORK", 4}, {"TASK", 6}, {"SLAVE", 14}, {"MEM", 16}, {"TIME", 14},
    {"CPU (allocated)", 2}, {"STATE", 0},
};
enum { NCOLS = sizeof columns / sizeof columns[0] };

/* The rows to print, kept until every width is known. */
typedef struct table {
    char **cells; /* NCOLS per row */
    size_t rows;
    int width[NCOLS];
} table;

static void add_row(table *t, const char *const text[NCOLS])
{
    t->cells = act_realloc(t->cells, (t->rows + 1) * NCOLS * sizeof *t->cells);
    for (int i = 0; i < NCOLS; i++) {
        t->cells[t->rows * NCOLS + i] = act_strdup(text[i]);
        int w = (int)strlen(text[i]) + 2;
        if (w > t->width[i]) t->width[i] = w;
    }
    t->rows++;
}

static void print_table(table *t)
{
    for (size_t r = 0; r < t->rows; r++) {
        for (int i = 0; i < NCOLS; i++) {
            const char *c = t->cells[r * NCOLS + i];
            if (i + 1 < NCOLS) printf("%-*s", t->width[i], c);
            else printf("%s\n", c);
            free(t->cells[r * NCOLS + i]);
        }
    }
    free(t->cells);
}

static void data_size(double bytes, char *out, size_t n)
{
    const char *units[] = {"B", "KB", "MB", "GB"};
    int u = 0;
    while (bytes >= 1024 && u < 3) bytes /= 1024, u++;
    snprintf(out, n, "%.1f %s", bytes, units[u]);
}

/* The statistics of the task's executor in a slave's /monitor/statistics.json, or NULL. */
static json_t *executor_stats(json_t *stats, json_t *task)
{
    const char *eid = *cli_str(task, "executor_id") ? cli_str(task, "executor_id") : cli_str(task, "id");
    size_t i;
    json_t *e;
    json_array_foreach(stats, i, e)
        if (strcmp(cli_str(e, "framework_id"), cli_str(task, "framework_id")) == 0 &&
            strcmp(cli_str(e, "executor_id"), eid) == 0)
            return json_object_get(e, "statistics");
    return NULL;
}

static double num(json_t *o, const char *key)
{
    return json_number_value(json_object_get(o, key));
}

static void add_task(table *out, json_t *fw, json_t *task, json_t *slave, json_t *stats)
{
    char mem[64] = "", time[64] = "", cpu[32], a[32], b[32];
    json_t *s = executor_stats(stats, task);
    double cpus = num(json_object_get(task, "resources"), "cpus");
    if (s) {
        data_size(num(s, "mem_rss_bytes"), a, sizeof a);
        data_size(num(s, "mem_limit_bytes"), b, sizeof b);
        snprintf(mem, sizeof mem, "%s/%s", a, b);
        double secs = num(s, "cpus_user_time_secs") + num(s, "cpus_system_time_secs");
        long whole = (long)secs;
        snprintf(time, sizeof time, "%02ld:%02ld:%02ld.%06ld", whole / 3600, whole / 60 % 60,
                 whole % 60, (long)((secs - (double)whole) * 1e6));
        if (json_object_get(s, "cpus_limit")) cpus = num(s, "cpus_limit");
    }
    snprintf(cpu, sizeof cpu, "%g", cpus);
    const char *state = cli_str(task, "state");
    const char *text[NCOLS] = {cli_str(fw, "user"), cli_str(fw, "name"), cli_str(task, "name"),
                               slave ? cli_str(slave, "hostname") : "(gone)", mem, time, cpu,
                               strncmp(state, "TASK_", 5) == 0 ? state + 5 : state};
    add_row(out, text);
}

/* Adds the tasks of one slave (slave NULL: of slaves the master no longer knows). */
static void add_slave(table *out, json_t *state, json_t *slave, bool inactive)
{
    json_t *stats = NULL;
    if (slave) {
        char addr[512], why[1024];
        cli_slave_addr(slave, addr, sizeof addr);
        stats = cli_get_json(addr, "/monitor/statistics.json", NULL, why, sizeof why);
    }
    const char *lists[] = {"frameworks", "completed_frameworks"};
    for (int l = 0; l < 2; l++) {
        size_t i, k;
        json_t *fw, *t;
        json_array_foreach(json_object_get(state, lists[l]), i, fw) {
            const char *tl[] = {"tasks", "completed_tasks"};
            for (int w = 0; w < (inactive ? 2 : 1); w++)
                json_array_foreach(json_object_get(fw, tl[w]), k, t) {
                    json_t *ts = cli_slave_by_id(state, cli_str(t, "slave_id"));
                    if (ts == slave) add_task(out, fw, t, slave, w == 0 ? stats : NULL);
                }
        }
    }
    json_decref(stats);
}

static int ps(void *values, int npos, char **pos)
{
    const ps_flags *f = values;
    json_t *state;
    int rc = cli_master_state(&f->common, &state);
    if (rc != CLI_OK) return rc;
    table t = {0};
    const char *titles[NCOLS];
    for (int i = 0; i < NCOLS; i++) {
        titles[i] = columns[i].title;
        t.width[i] = (int)strlen(titles[i]) + columns[i].padding;
    }
    add_row(&t, titles);
    size_t i;
    json_t *slave;
    json_array_foreach(json_object_get(state, "slaves"), i, slave)
        add_slave(&t, state, slave, f->inactive);
    add_slave(&t, state, NULL, f->inactive);
    print_table(&t);
    json_decref(state);
    return CLI_OK;
}

int main(int argc, char **argv)
{
    static const char *const shorts[][2] = {{"-i", "--inactive"}};
    ps_flags f;
    cli_tool t = {"mesos-ps", NULL, flag_table, sizeof flag_table / sizeof flag_table[0], &f,
                  shorts, 1, 0, ps};
    return cli_main(&t, argc, argv);
}
