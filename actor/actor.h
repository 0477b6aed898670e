/*
 * actor.h - the actor runtime: the one public header of actor/.
 *
 * A process has one runtime: one or more libev loop threads, a listening socket, a table of
 * actors by name and a pool of outgoing keep-alive connections. Every component is an actor
 * with a PID (name@ip:port) and a mailbox; actors talk only by messages, which are plain byte
 * bodies (msgpack, encoded by wire/) carried as HTTP requests between processes. The runtime
 * also carries the utilities every binary needs: errors, logging, growable buffers, a JSON
 * writer, duration and byte-size parsing, flags, metrics, HTTP routes and introspection.
 * It knows nothing about Mesos.
 *
 * Conventions: functions returning int give 0 (or a count) on success and a negative errno
 * value on failure (act_strerror() names it). Memory exhaustion is fatal (the process logs and
 * aborts) so no function reports it. Unless a comment says otherwise, pointers passed in are
 * borrowed for the duration of the call and pointers returned are owned by the runtime.
 */
#ifndef ACTOR_ACTOR_H
#define ACTOR_ACTOR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------ */
/* Errors                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* The message for a negative errno value returned by an act_ function. Never NULL. */
const char *act_strerror(int err);

/* Allocation helpers that never return NULL: on exhaustion they log and abort. */
void *act_malloc(size_t n);
void *act_calloc(size_t count, size_t size);
void *act_realloc(void *p, size_t n);
char *act_strdup(const char *s);
char *act_strndup(const char *s, size_t n);

/* ------------------------------------------------------------------------------------------ */
/* Logging (glog line format)                                                                 */
/*   I1125 10:00:00.123456  4242 file.c:123] message                                          */
/* ------------------------------------------------------------------------------------------ */

typedef enum act_log_level {
    ACT_LOG_INFO = 0,
    ACT_LOG_WARNING = 1,
    ACT_LOG_ERROR = 2,
    ACT_LOG_FATAL = 3,
} act_log_level;

typedef struct act_log_options {
    const char *program;   /* file name stem: "mesos-master" -> mesos-master.INFO; NULL = "mesos" */
    const char *log_dir;   /* NULL or "": no log files */
    act_log_level level;   /* minimum level written (--logging_level) */
    bool quiet;            /* --quiet: nothing to stderr (files still written) */
    double logbufsecs;     /* --logbufsecs: how long file output may stay buffered */
    uint64_t max_file_bytes; /* size at which a log file is rotated; 0 = 100 MB */
} act_log_options;

/* Sets up logging. May be called again to reconfigure; safe before act_init(). Returns 0 or a
 * negative errno when log_dir cannot be created or opened (stderr logging still works). */
int act_log_init(const act_log_options *opts);

/* Flushes and closes log files. */
void act_log_close(void);

/* The path of the current INFO log file, or NULL when logging to stderr only. Valid until
 * the next act_log_init/act_log_close; a rotation leaves an old pointer naming the old file. */
const char *act_log_file(void);

/* True when a line at this level would be written. Cheap (one relaxed atomic load). */
bool act_log_enabled(act_log_level level);

/* Verbose logging (glog's VLOG): enabled when level <= the verbosity (env GLOG_v, or
 * act_log_set_verbosity, or /logging/toggle). */
bool act_vlog_enabled(int level);
void act_log_set_verbosity(int level);
int act_log_verbosity(void);

/* Changes the verbosity to `level` for `secs` seconds of real time, then restores it
 * (what /logging/toggle?level=&duration= does). */
void act_log_toggle(int level, double secs);

void act_log_set_level(act_log_level level);
/* Parses a --logging_level value: "INFO", "WARNING" or "ERROR". Returns 0 or -EINVAL. */
int act_log_level_parse(const char *text, act_log_level *out);

/* Writes one line. Use the macros below, which skip argument evaluation below the level. */
void act_log_write(act_log_level level, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void act_log_vwrite(act_log_level level, const char *file, int line, const char *fmt,
                    va_list ap);

#define ACT_LOG_AT(lvl, ...)                                                                 \
    do {                                                                                     \
        if (act_log_enabled(lvl)) act_log_write((lvl), __FILE__, __LINE__, __VA_ARGS__);      \
    } while (0)
#define LOG_INFO(...) ACT_LOG_AT(ACT_LOG_INFO, __VA_ARGS__)
#define LOG_WARNING(...) ACT_LOG_AT(ACT_LOG_WARNING, __VA_ARGS__)
#define LOG_ERROR(...) ACT_LOG_AT(ACT_LOG_ERROR, __VA_ARGS__)
/* Logs and aborts. */
#define LOG_FATAL(...)                                                                       \
    do {                                                                                     \
        act_log_write(ACT_LOG_FATAL, __FILE__, __LINE__, __VA_ARGS__);                       \
        abort();                                                                             \
    } while (0)
#define VLOG(n, ...)                                                                         \
    do {                                                                                     \
        if (act_vlog_enabled(n)) act_log_write(ACT_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__); \
    } while (0)
/* Rate-limited lines, for anything a remote peer can provoke over and over (a malformed
 * message, a refused connection, a peer that keeps hanging up): each call site writes at most
 * one line per ACT_LOG_LIMIT_SECS of runtime clock (act_now), and the next line it writes
 * ends with how many it suppressed meanwhile, so no client can fill the disk through the log.
 * Suppressed lines cost one clock read and an atomic add; their arguments are not evaluated. */
#define ACT_LOG_LIMIT_SECS 10.0

/* One call site's state; zero-initialised (static) is ready. Plain fields, accessed with
 * atomic builtins, so that C++ code may include this header. */
typedef struct act_log_limit {
    int64_t next_us;     /* runtime clock (microseconds) before which lines are suppressed */
    uint64_t suppressed; /* lines suppressed since the last one written */
} act_log_limit;

/* True when the site may write a line now: then *suppressed is how many lines it suppressed
 * since its last one, and the site stays closed for ACT_LOG_LIMIT_SECS. Otherwise counts one
 * more suppressed line and returns false. Thread-safe. */
bool act_log_limit_pass(act_log_limit *l, uint64_t *suppressed);
/* act_log_write, with " (N similar lines suppressed)" appended when suppressed > 0. */
void act_log_write_limited(act_log_level level, const char *file, int line, uint64_t suppressed,
                           const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#define ACT_LOG_LIMITED(lvl, ...)                                                            \
    do {                                                                                     \
        static act_log_limit act_limit_;                                                     \
        uint64_t act_suppressed_;                                                            \
        if (act_log_enabled(lvl) && act_log_limit_pass(&act_limit_, &act_suppressed_))       \
            act_log_write_limited((lvl), __FILE__, __LINE__, act_suppressed_, __VA_ARGS__);  \
    } while (0)
#define LOG_WARNING_LIMITED(...) ACT_LOG_LIMITED(ACT_LOG_WARNING, __VA_ARGS__)
#define LOG_ERROR_LIMITED(...) ACT_LOG_LIMITED(ACT_LOG_ERROR, __VA_ARGS__)

/* A broken invariant: logs file, line and the expression, then aborts. */
#define ACT_CHECK(cond)                                                                      \
    do {                                                                                     \
        if (!(cond)) LOG_FATAL("Check failed: %s", #cond);                                   \
    } while (0)

/* ------------------------------------------------------------------------------------------ */
/* Growable byte buffer                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* A growable byte buffer. data is always NUL-terminated (the NUL is not counted in len) once
 * anything was appended. Zero-initialised ({0}) is a valid empty buffer. */
typedef struct act_buf {
    char *data;
    size_t len;
    size_t cap;
} act_buf;

void act_buf_init(act_buf *b);
void act_buf_free(act_buf *b);
void act_buf_reset(act_buf *b);                 /* len = 0, keeps the memory */
void act_buf_reserve(act_buf *b, size_t extra); /* room for `extra` more bytes (plus NUL) */
void act_buf_append(act_buf *b, const void *p, size_t n);
void act_buf_puts(act_buf *b, const char *s);
void act_buf_putc(act_buf *b, char c);
void act_buf_printf(act_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void act_buf_vprintf(act_buf *b, const char *fmt, va_list ap);
/* Appends the n bytes at p as base64 text (padded, no line breaks). */
void act_buf_base64(act_buf *b, const void *p, size_t n);
/* Decodes the len bytes of base64 text s (padded, as act_buf_base64 writes it) into out, which
 * has room for len / 4 * 3 bytes. Returns the bytes decoded, or -1 when s is not base64. */
long act_base64_decode(const char *s, size_t len, uint8_t *out);
/* Gives the caller the data (free() it; never NULL) and empties the buffer. */
char *act_buf_detach(act_buf *b, size_t *len);
/* Appends the regular file at path (no FIFOs or devices: they could block or never end),
 * at most max bytes of it. Returns 0, -EINVAL (not a regular file), -EFBIG (larger than max)
 * or the errno of open/read; on error b may hold part of the file. */
int act_buf_read_file(act_buf *b, const char *path, size_t max);

/* ------------------------------------------------------------------------------------------ */
/* String-keyed map (insertion-ordered)                                                       */
/* ------------------------------------------------------------------------------------------ */

/* A hash map from strings (copied) to pointers (not owned), iterated in insertion order so
 * that what daemons print is stable. Removing during iteration is safe; adding is not. */
typedef struct act_map act_map;

act_map *act_map_new(void);
/* Frees the map and its key copies; the values are the caller's. NULL is ignored. */
void act_map_free(act_map *m);
void *act_map_get(const act_map *m, const char *key);
/* Sets key -> value (value may not be NULL); returns the value it replaced, or NULL. */
void *act_map_put(act_map *m, const char *key, void *value);
/* Removes key; returns its value, or NULL if absent. */
void *act_map_remove(act_map *m, const char *key);
size_t act_map_size(const act_map *m);
/* Iteration: for (size_t it = 0; act_map_next(m, &it, &key, &value);) ... key and value may
 * be NULL when not wanted. */
bool act_map_next(const act_map *m, size_t *iter, const char **key, void **value);

/* ------------------------------------------------------------------------------------------ */
/* JSON writer: streaming, into an act_buf, commas handled for you                            */
/* ------------------------------------------------------------------------------------------ */

#define ACT_JSON_MAX_DEPTH 64

typedef struct act_json {
    act_buf *out;
    int depth;
    bool escape_slash;                      /* write '/' as "\/" (the /metrics/snapshot style) */
    bool after_key;                         /* a key was written; the value needs no comma */
    bool has_items[ACT_JSON_MAX_DEPTH + 1]; /* container at this depth already has an item */
} act_json;

/* Starts a writer appending to `out` (borrowed; must outlive the writer). */
void act_json_init(act_json *j, act_buf *out);
void act_json_object_begin(act_json *j);
void act_json_object_end(act_json *j);
void act_json_array_begin(act_json *j);
void act_json_array_end(act_json *j);
void act_json_key(act_json *j, const char *key);
void act_json_string(act_json *j, const char *s);            /* NULL writes null */
void act_json_string_n(act_json *j, const char *s, size_t n); /* bytes escaped as UTF-8 text */
void act_json_int(act_json *j, int64_t v);
void act_json_uint(act_json *j, uint64_t v);
void act_json_double(act_json *j, double v); /* shortest of %.15g; integral values without '.'; NaN/inf -> null */
void act_json_bool(act_json *j, bool v);
void act_json_null(act_json *j);
void act_json_raw(act_json *j, const char *text, size_t n); /* an already-encoded value */
/* Key + value in one call. */
void act_json_kv_string(act_json *j, const char *key, const char *v);
void act_json_kv_int(act_json *j, const char *key, int64_t v);
void act_json_kv_uint(act_json *j, const char *key, uint64_t v);
void act_json_kv_double(act_json *j, const char *key, double v);
void act_json_kv_bool(act_json *j, const char *key, bool v);
/* Appends `s` escaped as JSON string contents (no quotes) to `out`. */
void act_json_escape(act_buf *out, const char *s, size_t n, bool escape_slash);
/* For writers that append to the buffer themselves (no separators): `s` as a JSON string
 * (quoted, escaped); v as act_json_double writes it. */
void act_json_put_string(act_buf *out, const char *s, size_t n, bool escape_slash);
void act_json_put_double(act_buf *out, double v);

/* ------------------------------------------------------------------------------------------ */
/* Durations and byte sizes (Mesos' textual forms)                                            */
/* ------------------------------------------------------------------------------------------ */

/* Parses "10ns", "5us", "1ms", "1secs", "0.25secs", "5mins", "2hrs", "1days", "1weeks" into
 * seconds. A bare number is an error (the unit is required). Returns 0 or -EINVAL. */
int act_duration_parse(const char *text, double *secs);
/* Formats like Mesos' stout Duration: the largest unit in which the value is >= 1, stepping
 * one unit down when that gives a whole number ("1secs", "5mins", "1500ms", "90secs",
 * "1.5weeks", "0ns"). Writes at most n bytes; returns buf. */
char *act_duration_format(double secs, char *buf, size_t n);

/* Parses "512B", "64KB", "64MB", "1GB", "2TB" (1024 based). Bare numbers are an error.
 * Returns 0 or -EINVAL (also on overflow). */
int act_bytes_parse(const char *text, uint64_t *bytes);
/* Formats like Mesos: the largest unit that divides exactly ("64MB", "1536KB", "10B"). */
char *act_bytes_format(uint64_t bytes, char *buf, size_t n);
/* v's decimal digits at p (at most 20, no NUL), without printf: message heads, pids, JSON and
 * task IDs write numbers on hot paths. Returns the end. */
static inline char *act_put_u64(char *p, uint64_t v)
{
    char d[20];
    int k = 0;
    do d[k++] = (char)('0' + v % 10); while (v /= 10);
    while (k) *p++ = d[--k];
    return p;
}

/* ------------------------------------------------------------------------------------------ */
/* Flags: one table per binary                                                                */
/* ------------------------------------------------------------------------------------------ */

typedef enum act_flag_type {
    ACT_FLAG_STRING,   /* char *   (NULL when unset and no default; freed by act_flags_free) */
    ACT_FLAG_BOOL,     /* bool     ("true"/"false"/"1"/"0"; --name alone = true; --no-name) */
    ACT_FLAG_INT,      /* int64_t  */
    ACT_FLAG_DOUBLE,   /* double   */
    ACT_FLAG_DURATION, /* double seconds, text "5mins" */
    ACT_FLAG_BYTES,    /* uint64_t bytes, text "64MB" */
    ACT_FLAG_PATH,     /* char *, a file the program reads itself (and may read again):
                          "/path" or "file:///path" both give "/path" (not its content) */
} act_flag_type;

/* Validates a parsed value (pointer to the field). Returns 0, or nonzero with a reason
 * written to err. Validators run only for flags that have a value (given or defaulted), after
 * every source was applied; act_flags_set runs it before storing. */
typedef int (*act_flag_validator)(const void *value, char *err, size_t errlen);

typedef struct act_flag {
    const char *name;            /* without "--": "work_dir" */
    act_flag_type type;
    const char *def;             /* default as text; NULL = no default (unset) */
    const char *help;            /* one or more sentences for --help and /help */
    size_t offset;               /* offsetof(your_flags_struct, field) */
    act_flag_validator validate; /* may be NULL */
    /* NULL, or why the flag cannot mean anything here ("ACLs are not in this build yet"):
     * it is accepted with its default value only; any other value is refused with that
     * reason, naming the flag ("Failed to load flag 'acls': ACLs are not in this build
     * yet"), and --help says so. For flags Mesos knows whose feature is not built (yet):
     * clearing it is all a new feature needs to do here. */
    const char *unbuilt;
} act_flag;

/* One row of a flag table whose values live in the struct type T, field `name`:
 *     #define F(name, type, def, help) ACT_FLAG_ROW(my_flags, name, type, def, help, NULL, NULL)
 * (a binary's F, V (validated) and U (unbuilt) macros are made of it). */
#define ACT_FLAG_ROW(T, name, type, def, help, validate, unbuilt)                           \
    {#name, ACT_FLAG_##type, def, help, offsetof(T, name), validate, unbuilt}

/* A parsed flag set: the table, the values struct it fills and what was given explicitly. */
typedef struct act_flags {
    const char *program;   /* for --help: "mesos-master" */
    const char *usage;     /* optional, printed after "Usage: program [options]" on that line */
    const char *version;   /* printed as is by --version: "mesos 0.22.0" */
    const act_flag *table;
    size_t count;
    void *values;          /* the struct the table's offsets point into */
    bool *given;           /* given[i]: flag i came from the environment or the command line */
} act_flags;

#define ACT_FLAGS_HELP 1    /* act_flags_load printed --help; the caller should exit 0 */
#define ACT_FLAGS_VERSION 2 /* act_flags_load printed --version; the caller should exit 0 */

/* Fills flags->values (which need not be initialised): defaults first, then environment variables `<env_prefix><name>`
 * (e.g. MESOS_work_dir; env_prefix may be NULL to skip), then argv (--name=value, --name value
 * is NOT accepted: Mesos requires '='), each value possibly "file:///path" to read it from a
 * file (trailing newline stripped; ACT_FLAG_PATH flags keep the path instead). Arguments that do not start with "--" are positional: they
 * are moved, in order, to argv[1..*npositional] (npositional may be NULL: then positional
 * arguments are an error). "--" ends flag parsing.
 * Returns 0, ACT_FLAGS_HELP / ACT_FLAGS_VERSION (after printing to stdout), or -EINVAL with a
 * message naming the flag in err ("Failed to load flag 'port': ..." / "Unknown flag 'prot'").
 * Ownership: the set owns the strings it stored while flags->given is non-NULL; call
 * act_flags_free after every load, whatever it returned. */
int act_flags_load(act_flags *flags, int argc, char **argv, int *npositional,
                   const char *env_prefix, char *err, size_t errlen);
/* Sets one flag from text as if given on the command line. Returns 0 or -EINVAL (err set). */
int act_flags_set(act_flags *flags, const char *name, const char *value, char *err,
                  size_t errlen);
/* Prints usage and every flag with its default and help (the --help text). */
void act_flags_usage(const act_flags *flags, FILE *out);
/* Writes a JSON object {"name": "value-as-text", ...} of every flag that has a value, and
 * "help" and "version" as "false" (what /master/flags shows under "flags", as Mesos). */
void act_flags_json(const act_flags *flags, act_json *j);
/* The value of flag `name` as text (Mesos formatting); NULL if unknown or unset. */
char *act_flags_format(const act_flags *flags, const char *name, char *buf, size_t n);
/* Frees strings the flags own and the `given` array. */
void act_flags_free(act_flags *flags);

/* ------------------------------------------------------------------------------------------ */
/* PIDs                                                                                       */
/* ------------------------------------------------------------------------------------------ */

#define ACT_ID_MAX 96       /* longest actor name + 1 */
#define ACT_PID_STRLEN 128  /* enough for "id@255.255.255.255:65535" */

/* An actor's address: a value type, copy freely. ip is IPv4 in host byte order. An empty id
 * is "no pid" (e.g. the sender of an anonymous message). */
typedef struct act_pid {
    char id[ACT_ID_MAX];
    uint32_t ip;
    uint16_t port;
} act_pid;

/* Parses "name@1.2.3.4:5050". Returns 0 or -EINVAL. */
int act_pid_parse(const char *text, act_pid *out);
/* Formats into buf (ACT_PID_STRLEN is always enough) and returns buf. "" for no pid. */
char *act_pid_format(const act_pid *pid, char *buf, size_t n);
bool act_pid_equal(const act_pid *a, const act_pid *b);
bool act_pid_is_none(const act_pid *pid);
/* Builds a pid; returns -EINVAL (out untouched) if id is not a valid actor name. */
int act_pid_make(const char *id, uint32_t ip, uint16_t port, act_pid *out);
/* True if `name` is a valid actor name: 1..ACT_ID_MAX-1 chars of [A-Za-z0-9_.()-]. */
bool act_name_valid(const char *name);
/* Formats an IPv4 address (host order) as dotted quad. */
char *act_ip_format(uint32_t ip, char *buf, size_t n);
/* Parses a dotted quad into host order. Returns 0 or -EINVAL. */
int act_ip_parse(const char *text, uint32_t *ip);
/* The machine's name, as Mesos' net::hostname(): gethostname() made canonical by the
 * resolver when it can be. Writes into buf; returns buf, or NULL if there is no name. May
 * block on DNS: for start-up, not for a loop. */
char *act_host_name(char *buf, size_t n);
/* The name an IP (host order) resolves to ("localhost" for 127.0.0.1), else act_host_name(),
 * else the dotted IP: the default hostname of the daemons, as Mesos' net::getHostname(ip).
 * Writes into buf and returns it. May block on DNS like act_host_name. */
char *act_ip_hostname(uint32_t ip, char *buf, size_t n);

/* ------------------------------------------------------------------------------------------ */
/* The runtime                                                                                */
/* ------------------------------------------------------------------------------------------ */

typedef struct act_config {
    const char *ip;           /* address to bind; NULL = LIBPROCESS_IP, else 127.0.0.1 */
    int port;                 /* -1 = LIBPROCESS_PORT, else 0 (any free port) */
    const char *advertise_ip; /* NULL = LIBPROCESS_ADVERTISE_IP, else the bound ip */
    int advertise_port;       /* -1 = LIBPROCESS_ADVERTISE_PORT, else the bound port */
    int loops;                /* event-loop threads; <= 0 means 1 */
    size_t max_body;          /* largest accepted request body; 0 = 64 MB */
    bool listen;              /* false: no listening socket (a pure client) */
    /* What a flood of clients may cost. Each 0 means its LIBPROCESS_* environment variable
     * (a duration such as "20secs" or a size such as "256MB"), else the default. */
    double header_timeout;    /* a request head must arrive within this (HTTP_HEADER_TIMEOUT,
                                 20secs); a new connection's first head counts from accept */
    double body_timeout;      /* longest pause within a request body (HTTP_BODY_TIMEOUT, 30secs) */
    double idle_timeout;      /* an HTTP client's keep-alive connection idle this long is closed
                                 (HTTP_IDLE_TIMEOUT, 60secs); actor peers may idle forever */
    double send_timeout;      /* output toward a client that takes none of it for this long
                                 closes the connection (HTTP_SEND_TIMEOUT, 60secs) */
    size_t max_input;         /* bytes of incomplete requests buffered, all connections
                                 (MAX_BUFFERED_INPUT, 256MB): beyond, large bodies are refused */
    size_t max_output;        /* bytes queued toward HTTP clients, all connections
                                 (MAX_BUFFERED_OUTPUT, 256MB) */
    size_t max_conn_output;   /* ... per connection, before a streamed body waits and the
                                 next request is read (MAX_CONNECTION_OUTPUT, 1MB) */
    long recorder_events;     /* events the flight recorder keeps per loop (rounded up to a
                                 power of two); 0 = LIBPROCESS_RECORDER_EVENTS, else 4096;
                                 negative (or the variable set to 0) switches it off: then
                                 only /__trace__ watchers make it record */
} act_config;

/* Bounds what one peer may queue: a connection whose messages waiting in mailboxes (or being
 * handled) reach `max` is not read until half of them have been handled. Its sender is
 * slowed by TCP (its socket buffer fills, then its own queue grows) and nothing is dropped;
 * the runtime/connections_throttled counter and runtime/throttled_connections gauge show it.
 * 0 (the default) sets no bound. Call after act_init, from any thread; it applies to the
 * messages delivered from then on. */
void act_set_max_queued_messages(size_t max);

/* A config with every field "from the environment / default", listening. */
void act_config_default(act_config *c);

/* Creates the runtime and binds its socket. Does not start any thread. Returns 0, -EALREADY
 * if a runtime exists, -EINVAL for a bad address or TLS configuration, or the bind/listen
 * errno. TLS comes from the environment, as later libprocess reads it:
 * LIBPROCESS_SSL_ENABLED (every connection TLS; messages and HTTP on the same port),
 * LIBPROCESS_SSL_CERT_FILE and _KEY_FILE (required then), LIBPROCESS_SSL_CA_FILE / _CA_DIR
 * (whom to trust; default the system's), LIBPROCESS_SSL_VERIFY_CERT (verify peers'
 * certificates, which must also name the peer's address), LIBPROCESS_SSL_REQUIRE_CERT
 * (clients must present one) and LIBPROCESS_SSL_SUPPORT_DOWNGRADE (accept plain text too). */
int act_init(const act_config *c);
/* act_init for a daemon from its --ip, --port, --advertise_ip and --advertise_port flags (an
 * advertise port of 0 or less: the bound one), on `loops` loops; the rest from the
 * environment. Says on stderr why the runtime could not start. Returns as act_init. */
int act_init_daemon(const char *ip, int64_t port, const char *advertise_ip,
                    int64_t advertise_port, int loops);
/* Starts every loop on a thread of its own. Returns 0 or -EALREADY. */
int act_start(void);
/* Runs loop 0 on the calling thread (the others on threads of their own) until act_stop().
 * Returns 0. */
int act_run(void);
/* Asks every loop to stop. Safe from any thread and from a signal handler. */
void act_stop(void);
/* Stops the loops if running, terminates every actor (their terminate callbacks run on the
 * calling thread), closes every socket and frees everything; act_init may then be called
 * again. Must not be called from a loop thread. */
void act_shutdown(void);
/* True between act_init and act_shutdown. */
bool act_initialized(void);

/* For libraries that need a runtime (the scheduler and executor drivers): if none exists,
 * creates one from the environment (act_init(NULL)) and starts it; such a runtime is shut down
 * when the last of its acquirers releases it. A runtime the application created itself is
 * never shut down here. Returns 0 and sets *user (whether this caller counts as a user of a
 * runtime created here; pass it back to act_runtime_release), or act_init's error.
 * Thread-safe; act_runtime_release must not be called from a loop thread. */
int act_runtime_acquire(bool *user);
void act_runtime_release(bool user);

/* The advertised address of this process (id empty). */
act_pid act_address(void);
/* The bound port (useful after port 0). */
uint16_t act_port(void);
int act_loop_count(void);
/* Index of the loop the calling thread runs, or -1 for a thread that runs no loop. */
int act_current_loop(void);

/* ------------------------------------------------------------------------------------------ */
/* Actors and messages                                                                        */
/* ------------------------------------------------------------------------------------------ */

typedef struct act_actor act_actor;

/* A message as a handler sees it. Valid only during the handler call. */
typedef struct act_msg {
    act_pid from;        /* empty id: anonymous (plain HTTP POST or a foreign thread) */
    const char *name;    /* message name, e.g. "mesos.internal.StatusUpdateMessage" */
    const uint8_t *body; /* the bytes given to act_send (msgpack by convention) */
    size_t len;
    void *obj;           /* act_post's object (NULL for act_send); the runtime frees it after
                            the handler unless the handler sets *obj_taken */
    bool *obj_taken;
    const char *content_type; /* the body's media type when not the default ("application/
                            x-protobuf", from act_send_as or the Content-Type header); else NULL */
    bool libprocess;     /* the sender named itself with User-Agent: libprocess/<pid> */
} act_msg;

typedef void (*act_msg_fn)(act_actor *self, const act_msg *msg);
typedef void (*act_exited_fn)(act_actor *self, const act_pid *pid);
/* A function run in an actor's context (dispatch, timers, init, terminate). */
typedef void (*act_fn)(act_actor *self, void *arg);

/* Creates an actor that is not yet running. `name` is copied and must satisfy
 * act_name_valid(); `state` is the caller's and is never freed by the runtime. Install
 * handlers and routes, then act_spawn(). Returns NULL (and logs) for an invalid name. */
act_actor *act_new(const char *name, void *state);
/* Writes "base(N)" with N unique for this base within the process: slave(1), slave(2). */
char *act_unique_name(const char *base, char *out, size_t n);

/* Handler for messages named `name`. Replaces an earlier one. Before act_spawn only. */
void act_on_message(act_actor *a, const char *name, act_msg_fn fn);
/* Handler for messages named `name` from this process' own actors only (act_post, or act_send
 * between actors of this process): the runtime's internal protocols between a daemon's
 * actors. The same name from another process is dropped and counted, never handed to fn.
 * Replaces an earlier handler of that name. Before act_spawn only. */
void act_on_local(act_actor *a, const char *name, act_msg_fn fn);
/* For a handler that refuses a message because of who sent it (not the peer that may send it):
 * counts it in runtime/refused_messages, beside runtime/spoofed_messages, where the runtime
 * counts messages whose Libprocess-From names an address other than the one they came from.
 * The handler logs why. */
void act_count_refused(void);
/* Handler for exited events of linked pids. */
void act_on_exited(act_actor *a, act_exited_fn fn);
/* Runs first on the actor's loop, before any message. */
void act_on_init(act_actor *a, act_fn fn, void *arg);
/* Runs on the actor's loop when it terminates (or on the act_shutdown thread): release the
 * state here. No message is delivered after it. */
void act_on_terminate(act_actor *a, act_fn fn, void *arg);

/* Starts the actor on loop `loop` (0 <= loop < act_loop_count()). Takes ownership of `a` in
 * every case: on -EEXIST (name taken) or -EINVAL (bad loop) it is destroyed. */
int act_spawn(act_actor *a, int loop);

act_pid act_self(const act_actor *a);
const char *act_name(const act_actor *a);
void *act_state(const act_actor *a);
int act_actor_loop(const act_actor *a);
/* True if anything waits on self's loop besides self's running handler: an entry in self's
 * mailbox or another actor's, one not yet delivered (a message, a dispatch), or a timer due.
 * Sockets are not looked at (they are polled between handlers). For long work done in slices
 * on a loop: yield (act_delay 0, which does not sleep) when this is true, and every few
 * milliseconds anyway for the sockets. Call from self's loop. */
bool act_loop_waiting(const act_actor *self);

/* What waits in an actor's mailbox (libprocess' event queue): messages, dispatches (timers
 * included) and HTTP requests. Any thread; the counts are a moment's view. */
typedef struct act_queue_depth {
    uint64_t messages, dispatches, http_requests;
} act_queue_depth;
act_queue_depth act_queue_depth_of(const act_actor *a);

/* Terminates the actor named by pid (local only) after the messages already in its mailbox.
 * Safe from any thread. Returns 0 or -ENOENT. */
int act_terminate(const act_pid *pid);
/* Terminates `self` once the current handler returns. */
void act_exit(act_actor *self);

/* Sends a message: a mailbox enqueue when `to` is in this process, otherwise a POST on the
 * keep-alive connection to its address. `from` may be NULL (anonymous; use from foreign
 * threads). Body bytes are copied. Messages from one actor to another arrive in send order.
 * Delivery is not guaranteed: unknown actors and names are dropped, logged and counted
 * (runtime/dropped_messages). Returns 0, or -EINVAL for an invalid name or pid. Safe from any
 * thread when from is NULL; otherwise call it from `from`'s own loop. From a thread that runs
 * no loop it is safe even while act_shutdown runs: once the actors are gone such sends (and
 * posts and dispatches) are dropped as if their target did not exist. */
int act_send(act_actor *from, const act_pid *to, const char *name, const void *body,
             size_t len);
/* The media type of message bodies unless a sender says otherwise, and the longest one kept. */
#define ACT_CONTENT_TYPE_DEFAULT "application/x-msgpack"
#define ACT_CONTENT_TYPE_MAX 64

/* act_send with the body's media type: NULL or ACT_CONTENT_TYPE_DEFAULT is the default; any
 * other is sent as the Content-Type and reaches the handler in act_msg.content_type. */
int act_send_as(act_actor *from, const act_pid *to, const char *name, const void *body,
                size_t len, const char *content_type);

/* A peer process that is not one of ours: one whose messages carried a body type other than
 * the default, or came from libprocess itself (User-Agent: libprocess/<pid>). The runtime
 * records such a peer by its address (ip:port) when its first message arrives and sends it
 * everything afterwards in the header form it used: libprocess peers get User-Agent and
 * Libprocess-From (as libprocess writes them), others Libprocess-From, both with
 * Connection: Keep-Alive, and those that did not name themselves libprocess get 202 Accepted
 * for each message, as libprocess answers them. At most 65536 are kept; past that the one
 * heard from least recently is forgotten. */
typedef struct act_peer {
    bool libprocess;                        /* it sent User-Agent: libprocess/<pid> */
    char content_type[ACT_CONTENT_TYPE_MAX]; /* its bodies' media type; "" if it named none */
} act_peer;

/* True, with *out filled, if the process at pid's address is such a peer. Safe from any
 * thread; one atomic load when the process has met none. */
bool act_peer_get(const act_pid *pid, act_peer *out);
/* Records the process at pid's address as such a peer, as if a message in that form had just
 * come from it: for a process we must speak to first, whose form we saved (an executor that
 * outlived a restart of its slave). Safe from any thread. */
void act_peer_set(const act_pid *pid, const act_peer *peer);

/* Like act_send, but hands a pointer to a local actor without encoding: the handler sees it
 * in msg->obj. free_obj(obj) runs after delivery, or when the message is dropped. Returns
 * -EXDEV (after freeing obj) if `to` is not in this process. */
int act_post(act_actor *from, const act_pid *to, const char *name, void *obj,
             void (*free_obj)(void *));
/* Runs fn(actor, arg) on the target actor's loop, in its context, in FIFO order with its
 * messages. If the actor does not exist when the call arrives, fn(NULL, arg) runs instead
 * (on the calling thread or a loop thread) so arg can be released. Safe from any thread. */
int act_dispatch(const act_pid *to, act_fn fn, void *arg);

/* Links self to pid: an exited event arrives when that actor terminates (local), or when the
 * connection to its address breaks or cannot be made (remote). Linking to a local pid that
 * does not exist delivers exited at once. Links are one-shot. Call from self's loop. */
int act_link(act_actor *self, const act_pid *pid);

/* ------------------------------------------------------------------------------------------ */
/* Clock and timers                                                                           */
/* ------------------------------------------------------------------------------------------ */

/* The runtime clock: seconds since the epoch; frozen while paused (then it moves only by
 * act_clock_advance). Every timeout in the system uses it. */
double act_now(void);
void act_clock_pause(void);
void act_clock_resume(void);
bool act_clock_paused(void);
/* Moves a paused clock forward; timers that become due fire on their loops. */
void act_clock_advance(double secs);
/* Waits until every loop is idle: no queued message, no due timer, nothing arriving from
 * another loop. Call from a thread that runs no loop. Returns 0 or -ETIMEDOUT after 30 s of
 * real time (something keeps producing work). */
int act_clock_settle(void);

typedef uint64_t act_timer_id;

/* Calls fn(self, arg) on self's loop after `secs` of runtime clock. Returns a nonzero id. A
 * timer of a terminated actor never fires; `arg` stays the caller's. Call from self's loop. */
act_timer_id act_delay(act_actor *self, double secs, act_fn fn, void *arg);
/* Cancels a pending timer of self. Returns true if it had not fired yet. */
bool act_cancel(act_actor *self, act_timer_id id);

/* ------------------------------------------------------------------------------------------ */
/* Trace contexts and the flight recorder                                                     */
/* ------------------------------------------------------------------------------------------ */

/* Every message carries a trace context: its own span, the span of the message whose handler
 * sent it (its parent; 0 for none) and the trace they share (the first span of the chain).
 * A message sent while a handler runs inherits that handler's message; so do timers armed and
 * dispatches made there, and what they send. A message sent with no such context (from init,
 * an HTTP handler, a foreign thread) starts a trace. Between our processes the context
 * travels in the message's head as
 *     Libprocess-Trace: <trace>/<span>/<parent>      (16 hex digits each)
 * and a message without one (a peer that is not ours) starts a trace where it arrives. */
#define ACT_TRACE_HEADER "Libprocess-Trace"

typedef struct act_trace {
    uint64_t trace, span, parent;
} act_trace;

/* The context of the handler running on the calling thread ({0} outside handlers). */
act_trace act_trace_current(void);

/* Every process keeps a flight recorder: a bounded ring per loop of its recent message events
 * (sent, received, dropped and why), each with wall time, a per-process sequence, sender,
 * receiver, name, size, trace context and the tags below; always on (act_config.
 * recorder_events), read over HTTP at /__recorder__ and streamed live at /__trace__. Recording
 * never blocks a loop: a full ring overwrites its oldest events and counts them. */

/* What a message concerns ("framework" -> an ID, "task" -> an ID ...), as short key=value
 * pairs the runtime stores without knowing what they mean. */
#define ACT_TAGS_MAX 224
typedef struct act_tags {
    char data[ACT_TAGS_MAX]; /* the pairs; read them with act_tags_next */
    uint16_t len;
    bool truncated;          /* some pair did not fit */
} act_tags;

/* Appends key=value[0..n) unless that exact pair is there already. Returns false (and marks
 * the tags truncated) when it does not fit, or key or value is over 255 bytes. */
bool act_tags_add(act_tags *t, const char *key, const char *value, size_t n);
/* Iterates the pairs: for (size_t at = 0; act_tags_next(t, &at, &k, &v);) ... */
bool act_tags_next(const act_tags *t, size_t *at, const char **key, const char **value);

/* Fills out with the tags of a message body (name, body bytes, the body's media type as
 * act_msg.content_type gives it, whether the sender was libprocess). The recorder keeps the
 * first kilobyte of each body for it and calls it when the event is read (on the reading
 * thread), so the bytes may be cut short; it must not trust them. */
typedef void (*act_tagger)(const char *name, const uint8_t *body, size_t len,
                           const char *content_type, bool libprocess, act_tags *out);
/* Installs the tagger (wire/ installs one that reads Mesos' IDs); NULL removes it. Safe
 * from any thread, before or after act_init. */
void act_recorder_set_tagger(act_tagger fn);

/* Writes a message body into j as one JSON value (the decoded message) and returns true, or
 * returns false, having written nothing, to have the body shown as a string. /__processes__
 * calls it for each message waiting in a mailbox, on the loop that owns the mailbox. */
typedef bool (*act_body_renderer)(const char *name, const uint8_t *body, size_t len,
                                  const char *content_type, bool libprocess, act_json *j);
/* Installs the renderer (wire/ installs one that decodes msgpack and protobuf through its
 * schema); NULL removes it. Safe from any thread, before or after act_init. */
void act_set_body_renderer(act_body_renderer fn);

/* /__trace__?format=binary: the events of the JSON lines as length-prefixed records, which
 * a watcher reads without parsing text. The process does no tagging for it: a record carries
 * the body bytes the recorder kept (the whole body with ?bodies=1, else its first kilobyte)
 * and the watcher tags the event itself with its act_tagger. Integers are little-endian.
 *
 *   stream  := "ATRC" u32 version (ACT_TRACE_VERSION), then records
 *   record  := u32 length (of what follows, at most ACT_TRACE_RECORD_MAX), u8 type, payload
 *   LOST    := u64 count                  events this watcher missed since its last record
 *   EVENT   := u64 seq, u64 time (ns since the epoch), u64 trace, u64 span, u64 parent,
 *              u32 size (of the body as sent), u32 from_ip, u32 to_ip (127.0.0.1 is
 *              0x7f000001), u16 from_port, u16 to_port, u8 kind (0 send, 1 receive, 2 drop),
 *              u8 flags (ACT_TRACE_F_*), u8 from_len, u8 to_len, u8 name_len,
 *              u8 content_type_len, u8 reason_len, u8 0, u32 body_len (68 bytes so far),
 *              then the sender's actor name, the receiver's, the message name, its content
 *              type ("" for the default) and the drop's reason, each as many bytes as its
 *              length says (no NUL), then body_len bytes of body.
 *
 * Records of other types may come in later versions; a reader skips them. */
#define ACT_TRACE_MAGIC "ATRC"
#define ACT_TRACE_VERSION 1u
#define ACT_TRACE_HEAD_LEN 8u
#define ACT_TRACE_EVENT_FIXED 68u                 /* an event's payload before its strings */
#define ACT_TRACE_RECORD_MAX (80u << 10)          /* 64 KiB of body and the rest, bounded */
enum { ACT_TRACE_REC_EVENT = 1, ACT_TRACE_REC_LOST = 2 };
enum {
    ACT_TRACE_F_LIBPROCESS = 1, /* sent by libprocess (body in the message, no content type) */
    ACT_TRACE_F_BODY = 2,       /* the body asked for (?bodies=1); body_len < size: cut */
    ACT_TRACE_F_BODY_GONE = 4,  /* the kept bytes were overwritten before they were read: no
                                 * body, and the tags cannot be read (JSON: tags_truncated) */
};

/* One record as act_trace_record_parse reads it. Strings are copied out NUL-terminated; body
 * points into the bytes parsed (valid while they are). */
typedef struct act_trace_record {
    uint8_t type;        /* ACT_TRACE_REC_EVENT or ACT_TRACE_REC_LOST (others are skipped) */
    uint64_t lost;       /* LOST: how many events were missed */
    uint64_t seq, ns;
    act_trace tc;
    uint8_t kind;        /* 0 send, 1 receive, 2 drop */
    uint8_t flags;       /* ACT_TRACE_F_* */
    uint32_t size;
    act_pid from, to;
    char name[112];
    char content_type[ACT_CONTENT_TYPE_MAX];
    char reason[64];
    const uint8_t *body; /* NULL when body_len is 0 */
    uint32_t body_len;
} act_trace_record;

/* Checks the stream's head at data[0, len): returns ACT_TRACE_HEAD_LEN (the bytes it takes),
 * 0 when fewer bytes are there, or -EPROTO with err set when it is not a trace stream of a
 * version this reader knows. */
long act_trace_head_parse(const uint8_t *data, size_t len, char *err, size_t errlen);
/* Reads the record at data[0, len) into *out: returns the bytes it takes, 0 when it is not
 * all there yet, or -EPROTO with err set when it is malformed (a length out of bounds, an
 * event whose fields do not fit its length, an unknown kind); the stream is then unusable.
 * The bytes are not trusted: nothing is read outside data[0, len). A record of an unknown
 * type is returned with only its type set, for the caller to skip. */
long act_trace_record_parse(const uint8_t *data, size_t len, act_trace_record *out, char *err,
                            size_t errlen);

/* ------------------------------------------------------------------------------------------ */
/* Message filters (tests)                                                                    */
/* ------------------------------------------------------------------------------------------ */

typedef enum act_filter_verdict {
    ACT_FILTER_PASS = 0,
    ACT_FILTER_DROP = 1, /* the message is discarded */
    ACT_FILTER_HOLD = 2, /* kept aside until act_filter_release() */
} act_filter_verdict;

/* What a filter sees: a message about to enter a local actor's mailbox (sent locally or
 * received from the network), or about to leave for another process (`to` is then there):
 * each message once in each process it passes through. */
typedef struct act_filter_msg {
    const act_pid *from;
    const act_pid *to;
    const char *name;
    const uint8_t *body;
    size_t len;
} act_filter_msg;

/* Called on whichever thread delivers, serialised by the runtime. */
typedef act_filter_verdict (*act_filter_fn)(void *ctx, const act_filter_msg *m);

/* Installs a filter; filters run in installation order, the first non-PASS verdict wins.
 * Returns an id (> 0) for act_filter_remove. Dispatches and timers are never filtered. */
int act_filter_add(act_filter_fn fn, void *ctx);
void act_filter_remove(int id);
/* Delivers held messages named `name` (NULL = all), in the order they were held.
 * Returns how many. */
int act_filter_release(const char *name);
/* Discards held messages. */
void act_filter_discard(void);

/* ------------------------------------------------------------------------------------------ */
/* HTTP routes                                                                                */
/* ------------------------------------------------------------------------------------------ */

typedef struct act_http_req act_http_req;

/* Handles one request. The handler (or later code) must call exactly one act_http_respond*
 * for every request, from any thread. */
typedef void (*act_http_fn)(act_actor *self, act_http_req *req);

/* Routes /<actor-name>/<path> to fn. `path` has no leading slash ("state.json"; "" for the
 * actor's root; "*" for anything no other route of the actor takes). A route also matches
 * longer paths below it ("static" matches "static/js/app.js"); the longest match wins.
 * help: one or more lines for /help. Before act_spawn only. */
void act_route(act_actor *a, const char *path, act_http_fn fn, const char *help);
/* Like act_route, for a route that changes state or shows task data (Mesos' --authenticate_
 * http): once the process has an authenticator, a request without valid HTTP Basic
 * credentials is answered 401 and never reaches fn. Before act_spawn only. */
void act_route_protected(act_actor *a, const char *path, act_http_fn fn, const char *help);

/* Checks an HTTP Basic user name and password; true if they are right. Runs on loop 0 (for
 * protected routes) or a handler's loop (act_http_authenticate), so it must be thread-safe. */
typedef bool (*act_http_auth_fn)(void *ctx, const char *user, const char *password);
/* Turns HTTP Basic authentication on for the protected routes (NULL: off, the default), with
 * realm naming the process in WWW-Authenticate ("Mesos master"). Process-wide; ctx is the
 * caller's and must outlive the runtime or the next call. */
void act_http_set_authenticator(act_http_auth_fn fn, void *ctx, const char *realm);
/* Whom the request authenticated as (HTTP Basic, on a protected route or after
 * act_http_authenticate), or NULL. */
const char *act_http_principal(const act_http_req *req);
/* In a handler, for a request only some of whose forms need authentication: true if it may
 * go on (no authenticator, or valid credentials); else it was answered 401 (req consumed). */
bool act_http_authenticate(act_http_req *req);
/* Answers 401 with WWW-Authenticate for the process' realm (a refused authorization). */
void act_http_respond_unauthorized(act_http_req *req);

/* Requests whose first path segment names no actor go to this actor with the whole path
 * ("/state.json" -> path "state.json"). */
void act_set_default_actor(const char *name);

const char *act_http_method(const act_http_req *req);
/* The path below the actor: "state.json", "static/js/app.js", "" */
const char *act_http_path(const act_http_req *req);
/* The request target as received, e.g. "/master/state.json?jsonp=x" */
const char *act_http_url(const act_http_req *req);
/* A query parameter, percent-decoded; NULL if absent. */
const char *act_http_query(const act_http_req *req, const char *key);
/* A field of a form body (application/x-www-form-urlencoded, as Mesos' POST endpoints take
 * it), percent-decoded; NULL if absent. */
const char *act_http_form(const act_http_req *req, const char *key);
/* A header value (name case-insensitive); NULL if absent. */
const char *act_http_header(const act_http_req *req, const char *name);
const uint8_t *act_http_body(const act_http_req *req, size_t *len);

/* Answers the request and releases it. `body` is copied. extra_headers: NULL or CRLF-
 * terminated header lines ("Location: http://x/\r\n"). */
void act_http_respond(act_http_req *req, int status, const char *content_type,
                      const void *body, size_t len, const char *extra_headers);
/* Answers with JSON from `json` (emptied): honours ?jsonp=NAME (text/javascript) and sets
 * Access-Control-Allow-Origin: *. */
void act_http_respond_json(act_http_req *req, int status, act_buf *json);
/* Answers status with a short text/plain body (a reason). */
void act_http_respond_text(act_http_req *req, int status, const char *text);

/* A response body produced piece by piece as the client takes it (a large file): the runtime
 * asks for more only while the connection's queued output is under max_conn_output and the
 * process' under max_output (act_config), so a client that does not read costs a bounded
 * amount of memory and nothing is read ahead of it. */
typedef struct act_http_producer {
    /* Appends at most `room` (> 0) more bytes of the body to out. Returns 0 while more will
     * follow, 1 after the last bytes, or a negative errno to abandon the response (the
     * connection is closed). Runs on loop 0 whenever the connection has room. */
    int (*produce)(void *ctx, act_buf *out, size_t room);
    /* Releases ctx. Called exactly once: after the last produce, or when the body will not
     * be completed (the client went away, the runtime shut down), on whichever thread sees
     * that. */
    void (*release)(void *ctx);
    void *ctx;
} act_http_producer;

/* Answers req with a body taken from p (copied; its release runs in every case). length: the
 * body's exact length when known (sent as Content-Length; a producer that ends short closes
 * the connection), else -1 (chunked, or ended by closing for HTTP/1.0 clients).
 * extra_headers as for act_http_respond. Safe from any thread; req is consumed. */
void act_http_respond_stream(act_http_req *req, int status, const char *content_type,
                             int64_t length, const char *extra_headers,
                             const act_http_producer *p);
/* Streams a JSON body from p, honouring ?jsonp=NAME and CORS as act_http_respond_json does. */
void act_http_respond_json_stream(act_http_req *req, int status, const act_http_producer *p);

/* Answers with the file `rel` (a path relative to directory `root`, e.g. "js/app.js") with
 * a content type by extension, an ETag and Cache-Control: no-cache (304 when the request's
 * If-None-Match matches). Anything that is not a regular file below root (an absolute path,
 * ".", "..", a symlink leading out) is a 404. Reads the file on the calling loop: for small
 * files (at most 16 MB). */
void act_http_respond_file(act_http_req *req, const char *root, const char *rel);
/* The Content-Type for a file name by its extension ("text/css; charset=utf-8");
 * application/octet-stream when unknown. */
const char *act_content_type(const char *path);

/* Large JSON bodies made of shared pieces. An act_blob is an immutable reference-counted
 * string (say the JSON of one task, kept until the task changes); an act_pieces is a body
 * assembled in order from blobs and copied text. Building one on an actor's loop costs a
 * reference per blob; a large one is then streamed to the client (act_http_respond_stream),
 * never joined. Blobs and pieces may be released on any thread. */
typedef struct act_blob act_blob;
typedef struct act_pieces act_pieces;

/* A blob holding a copy of data[0..len) (NUL-terminated); the caller holds one reference. */
act_blob *act_blob_new(const void *data, size_t len);
/* A blob written in place, without a copy: act_blob_buf_init starts `b` (empty to writers,
 * room for `hint` bytes); write the text into it with any act_buf or act_json calls, then
 * act_blob_from_buf makes the blob of it and leaves `b` empty. */
void act_blob_buf_init(act_buf *b, size_t hint);
act_blob *act_blob_from_buf(act_buf *b);
act_blob *act_blob_ref(act_blob *b);
void act_blob_unref(act_blob *b); /* NULL is ignored */
const char *act_blob_data(const act_blob *b, size_t *len);

act_pieces *act_pieces_new(void);
void act_pieces_free(act_pieces *p); /* NULL is ignored */
size_t act_pieces_len(const act_pieces *p);
/* Appends a blob (a reference is taken; the caller keeps its own). */
void act_pieces_add(act_pieces *p, act_blob *b);
/* Appends the text in `text` (copied) and empties it. */
void act_pieces_add_text(act_pieces *p, act_buf *text);
/* For a body written with an act_json writer into j->out: appends what was written so far,
 * then blob b as the next JSON value (b must hold one JSON value; the writer puts the comma
 * before it as for any value). */
void act_pieces_json_value(act_pieces *p, act_json *j, act_blob *b);
/* The same with a JSON value itself made of pieces (references to its blobs are taken). */
void act_pieces_json_pieces(act_pieces *p, act_json *j, const act_pieces *value);
/* Answers req with the JSON body in p, as act_http_respond_json does (jsonp, CORS); p is
 * consumed. A large body is streamed from the pieces, with its Content-Length (chunked with
 * jsonp). Safe from any thread. */
void act_http_respond_pieces(act_http_req *req, int status, act_pieces *p);

/* Files over HTTP, as Mesos' FilesProcess serves them: the "files" actor answers
 * /files/browse.json?path= (a directory's entries; a file lists nothing), /files/read.json?
 * path=&offset=&length= ({"data","offset"}, at most 16 pages; offset -1 gives the size),
 * /files/download.json?path= (the bytes, streamed) and /files/debug.json (what is attached).
 * A real directory or file is attached under a virtual name (a sandbox under its own path,
 * a log as "/master/log"); request paths resolve through the longest attached name and
 * nothing outside the attached real path is served. */
/* Spawns "files" on `loop`, or finds the one the process has (a master and a slave in one
 * process share it); returns its pid (id "" on failure). */
act_pid act_files_spawn(int loop);
/* Serves `path` under `name` ("/a/b/" and "/a/b" are one name); later attaches of a name
 * replace it. Asynchronous (a message to the actor); any thread. Returns act_post's code. */
int act_files_attach(const act_pid *files, const char *path, const char *name);
int act_files_detach(const act_pid *files, const char *name);

/* A chunked response kept open (for streams such as /__trace__). Loop-0 actors only. */
typedef struct act_http_stream act_http_stream;
/* Sends the response head and returns the stream; req is consumed. */
act_http_stream *act_http_stream_open(act_http_req *req, const char *content_type);
/* Writes one chunk. Returns 0; -ENOBUFS when the client is not reading and the connection's
 * output is at its bound (max_conn_output; the chunk is dropped); or -EPIPE once the client
 * went away (then close it). */
int act_http_stream_write(act_http_stream *s, const void *data, size_t len);
/* Ends the response and releases the stream. */
void act_http_stream_close(act_http_stream *s);

/* ------------------------------------------------------------------------------------------ */
/* Metrics: served at /metrics/snapshot as one flat compact JSON object                      */
/* ------------------------------------------------------------------------------------------ */

typedef struct act_counter act_counter;
typedef struct act_gauge act_gauge;
typedef struct act_timing act_timing;

/* Get-or-create by name ("master/slave_registrations"). The object lives until
 * act_metrics_reset() (or act_metric_remove); the pointer may be cached. Thread-safe. Asking
 * for an existing name as another kind logs an error and returns a shared dummy that is
 * never shown. */
act_counter *act_counter_get(const char *name);
void act_counter_inc(act_counter *c);
void act_counter_add(act_counter *c, uint64_t n);
uint64_t act_counter_value(const act_counter *c);

act_gauge *act_gauge_get(const char *name);
void act_gauge_set(act_gauge *g, double v);
void act_gauge_add(act_gauge *g, double delta);
double act_gauge_value(const act_gauge *g);

/* A timing (e.g. "allocator/allocation_run_ms"): the snapshot shows the last value under
 * the name itself and name/count, name/min, name/max, name/p50, p90, p95, p99, p999 and
 * p9999 over a window of the last 1000 samples (libprocess' method: linear interpolation at p*(n-1)).
 * Non-finite samples are ignored. */
act_timing *act_timing_get(const char *name);
void act_timing_record(act_timing *t, double value);

/* Registers fn to run in the context of actor `owner` before each /metrics/snapshot is
 * rendered, so the actor can refresh gauges derived from its state (libprocess evaluates
 * gauges in their owning process the same way). fn gets arg NULL. The snapshot waits for
 * every collector; a collector whose actor is gone is skipped. */
void act_metrics_add_collector(const act_pid *owner, act_fn fn);
void act_metrics_remove_collector(const act_pid *owner);

/* Removes a metric (e.g. per-framework metrics when the framework goes). */
void act_metric_remove(const char *name);
/* Writes the snapshot: {"a\/b":1,...} sorted by name, numbers only. With a runtime,
 * the "system/" gauges (load, CPUs, memory of the host) are read just before. */
void act_metrics_snapshot(act_buf *out);
/* The same with more entries merged in by key (Mesos' stats.json); an entry wins over a
 * metric of the same name. */
typedef struct act_metric_value {
    const char *key;
    double value;
} act_metric_value;
void act_metrics_snapshot_with(act_buf *out, const act_metric_value *extra, size_t n);
/* Removes every metric (act_shutdown calls it). */
void act_metrics_reset(void);

#ifdef __cplusplus
}
#endif

#endif /* ACTOR_ACTOR_H */
