/*
 * inspect.h - what mesos-inspect does with message events once it has them, apart from how
 * it gets them: events parsed from the runtime's JSON (/__recorder__, /__trace__, or a file
 * of them as --json writes), filters, merging several processes' streams by time, lines for
 * --watch (with bodies decoded through the wire schema), and a task's life as a sequence
 * diagram, in the terminal or as a self-contained HTML page. tools/mesos_inspect.c fetches.
 */
#ifndef TOOLS_INSPECT_H
#define TOOLS_INSPECT_H

#include "actor/actor.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum ins_kind { INS_SEND, INS_RECEIVE, INS_DROP, INS_LOST } ins_kind;

/* One event of one process' recorder. Strings are owned by the event. */
typedef struct ins_event {
    char *process;   /* where it was recorded: "ip:port" (or the file it came from) */
    ins_kind kind;
    uint64_t seq;    /* per process */
    double time;     /* wall clock */
    char *from, *to; /* pids */
    char *name;
    uint64_t size;
    uint64_t trace, span, parent;
    char *reason;       /* drops */
    char *content_type; /* when not msgpack */
    bool libprocess;
    uint8_t *body;      /* the body's bytes, when captured (NULL: none) */
    size_t body_len;
    bool body_bad;      /* the recorded body was not base64 (body is NULL) */
    uint64_t lost;      /* INS_LOST: how many */
    json_t *tags;       /* {"task": ["..."], ...} (owned reference) */
} ins_event;

/* Parses one event object (as the runtime writes it) recorded at `process`. Returns 0, or -1
 * when it is not an event (then *e is empty). */
int ins_event_parse(json_t *o, const char *process, ins_event *e);
void ins_event_free(ins_event *e);
/* Writes the event as one JSON object (the runtime's fields plus "process") and a newline. */
void ins_event_print_json(const ins_event *e, FILE *out);
/* The first value of tag `key`, or NULL; true if `value` is among its values. */
const char *ins_tag(const ins_event *e, const char *key);
bool ins_has_tag(const ins_event *e, const char *key, const char *value);

/* A growable list of events. */
typedef struct ins_events {
    ins_event *v;
    size_t n, cap;
} ins_events;

void ins_events_add(ins_events *l, ins_event *e); /* takes e's contents */
void ins_events_free(ins_events *l);
/* Adds the events of a /__recorder__ answer, or of a stream of JSON lines (one event per
 * line, as /__trace__ and --json write them; lines that are not events are skipped). Returns
 * how many were added, or -1 with err set when text is neither. */
int ins_events_load(ins_events *l, const char *text, const char *process, char *err,
                    size_t errlen);
/* The event of a record of /__trace__?format=binary recorded at `process`, tagged here from
 * the body bytes it carries through the wire schema (wire_recorder_tags), as the runtime tags
 * its JSON events; the body's bytes are kept when the record says it was asked for. */
void ins_event_from_record(const act_trace_record *r, const char *process, ins_event *e);

/* Reads a /__trace__?format=binary stream as its bytes come. */
typedef struct ins_trace_reader {
    act_buf pending; /* bytes not yet a whole record */
    bool head;       /* the stream's head was read */
} ins_trace_reader;
/* Adds the events of the next n bytes of one process' stream (a record may span calls).
 * Returns how many were added, or -1 with err set when the bytes are not a trace stream (then
 * stop reading it; what came before the fault was added). */
int ins_trace_feed(ins_trace_reader *r, const void *data, size_t n, const char *process,
                   ins_events *l, char *err, size_t errlen);
void ins_trace_reader_free(ins_trace_reader *r);

/* Sorts by time, then process and sequence: the streams of several processes merged. */
void ins_events_sort(ins_events *l);

/* What --watch shows; NULL / empty fields match everything. */
typedef struct ins_filter {
    const char *actor;     /* sender or receiver (an actor name, a pid or ip:port) */
    const char *from, *to; /* the same for one side */
    const char *name;      /* part of the message name */
    const char *framework, *task; /* IDs the message concerns */
} ins_filter;

bool ins_filter_match(const ins_filter *f, const ins_event *e);

/* The --watch line of an event (no newline); with decode, the body as JSON on the lines
 * below, indented, when it was captured and reads as the message it is named for. */
void ins_event_line(const ins_event *e, bool decode, act_buf *out);

/* ---- a task's life --------------------------------------------------------------------- */

/* One message of a diagram, put together from the events of every process about its span. */
typedef struct ins_hop {
    const ins_event *sent, *received, *dropped; /* any may be NULL (not all three) */
    const char *from, *to, *name;
    double time;            /* when sent (else received or dropped) */
    int from_col, to_col;
    int cause;              /* index of the hop whose handling sent it, or -1 */
    int resend_of;          /* index of an earlier hop it repeats (a retry), or -1 */
    bool unanswered;        /* sent, and the receiving process (inspected) never got it */
} ins_hop;

typedef struct ins_diagram {
    char task[256];
    char **columns;  /* actor pids, in order of appearance */
    size_t ncolumns;
    ins_hop *hops;   /* in causal order */
    size_t nhops;
    char **processes; /* the recorders read */
    size_t nprocesses;
} ins_diagram;

/* Builds the diagram of task `task` from the events of every recorder read (`processes`:
 * their addresses, so a message to one of them that never arrived can be told from one whose
 * receiver was not asked). The diagram points into l, which must outlive it. Returns the
 * number of hops (0: nothing about that task). */
size_t ins_diagram_build(ins_diagram *d, const ins_events *l, const char *task,
                         char *const *processes, size_t nprocesses);
void ins_diagram_free(ins_diagram *d);
/* The processes (ip:port) the task's messages went to or came from. */
void ins_diagram_peers(const ins_events *l, const char *task, act_map *out);
/* The diagram as text (one column per actor, one arrow per message). */
void ins_diagram_text(const ins_diagram *d, act_buf *out);
/* The hops as a JSON array, one object each: n, name, from, to, time, at (seconds since the
 * first), sent, received, notes, span, trace, tags, and when they apply cause (the n of the
 * hop whose handling sent it), resent_of, dropped (the reason), never_received. */
json_t *ins_diagram_json(const ins_diagram *d);
/* The same as a self-contained HTML page (inline CSS and script, no network). */
void ins_diagram_html(const ins_diagram *d, act_buf *out);

#endif /* TOOLS_INSPECT_H */
