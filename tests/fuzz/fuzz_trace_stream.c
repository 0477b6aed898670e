/*
 * fuzz_trace_stream.c - libFuzzer target for the reader of /__trace__?format=binary, which
 * mesos-inspect points at processes it cannot vouch for: the input is a stream (after the
 * head a real one would have), fed to the reader in two pieces cut where its first byte says,
 * each event tagged from its body and turned into mesos-inspect's event. The raw parser is
 * checked too: what it says a record takes lies within what it was given. A crash, a
 * sanitizer report or a leak is a bug; errors are expected and fine.
 */
#include "actor/actor.h"
#include "tools/inspect.h"

#include <stddef.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    act_trace_record r;
    for (size_t at = 0; at < size;) {
        long n = act_trace_record_parse(data + at, size - at, &r, err, sizeof err);
        if (n <= 0) break;
        if ((size_t)n > size - at || (r.body && (r.body < data + at ||
                                                 r.body + r.body_len > data + at + n)))
            __builtin_trap();
        at += (size_t)n;
    }
    static const uint8_t head[ACT_TRACE_HEAD_LEN] = {'A', 'T', 'R', 'C', ACT_TRACE_VERSION};
    ins_trace_reader reader = {0};
    ins_events l = {0};
    size_t cut = size ? data[0] % (size + 1) : 0;
    if (ins_trace_feed(&reader, head, sizeof head, "fuzz", &l, err, sizeof err) >= 0 &&
        ins_trace_feed(&reader, data, cut, "fuzz", &l, err, sizeof err) >= 0)
        ins_trace_feed(&reader, data + cut, size - cut, "fuzz", &l, err, sizeof err);
    for (size_t i = 0; i < l.n; i++) {
        act_buf line = {0};
        ins_event_line(&l.v[i], true, &line); /* --decode: the body through the schema */
        act_buf_free(&line);
    }
    ins_events_free(&l);
    ins_trace_reader_free(&reader);
    return 0;
}
