/*
 * arena.c - the memory of a message: a chain of blocks bump-allocated and freed in one call.
 * The wire_msg header and the root struct live in the first block, so a small decoded message
 * costs one malloc. A decoding arena has a byte limit, which is how a hostile message is kept
 * from making us allocate more than a small multiple of its own size.
 */
#include "wire/wire_int.h"

#include <pthread.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define SPARE_POISON(c) ASAN_POISON_MEMORY_REGION((c), (c)->size)
#define SPARE_UNPOISON(c, n) ASAN_UNPOISON_MEMORY_REGION((c), (n))
#else
#define SPARE_POISON(c) ((void)(c))
#define SPARE_UNPOISON(c, n) ((void)(c), (void)(n))
#endif

struct wire_chunk {
    struct wire_chunk *next;
    size_t size; /* bytes malloc'd for this chunk, header included */
};

#define ALIGN 8
#define CHUNK_HDR ((sizeof(struct wire_chunk) + ALIGN - 1) & ~(size_t)(ALIGN - 1))
#define MAX_CHUNK ((size_t)1 << 20)

static size_t round_up(size_t n)
{
    return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

/* A chunk of `size` bytes, or NULL if the limit forbids it. Links it first in the chain. */
static struct wire_chunk *chunk_new(wire_msg *m, size_t size)
{
    if (m && m->limit_ && size > m->limit_ - m->total_) return NULL;
    struct wire_chunk *c = act_malloc(size);
    c->size = size;
    c->next = m ? m->chunks_ : NULL;
    return c;
}

/* A thread that decodes message after message (a loop, a trace watcher) frees each before the
 * next: the one chunk of the last small message it freed waits here for the next, instead of
 * a free and a malloc per message. Poisoned while it waits, so a use after free is still
 * caught under AddressSanitizer; freed when its thread exits. */
#define SPARE_MAX 4096
static _Thread_local struct wire_chunk *spare;
static _Thread_local bool spare_registered; /* its thread's exit frees it */
static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;

static void spare_exit(void *arg)
{
    struct wire_chunk *c = spare;
    spare = NULL;
    if (c) SPARE_UNPOISON(c, CHUNK_HDR);
    free(c);
}

static void spare_key_new(void)
{
    ACT_CHECK(pthread_key_create(&spare_key, spare_exit) == 0);
}

/* Keeps c (a message's only chunk) as this thread's spare; false if it is not kept. */
static bool spare_keep(struct wire_chunk *c)
{
    if (spare || c->size > SPARE_MAX) return false;
    if (!spare_registered) {
        pthread_once(&spare_once, spare_key_new);
        pthread_setspecific(spare_key, &spare); /* any non-NULL value: spare_exit runs */
        spare_registered = true;
    }
    spare = c;
    SPARE_POISON(c);
    return true;
}

/* A first chunk of at least `size` bytes, at most `limit` (0: any): the spare if it fits. */
static struct wire_chunk *first_chunk(size_t *size, size_t limit)
{
    struct wire_chunk *c = spare;
    if (c) {
        SPARE_UNPOISON(c, CHUNK_HDR);
        if (c->size >= *size && (!limit || c->size <= limit)) {
            SPARE_UNPOISON(c, c->size);
            spare = NULL;
            *size = c->size;
            c->next = NULL;
            return c;
        }
        SPARE_POISON(c);
    }
    return chunk_new(NULL, *size);
}

wire_msg *wire__msg_new(const wire_desc *d, size_t first, size_t limit)
{
    size_t head = CHUNK_HDR + round_up(sizeof(wire_msg)) + round_up(d->size);
    size_t size = head + round_up(first);
    if (limit && size > limit) size = head;
    if (limit && size > limit) return NULL;
    struct wire_chunk *c = first_chunk(&size, limit);
    uint8_t *base = (uint8_t *)c;
    wire_msg *m = (wire_msg *)(base + CHUNK_HDR);
    memset(m, 0, sizeof *m);
    m->desc = d;
    m->root = base + CHUNK_HDR + round_up(sizeof(wire_msg));
    memset(m->root, 0, d->size);
    m->chunks_ = c;
    m->cur_ = base + head;
    m->end_ = base + size;
    m->total_ = size;
    m->limit_ = limit;
    m->next_ = size < 1024 ? 1024 : size;
    return m;
}

/* Starts a new chunk big enough for n bytes; growth doubles up to MAX_CHUNK. */
static bool grow(wire_msg *m, size_t n)
{
    size_t want = CHUNK_HDR + n;
    size_t size = want > m->next_ ? want : m->next_;
    if (m->limit_ && size > m->limit_ - m->total_) size = want;
    struct wire_chunk *c = chunk_new(m, size);
    if (!c) return false;
    m->chunks_ = c;
    m->cur_ = (uint8_t *)c + CHUNK_HDR;
    m->end_ = (uint8_t *)c + size;
    m->total_ += size;
    if (m->next_ < MAX_CHUNK) m->next_ *= 2;
    return true;
}

/* A block of its own for one large allocation (an array of a repeated field), so the room left
 * in the current chunk stays in use. */
static void *alloc_alone(wire_msg *m, size_t n)
{
    struct wire_chunk *c = chunk_new(m, CHUNK_HDR + n);
    if (!c) return NULL;
    m->chunks_ = c;
    m->total_ += CHUNK_HDR + n;
    return (uint8_t *)c + CHUNK_HDR;
}

void *wire__arena_take(wire_msg *m, size_t n)
{
    n = round_up(n ? n : 1);
    if ((size_t)(m->end_ - m->cur_) < n) {
        if (n > m->next_ / 2) return alloc_alone(m, n);
        if (!grow(m, n)) return NULL;
    }
    void *p = m->cur_;
    m->cur_ += n;
    return p;
}

void *wire__arena_alloc(wire_msg *m, size_t n)
{
    void *p = wire__arena_take(m, n);
    if (p) memset(p, 0, n ? n : 1);
    return p;
}

void *wire_alloc(wire_msg *m, size_t n)
{
    void *p = wire__arena_alloc(m, n);
    ACT_CHECK(p != NULL); /* only decoding arenas have a limit, and decode lifts it */
    return p;
}

char *wire_strdup(wire_msg *m, const char *s)
{
    size_t n = strlen(s);
    char *d = wire_alloc(m, n + 1);
    memcpy(d, s, n);
    return d;
}

void *wire_alloc_array(wire_msg *m, const wire_desc *desc, size_t count)
{
    ACT_CHECK(count <= SIZE_MAX / (desc->size ? desc->size : 1));
    uint8_t *p = wire_alloc(m, desc->size * count);
    for (size_t i = 0; i < count; i++) wire_init(desc, p + i * desc->size);
    return p;
}

wire_msg *wire_new(const wire_desc *desc)
{
    wire_msg *m = wire__msg_new(desc, 256, 0);
    wire_init(desc, m->root);
    return m;
}

void wire_msg_free(wire_msg *m)
{
    if (!m) return;
    /* The header lives in the oldest chunk, the last of the chain: read before freeing. */
    struct wire_chunk *c = m->chunks_;
    if (!c->next && spare_keep(c)) return;
    while (c) {
        struct wire_chunk *next = c->next;
        free(c);
        c = next;
    }
}

size_t wire_msg_arena_bytes(const wire_msg *m)
{
    return m->total_;
}

wire_msg *wire__decode_begin(const wire_desc *desc, size_t len, char *err, size_t errlen)
{
    if (len > (SIZE_MAX - WIRE_ARENA_SLACK) / WIRE_EXPANSION) {
        wire__fail(err, errlen, WIRE_ELIMIT, "%s: message too large", wire__short_name(desc));
        return NULL;
    }
    wire_msg *m = wire__msg_new(desc, 2 * len + 256, len * WIRE_EXPANSION + WIRE_ARENA_SLACK);
    ACT_CHECK(m != NULL);
    wire__blanks_ready(); /* the decoders set each message from its blank */
    return m;
}

int wire__decode_end(wire_msg *m, int rc, wire_msg **out)
{
    if (rc) {
        wire_msg_free(m);
        return rc;
    }
    m->limit_ = 0; /* the caller may add to the message freely */
    *out = m;
    return 0;
}
