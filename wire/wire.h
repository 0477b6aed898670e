/*
 * wire.h - the data model: the one public header of wire/.
 *
 * Every component speaks the same messages and computes with the same resources. This header
 * gives the C structs of every Mesos 0.22 public type and internal message (generated from
 * wire/schema.def), a msgpack codec, deep copy, equality and JSON for any of them, resource
 * and attribute arithmetic (res_, attr_), the JSON "models" the Mesos endpoints print, and the
 * IDs and UUIDs. wire/ depends only on actor/ (errors, logging, act_buf, act_json), never on
 * sockets.
 *
 * Struct conventions (every generated type follows them; the field names are Mesos'):
 *   - A required field is a plain member; a required sub-message is embedded by value.
 *   - An optional scalar, enum, string or bytes field `x` has `bool has_x`; when has_x is false,
 *     x holds the .proto default (strings: the default text or "", never NULL after decode,
 *     wire_new or wire_init). The encoder writes x only when has_x is true.
 *   - An optional sub-message is a pointer; NULL means absent.
 *   - A repeated field `xs` is `T *xs; size_t xs_count;` (an array of values, not of pointers:
 *     `wire_resource *resources; size_t resources_count`). Absent means count 0.
 *   - Strings are NUL-terminated `char *` (NUL bytes are rejected on decode). A NULL string in
 *     a struct you built yourself reads as "". Bytes are `wire_bytes {data, len}`.
 *
 * Ownership: a decoded, new or copied message is a wire_msg: the root struct plus one arena
 * holding everything it points to, freed at once by wire_msg_free(). Messages you build on the
 * stack for wire_encode() may point anywhere; wire/ only reads them. Unless a comment says
 * otherwise, pointers passed in are borrowed for the call, and pointers returned point into
 * an argument (a message's arena) or static storage.
 *
 * Errors: functions returning int give 0 on success or a negative WIRE_E* code (or a negative
 * errno); wire_strerror() names any of them. Functions taking (char *err, size_t errlen) also
 * write a reason there; err may be NULL.
 *
 * Needs from actor/: nothing beyond what actor.h already declares.
 */
#ifndef WIRE_WIRE_H
#define WIRE_WIRE_H

#include "actor/actor.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The Mesos release this build implements and reports: MasterInfo.version, the version field
 * of state.json and RegisterSlaveMessage, `--version` ("mesos 0.22.0"). The Makefile reads it
 * from here for the libraries, the pkg-config files and the Debian packages. */
#define WIRE_VERSION "0.22.0"

/* This build, as state.json reports it (Mesos' build_time, build_date, build_user). */
double wire_build_time(void);
/* "YYYY-MM-DD HH:MM:SS" in local time; writes into buf and returns it. */
char *wire_build_date(char *buf, size_t n);
const char *wire_build_user(void);

/* ------------------------------------------------------------------------------------------ */
/* Errors                                                                                     */
/* ------------------------------------------------------------------------------------------ */

#define WIRE_ERRORS(X)                                                                       \
    X(TRUNCATED, -2001, "truncated input")                                                   \
    X(TYPE, -2002, "unexpected type")                                                        \
    X(MISSING, -2003, "missing required field")                                              \
    X(DEPTH, -2004, "nesting too deep")                                                      \
    X(LIMIT, -2005, "size limit exceeded")                                                   \
    X(ENUM, -2006, "unknown enum value")                                                     \
    X(TRAILING, -2007, "trailing bytes after message")                                       \
    X(DUPLICATE, -2008, "duplicate field")                                                   \
    X(RANGE, -2009, "value out of range")                                                    \
    X(PARSE, -2010, "parse error")                                                           \
    X(NOTFOUND, -2011, "not found")                                                          \
    X(NOTCONTAINED, -2012, "resources not contained")                                        \
    X(INVAL, -2013, "invalid value")                                                         \
    X(SYSTEM, -2014, "system call failed")

enum {
#define WIRE_ERROR_ENUM(name, code, text) WIRE_E##name = code,
    WIRE_ERRORS(WIRE_ERROR_ENUM)
#undef WIRE_ERROR_ENUM
};

/* The message for a WIRE_E* code or a negative errno. Never NULL. */
const char *wire_strerror(int err);

/* ------------------------------------------------------------------------------------------ */
/* Generated types                                                                            */
/* ------------------------------------------------------------------------------------------ */

/* A bytes field. data is NUL-terminated after decode (not counted in len). */
typedef struct wire_bytes {
    uint8_t *data;
    size_t len;
} wire_bytes;

/* A message type (opaque): what the codec, copy, equality and JSON walk. */
typedef struct wire_desc wire_desc;
/* An enum type (opaque). */
typedef struct wire_enum_desc wire_enum_desc;

/* The C type of each scalar kind used in schema.def. */
#define WIRE_CT_STRING char *
#define WIRE_CT_BYTES wire_bytes
#define WIRE_CT_BOOL bool
#define WIRE_CT_INT32 int32_t
#define WIRE_CT_INT64 int64_t
#define WIRE_CT_UINT32 uint32_t
#define WIRE_CT_UINT64 uint64_t
#define WIRE_CT_DOUBLE double

/* Enums: typedef enum wire_task_state { WIRE_TASK_STAGING = 6, ... } wire_task_state; */
#define WIRE_ENUM(e, full) typedef enum wire_##e {
#define WIRE_VAL(e, cname, name, num) cname = num,
#define WIRE_ENUM_END(e) } wire_##e;
#include "wire/schema.def"

/* Names: typedef struct wire_task_info wire_task_info; and the descriptors
 * (wire_desc_task_info, wire_enum_task_state) and enum helpers:
 *   const char *wire_task_state_name(int v);            "TASK_RUNNING"; "UNKNOWN" if none
 *   int wire_task_state_parse(const char *name, wire_task_state *out);  0 or WIRE_EENUM */
#define WIRE_ENUM(e, full)                                                                   \
    extern const wire_enum_desc wire_enum_##e;                                               \
    const char *wire_##e##_name(int v);                                                      \
    int wire_##e##_parse(const char *name, wire_##e *out);
#define WIRE_MSG(m, full)                                                                    \
    typedef struct wire_##m wire_##m;                                                        \
    extern const wire_desc wire_desc_##m;
#include "wire/schema.def"

/* Structs. */
#define WIRE_MSG(m, full) struct wire_##m {
#define WIRE_END(m) };
#define WIRE_NONE(m) char unused_;
#define WIRE_REQ(m, K, f, n) WIRE_CT_##K f;
#define WIRE_OPT(m, K, f, n, d) bool has_##f; WIRE_CT_##K f;
#define WIRE_REP(m, K, f, n) WIRE_CT_##K *f; size_t f##_count;
#define WIRE_REQ_E(m, e, f, n) wire_##e f;
#define WIRE_OPT_E(m, e, f, n, d) bool has_##f; wire_##e f;
#define WIRE_REP_E(m, e, f, n) wire_##e *f; size_t f##_count;
#define WIRE_REQ_M(m, s, f, n) wire_##s f;
#define WIRE_OPT_M(m, s, f, n) wire_##s *f;
#define WIRE_REP_M(m, s, f, n) wire_##s *f; size_t f##_count;
#include "wire/schema.def"

/* The descriptor of a generated type by its C name: WIRE_DESC(task_info). */
#define WIRE_DESC(cname) (&wire_desc_##cname)

/* True for the states a task never leaves: FINISHED, FAILED, KILLED, LOST and ERROR (SPEC
 * section 5). The one place that says so: the master, the slave, the drivers and the tools
 * all ask here. */
bool wire_task_state_terminal(wire_task_state s);

/* ------------------------------------------------------------------------------------------ */
/* Types by name                                                                              */
/* ------------------------------------------------------------------------------------------ */

/* The type named `name` ("mesos.internal.StatusUpdateMessage", "mesos.TaskInfo"), or NULL. */
const wire_desc *wire_type_by_name(const char *name);
/* Every type, for code that must not forget one (tests, fuzzing): 0 <= i < wire_type_count(). */
size_t wire_type_count(void);
const wire_desc *wire_type_at(size_t i);
/* "mesos.internal.StatusUpdateMessage" */
const char *wire_type_name(const wire_desc *d);
/* sizeof the generated struct. */
size_t wire_type_size(const wire_desc *d);

/* ------------------------------------------------------------------------------------------ */
/* Messages: decode, encode, copy, compare                                                    */
/* ------------------------------------------------------------------------------------------ */

/* A message with its arena. desc and root are read-only fields; the struct root points to may
 * be changed, and more memory for it taken from the arena with wire_alloc(). */
typedef struct wire_msg {
    const wire_desc *desc;
    void *root; /* e.g. a wire_status_update_message * */
    /* private: the arena */
    struct wire_chunk *chunks_;
    uint8_t *cur_, *end_;
    size_t total_, limit_, next_;
} wire_msg;

/* Decoding caps: nesting depth, and the arena may hold at most WIRE_EXPANSION times the input
 * plus WIRE_ARENA_SLACK bytes (a hostile message cannot make us allocate more than that). */
#define WIRE_MAX_DEPTH 32
#define WIRE_EXPANSION 16
#define WIRE_ARENA_SLACK 4096

/* Decodes `len` bytes of msgpack into a new `desc` message. Unknown keys are skipped, absent
 * optional fields take their defaults, integers of any msgpack width are accepted where they
 * fit, and nothing is allocated before the bytes that would hold it are checked. Returns 0
 * and sets *out (free with wire_msg_free), or a WIRE_E* code with *out = NULL and a reason in
 * err naming the path ("TaskInfo.resources[2].name: expected string"). */
int wire_decode(const wire_desc *desc, const void *data, size_t len, wire_msg **out,
                char *err, size_t errlen);
/* wire_decode for the type named `name`; WIRE_ENOTFOUND for an unknown name. */
int wire_decode_by_name(const char *name, const void *data, size_t len, wire_msg **out,
                        char *err, size_t errlen);

/* Appends the msgpack encoding of `obj` (a `desc` struct) to out: a map keyed by field name,
 * repeated fields as arrays, enums as their names, bytes as bin. Writes required fields,
 * optional ones whose has_ flag is set (or pointer non-NULL), repeated ones with a count.
 * Returns 0, or WIRE_EENUM (out unchanged) if an enum field holds a value the enum lacks. */
int wire_encode(const wire_desc *desc, const void *obj, act_buf *out);

/* Protobuf (proto2), the encoding of Mesos' own processes and of every framework library that
 * speaks libprocess (libmesos, mesos-go, pesos, jesos): the same schema written with the
 * fields' .proto numbers, in ascending order, byte for byte what protobuf's encoders write
 * (required fields always, optional ones when set, repeated ones unpacked). Returns 0, or
 * WIRE_EENUM (out unchanged) if an enum field holds a value the enum lacks. */
int wire_pb_encode(const wire_desc *desc, const void *obj, act_buf *out);
/* Decodes `len` bytes of protobuf into a new `desc` message, with wire_decode's guarantees
 * (every length checked before use, bounded nesting and arena, errors naming the path) and
 * protobuf's rules: unknown fields and groups are skipped, repeated numbers may be packed, the
 * last of a repeated scalar wins, repeated occurrences of a message merge, an unknown value of
 * an optional enum reads as absent. Returns 0 and *out, or a WIRE_E* code with *out = NULL. */
int wire_pb_decode(const wire_desc *desc, const void *data, size_t len, wire_msg **out,
                   char *err, size_t errlen);

/* The two encodings of a message body: msgpack between our own processes, protobuf with the
 * processes that speak Mesos' own wire. */
typedef enum wire_format {
    WIRE_MSGPACK,
    WIRE_PROTOBUF,
} wire_format;

/* "application/x-msgpack" (ACT_CONTENT_TYPE_DEFAULT) or "application/x-protobuf". */
const char *wire_format_content_type(wire_format f);
/* "msgpack" or "protobuf", for log lines. */
const char *wire_format_name(wire_format f);
/* wire_encode or wire_pb_encode; wire_decode or wire_pb_decode. */
int wire_encode_as(wire_format f, const wire_desc *desc, const void *obj, act_buf *out);
int wire_decode_as(wire_format f, const wire_desc *desc, const void *data, size_t len,
                   wire_msg **out, char *err, size_t errlen);

/* The encoding the process at `to` reads: protobuf if the runtime met it as a libprocess peer
 * (User-Agent: libprocess/<pid>, whose bodies are protobuf without saying so) or as a sender of
 * application/x-protobuf; msgpack otherwise. */
wire_format wire_peer_format(const act_pid *to);
/* The encoding of a received message's body, by the same rule. */
wire_format wire_msg_format(const act_msg *msg);

/* Encodes obj (a `desc` struct) in the encoding `to` reads (wire_peer_format) and sends it
 * from `from` (NULL: anonymous) to `to` under the type's name, with that encoding's content
 * type, through the runtime's act_send_as. Returns 0, or the encoder's error: then nothing is
 * sent, a line is logged and wire/unencodable_messages counts it. Call from `from`'s loop. */
int wire_send(act_actor *from, const act_pid *to, const wire_desc *desc, const void *obj);
/* Passes on a received message (`msg`, decoded as `obj` of type desc) unchanged: its body as
 * it came when `to` reads the encoding it came in (no re-encoding), else wire_send of obj.
 * Returns as wire_send. Call from `from`'s loop. */
int wire_forward(act_actor *from, const act_pid *to, const wire_desc *desc, const act_msg *msg,
                 const void *obj);

/* Decodes a received message's body as `desc` in its encoding (wire_msg_format). Returns 0 and
 * *out, or the decoder's error with a reason in err. */
int wire_decode_body(const act_msg *msg, const wire_desc *desc, wire_msg **out, char *err,
                     size_t errlen);
/* wire_decode_body that logs: returns the message (free with wire_msg_free), or NULL after
 * logging a warning that names the message, its encoding, its sender and the reason, and
 * counting it in wire/malformed_messages: a daemon never acts on, nor silently loses, a body
 * it cannot read. */
wire_msg *wire_decode_msg(const act_msg *msg, const wire_desc *desc);

/* A pick: the fields of one message type a reader uses, so a decode builds only those. A
 * daemon that reads a few fields of a large message (a hollow slave reads the IDs, resources,
 * labels and data of a RunTaskMessage, not its FrameworkInfo or CommandInfo) decodes it with
 * a pick made once at start. */
typedef struct wire_pick wire_pick;

/* Compiles `paths` (names separated by commas or blanks: "framework_id, task.task_id,
 * task.resources") into a pick of desc's fields: a path naming a message field keeps it whole,
 * "a.b" keeps field b of message field a and nothing else of a (a repeated message field's
 * every element alike). Returns the pick (free with wire_pick_free), or NULL with the reason
 * in err for a name the type lacks or a step through a field that is not a message. */
wire_pick *wire_pick_new(const wire_desc *desc, const char *paths, char *err, size_t errlen);
void wire_pick_free(wire_pick *pick);
/* The type the pick was made for. */
const wire_desc *wire_pick_type(const wire_pick *pick);

/* wire_decode_as of only the picked fields. Every other field's bytes are walked, not built:
 * they must be well-formed (every length within the input, nesting within WIRE_MAX_DEPTH, map
 * keys strings), a required one must be there and none may come twice (msgpack), so framing
 * errors, missing required fields and the caps are refused as wire_decode_as refuses them;
 * what a skipped value holds is not checked (an input wire_decode_as refuses for a bad value
 * inside a skipped field decodes here). Skipped fields keep their defaults (has_ flags false,
 * pointers NULL, counts 0; a skipped required sub-message is zeroed, its strings NULL).
 * Returns 0 and *out, or a WIRE_E* code with *out = NULL and the reason in err. */
int wire_decode_picked(wire_format f, const wire_pick *pick, const void *data, size_t len,
                       wire_msg **out, char *err, size_t errlen);
/* wire_decode_msg with a pick: the received body decoded in its encoding with
 * wire_decode_picked, or NULL after the same warning and count. */
wire_msg *wire_decode_msg_picked(const act_msg *msg, const wire_pick *pick);

/* A new message of type desc with every field at its default. Never NULL. */
wire_msg *wire_new(const wire_desc *desc);
/* A new message holding a deep copy of obj (a `desc` struct). Never NULL. */
wire_msg *wire_copy(const wire_desc *desc, const void *obj);
/* Deep-copies src into *dst, taking memory from m's arena (dst may be anywhere, e.g. an element
 * of an array allocated with wire_alloc). */
void wire_copy_into(wire_msg *m, const wire_desc *desc, void *dst, const void *src);
/* Frees the message and everything in its arena. NULL is ignored. */
void wire_msg_free(wire_msg *m);
/* Bytes the arena took from malloc (what the decoding caps bound). */
size_t wire_msg_arena_bytes(const wire_msg *m);

/* n zeroed bytes, 8-aligned, from m's arena; they live until wire_msg_free(m). */
void *wire_alloc(wire_msg *m, size_t n);
/* A copy of s in m's arena. */
char *wire_strdup(wire_msg *m, const char *s);
/* count elements of type desc in m's arena, each at its defaults (for repeated fields). */
void *wire_alloc_array(wire_msg *m, const wire_desc *desc, size_t count);

/* Sets every field of obj to its default (has_ flags false, pointers NULL, counts 0). */
void wire_init(const wire_desc *desc, void *obj);
/* Deep equality. NULL and "" strings are equal; doubles compare by value (NaN equals NaN). */
bool wire_equal(const wire_desc *desc, const void *a, const void *b);

/* ------------------------------------------------------------------------------------------ */
/* JSON                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* Writes obj as Mesos' JSON::Protobuf does: a JSON object of the fields that are present, keys
 * in sorted order (stout's std::map), enums as names, repeated fields as arrays, nested
 * messages as objects, bytes as strings (bytes >= 0x80 as \u00XX, like stout). */
void wire_json(act_json *j, const wire_desc *desc, const void *obj);
/* The same into a new NUL-terminated string (free() it). */
char *wire_to_json(const wire_desc *desc, const void *obj);

/* Parses JSON text (jansson) into a new `desc` message, like stout's protobuf::parse: unknown
 * keys are ignored, enums are names, a wrong JSON type or a missing required field is an error
 * naming the field. Used for the JSON-valued flags (ACLs, credentials, rate limits, container
 * info, resources). Returns 0 and *out, or WIRE_EPARSE / WIRE_ETYPE / WIRE_EMISSING ... */
int wire_from_json(const wire_desc *desc, const char *text, size_t len, wire_msg **out,
                   char *err, size_t errlen);

/* ------------------------------------------------------------------------------------------ */
/* Resources (SPEC section 3)                                                                 */
/* ------------------------------------------------------------------------------------------ */

/* Scalars are fixed point: RES_SCALE units per 1 (0.001 resolution), so repeated arithmetic
 * never drifts. The wire form (Value.Scalar) stays a double, rounded at the boundary. */
#define RES_SCALE 1000

typedef struct res_range {
    uint64_t begin, end; /* inclusive */
} res_range;

/* One resource: (name, role, type) and its value. Owned by its res_set. */
typedef struct res_entry {
    char *name;             /* name and role share one allocation */
    char *role;
    uint32_t hash;          /* of name, role and type: a quick mismatch test */
    wire_value_type type;   /* SCALAR, RANGES or SET */
    int64_t scalar;         /* SCALAR: thousandths, > 0 */
    res_range *ranges;      /* RANGES: sorted, coalesced, non-empty */
    size_t nranges, ranges_cap;
    char **items;           /* SET: sorted, unique, non-empty; each string owned */
    size_t nitems, items_cap;
} res_entry;

/* A normalised set of resources: one entry per (name, role, type), no empty entries, entries in
 * first-added order. Zero-initialised ({0}) is the empty set. Release with res_free(). */
typedef struct res_set {
    res_entry *v;
    size_t n, cap;
} res_set;

void res_free(res_set *s);
void res_clear(res_set *s);
/* *dst becomes a copy of src (dst's memory is reused where it can be). */
void res_copy(res_set *dst, const res_set *src);
bool res_empty(const res_set *s);

/* Parses `--resources` text: "cpus(prod):8; mem(prod):16384; ports(*):[31000-32000]",
 * entries separated by ';', role default_role when not given (NULL = "*"). Entries with the
 * same name, role and type add up; a name given with two types is an error. *out is replaced.
 * Returns 0 or WIRE_EPARSE / WIRE_EINVAL with a reason in err; *out is then empty. */
int res_parse_text(const char *text, const char *default_role, res_set *out, char *err,
                   size_t errlen);
/* Parses a JSON array of Resource objects ({"name":"cpus","type":"SCALAR","scalar":
 * {"value":8},"role":"prod"}). Same result and errors as res_parse_text. */
int res_parse_json(const char *text, const char *default_role, res_set *out, char *err,
                   size_t errlen);
/* JSON when the text starts with '[' (after blanks), else the text form. */
int res_parse(const char *text, const char *default_role, res_set *out, char *err,
              size_t errlen);

/* Appends the text form, as Mesos prints Resources: "cpus(*):8; mem(*):16384;
 * ports(*):[31000-32000]; disks(*):{a, b}". Scalars print exactly (0.001 resolution). */
void res_format(const res_set *s, act_buf *out);
/* res_format into a new string (free() it). */
char *res_to_string(const res_set *s);

/* a += b. Returns 0, or WIRE_ERANGE (a unchanged) if a scalar would overflow. */
int res_add(res_set *a, const res_set *b);
/* a -= b. b must be contained in a: otherwise WIRE_ENOTCONTAINED and a is unchanged; never a
 * negative amount. Entries that reach zero are removed. */
int res_subtract(res_set *a, const res_set *b);
/* True if every entry of b is within a's entry of the same (name, role, type). */
bool res_contains(const res_set *a, const res_set *b);
bool res_equal(const res_set *a, const res_set *b);

/* *out = the entries of s whose role is `role` (replaced). */
void res_filter_role(const res_set *s, const char *role, res_set *out);
/* *out = s with every role replaced by `role` (NULL = "*"), same names merged (replaced). */
void res_flatten(const res_set *s, const char *role, res_set *out);

/* The entry (name, role, type), or NULL. */
const res_entry *res_find(const res_set *s, const char *name, const char *role,
                          wire_value_type type);
/* The scalar `name` summed over roles, as a double (0 if absent). */
double res_scalar(const res_set *s, const char *name);
/* Sets the gauges <prefix>/<name>_total, _used and _percent (used / total; 0 without a total),
 * as Mesos names them (master/cpus_used, slave/mem_percent). */
void res_gauges(const char *prefix, const char *name, double total, double used);
/* Thousandths of the scalar `name` summed over roles. */
int64_t res_scalar_milli(const res_set *s, const char *name);
/* The union over roles of the ranges `name`: *out is a new array (free() it; NULL when
 * *count is 0). */
void res_ranges(const res_set *s, const char *name, res_range **out, size_t *count);

/* Adds one scalar (value rounded to 0.001; <= 0 adds nothing). Returns 0 or WIRE_EINVAL /
 * WIRE_ERANGE. */
int res_add_scalar(res_set *s, const char *name, const char *role, double value);
/* Adds one range [begin, end]. Returns 0 or WIRE_EINVAL (begin > end). */
int res_add_range(res_set *s, const char *name, const char *role, uint64_t begin,
                  uint64_t end);

/* Converts the schema's repeated Resource into *out (replaced), validating each like Mesos
 * (scalar >= 0, ranges begin <= end, no duplicate set items, value matching type); zero
 * amounts are dropped. Resources with disk info are refused (WIRE_EINVAL). */
int res_from_wire(const wire_resource *r, size_t count, res_set *out, char *err,
                  size_t errlen);
/* Converts s into a repeated Resource allocated in m's arena. */
void res_to_wire(const res_set *s, wire_msg *m, wire_resource **out, size_t *count);

/* What the slave finds on its host, for the defaults below. */
typedef struct res_host {
    long cpus;             /* online cores */
    uint64_t mem_bytes;    /* total memory */
    uint64_t disk_bytes;   /* size of the work_dir file system (Mesos' fs::size) */
} res_host;

/* Reads the host: online cores, total memory, size of work_dir's file system. Returns 0 or a
 * negative errno (err says which). */
int res_host_probe(const char *work_dir, res_host *h, char *err, size_t errlen);
/* Adds the default resources the slave would detect for every default name (cpus, mem, disk,
 * ports) that s does not already have: cpus = cores; mem = total - min(1 GB, half) in MB;
 * disk = size - min(5 GB, half) in MB; ports = [31000-32000]; all with role default_role.
 * Logs a warning when s has a "cpu" resource (a custom name, not an alias of cpus). */
void res_add_defaults(res_set *s, const res_host *h, const char *default_role);
/* res_host_probe + res_add_defaults. */
int res_detect_defaults(const char *work_dir, const char *default_role, res_set *s, char *err,
                        size_t errlen);

/* ------------------------------------------------------------------------------------------ */
/* Values and attributes                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* Appends a Value the way Mesos prints it: scalar "8" / "0.5", ranges "[1-2, 5-9]", set
 * "{a, b}", text as is. */
void wire_value_format(act_buf *out, wire_value_type type, const wire_value_scalar *scalar,
                       const wire_value_ranges *ranges, const wire_value_set *set,
                       const wire_value_text *text);

/* Parses `--attributes` text: "rack:1-1; os:rhel7; level:10; ports:[1-2]; s:{a,b}" (entries
 * separated by ';' or newlines; a number is a scalar, "[a-b, ...]" ranges, "{a,b}" a set,
 * anything else text). The array and its strings are allocated in m's arena. Returns 0 or
 * WIRE_EPARSE with a reason. */
int attr_parse_text(const char *text, wire_msg *m, wire_attribute **out, size_t *count,
                    char *err, size_t errlen);
/* Appends "name:value; name:value" (the text form attr_parse_text reads). */
void attr_format(const wire_attribute *a, size_t count, act_buf *out);
/* The first attribute named `name`, or NULL. */
const wire_attribute *attr_find(const wire_attribute *a, size_t count, const char *name);

/* ------------------------------------------------------------------------------------------ */
/* JSON models: what the Mesos 0.22 master and slave endpoints print (src/common/http.cpp,  */
/* src/master/http.cpp model(...)). Keys are written in sorted order, as stout does.         */
/* ------------------------------------------------------------------------------------------ */

/* {"bugs":"{a, b}","cpus":8,"disk":65536,"gpus":2,"mem":16384.5,"ports":"[31000-32000]"}:
 * cpus, mem and disk always (0 when absent), every other resource by name; each name summed
 * (scalars) or united (ranges, sets) over roles; scalars exact to 0.001. */
void wire_json_model_resources(act_json *j, const res_set *s);
void wire_json_model_resources_wire(act_json *j, const wire_resource *r, size_t count);
/* {"name": value, ...}: scalars as numbers, ranges "[1-2]", sets "{a, b}", text as strings. */
void wire_json_model_attributes(act_json *j, const wire_attribute *a, size_t count);
/* {"state":"TASK_RUNNING","timestamp":1.5} */
void wire_json_model_task_status(act_json *j, const wire_task_status *s);
/* {"discovery"?,"executor_id","framework_id","id","labels":[...],"name","resources",
 *  "slave_id","state","statuses":[...]} */
void wire_json_model_task(act_json *j, const wire_task *t);
/* A task the master has not sent yet (a pending TaskInfo), modelled like a Task. */
void wire_json_model_task_info(act_json *j, const wire_task_info *t,
                               const wire_framework_id *framework_id, wire_task_state state,
                               const wire_task_status *statuses, size_t nstatuses);
/* {"framework_id","id","resources","slave_id"} */
void wire_json_model_offer(act_json *j, const wire_offer *o);

/* Writes the elements of one JSON array (tasks, offers ...) for the framework model. */
typedef void (*wire_json_array_fn)(act_json *j, void *ctx);

/* What the master knows of a framework, for its model in state.json. */
typedef struct wire_framework_view {
    const char *id;
    const wire_framework_info *info;
    bool active;
    double registered_time, unregistered_time;
    bool reregistered;        /* reregistered_time != registered_time: the key is written */
    double reregistered_time;
    const res_set *used_resources, *offered_resources; /* "resources" is their sum */
    wire_json_array_fn tasks, completed_tasks, offers;  /* NULL writes [] */
    void *ctx;
} wire_framework_view;
void wire_json_model_framework(act_json *j, const wire_framework_view *v);

/* What the master knows of a slave, for its model in state.json (id and pid not NULL). */
typedef struct wire_slave_view {
    const char *id;
    const char *pid;
    const wire_slave_info *info;
    bool active;
    double registered_time;
    bool reregistered;
    double reregistered_time;
} wire_slave_view;
void wire_json_model_slave(act_json *j, const wire_slave_view *v);

/* ------------------------------------------------------------------------------------------ */
/* IDs and UUIDs (SPEC section 1)                                                             */
/* ------------------------------------------------------------------------------------------ */

#define WIRE_ID_MAX 128      /* enough for every ID below */
#define WIRE_UUID_STRLEN 37  /* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" + NUL */

/* "YYYYMMDD-HHMMSS-<ip as little-endian uint32>-<port>-<pid>" (local time), e.g.
 * "20150113-142013-16842879-5050-5237" for 127.0.1.1 (ip in host byte order). Returns buf. */
char *wire_id_master(char *buf, size_t n, time_t when, uint32_t ip, uint16_t port, long pid);
/* "<master-id>-0007" (at least 4 digits) */
char *wire_id_framework(char *buf, size_t n, const char *master_id, uint64_t seq);
/* "<master-id>-S3" */
char *wire_id_slave(char *buf, size_t n, const char *master_id, uint64_t seq);
/* "<master-id>-O12" */
char *wire_id_offer(char *buf, size_t n, const char *master_id, uint64_t seq);
/* id into out (WIRE_ID_MAX bytes, cut to fit), without printf: what a status update stream or
 * an acknowledgement keeps of its IDs. Returns out. */
char *wire_id_copy(char *out, const char *id);
#define WIRE_KEY_MAX (2 * WIRE_ID_MAX + 2) /* a wire_id_key */
/* "<framework id>/<id>" into out (WIRE_KEY_MAX bytes, cut to fit): the key of a task or an
 * executor among its framework's. Written without printf: the master and mesos-fleet make one
 * for every status update and acknowledgement. Returns out. */
char *wire_id_key(char *out, const char *framework_id, const char *id);
/* True if id is usable as a path component: non-empty, no '/', no control characters or
 * blanks, not "." or "..". (The master validates framework-chosen task/executor IDs.) */
bool wire_id_valid(const char *id);

typedef struct wire_uuid {
    uint8_t bytes[16];
} wire_uuid;

/* A random (version 4) UUID. */
void wire_uuid_random(wire_uuid *u);
/* Canonical lower-case text; n >= WIRE_UUID_STRLEN. Returns buf. */
char *wire_uuid_format(const wire_uuid *u, char *buf, size_t n);
/* Parses the canonical text (either case). Returns 0 or WIRE_EPARSE. */
int wire_uuid_parse(const char *text, wire_uuid *u);
/* The 16 raw bytes Mesos sends (StatusUpdate.uuid). Returns 0 or WIRE_EINVAL (len != 16). */
int wire_uuid_from_bytes(const void *data, size_t len, wire_uuid *u);
bool wire_uuid_equal(const wire_uuid *a, const wire_uuid *b);

/* ------------------------------------------------------------------------------------------ */
/* The flight recorder's tags                                                                 */
/* ------------------------------------------------------------------------------------------ */

/* The runtime's act_tagger for Mesos messages: the IDs a body holds ("framework", "slave",
 * "executor", "task", "offer") and a status update's "uuid", read from msgpack or protobuf
 * through the schema without decoding (no allocation; a malformed or cut body gives what was
 * read before the fault). Every process that sends or decodes through wire_send or
 * wire_decode_body (the daemons, the drivers, the tools) has it installed before main;
 * others may install it with act_recorder_set_tagger. */
void wire_recorder_tags(const char *name, const uint8_t *body, size_t len,
                        const char *content_type, bool libprocess, act_tags *out);
/* The runtime's act_body_renderer for Mesos messages: a body of a schema type, msgpack or
 * protobuf, written as its JSON (wire_json); false for other names and bodies that do not
 * decode. Installed before main beside wire_recorder_tags. */
bool wire_body_json(const char *name, const uint8_t *body, size_t len,
                    const char *content_type, bool libprocess, act_json *j);

/* ------------------------------------------------------------------------------------------ */
/* Testing                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* Fills every field of obj (a `desc` struct) with random contents from the generator state
 * *rng (any seed; deterministic), allocating in m's arena: every optional field present, each
 * repeated field 1..3 elements (nesting deeper than a few levels is cut short), enums valid.
 * For round-trip tests, fuzz seeds and benchmarks. */
void wire_random_fill(wire_msg *m, const wire_desc *desc, void *obj, uint64_t *rng);
/* Sets every field of obj (a struct of the pick's type) that the pick leaves out to what
 * wire_decode_picked leaves there, so a whole decode can be compared with a picked one
 * (wire_equal). Memory obj pointed to is not freed (it belongs to its message's arena). */
void wire_pick_clear_rest(const wire_pick *pick, void *obj);

#ifdef __cplusplus
}
#endif

#endif /* WIRE_WIRE_H */
