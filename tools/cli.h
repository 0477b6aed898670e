/*
 * cli.h - what the command-line tools (mesos-ps, -cat, -tail, -ls, -scp, -resolve) share:
 * finding the leading master (host:port, zk://, file:// through master/detector.h), HTTP GETs
 * of JSON with libcurl and jansson, finding a task in the master's state by a partial ID,
 * its sandbox on its slave, and reading files through the slave's /files endpoints.
 *
 * Every failure is reported as one of the exit codes below with a message in the caller's
 * buffer, so each tool prints it and exits with a code a script can tell apart.
 */
#ifndef TOOLS_CLI_H
#define TOOLS_CLI_H

#include "actor/actor.h"
#include "wire/wire.h"

#include <jansson.h>
#include <stddef.h>

/* The tools' exit codes (documented in docs/operators-guide.md). */
enum {
    CLI_OK = 0,
    CLI_FAILED = 1,       /* anything else: a slave unreachable, no such file ... */
    CLI_USAGE = 2,        /* bad flags or arguments */
    CLI_NO_MASTER = 3,    /* no leading master found, or it cannot be reached */
    CLI_NO_TASK = 4,      /* no task matches */
    CLI_AMBIGUOUS = 5,    /* several tasks match the partial ID */
    CLI_INTERRUPTED = 130 /* SIGINT (mesos-tail -f) */
};

/* The flags every tool that talks to a cluster has; its flag struct starts with one. */
typedef struct cli_common {
    char *master;   /* required */
    double timeout; /* for finding the leader */
} cli_common;

/* Resolves a master address (host:port, master@ip:port, zk://..., file://...) to the
 * leader's "ip:port" in out, waiting at most `timeout` seconds. Starts and shuts down a
 * client runtime of its own. Returns CLI_OK or CLI_NO_MASTER with the reason in err. */
int cli_resolve(const char *master, double timeout, char *out, size_t n, char *err,
                size_t errlen);

/* GET http://<hostport><target> (target: "/path?query", already escaped). Returns the HTTP
 * status with the body in *body (appended), or -1 when no answer came (err says why). */
long cli_http_get(const char *hostport, const char *target, act_buf *body, char *err,
                  size_t errlen);
/* GET returning parsed JSON (the caller owns it), or NULL with err set: "<url>: <why>";
 * *status (may be NULL) gets the HTTP status, or -1. */
json_t *cli_get_json(const char *hostport, const char *target, long *status, char *err,
                     size_t errlen);
/* Percent-escapes s for a query value; free() the result. */
char *cli_escape(const char *s);

/* The master's state.json from the leader of c->master. Returns CLI_OK with *state set
 * (the caller owns it), or CLI_NO_MASTER after printing why to stderr. */
int cli_master_state(const cli_common *c, json_t **state);

/* o[key] as a string; "" when absent or not a string. */
const char *cli_str(json_t *o, const char *key);
/* The slave with that ID in the master's state, or NULL. */
json_t *cli_slave_by_id(json_t *state, const char *id);

/* A task found in the master's state; the pointers borrow from that state. */
typedef struct cli_task {
    json_t *task, *framework, *slave; /* slave is NULL when the master no longer knows it */
    bool active;                      /* in its framework's tasks (not completed_tasks) */
} cli_task;

/* Finds the task whose ID is `task` or, failing that, contains it, among the active and
 * completed tasks of every framework (only framework `framework` when non-NULL). Returns
 * CLI_OK, CLI_NO_TASK, or CLI_AMBIGUOUS with the candidates listed in err. */
int cli_find_task(json_t *state, const char *framework, const char *task, cli_task *out,
                  char *err, size_t errlen);

/* The slave's "host:port" (its hostname and the port of its pid) into out. */
void cli_slave_addr(json_t *slave, char *out, size_t n);
/* The task's executor's sandbox directory, read from its slave's state.json. CLI_OK, or
 * CLI_FAILED with err set. */
int cli_task_sandbox(const cli_task *t, char *dir, size_t n, char *err, size_t errlen);

/* Reads a window of a file through the slave's /files/read.json (offset -1: the end, so
 * *at gets the size; length -1: the rest). Appends the data to *data, the offset it
 * starts at into *at. CLI_OK, CLI_FAILED with err set (a 404 says "No such file"). */
int cli_read(const char *slave, const char *path, long long offset, long long length,
             act_buf *data, long long *at, char *err, size_t errlen);

#define CLI_COMMON_FLAGS(type) CLI_COMMON_FLAGS_AT(type, common)
/* The same for a cli_common at member m of type. */
#define CLI_COMMON_FLAGS_AT(type, m)                                                         \
    {"master", ACT_FLAG_STRING, NULL, "The master: host:port, zk://host:port/path or "        \
     "file:///path holding one (required; MESOS_master works too).",                          \
     offsetof(type, m.master), NULL, NULL},                                                             \
    {"timeout", ACT_FLAG_DURATION, "5secs", "How long to wait for a leading master.",         \
     offsetof(type, m.timeout), NULL, NULL}

/* The flags of the tools that name a task (mesos-cat, -tail, -ls); their struct starts with
 * a cli_task_flags named `task`. */
typedef struct cli_task_flags {
    cli_common common;
    char *framework, *task;
} cli_task_flags;

#define CLI_TASK_FLAGS(type)                                                                 \
    CLI_COMMON_FLAGS_AT(type, task.common),                                                   \
    {"framework", ACT_FLAG_STRING, NULL, "Only tasks of this framework.",                     \
     offsetof(type, task.framework), NULL, NULL},                                                    \
    {"task", ACT_FLAG_STRING, NULL, "The task: its ID or a part of it that only it has (or "  \
     "TASK).", offsetof(type, task.task), NULL, NULL}

/* Where a task's sandbox is: its slave's host:port and the directory there. */
typedef struct cli_sandbox {
    char slave[512];
    char dir[4096];
} cli_sandbox;

/* The sandbox of the task named by positional argument TASK (when npos > 0) or --task, for
 * tool `program`: resolves the master, finds the task and asks its slave for the directory.
 * Prints what went wrong to stderr; returns the exit code (CLI_USAGE without a task). */
int cli_find_sandbox(const char *program, const cli_task_flags *f, int npos, char **pos,
                     cli_sandbox *out);

/* A tool's work once its flags are parsed: pos[0..npos) are the positional arguments.
 * Prints its own messages; returns an exit code. */
typedef int (*cli_run_fn)(void *values, int npos, char **pos);

typedef struct cli_tool {
    const char *program;            /* "mesos-ps" */
    const char *usage;              /* after "Usage: mesos-ps [options]" */
    const act_flag *table;
    size_t count;
    void *values;                   /* the struct the table fills; starts with a cli_common */
    const char *const (*shorts)[2]; /* short options (see cli_expand_short), or NULL */
    size_t nshorts;
    int max_positional;             /* more positional arguments are a usage error */
    cli_run_fn run;
} cli_tool;

/* A tool's main: expands short options, loads flags (MESOS_<flag> too) and answers
 * --help/--version, checks --master is given, then runs t->run with logging limited to
 * errors. Returns the exit code (CLI_USAGE after printing the error and a pointer to --help). */
int cli_main(const cli_tool *t, int argc, char **argv);

/* Turns -x short options into their long flags before act_flags_load sees argv:
 * shorts is a list of {"-i", "--inactive"} pairs; "-n 5" and "-n5" become "--lines=5" when
 * the long form ends in '='. Returns a new argv (NULL-terminated, every string its own) and
 * its count in *argc; free it with cli_argv_free. */
char **cli_expand_short(int *argc, char **argv, const char *const shorts[][2], size_t n);
void cli_argv_free(char **argv, int argc);

#endif /* TOOLS_CLI_H */
