/*
 * send.c - the two steps every actor of the system takes around act_send: encode a struct
 * and send it under its type's name, and decode a received body or say clearly why not.
 */
#include "wire/wire.h"

int wire_send(act_actor *from, const act_pid *to, const wire_desc *desc, const void *obj)
{
    act_buf buf = {0};
    int rc = wire_encode(desc, obj, &buf);
    if (rc != 0)
        LOG_ERROR("Cannot encode %s: %s", wire_type_name(desc), wire_strerror(rc));
    else
        act_send(from, to, wire_type_name(desc), buf.data, buf.len);
    act_buf_free(&buf);
    return rc;
}

wire_msg *wire_decode_msg(const act_msg *msg, const wire_desc *desc)
{
    wire_msg *m = NULL;
    char err[256], from[ACT_PID_STRLEN];
    if (wire_decode(desc, msg->body, msg->len, &m, err, sizeof err) == 0) return m;
    act_counter_inc(act_counter_get("wire/malformed_messages"));
    LOG_WARNING_LIMITED("Dropping a malformed %s from %s: %s", msg->name,
                act_pid_format(&msg->from, from, sizeof from), err);
    return NULL;
}
