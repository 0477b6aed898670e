/*
 * pick.c - picks: the fields of a message a reader uses, compiled once from their names into
 * a tree the two decoders walk beside the descriptors (decode.c, pb_decode.c), so a daemon
 * that reads a few fields of a large message does not build the rest. Also what a whole
 * decode must be cut to for comparing it with a picked one (tests and the fuzz targets).
 */
#include "wire/wire_int.h"

#include <stdlib.h>

void wire_pick_free(wire_pick *pick)
{
    if (!pick) return;
    for (uint16_t k = 0; k < pick->desc->nfields; k++) wire_pick_free(pick->sub[k]);
    free(pick);
}

const wire_desc *wire_pick_type(const wire_pick *pick)
{
    return pick->desc;
}

static wire_pick *pick_node(const wire_desc *desc)
{
    wire_pick *p = act_calloc(1, sizeof *p);
    p->desc = desc;
    return p;
}

/* Adds one path (path[0..len), dot-separated names) to the pick. */
static int pick_path(wire_pick *p, const char *path, size_t len, char *err, size_t errlen)
{
    const char *end = path + len;
    for (;;) {
        const char *dot = memchr(path, '.', (size_t)(end - path));
        size_t n = (size_t)((dot ? dot : end) - path);
        const wire_field *f = wire__field_by_name(p->desc, path, n);
        if (!f)
            return wire__fail(err, errlen, WIRE_ENOTFOUND, "%s has no field '%.*s'",
                              wire__short_name(p->desc), (int)n, path);
        size_t k = (size_t)(f - p->desc->fields);
        uint64_t bit = (uint64_t)1 << k;
        if (!dot) { /* the whole field, whatever was picked of it before */
            p->keep |= bit;
            wire_pick_free(p->sub[k]);
            p->sub[k] = NULL;
            return 0;
        }
        if (f->kind != WIRE_K_MSG)
            return wire__fail(err, errlen, WIRE_EINVAL, "%s.%s is not a message",
                              wire__short_name(p->desc), f->name);
        if ((p->keep & bit) && !p->sub[k]) return 0; /* kept whole already */
        p->keep |= bit;
        if (!p->sub[k]) p->sub[k] = pick_node(f->sub);
        p = p->sub[k];
        path = dot + 1;
    }
}

wire_pick *wire_pick_new(const wire_desc *desc, const char *paths, char *err, size_t errlen)
{
    static const char separators[] = ", \t\n";
    wire_pick *pick = pick_node(desc);
    for (const char *p = paths; *p;) {
        size_t n = strcspn(p, separators);
        if (n && pick_path(pick, p, n, err, errlen) != 0) {
            wire_pick_free(pick);
            return NULL;
        }
        p += n;
        p += strspn(p, separators);
    }
    return pick;
}

int wire_decode_picked(wire_format f, const wire_pick *pick, const void *data, size_t len,
                       wire_msg **out, char *err, size_t errlen)
{
    if (f == WIRE_PROTOBUF) return wire__pb_decode(pick->desc, pick, data, len, out, err, errlen);
    return wire__mp_decode(pick->desc, pick, data, len, out, err, errlen);
}

/* ---- cutting a whole message to a pick -------------------------------------------------- */

static void clear_field(const wire_desc *desc, const wire_field *f, void *obj)
{
    const void *blank = desc->blank;
    if (f->label == WIRE_L_REP) {
        *(void **)wire__at(obj, f->offset) = NULL;
        *wire__count(obj, f) = 0;
    } else if (f->kind == WIRE_K_MSG && f->label == WIRE_L_OPT) {
        *(void **)wire__at(obj, f->offset) = NULL;
    } else {
        memcpy(wire__at(obj, f->offset), wire__at(blank, f->offset), wire__value_size(f));
        if (f->label == WIRE_L_OPT)
            memcpy(wire__at(obj, f->aux_offset), wire__at(blank, f->aux_offset), sizeof(bool));
    }
}

void wire_pick_clear_rest(const wire_pick *pick, void *obj)
{
    const wire_desc *desc = pick->desc;
    wire__blanks_ready();
    for (uint16_t k = 0; k < desc->nfields; k++) {
        const wire_field *f = &desc->fields[k];
        if (!(pick->keep & ((uint64_t)1 << k))) {
            clear_field(desc, f, obj);
            continue;
        }
        if (!pick->sub[k]) continue;
        void *p = wire__at(obj, f->offset);
        if (f->label == WIRE_L_REQ) {
            wire_pick_clear_rest(pick->sub[k], p);
        } else if (f->label == WIRE_L_OPT) {
            if (*(void **)p) wire_pick_clear_rest(pick->sub[k], *(void **)p);
        } else {
            for (size_t i = 0; i < *wire__count(obj, f); i++)
                wire_pick_clear_rest(pick->sub[k], (char *)*(void **)p + i * f->sub->size);
        }
    }
}
