/*
 * pieces.c - large responses made of shared pieces. An act_blob is an immutable, reference-
 * counted string: an actor can keep the rendering of each of its objects as one and reuse it
 * until the object changes. An act_pieces is a body assembled, in order, from blobs and
 * copied text; it is cheap to build on an actor's loop (a reference per blob) and is sent as
 * the client takes it, so a body of tens of megabytes is never copied whole.
 */
#include "actor/actor_int.h"

#include <stddef.h>
#include <string.h>

/* Bodies below this are joined and sent at once; larger ones are streamed. */
#define STREAM_BYTES (256u << 10)

struct act_blob {
    _Atomic size_t refs;
    size_t len;
    char data[];
};

/* A piece: a blob, or (blob NULL) a stretch of the body's own text. */
typedef struct piece {
    act_blob *blob;
    size_t off, len;
} piece;

struct act_pieces {
    piece *v;
    size_t n, cap, len;
    act_buf text; /* every text piece, one after the other */
};

act_blob *act_blob_new(const void *data, size_t len)
{
    act_blob *b = act_malloc(sizeof *b + len + 1);
    atomic_init(&b->refs, 1);
    b->len = len;
    if (len) memcpy(b->data, data, len);
    b->data[len] = '\0';
    return b;
}

/* The buffer holds the blob's header, then its text: writers see data after the header as
 * the buffer's end, so the text goes where the blob needs it. */
#define HEADER offsetof(act_blob, data)

void act_blob_buf_init(act_buf *b, size_t hint)
{
    *b = (act_buf){0};
    act_buf_reserve(b, HEADER + hint);
    b->len = HEADER;
    b->data[HEADER] = '\0';
}

act_blob *act_blob_from_buf(act_buf *b)
{
    size_t len = b->len - HEADER;
    act_blob *blob = act_realloc(b->data, HEADER + len + 1); /* the room not used given back */
    atomic_init(&blob->refs, 1);
    blob->len = len;
    *b = (act_buf){0};
    return blob;
}

act_blob *act_blob_ref(act_blob *b)
{
    atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
    return b;
}

void act_blob_unref(act_blob *b)
{
    if (b && atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1) free(b);
}

const char *act_blob_data(const act_blob *b, size_t *len)
{
    if (len) *len = b->len;
    return b->data;
}

act_pieces *act_pieces_new(void)
{
    return act_calloc(1, sizeof(act_pieces));
}

void act_pieces_free(act_pieces *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n; i++) act_blob_unref(p->v[i].blob);
    free(p->v);
    act_buf_free(&p->text);
    free(p);
}

size_t act_pieces_len(const act_pieces *p)
{
    return p->len;
}

static void add_piece(act_pieces *p, act_blob *b, size_t off, size_t len)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 64;
        p->v = act_realloc(p->v, p->cap * sizeof *p->v);
    }
    p->v[p->n++] = (piece){b, off, len};
    p->len += len;
}

void act_pieces_add(act_pieces *p, act_blob *b)
{
    add_piece(p, act_blob_ref(b), 0, b->len);
}

static void add_text(act_pieces *p, const char *data, size_t len)
{
    if (!len) return;
    piece *last = p->n ? &p->v[p->n - 1] : NULL;
    if (last && !last->blob) { /* the text just before: one piece */
        last->len += len;
        p->len += len;
    } else {
        add_piece(p, NULL, p->text.len, len);
    }
    act_buf_append(&p->text, data, len);
}

void act_pieces_add_text(act_pieces *p, act_buf *text)
{
    add_text(p, text->data, text->len);
    act_buf_reset(text);
}

void act_pieces_json_value(act_pieces *p, act_json *j, act_blob *b)
{
    act_json_raw(j, "", 0); /* the comma before the value, if one is due */
    act_pieces_add_text(p, j->out);
    act_pieces_add(p, b);
}

void act_pieces_json_pieces(act_pieces *p, act_json *j, const act_pieces *value)
{
    act_json_raw(j, "", 0);
    act_pieces_add_text(p, j->out);
    for (size_t i = 0; i < value->n; i++) {
        const piece *x = &value->v[i];
        if (x->blob) add_piece(p, act_blob_ref(x->blob), x->off, x->len);
        else add_text(p, value->text.data + x->off, x->len);
    }
}

static void join(const act_pieces *p, act_buf *out)
{
    act_buf_reserve(out, p->len);
    for (size_t i = 0; i < p->n; i++) {
        const piece *x = &p->v[i];
        act_buf_append(out, x->blob ? x->blob->data : p->text.data + x->off, x->len);
    }
}

static void respond_joined(act_http_req *req, int status, act_pieces *p)
{
    act_buf out = {0};
    join(p, &out);
    act_pieces_free(p);
    act_http_respond_json(req, status, &out);
    act_buf_free(&out);
}

/* A large body goes out as the client takes it, copied from the pieces a little at a time
 * on loop 0 (act_http_respond_stream): never joined, never whole in any buffer. */
typedef struct cursor {
    act_pieces *p;
    size_t i, off; /* the next byte: piece i, offset off */
} cursor;

static int produce(void *ctx, act_buf *out, size_t room)
{
    cursor *c = ctx;
    while (room && c->i < c->p->n) {
        const piece *x = &c->p->v[c->i];
        const char *data = x->blob ? x->blob->data : c->p->text.data + x->off;
        size_t n = x->len - c->off < room ? x->len - c->off : room;
        act_buf_append(out, data + c->off, n);
        room -= n;
        c->off += n;
        if (c->off == x->len) c->i++, c->off = 0;
    }
    return c->i == c->p->n;
}

static void release(void *ctx)
{
    cursor *c = ctx;
    act_pieces_free(c->p);
    free(c);
}

void act_http_respond_pieces(act_http_req *req, int status, act_pieces *p)
{
    if (p->len < STREAM_BYTES) {
        respond_joined(req, status, p);
        return;
    }
    cursor *c = act_calloc(1, sizeof *c);
    c->p = p;
    act_http_producer body = {produce, release, c};
    if (act_http_query(req, "jsonp")) /* wrapped: the length is not the pieces' */
        act_http_respond_json_stream(req, status, &body);
    else
        act_http_respond_stream(req, status, "application/json", (int64_t)p->len,
                                "Access-Control-Allow-Origin: *\r\n", &body);
}
