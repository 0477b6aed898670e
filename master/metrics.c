/*
 * metrics.c - the master's entries of /metrics/snapshot, named as Mesos 0.22 names them
 * (src/master/metrics.cpp): every counter registered at 0 when the master starts, so a
 * monitoring check finds it before its first event; the gauges, refreshed from the master's
 * state just before each snapshot; and the count of task state changes that state.json and
 * stats.json show (staged_tasks, finished_tasks ...) and the per-source, per-reason counters
 * of terminal states ("master/task_lost/source_master/reason_slave_removed").
 */
#include "master/master_int.h"

#include <ctype.h>
#include <string.h>

static const char *const counter_names[M_NCOUNTERS] = {
#define M_COUNTER_NAME(id, name) name,
    M_COUNTERS(M_COUNTER_NAME)
#undef M_COUNTER_NAME
};

/* The terminal states' counters (master/tasks_<state>), by state (wire_task_state_terminal
 * holds for these five only). */
static const m_counter state_counters[M_TASK_STATES] = {
    [WIRE_TASK_FINISHED] = M_TASKS_FINISHED, [WIRE_TASK_FAILED] = M_TASKS_FAILED,
    [WIRE_TASK_KILLED] = M_TASKS_KILLED,     [WIRE_TASK_LOST] = M_TASKS_LOST,
    [WIRE_TASK_ERROR] = M_TASKS_ERROR,
};

void m_metrics_init(master *m)
{
    for (size_t i = 0; i < M_NCOUNTERS; i++) m->counters[i] = act_counter_get(counter_names[i]);
    m_metrics_refresh(m->self, NULL);
}

/* ---- task states ------------------------------------------------------------------------- */

/* "TASK_LOST" -> "task_lost" */
static void lower(const char *in, char *out, size_t n)
{
    size_t k = 0;
    for (; in[k] && k + 1 < n; k++) out[k] = (char)tolower((unsigned char)in[k]);
    out[k] = '\0';
}

void m_count_task_state(master *m, wire_task_state state, int source, int reason)
{
    if ((unsigned)state < M_TASK_STATES) m->task_states[state]++;
    if (!wire_task_state_terminal(state)) return;
    m_count(m, state_counters[state]);
    if (reason < 0) return;
    char name[160], st[32], src[32], why[64];
    lower(wire_task_state_name(state), st, sizeof st);
    lower(wire_status_source_name(source), src, sizeof src);
    lower(wire_status_reason_name(reason), why, sizeof why);
    snprintf(name, sizeof name, "master/%s/%s/%s", st, src, why);
    act_counter_inc(act_counter_get(name));
}

void m_count_status(master *m, const wire_task_status *st)
{
    m_count_task_state(m, st->state, st->has_source ? (int)st->source : WIRE_SOURCE_MASTER,
                       st->has_reason ? (int)st->reason : -1);
}

/* ---- what the gauges sum up, kept current ----------------------------------------------- */

static const char *const res_names[3] = {"cpus", "mem", "disk"};

void m_count_live_task(master *m, wire_task_state state, int sign)
{
    if ((unsigned)state < M_TASK_STATES) m->live_tasks[state] += (uint64_t)(int64_t)sign;
}

void m_count_resources(master *m, const res_set *r, int sign, bool used)
{
    int64_t *sums = used ? m->res_used : m->res_total;
    for (int i = 0; i < 3; i++) sums[i] += sign * res_scalar_milli(r, res_names[i]);
}

/* ---- gauges ------------------------------------------------------------------------------ */

static void gauge(const char *name, double v)
{
    act_gauge_set(act_gauge_get(name), v);
}

static void resource_gauges(master *m)
{
    for (int i = 0; i < 3; i++)
        res_gauges("master", res_names[i], (double)m->res_total[i] / RES_SCALE,
                   (double)m->res_used[i] / RES_SCALE);
}

static void task_gauges(master *m)
{
    gauge("master/tasks_staging", (double)m->live_tasks[WIRE_TASK_STAGING]);
    gauge("master/tasks_starting", (double)m->live_tasks[WIRE_TASK_STARTING]);
    gauge("master/tasks_running", (double)m->live_tasks[WIRE_TASK_RUNNING]);
}

void m_metrics_refresh(act_actor *self, void *arg)
{
    master *m = act_state(self);
    size_t sc = 0, sa = 0, fc = 0, fa = 0;
    m_slave *s;
    for (size_t it = 0; act_map_next(m->slaves, &it, NULL, (void **)&s);) {
        sc += s->connected;
        sa += s->active;
    }
    m_framework *f;
    for (size_t it = 0; act_map_next(m->frameworks, &it, NULL, (void **)&f);) {
        fc += f->connected;
        fa += f->active;
    }
    size_t ns = act_map_size(m->slaves), nf = act_map_size(m->frameworks);
    gauge("master/uptime_secs", act_now() - m->start_time);
    gauge("master/elected", m->elected ? 1 : 0);
    gauge("master/slaves_connected", (double)sc);
    gauge("master/slaves_disconnected", (double)(ns - sc));
    gauge("master/slaves_active", (double)sa);
    gauge("master/slaves_inactive", (double)(ns - sa));
    gauge("master/frameworks_connected", (double)fc);
    gauge("master/frameworks_disconnected", (double)(nf - fc));
    gauge("master/frameworks_active", (double)fa);
    gauge("master/frameworks_inactive", (double)(nf - fa));
    gauge("master/outstanding_offers", (double)act_map_size(m->offers));
    /* what waits in the master's mailbox besides this refresh */
    act_queue_depth q = act_queue_depth_of(self);
    gauge("master/event_queue_messages", (double)q.messages);
    gauge("master/event_queue_dispatches", (double)q.dispatches);
    gauge("master/event_queue_http_requests", (double)q.http_requests);
    task_gauges(m);
    resource_gauges(m);
}
