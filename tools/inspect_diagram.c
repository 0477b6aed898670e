/*
 * inspect_diagram.c - a task's life as a sequence diagram: the messages that name the task
 * (and its executor), with the message that caused each and those each caused directly,
 * put together from every recorder's events by span (the send in one process, the receipt or
 * the drop in another), ordered by cause and then time, one column per actor. Messages that
 * never arrived, were dropped or repeat an earlier one are marked as such. Printed as text or
 * as a self-contained HTML page (an SVG drawn here, a little inline script for details).
 */
#include "tools/inspect.h"

#include <inttypes.h>
#include <string.h>

/* ---- building ---------------------------------------------------------------------------- */

static void span_key(uint64_t span, char *key)
{
    snprintf(key, 17, "%016" PRIx64, span);
}

/* The hops of every span, one per message, from all events. */
static ins_hop *group(const ins_events *l, act_map *by_span, size_t *n)
{
    ins_hop *hops = NULL;
    size_t cap = 0;
    *n = 0;
    for (size_t i = 0; i < l->n; i++) {
        const ins_event *e = &l->v[i];
        if (e->kind == INS_LOST || !e->span) continue;
        char key[17];
        span_key(e->span, key);
        uintptr_t at = (uintptr_t)act_map_get(by_span, key);
        if (!at) {
            if (*n == cap) {
                cap = cap ? cap * 2 : 64;
                hops = act_realloc(hops, cap * sizeof *hops);
            }
            memset(&hops[*n], 0, sizeof hops[*n]);
            at = ++*n;
            act_map_put(by_span, key, (void *)at);
        }
        ins_hop *h = &hops[at - 1];
        const ins_event **slot = e->kind == INS_SEND ? &h->sent : e->kind == INS_RECEIVE
                                 ? &h->received : &h->dropped;
        if (!*slot) *slot = e;
    }
    return hops;
}

static const ins_event *any_event(const ins_hop *h)
{
    return h->sent ? h->sent : h->received ? h->received : h->dropped;
}

static bool hop_tag(const ins_hop *h, const char *key, const char *value)
{
    return (h->sent && ins_has_tag(h->sent, key, value)) ||
           (h->received && ins_has_tag(h->received, key, value)) ||
           (h->dropped && ins_has_tag(h->dropped, key, value));
}

static const char *hop_first_tag(const ins_hop *h, const char *key)
{
    const ins_event *ev[] = {h->sent, h->received, h->dropped};
    for (int i = 0; i < 3; i++)
        if (ev[i] && ins_tag(ev[i], key)) return ins_tag(ev[i], key);
    return NULL;
}

/* Names another task and not this one. */
static bool other_task(const ins_hop *h, const char *task)
{
    return hop_first_tag(h, "task") && !hop_tag(h, "task", task);
}

/* Every value of tag `key` of the hops marked in `in` goes into `out`. */
static void collect(const ins_hop *hops, size_t n, const bool *in, const char *key, act_map *out)
{
    for (size_t i = 0; i < n; i++) {
        if (!in[i]) continue;
        const ins_event *ev[] = {hops[i].sent, hops[i].received, hops[i].dropped};
        for (int k = 0; k < 3; k++) {
            size_t j;
            json_t *v;
            if (ev[k]) json_array_foreach(json_object_get(ev[k]->tags, key), j, v)
                act_map_put(out, json_string_value(v), (void *)1);
        }
    }
}

static bool tag_in(const ins_hop *h, const char *key, act_map *set)
{
    const char *k;
    for (size_t it = 0; act_map_next(set, &it, &k, NULL);)
        if (hop_tag(h, key, k)) return true;
    return false;
}

/* Which hops belong: those naming the task, those naming its executor (in its framework),
 * and one step of cause and effect around them. */
static void select_hops(const ins_hop *hops, size_t n, const char *task, act_map *by_span,
                        bool *in)
{
    for (size_t i = 0; i < n; i++) in[i] = hop_tag(&hops[i], "task", task);
    act_map *fw = act_map_new(), *ex = act_map_new();
    collect(hops, n, in, "framework", fw);
    collect(hops, n, in, "executor", ex);
    for (size_t i = 0; i < n; i++)
        if (!in[i] && !other_task(&hops[i], task) && tag_in(&hops[i], "executor", ex) &&
            tag_in(&hops[i], "framework", fw))
            in[i] = true;
    bool *core = act_malloc(n ? n * sizeof *core : 1);
    memcpy(core, in, n * sizeof *core);
    for (size_t i = 0; i < n; i++) {
        const ins_event *e = any_event(&hops[i]);
        char key[17];
        span_key(e->parent, key);
        uintptr_t cause = e->parent ? (uintptr_t)act_map_get(by_span, key) : 0;
        if (!cause || other_task(&hops[i], task) || other_task(&hops[cause - 1], task)) continue;
        if (core[i]) in[cause - 1] = true;  /* what caused a message of the task */
        if (core[cause - 1]) in[i] = true;  /* what one caused directly */
    }
    free(core);
    act_map_free(fw);
    act_map_free(ex);
}

static int column(ins_diagram *d, const char *pid)
{
    for (size_t i = 0; i < d->ncolumns; i++)
        if (strcmp(d->columns[i], pid) == 0) return (int)i;
    d->columns = act_realloc(d->columns, (d->ncolumns + 1) * sizeof *d->columns);
    d->columns[d->ncolumns] = act_strdup(pid);
    return (int)d->ncolumns++;
}

static int by_hop_time(const void *a, const void *b)
{
    double x = ((const ins_hop *)a)->time, y = ((const ins_hop *)b)->time;
    return x < y ? -1 : x > y;
}

/* Sets each hop's cause: the index of the hop whose span is its parent, or -1. */
static void link_causes(ins_diagram *d)
{
    act_map *at = act_map_new();
    char key[17];
    for (size_t i = 0; i < d->nhops; i++) {
        span_key(any_event(&d->hops[i])->span, key);
        act_map_put(at, key, (void *)(i + 1));
    }
    for (size_t i = 0; i < d->nhops; i++) {
        uint64_t parent = any_event(&d->hops[i])->parent;
        span_key(parent, key);
        uintptr_t c = parent ? (uintptr_t)act_map_get(at, key) : 0;
        d->hops[i].cause = c ? (int)c - 1 : -1;
    }
    act_map_free(at);
}

/* Orders the hops by time, a message after its cause even when the clocks of their
 * processes disagree. */
static void order(ins_diagram *d)
{
    link_causes(d);
    for (size_t round = 0; round < d->nhops; round++) { /* relax until causes come first */
        bool changed = false;
        for (size_t i = 0; i < d->nhops; i++) {
            int c = d->hops[i].cause;
            if (c >= 0 && d->hops[i].time <= d->hops[c].time) {
                d->hops[i].time = d->hops[c].time + 1e-7;
                changed = true;
            }
        }
        if (!changed) break;
    }
    qsort(d->hops, d->nhops, sizeof *d->hops, by_hop_time);
    link_causes(d); /* by their new places */
}

static bool same_str(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* A hop repeats an earlier one: the same message between the same actors, sent again from
 * the same context (a retry timer) or carrying the same update UUID (resent downstream). */
static void find_resends(ins_diagram *d)
{
    for (size_t i = 0; i < d->nhops; i++) {
        ins_hop *h = &d->hops[i];
        h->resend_of = -1;
        for (size_t j = 0; j < i && h->resend_of < 0; j++) {
            const ins_hop *o = &d->hops[j];
            if (strcmp(o->name, h->name) || strcmp(o->from, h->from) || strcmp(o->to, h->to))
                continue;
            uint64_t p = any_event(h)->parent;
            const char *uuid = hop_first_tag(h, "uuid");
            if ((p && p == any_event(o)->parent) ||
                (uuid && same_str(uuid, hop_first_tag(o, "uuid"))))
                h->resend_of = (int)j;
        }
    }
}

static bool inspected(const ins_diagram *d, const char *pid)
{
    const char *at = strrchr(pid, '@');
    for (size_t i = 0; at && i < d->nprocesses; i++)
        if (strcmp(d->processes[i], at + 1) == 0) return true;
    return false;
}

size_t ins_diagram_build(ins_diagram *d, const ins_events *l, const char *task,
                         char *const *processes, size_t nprocesses)
{
    memset(d, 0, sizeof *d);
    snprintf(d->task, sizeof d->task, "%s", task);
    d->processes = act_calloc(nprocesses + 1, sizeof *d->processes);
    for (size_t i = 0; i < nprocesses; i++) d->processes[i] = act_strdup(processes[i]);
    d->nprocesses = nprocesses;
    act_map *by_span = act_map_new();
    size_t n;
    ins_hop *all = group(l, by_span, &n);
    bool *in = act_malloc(n ? n * sizeof *in : 1);
    select_hops(all, n, task, by_span, in);
    d->hops = act_malloc((n ? n : 1) * sizeof *d->hops);
    for (size_t i = 0; i < n; i++) {
        if (!in[i]) continue;
        ins_hop *h = &d->hops[d->nhops++];
        *h = all[i];
        const ins_event *e = any_event(h);
        h->from = e->from;
        h->to = e->to;
        h->name = e->name;
        h->time = e->time;
        h->unanswered = h->sent && !h->received && !h->dropped && inspected(d, h->to);
    }
    free(in);
    free(all);
    act_map_free(by_span);
    order(d);
    find_resends(d);
    for (size_t i = 0; i < d->nhops; i++) {
        d->hops[i].from_col = column(d, d->hops[i].from[0] ? d->hops[i].from : "(anonymous)");
        d->hops[i].to_col = column(d, d->hops[i].to);
    }
    return d->nhops;
}

void ins_diagram_free(ins_diagram *d)
{
    for (size_t i = 0; i < d->ncolumns; i++) free(d->columns[i]);
    for (size_t i = 0; i < d->nprocesses; i++) free(d->processes[i]);
    free(d->columns);
    free(d->processes);
    free(d->hops);
    memset(d, 0, sizeof *d);
}

void ins_diagram_peers(const ins_events *l, const char *task, act_map *out)
{
    act_map *by_span = act_map_new();
    size_t n;
    ins_hop *all = group(l, by_span, &n);
    bool *in = act_malloc(n ? n * sizeof *in : 1);
    select_hops(all, n, task, by_span, in);
    for (size_t i = 0; i < n; i++) {
        const ins_event *e = any_event(&all[i]);
        const char *pids[] = {e->from, e->to};
        for (int k = 0; in[i] && k < 2; k++) {
            const char *at = strrchr(pids[k], '@');
            if (at && at[1]) act_map_put(out, at + 1, (void *)1);
        }
    }
    free(in);
    free(all);
    act_map_free(by_span);
}

/* ---- what each hop says ------------------------------------------------------------------ */

static const char *short_name(const char *name)
{
    static const char internal[] = "mesos.internal.";
    return strncmp(name, internal, sizeof internal - 1) == 0 ? name + sizeof internal - 1 : name;
}

static void duration(act_buf *out, double secs)
{
    if (secs < 0) secs = 0;
    if (secs < 1)
        act_buf_printf(out, "%.3fms", secs * 1e3);
    else
        act_buf_printf(out, "%.3fs", secs);
}

/* "transit 0.2ms, 1.3ms after #4, resent (#5)" and the like. */
static void hop_notes(const ins_diagram *d, size_t i, act_buf *out)
{
    const ins_hop *h = &d->hops[i];
    const char *sep = "";
    if (h->sent && h->received && strcmp(h->sent->process, h->received->process) != 0) {
        act_buf_puts(out, "transit ");
        duration(out, h->received->time - h->sent->time);
        sep = ", ";
    }
    if (h->cause >= 0 && d->hops[h->cause].received && h->sent) {
        act_buf_printf(out, "%s", sep);
        duration(out, h->sent->time - d->hops[h->cause].received->time);
        act_buf_printf(out, " after #%d", h->cause + 1);
        sep = ", ";
    }
    if (h->resend_of >= 0) act_buf_printf(out, "%sRESENT (first #%d)", sep, h->resend_of + 1);
    if (h->dropped) act_buf_printf(out, "%sDROPPED: %s", out->len ? ", " : "", h->dropped->reason);
    if (h->unanswered) act_buf_printf(out, "%sNEVER RECEIVED", out->len ? ", " : "");
    if (!h->sent && !h->dropped && h->received && !inspected(d, h->from))
        act_buf_printf(out, "%ssender not inspected", out->len ? ", " : "");
}

/* ---- text -------------------------------------------------------------------------------- */

#define LANE 12

/* The lanes of one row: lifelines, and the arrow of hop h when given. */
static void lanes(const ins_diagram *d, const ins_hop *h, act_buf *out)
{
    size_t width = d->ncolumns * LANE;
    char *row = act_malloc(width + 1);
    memset(row, ' ', width);
    row[width] = '\0';
    for (size_t c = 0; c < d->ncolumns; c++) row[c * LANE + LANE / 2] = '|';
    if (h) {
        int a = h->from_col * LANE + LANE / 2, b = h->to_col * LANE + LANE / 2;
        char body = h->unanswered ? '.' : '-';
        char head = h->dropped ? 'X' : b > a ? '>' : '<';
        if (a == b) {
            row[a] = h->dropped ? 'X' : 'o';
        } else {
            int lo = a < b ? a : b, hi = a < b ? b : a;
            for (int x = lo + 1; x < hi; x++) row[x] = body;
            row[b > a ? b - 1 : b + 1] = head;
        }
    }
    act_buf_puts(out, row);
    free(row);
}

void ins_diagram_text(const ins_diagram *d, act_buf *out)
{
    act_buf_printf(out, "Task %s: %zu messages between %zu actors (recorders read:", d->task,
                   d->nhops, d->ncolumns);
    for (size_t i = 0; i < d->nprocesses; i++) act_buf_printf(out, " %s", d->processes[i]);
    act_buf_puts(out, ")\n\n");
    for (size_t c = 0; c < d->ncolumns; c++)
        act_buf_printf(out, "  %c  %s\n", (int)('A' + c % 26), d->columns[c]);
    act_buf_printf(out, "\n%-4s %-11s", "", "");
    for (size_t c = 0; c < d->ncolumns; c++) {
        char name[LANE + 1];
        const char *id = d->columns[c];
        size_t n = strcspn(id, "@");
        snprintf(name, sizeof name, "%c %.*s", (int)('A' + c % 26), (int)(n > LANE - 3 ? LANE - 3 : n), id);
        act_buf_printf(out, "%-*s", LANE, name);
    }
    act_buf_putc(out, '\n');
    double t0 = d->nhops ? any_event(&d->hops[0])->time : 0;
    for (size_t i = 0; i < d->nhops; i++) {
        const ins_hop *h = &d->hops[i];
        act_buf when = {0}, notes = {0};
        act_buf_putc(&when, '+');
        duration(&when, any_event(h)->time - t0);
        act_buf_printf(out, "#%-3zu %-11s", i + 1, when.data);
        lanes(d, h, out);
        act_buf_printf(out, " %s", short_name(h->name));
        hop_notes(d, i, &notes);
        if (notes.len) act_buf_printf(out, "  (%s)", notes.data);
        act_buf_putc(out, '\n');
        act_buf_free(&when);
        act_buf_free(&notes);
    }
}

/* ---- HTML -------------------------------------------------------------------------------- */

static void html_escape(act_buf *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': act_buf_puts(out, "&lt;"); break;
        case '>': act_buf_puts(out, "&gt;"); break;
        case '&': act_buf_puts(out, "&amp;"); break;
        case '"': act_buf_puts(out, "&quot;"); break;
        default: act_buf_putc(out, *s);
        }
    }
}

json_t *ins_diagram_json(const ins_diagram *d)
{
    json_t *a = json_array();
    double t0 = d->nhops ? any_event(&d->hops[0])->time : 0;
    for (size_t i = 0; i < d->nhops; i++) {
        const ins_hop *h = &d->hops[i];
        const ins_event *e = any_event(h);
        act_buf notes = {0};
        hop_notes(d, i, &notes);
        char span[17], trace[17];
        span_key(e->span, span);
        span_key(e->trace, trace);
        json_t *o = json_pack("{s:i,s:s,s:s,s:s,s:f,s:f,s:b,s:b,s:s,s:s,s:s,s:O}", "n",
                              (int)i + 1, "name", h->name, "from", h->from, "to", h->to,
                              "time", e->time, "at", e->time - t0, "sent", h->sent != NULL,
                              "received", h->received != NULL, "notes",
                              notes.data ? notes.data : "", "span", span, "trace", trace,
                              "tags", e->tags);
        if (h->cause >= 0) json_object_set_new(o, "cause", json_integer(h->cause + 1));
        if (h->resend_of >= 0) json_object_set_new(o, "resent_of", json_integer(h->resend_of + 1));
        if (h->dropped) json_object_set_new(o, "dropped", json_string(h->dropped->reason));
        if (h->unanswered) json_object_set_new(o, "never_received", json_true());
        json_array_append_new(a, o);
        act_buf_free(&notes);
    }
    return a;
}

/* The hops as JSON for the page's script ("</" cannot end the script element). */
static void hops_json(const ins_diagram *d, act_buf *out)
{
    json_t *a = ins_diagram_json(d);
    char *text = json_dumps(a, JSON_COMPACT);
    for (const char *p = text; *p; p++) {
        if (p[0] == '<' && p[1] == '/')
            act_buf_puts(out, "<\\");
        else
            act_buf_putc(out, *p);
    }
    free(text);
    json_decref(a);
}

static const char page_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
    "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n<title>";
static const char page_style[] =
    "</title>\n<style>\n"
    "body{font:13px/1.4 sans-serif;margin:16px;color:#222}\n"
    "h1{font-size:17px}\n.actor{font:bold 12px monospace}\n.life{stroke:#bbb}\n"
    ".hop line{stroke:#246;stroke-width:1.5}\n.hop text{font:12px monospace;fill:#123}\n"
    ".hop.dropped line{stroke:#c22}\n.hop.unanswered line{stroke:#999;stroke-dasharray:4 3}\n"
    ".hop.resent line{stroke:#d80}\n.hop:hover line{stroke-width:3}\n.hop{cursor:pointer}\n"
    ".note{fill:#a33}\n#details{white-space:pre;font:12px monospace;background:#f4f4f4;"
    "padding:8px;min-height:3em}\n</style></head><body>\n";

/* The page's script: the details of a clicked arrow; marks the page ready for tests. */
static const char page_script[] =
    "<script>\n'use strict';\n"
    "(function(){\n"
    "  const hops=JSON.parse(document.getElementById('hops').textContent);\n"
    "  const out=document.getElementById('details');\n"
    "  function show(h){\n"
    "    out.textContent='#'+h.n+' '+h.name+'\\n'+h.from+' -> '+h.to+'\\nat +'+"
    "h.at.toFixed(6)+'s'+(h.notes?'  ('+h.notes+')':'')+'\\ntrace '+h.trace+' span '+h.span"
    "+'\\ntags '+JSON.stringify(h.tags);\n  }\n"
    "  document.querySelectorAll('.hop').forEach(function(g){\n"
    "    g.addEventListener('click',function(){show(hops[Number(g.dataset.n)-1]);});\n  });\n"
    "  document.getElementById('count').textContent=String(hops.length);\n"
    "  document.body.dataset.ready='1';\n"
    "})();\n</script>\n";

#define COL_W 210
#define ROW_H 30
#define TOP 60

static void svg(const ins_diagram *d, act_buf *out)
{
    size_t width = 40 + d->ncolumns * COL_W + 360, height = TOP + (d->nhops + 1) * ROW_H;
    act_buf_printf(out, "<svg width=\"%zu\" height=\"%zu\">\n",
                   width, height);
    for (size_t c = 0; c < d->ncolumns; c++) {
        size_t x = 40 + c * COL_W + COL_W / 2;
        act_buf_printf(out, "<text class=\"actor\" x=\"%zu\" y=\"20\" text-anchor=\"middle\">",
                       x);
        html_escape(out, d->columns[c]);
        act_buf_printf(out, "</text>\n<line class=\"life\" x1=\"%zu\" y1=\"30\" x2=\"%zu\" "
                            "y2=\"%zu\"/>\n", x, x, height);
    }
    for (size_t i = 0; i < d->nhops; i++) {
        const ins_hop *h = &d->hops[i];
        size_t y = TOP + i * ROW_H + ROW_H / 2;
        size_t a = 40 + (size_t)h->from_col * COL_W + COL_W / 2;
        size_t b = 40 + (size_t)h->to_col * COL_W + COL_W / 2;
        if (a == b) b = a + 30;
        act_buf notes = {0};
        hop_notes(d, i, &notes);
        act_buf_printf(out, "<g class=\"hop%s%s%s\" data-n=\"%zu\">", h->dropped ? " dropped" : "",
                       h->unanswered ? " unanswered" : "", h->resend_of >= 0 ? " resent" : "",
                       i + 1);
        act_buf_printf(out, "<line x1=\"%zu\" y1=\"%zu\" x2=\"%zu\" y2=\"%zu\"/>", a, y, b, y);
        int dir = b > a ? -1 : 1;
        if (h->dropped)
            act_buf_printf(out, "<text class=\"note\" x=\"%zu\" y=\"%zu\" text-anchor=\"middle\">"
                                "&#x2716;</text>", b, y + 4);
        else
            act_buf_printf(out, "<polyline points=\"%zu,%zu %zu,%zu %zu,%zu\" fill=\"none\" "
                                "stroke=\"#246\"/>", (size_t)((long)b + 7 * dir), y - 4, b, y,
                           (size_t)((long)b + 7 * dir), y + 4);
        size_t tx = (a < b ? a : b) + 6;
        act_buf_printf(out, "<text x=\"%zu\" y=\"%zu\">#%zu ", tx, y - 4, i + 1);
        html_escape(out, short_name(h->name));
        act_buf_puts(out, "</text>");
        if (notes.len) {
            act_buf_printf(out, "<text class=\"note\" x=\"%zu\" y=\"%zu\">",
                           40 + d->ncolumns * COL_W, y + 4);
            html_escape(out, notes.data);
            act_buf_puts(out, "</text>");
        }
        act_buf_puts(out, "</g>\n");
        act_buf_free(&notes);
    }
    act_buf_puts(out, "</svg>\n");
}

void ins_diagram_html(const ins_diagram *d, act_buf *out)
{
    act_buf_puts(out, page_head);
    act_buf_puts(out, "Task ");
    html_escape(out, d->task);
    act_buf_puts(out, page_style);
    act_buf_puts(out, "<h1>Task ");
    html_escape(out, d->task);
    act_buf_puts(out, ": <span id=\"count\"></span> messages</h1>\n<p>Recorders read:");
    for (size_t i = 0; i < d->nprocesses; i++) {
        act_buf_putc(out, ' ');
        html_escape(out, d->processes[i]);
    }
    act_buf_puts(out, ". Click an arrow for its details.</p>\n<div id=\"details\"></div>\n");
    svg(d, out);
    act_buf_puts(out, "<script type=\"application/json\" id=\"hops\">");
    hops_json(d, out);
    act_buf_puts(out, "</script>\n");
    act_buf_puts(out, page_script);
    act_buf_puts(out, "</body></html>\n");
}
