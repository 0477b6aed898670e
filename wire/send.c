/*
 * send.c - the two steps every actor of the system takes around act_send: encode a struct
 * and send it under its type's name, and decode a received body or say clearly why not. Both
 * pick the encoding per peer: msgpack between our own processes, protobuf for the processes
 * that speak Mesos' own wire (libmesos frameworks and executors, mesos-go ...), which the
 * runtime recognises and remembers (act_peer_get). It also installs wire/'s tagger in the
 * runtime's flight recorder (tags.c).
 */
#include "wire/wire.h"

#include <string.h>
#include <strings.h>

/* Every process that speaks wire/ links this file, and so gets Mesos' IDs in its flight
 * recorder's events and decoded bodies in /__processes__: both hooks are installed before
 * main, and need nothing else. */
__attribute__((constructor)) static void install_runtime_hooks(void)
{
    act_recorder_set_tagger(wire_recorder_tags);
    act_set_body_renderer(wire_body_json);
}

static const char *const content_types[] = {
    [WIRE_MSGPACK] = ACT_CONTENT_TYPE_DEFAULT,
    [WIRE_PROTOBUF] = "application/x-protobuf",
};

const char *wire_format_content_type(wire_format f)
{
    return content_types[f];
}

const char *wire_format_name(wire_format f)
{
    return f == WIRE_PROTOBUF ? "protobuf" : "msgpack";
}

/* libprocess itself names no Content-Type: its bodies are protobuf. */
static wire_format format_of(const char *content_type, bool libprocess)
{
    if (content_type && content_type[0])
        return strcasecmp(content_type, content_types[WIRE_PROTOBUF]) == 0 ? WIRE_PROTOBUF
                                                                           : WIRE_MSGPACK;
    return libprocess ? WIRE_PROTOBUF : WIRE_MSGPACK;
}

wire_format wire_peer_format(const act_pid *to)
{
    act_peer peer;
    return act_peer_get(to, &peer) ? format_of(peer.content_type, peer.libprocess)
                                   : WIRE_MSGPACK;
}

wire_format wire_msg_format(const act_msg *msg)
{
    return format_of(msg->content_type, msg->libprocess);
}

int wire_encode_as(wire_format f, const wire_desc *desc, const void *obj, act_buf *out)
{
    return f == WIRE_PROTOBUF ? wire_pb_encode(desc, obj, out) : wire_encode(desc, obj, out);
}

int wire_decode_as(wire_format f, const wire_desc *desc, const void *data, size_t len,
                   wire_msg **out, char *err, size_t errlen)
{
    return f == WIRE_PROTOBUF ? wire_pb_decode(desc, data, len, out, err, errlen)
                              : wire_decode(desc, data, len, out, err, errlen);
}

/* Most messages (a RunTaskMessage, a status update) fit; bigger ones grow the buffer. With
 * act_buf's NUL the buffer is 1,024 bytes, a size malloc serves from its per-thread cache. */
#define SEND_BUF_START 1023

int wire_send(act_actor *from, const act_pid *to, const wire_desc *desc, const void *obj)
{
    wire_format f = wire_peer_format(to);
    act_buf buf = {0};
    act_buf_reserve(&buf, SEND_BUF_START); /* one allocation for most messages, not five */
    int rc = wire_encode_as(f, desc, obj, &buf);
    if (rc != 0) {
        char pid[ACT_PID_STRLEN];
        act_counter_inc(act_counter_get("wire/unencodable_messages"));
        LOG_ERROR("Cannot encode %s as %s for %s: %s", wire_type_name(desc), wire_format_name(f),
                  act_pid_format(to, pid, sizeof pid), wire_strerror(rc));
    } else {
        act_send_as(from, to, wire_type_name(desc), buf.data, buf.len,
                    wire_format_content_type(f));
    }
    act_buf_free(&buf);
    return rc;
}

int wire_forward(act_actor *from, const act_pid *to, const wire_desc *desc, const act_msg *msg,
                 const void *obj)
{
    wire_format f = wire_peer_format(to);
    if (f != wire_msg_format(msg) || strcmp(msg->name, wire_type_name(desc)) != 0)
        return wire_send(from, to, desc, obj);
    act_send_as(from, to, msg->name, msg->body, msg->len, wire_format_content_type(f));
    return 0;
}

int wire_decode_body(const act_msg *msg, const wire_desc *desc, wire_msg **out, char *err,
                     size_t errlen)
{
    return wire_decode_as(wire_msg_format(msg), desc, msg->body, msg->len, out, err, errlen);
}

bool wire_body_json(const char *name, const uint8_t *body, size_t len,
                    const char *content_type, bool libprocess, act_json *j)
{
    const wire_desc *d = wire_type_by_name(name);
    act_msg m = {.name = name, .body = body, .len = len, .content_type = content_type,
                 .libprocess = libprocess};
    wire_msg *decoded = NULL;
    char err[256];
    if (!d || wire_decode_body(&m, d, &decoded, err, sizeof err) != 0) return false;
    wire_json(j, d, decoded->root);
    wire_msg_free(decoded);
    return true;
}

/* What wire_decode_msg and wire_decode_msg_picked do with a body they cannot read. */
static wire_msg *malformed(const act_msg *msg, const char *err)
{
    char from[ACT_PID_STRLEN];
    act_counter_inc(act_counter_get("wire/malformed_messages"));
    LOG_WARNING_LIMITED("Dropping a malformed %s (%s) from %s: %s", msg->name,
                        wire_format_name(wire_msg_format(msg)),
                        act_pid_format(&msg->from, from, sizeof from), err);
    return NULL;
}

wire_msg *wire_decode_msg(const act_msg *msg, const wire_desc *desc)
{
    wire_msg *m = NULL;
    char err[256];
    if (wire_decode_body(msg, desc, &m, err, sizeof err) == 0) return m;
    return malformed(msg, err);
}

wire_msg *wire_decode_msg_picked(const act_msg *msg, const wire_pick *pick)
{
    wire_msg *m = NULL;
    char err[256];
    if (wire_decode_picked(wire_msg_format(msg), pick, msg->body, msg->len, &m, err,
                           sizeof err) == 0)
        return m;
    return malformed(msg, err);
}
