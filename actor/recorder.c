/*
 * recorder.c - trace contexts and the flight recorder. Each message gets a span; a message
 * sent while an entry runs is a child of that entry's context (actor.c sets act__cur_trace
 * around each one), so causes link up across actors and, through the Libprocess-Trace header,
 * across processes. Every process records its message events (sent, received, dropped) in
 * bounded rings, one per loop plus one for threads that run no loop: each ring has a single
 * writer at a time and readers check each slot's generation before and after copying it (a
 * seqlock), so recording never waits for a reader and a reader never sees a torn event.
 * The start of each body is kept in a byte ring beside its ring, and the tagger (wire/'s
 * reads Mesos' IDs) reads it when the event is read, not while the loop records; whole
 * bodies are kept, and served, only while a /__trace__ watcher asks for them.
 */
#include "actor/actor_int.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* What recording an event runs: in line in the one call per event (act__rec_sent,
 * act__rec_received, act__rec), so the event's description stays in registers. */
#define HOT static inline __attribute__((always_inline))

#define DEFAULT_EVENTS 4096
#define MAX_EVENTS (1u << 20)
#define FOREIGN_EVENTS 256        /* the ring of threads that run no loop */
#define ARENA_BYTES (2u << 20)    /* kept bodies per ring */
#define BODY_MAX (64u << 10)      /* longest body kept for a watcher (longer ones are cut) */
#define TAG_PREFIX 1024           /* what is kept of a body otherwise, to read its tags from */
enum { F_KIND = 3, F_LIBPROCESS = 4, F_CAPTURED = 8, F_WHOLE = 16 }; /* a slot's flags */

_Thread_local act_trace act__cur_trace;
_Atomic bool act__rec_on;

/* ---- tags -------------------------------------------------------------------------------- */

/* Each pair is stored as [key length][key]\0[value length][value]\0: the lengths make
 * comparing and stepping cheap (the recorder adds tags for every message it records). */
bool act_tags_add(act_tags *t, const char *key, const char *value, size_t n)
{
    size_t kl = strlen(key);
    const char *nul = memchr(value, '\0', n);
    if (nul) n = (size_t)(nul - value);
    if (kl > 255 || n > 255) {
        t->truncated = true;
        return false;
    }
    for (size_t at = 0; at < t->len;) { /* already there? */
        const uint8_t *p = (const uint8_t *)t->data + at;
        size_t pkl = p[0], pvl = p[pkl + 2];
        if (pkl == kl && pvl == n && memcmp(p + 1, key, kl) == 0 &&
            memcmp(p + kl + 3, value, n) == 0)
            return true;
        at += pkl + pvl + 4;
    }
    if (t->len + kl + n + 4 > sizeof t->data) {
        t->truncated = true;
        return false;
    }
    char *p = t->data + t->len;
    p[0] = (char)kl;
    memcpy(p + 1, key, kl);
    p[kl + 1] = '\0';
    p[kl + 2] = (char)n;
    memcpy(p + kl + 3, value, n);
    p[kl + 3 + n] = '\0';
    t->len = (uint16_t)(t->len + kl + n + 4);
    return true;
}

bool act_tags_next(const act_tags *t, size_t *at, const char **key, const char **value)
{
    if (*at >= t->len) return false;
    const uint8_t *p = (const uint8_t *)t->data + *at;
    *key = (const char *)p + 1;
    *value = (const char *)p + p[0] + 3;
    *at += (size_t)p[0] + p[p[0] + 2] + 4;
    return true;
}

static _Atomic(act_tagger) tagger;

/* What is kept of the bodies recorded, in one word a recording loop reads once: the most bytes
 * of each (KEEP_MAX: none; TAG_PREFIX, their start, for the tagger; BODY_MAX while a watcher
 * asks for bodies) and the flags a slot that keeps some gets (KEEP_FLAGS). Its causes change
 * it under keep_mu. */
static _Atomic uint32_t keeping;
#define KEEP_MAX(k) ((k) & 0xffffffu)
#define KEEP_FLAGS(k) ((uint8_t)((k) >> 24))
static pthread_mutex_t keep_mu = PTHREAD_MUTEX_INITIALIZER;
static bool keep_tagged;  /* there is a tagger */
static int keep_watchers; /* watchers asking for bodies */

/* keep_watchers changed by delta (reset to 0 first if `reset`), keep_tagged set to `tagged`
 * unless it is -1; `keeping` follows. */
static void keep_change(int tagged, int delta, bool reset)
{
    pthread_mutex_lock(&keep_mu);
    if (tagged >= 0) keep_tagged = tagged;
    keep_watchers = (reset ? 0 : keep_watchers) + delta;
    uint32_t k = keep_watchers > 0 ? BODY_MAX | (uint32_t)(F_CAPTURED | F_WHOLE) << 24
                 : keep_tagged     ? TAG_PREFIX | (uint32_t)F_CAPTURED << 24
                                   : 0;
    atomic_store(&keeping, k);
    pthread_mutex_unlock(&keep_mu);
}

void act_recorder_set_tagger(act_tagger fn)
{
    atomic_store(&tagger, fn);
    keep_change(fn != NULL, 0, false);
}

/* ---- trace contexts ---------------------------------------------------------------------- */

/* Spans count up from a random start per thread: unique in practice across threads and
 * processes without any shared counter. */
uint64_t act__span_new(void)
{
    static _Thread_local uint64_t next;
    if (next == 0) {
        if (getrandom(&next, sizeof next, GRND_NONBLOCK) != sizeof next)
            next = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ull ^ (uint64_t)(uintptr_t)&next;
        next &= ~0xffffffull; /* room to count before anything wraps */
        if (next == 0) next = 1ull << 40;
    }
    return next++;
}

act_trace act__trace_child(void)
{
    act_trace tc;
    tc.span = act__span_new();
    tc.trace = act__cur_trace.trace ? act__cur_trace.trace : tc.span;
    tc.parent = act__cur_trace.span;
    return tc;
}

act_trace act_trace_current(void)
{
    return act__cur_trace;
}

/* The 8 hex digits of v as a word whose bytes in memory read most significant first: the
 * nibbles are spread one to a byte and turned into digits all at once (a loop of 16 steps a
 * number cost a trace header, and a watched event three). */
static uint64_t hex8(uint32_t v)
{
    uint64_t x = v;
    x = (x | x << 16) & 0x0000ffff0000ffffull;
    x = (x | x << 8) & 0x00ff00ff00ff00ffull;
    x = (x | x << 4) & 0x0f0f0f0f0f0f0f0full; /* byte i: nibble i, the least significant first */
    uint64_t letters = (x + 0x0606060606060606ull) >> 4 & 0x0101010101010101ull; /* 10..15 */
    x += 0x3030303030303030ull + letters * ('a' - '0' - 10);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    x = __builtin_bswap64(x); /* the most significant digit at the lowest address */
#endif
    return x;
}

static void hex16(uint64_t v, char *out)
{
    uint64_t hi = hex8((uint32_t)(v >> 32)), lo = hex8((uint32_t)v);
    memcpy(out, &hi, 8);
    memcpy(out + 8, &lo, 8);
}

void act__trace_format(const act_trace *tc, char *out)
{
    hex16(tc->trace, out);
    out[16] = '/';
    hex16(tc->span, out + 17);
    out[33] = '/';
    hex16(tc->parent, out + 34);
    out[50] = '\0';
}

/* The 8 hex digits at p as a number, eight at a time in a word (each received message has 48
 * to read, and a test and a shift per digit cost it 500 instructions); false if any byte is
 * not a hex digit. Byte i of the word is digit i, the most significant first. */
static bool parse_hex8(const char *p, uint32_t *out)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t x;
    memcpy(&x, p, sizeof x);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap64(x);
#endif
    /* With every byte under 0x80, adding (0x80 - lo) sets a byte's top bit iff it is >= lo,
     * and adding (0x7f - hi) iff it is > hi; no byte carries into the next. */
    uint64_t y = x | 0x20 * ones; /* 'A'-'F' as 'a'-'f' */
    uint64_t digit = (x + 0x50 * ones) & ~(x + 0x46 * ones) & highs;  /* '0'-'9' */
    uint64_t letter = (y + 0x1f * ones) & ~(y + 0x19 * ones) & highs; /* 'a'-'f' */
    if ((x & highs) || (digit | letter) != highs) return false;
    uint64_t v = (x & 0x0f * ones) + (letter >> 7) * 9; /* each byte its digit's value */
    v = (v & 0x000f000f000f000full) << 4 | (v >> 8 & 0x000f000f000f000full);
    v = (v & 0x000000ff000000ffull) << 8 | (v >> 16 & 0x000000ff000000ffull);
    *out = (uint32_t)((v & 0xffff) << 16 | (v >> 32 & 0xffff));
    return true;
}

static bool parse_hex16(const char *p, uint64_t *out)
{
    uint32_t hi, lo;
    if (!parse_hex8(p, &hi) || !parse_hex8(p + 8, &lo)) return false;
    *out = (uint64_t)hi << 32 | lo;
    return true;
}

bool act__trace_parse(const char *text, act_trace *out)
{
    act_trace tc;
    if (!text || strlen(text) != 50 || text[16] != '/' || text[33] != '/') return false;
    if (!parse_hex16(text, &tc.trace) || !parse_hex16(text + 17, &tc.span) ||
        !parse_hex16(text + 34, &tc.parent) || !tc.trace || !tc.span)
        return false;
    *out = tc;
    return true;
}

/* ---- rings ------------------------------------------------------------------------------- */

/* What an event says besides its numbers: sender, receiver, name, content type and reason.
 * Events come in runs over the same few routes, so each ring keeps the routes it has seen in
 * a table and its slots name them by index: recording an event writes one cache line of its
 * ring, not the few its strings would take (the ring is larger than the caches; each line
 * written costs a miss). A ring has two tables: when the one in use is full it starts the
 * other over, once no event the ring still holds names a route of that one; until then (more
 * routes than a table holds within one turn of the ring) each further event keeps its route in
 * a spill area beside its slot. */
#define TEXT_MAX (2 * ACT_ID_MAX + 112 + ACT_CONTENT_TYPE_MAX + 64)
enum { T_FROM, T_TO, T_NAME, T_CTYPE, T_REASON, T_COUNT };
_Static_assert(ACT_ID_MAX <= 256 && ACT_CONTENT_TYPE_MAX <= 256,
               "a route keeps each string's length in a byte");

/* The longest each string may be (the sizes of rec_event's fields, less the NUL). */
static const size_t text_max[T_COUNT] = {ACT_ID_MAX - 1, ACT_ID_MAX - 1, 111,
                                         ACT_CONTENT_TYPE_MAX - 1, 63};

typedef struct rec_route {
    uint32_t hash;
    uint32_t from_ip, to_ip;
    uint16_t from_port, to_port;
    uint8_t len[T_COUNT]; /* of each string in text, NUL excluded */
    char text[TEXT_MAX];  /* the strings, each NUL-terminated */
} rec_route;

#define ROUTES 4096u              /* routes per table */
#define IN_SECOND 0x8000u         /* a slot's route index is in the second table */
#define SPILLED UINT16_MAX        /* a slot's route is in the spill area, not a table */
_Static_assert(ROUTES <= IN_SECOND, "a table's indexes leave the table bit free");

typedef struct rec_slot {
    _Alignas(64) _Atomic uint64_t gen; /* 2i+1 while event i is written, 2i+2 once complete */
    uint64_t seq;
    uint64_t ns;          /* wall clock */
    act_trace tc;
    uint64_t body_at;     /* where its kept body starts in the ring's arena */
    uint32_t size;        /* of the body; its first TAG_PREFIX bytes (BODY_MAX with F_WHOLE)
                           * are in the arena with F_CAPTURED */
    uint16_t route;
    uint8_t flags;
} rec_slot;

_Static_assert(sizeof(rec_slot) == 64, "an event is one cache line");

typedef struct rec_ring {
    rec_slot *slots;            /* on cache-line bounds, within slots_mem */
    void *slots_mem;
    uint64_t mask;
    rec_route *routes[2];       /* the tables, [0, nroutes[t]) of each published */
    _Atomic uint32_t nroutes[2];
    /* The writer's: */
    unsigned table;             /* the table in use */
    uint64_t retired[2];        /* events before this one may name a route of table t */
    uint16_t *route_index;      /* hash -> index + 1 in the table in use (2 * ROUTES, open) */
    const rec_route *last_rt;   /* the route used last (NULL: none since the table changed) */
    uint16_t last;              /* and how a slot names it */
    _Atomic(rec_route *) spill; /* one per slot (allocated on the first spill) */
    _Atomic uint64_t head;      /* events written (published after each) */
    _Atomic uint64_t lookups;   /* events whose route was not the one the ring used last */
    uint8_t *arena;             /* captured bodies (ARENA_BYTES) */
    _Atomic uint64_t arena_head; /* bytes ever reserved, published before they are written */
} rec_ring;

static rec_ring *rings; /* one per loop, then the foreign ring */
static size_t nrings;
static size_t capacity; /* per loop ring; 0 = the recorder is off */
static bool enabled;
static _Atomic uint64_t last_seq;
static _Atomic uint64_t spilled; /* events whose route went to a spill area */
static _Atomic int nwatch;
static pthread_mutex_t foreign_mu = PTHREAD_MUTEX_INITIALIZER;

static size_t round_pow2(size_t n)
{
    size_t p = 1;
    while (p < n) p <<= 1;
    return p;
}

int act__rec_init(int nloops, long events)
{
    if (events == 0) {
        const char *v = getenv("LIBPROCESS_RECORDER_EVENTS");
        char *end = NULL;
        events = v && *v ? strtol(v, &end, 10) : DEFAULT_EVENTS;
        if (v && *v && (*end || events < 0)) {
            LOG_ERROR("LIBPROCESS_RECORDER_EVENTS='%s' is not a count of events (0: off)", v);
            return -EINVAL;
        }
        if (events == 0) events = -1;
    }
    enabled = events > 0;
    size_t per_loop = round_pow2((size_t)(events > 0 ? (events < MAX_EVENTS ? events : MAX_EVENTS)
                                                     : DEFAULT_EVENTS));
    capacity = enabled ? per_loop : 0;
    nrings = (size_t)nloops + 1;
    rings = act_calloc(nrings, sizeof *rings);
    for (size_t i = 0; i < nrings; i++) {
        size_t cap = i + 1 == nrings ? FOREIGN_EVENTS : per_loop;
        /* pages come as used; one slot more to start on a line */
        rings[i].slots_mem = act_calloc(cap + 1, sizeof *rings[i].slots);
        rings[i].slots = (rec_slot *)(((uintptr_t)rings[i].slots_mem + 63) & ~(uintptr_t)63);
        rings[i].mask = cap - 1;
        for (int t = 0; t < 2; t++) /* the second one's pages come only if it is used */
            rings[i].routes[t] = act_calloc(ROUTES, sizeof *rings[i].routes[t]);
        rings[i].route_index = act_calloc(2 * ROUTES, sizeof *rings[i].route_index);
        rings[i].arena = act_malloc(ARENA_BYTES); /* (its pages come as they are used) */
    }
    for (int i = 0; i < nloops; i++) act__rt->loops[i].rec = &rings[i];
    atomic_store(&last_seq, 0);
    atomic_store(&spilled, 0);
    atomic_store(&act__rec_on, enabled || atomic_load(&nwatch) > 0);
    return 0;
}

void act__rec_shutdown(void)
{
    atomic_store(&act__rec_on, false);
    for (size_t i = 0; i < nrings; i++) {
        free(rings[i].slots_mem);
        free(rings[i].arena);
        free(rings[i].routes[0]);
        free(rings[i].routes[1]);
        free(rings[i].route_index);
        free(atomic_load(&rings[i].spill));
    }
    free(rings);
    rings = NULL;
    nrings = 0;
    atomic_store(&nwatch, 0);
    keep_change(-1, 0, true); /* no watchers; the tagger stays */
}

void act__rec_watch(int delta, bool bodies)
{
    int n = atomic_fetch_add(&nwatch, delta) + delta;
    if (bodies) keep_change(-1, delta, false);
    atomic_store(&act__rec_on, enabled || n > 0);
}

size_t act__rec_capacity(void) { return capacity; }
uint64_t act__rec_last_seq(void) { return atomic_load(&last_seq); }
uint64_t act__rec_spilled(void) { return atomic_load(&spilled); }
uint64_t act__rec_route_lookups(void)
{
    uint64_t n = 0;
    for (size_t i = 0; i < nrings; i++)
        n += atomic_load_explicit(&rings[i].lookups, memory_order_relaxed);
    return n;
}

uint64_t act__rec_overwritten(void)
{
    uint64_t n = 0;
    for (size_t i = 0; i < nrings; i++) {
        uint64_t h = atomic_load_explicit(&rings[i].head, memory_order_acquire);
        if (h > rings[i].mask + 1) n += h - (rings[i].mask + 1);
    }
    return n;
}

static inline uint64_t load64(const char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint32_t load32(const char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

#ifdef __SSE2__
static inline __m128i load128(const char *p)
{
    return _mm_loadu_si128((const __m128i *)(const void *)p);
}

static inline void store128(uint8_t *p, __m128i v) { _mm_storeu_si128((__m128i *)(void *)p, v); }

/* 64 bytes from src to dst, all loaded before any is stored. */
HOT void copy64(uint8_t *dst, const char *src)
{
    __m128i a = load128(src), b = load128(src + 16), c = load128(src + 32), d = load128(src + 48);
    store128(dst, a), store128(dst + 16, b), store128(dst + 32, c), store128(dst + 48, d);
}
#endif

/* Copies n bytes (n <= TAG_PREFIX) of a body to dst in line, 64 at a time and the last 64 (or
 * the first and last 16 or 32, or fewer) over what went before: a call to memcpy would cost
 * its caller the registers it has to keep across it. (Without SSE2, memcpy.) */
HOT void copy_short(uint8_t *dst, const uint8_t *body, size_t n)
{
#ifndef __SSE2__
    memcpy(dst, body, n);
#else
    const char *src = (const char *)body;
    if (n >= 64) {
        for (size_t k = 0; k + 64 < n; k += 64) copy64(dst + k, src + k);
        copy64(dst + n - 64, src + n - 64);
        return;
    }
    if (n >= 32) {
        __m128i a = load128(src), b = load128(src + 16), c = load128(src + n - 32),
                d = load128(src + n - 16);
        store128(dst, a), store128(dst + 16, b), store128(dst + n - 32, c);
        store128(dst + n - 16, d);
        return;
    }
    if (n >= 16) {
        __m128i a = load128(src), b = load128(src + n - 16);
        store128(dst, a), store128(dst + n - 16, b);
        return;
    }
    if (n >= 8) {
        uint64_t a = load64(src), b = load64(src + n - 8);
        memcpy(dst, &a, 8);
        memcpy(dst + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a = load32(src), b = load32(src + n - 4);
        memcpy(dst, &a, 4);
        memcpy(dst + n - 4, &b, 4);
    } else {
        for (size_t k = 0; k < n; k++) dst[k] = body[k];
    }
#endif
}

/* Copies n bytes of a body to `at` in the ring's arena (within it, not across its end), for
 * slot s: in line if `short_body` (n <= TAG_PREFIX). */
HOT void keep_bytes(rec_ring *r, rec_slot *s, uint64_t at, const uint8_t *body, size_t n,
                    bool short_body)
{
    atomic_store_explicit(&r->arena_head, at + n, memory_order_relaxed);
    atomic_thread_fence(memory_order_release); /* reserved before the bytes change */
    s->body_at = at;
    if (short_body)
        copy_short(r->arena + at % ARENA_BYTES, body, n);
    else
        memcpy(r->arena + at % ARENA_BYTES, body, n);
}

/* Copies up to `max` bytes of the body into the ring's arena. */
HOT void capture_body(rec_ring *r, rec_slot *s, const uint8_t *body, size_t len, size_t max)
{
    size_t n = len < max ? len : max;
    uint64_t at = atomic_load_explicit(&r->arena_head, memory_order_relaxed);
    if (at % ARENA_BYTES + n > ARENA_BYTES) at += ARENA_BYTES - at % ARENA_BYTES; /* wrap */
    keep_bytes(r, s, at, body, n, false);
}

/* Reading the wall clock costs about as much as the rest of recording an event, so a thread
 * reuses its last reading for the events that follow within act__rec_reuse_ticks ticks of the
 * CPU's time-stamp counter (an instruction, not a call): at most 20 µs on a counter of 1 GHz
 * or faster. Events that share a reading stay in order by their sequence numbers. Where there
 * is no such counter, every event reads the clock. */
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define CLOCK_REUSE
uint64_t act__rec_reuse_ticks = 20000;
#endif

/* Out of line: it is read once in many events, and the address of its timespec would cost
 * the function it is in line in a stack canary. Nor does it need one itself: clock_gettime
 * writes a struct timespec, no more (the canary cost a reading a sixth of its instructions). */
#if defined(__has_attribute) && __has_attribute(no_stack_protector)
#define NO_CANARY __attribute__((no_stack_protector))
#else
#define NO_CANARY
#endif
static __attribute__((noinline)) NO_CANARY uint64_t clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#ifdef CLOCK_REUSE
/* The thread's last reading (none yet: tick 0, long past). */
static _Thread_local struct {
    uint64_t tick, ns;
} reading;
#endif

/* The thread's last reading of the clock if it is fresh enough to reuse, else 0. */
HOT uint64_t clock_reused(void)
{
#ifdef CLOCK_REUSE
    /* a counter that went back reads anew */
    return __rdtsc() - reading.tick < act__rec_reuse_ticks ? reading.ns : 0;
#else
    return 0;
#endif
}

/* Makes ns, just read, the thread's reading to reuse. */
HOT void clock_reuse(uint64_t ns)
{
#ifdef CLOCK_REUSE
    reading.tick = __rdtsc();
    reading.ns = ns;
#else
    (void)ns;
#endif
}

HOT uint64_t event_ns(void)
{
    uint64_t ns = clock_reused();
    if (!ns) clock_reuse(ns = clock_ns());
    return ns;
}

/* m's strings in route order; NULL for an absent one. */
static void route_strings(const rec_msg *m, const char *strs[T_COUNT])
{
    strs[T_FROM] = m->from ? m->from->id : NULL;
    strs[T_TO] = m->to_id;
    strs[T_NAME] = m->name;
    strs[T_CTYPE] = m->ctype;
    strs[T_REASON] = m->reason;
}

/* Whether a and b have the same k bytes (k >= 1, both readable), compared a word at a time
 * in line: a library call per string was most of what matching a route cost. */
HOT bool bytes_eq(const char *a, const char *b, size_t k)
{
    if (k >= 16) { /* 16 bytes a step, differences gathered (runs match far more often) */
#ifdef __SSE2__
        __m128i eq = _mm_cmpeq_epi8(load128(a + k - 16), load128(b + k - 16)); /* may overlap */
        if (k > 16) eq = _mm_and_si128(eq, _mm_cmpeq_epi8(load128(a), load128(b)));
        if (k > 32) eq = _mm_and_si128(eq, _mm_cmpeq_epi8(load128(a + 16), load128(b + 16)));
        if (k > 48) eq = _mm_and_si128(eq, _mm_cmpeq_epi8(load128(a + 32), load128(b + 32)));
        for (size_t i = 48; i + 16 < k; i += 16) /* (up to 64 bytes, no loop runs) */
            eq = _mm_and_si128(eq, _mm_cmpeq_epi8(load128(a + i), load128(b + i)));
        return _mm_movemask_epi8(eq) == 0xffff;
#else
        uint64_t d = (load64(a + k - 16) ^ load64(b + k - 16)) | /* the last two may overlap */
                     (load64(a + k - 8) ^ load64(b + k - 8));
        for (size_t i = 0; i + 16 < k; i += 16)
            d |= (load64(a + i) ^ load64(b + i)) | (load64(a + i + 8) ^ load64(b + i + 8));
        return d == 0;
#endif
    }
    if (k >= 8) return load64(a) == load64(b) && load64(a + k - 8) == load64(b + k - 8);
    if (k >= 4) return load32(a) == load32(b) && load32(a + k - 4) == load32(b + k - 4);
    for (size_t i = 0; i < k; i++)
        if (a[i] != b[i]) return false;
    return true;
}

/* Whether str (NULL: "") is the n-byte string p of a route (p holds no NUL in its n bytes and
 * one after them). A string cut to the longest a route keeps (n == max) matches its start.
 * With `room` bytes readable at str, its n + 1 bytes (n when cut) are compared with p's, NUL
 * included (room at most n: str is shorter); otherwise as C strings. */
HOT bool text_is(const char *str, size_t room, const char *p, size_t n, size_t max)
{
    if (!str) return n == 0;
    if (room) return room > n && bytes_eq(str, p, n == max ? n : n + 1);
    return strncmp(str, p, n) == 0 && (n == max || str[n] == '\0');
}

/* Whether rt is m's route, compared in place: the route a ring used last is usually the next
 * event's too, and checking costs less than copying m's strings out to look it up. Written
 * out string by string: a loop over them cost more than the comparing. */
HOT bool route_is(const rec_route *rt, const rec_msg *m)
{
    if (rt->to_ip != m->to_ip || rt->to_port != m->to_port ||
        rt->from_ip != (m->from ? m->from->ip : 0) ||
        rt->from_port != (m->from ? m->from->port : 0))
        return false;
    const char *p = rt->text;
    const uint8_t *len = rt->len;
    if (!text_is(m->from ? m->from->id : NULL, ACT_ID_MAX, p, len[T_FROM], text_max[T_FROM]))
        return false;
    p += len[T_FROM] + 1;
    size_t run = (size_t)len[T_TO] + len[T_NAME] + 2;
    if (m->joined && run == (size_t)m->to_room + m->name_room) { /* "to\0name\0" in one go: */
        if (!bytes_eq(m->to_id, p, run)) return false; /* the NULs fall alike or it differs */
        p += run;
    } else { /* (or a string the route keeps cut) */
        if (!text_is(m->to_id, m->to_room, p, len[T_TO], text_max[T_TO])) return false;
        p += len[T_TO] + 1;
        if (!text_is(m->name, m->name_room, p, len[T_NAME], text_max[T_NAME])) return false;
        p += len[T_NAME] + 1;
    }
    if (!text_is(m->ctype, 0, p, len[T_CTYPE], text_max[T_CTYPE])) return false;
    p += len[T_CTYPE] + 1;
    return text_is(m->reason, 0, p, len[T_REASON], text_max[T_REASON]);
}

/* The route of m into *out but its hash; its length (up to the end of its text) is returned. */
static size_t route_of(const rec_msg *m, const char *const strs[T_COUNT], rec_route *out)
{
    out->from_ip = m->from ? m->from->ip : 0;
    out->from_port = m->from ? m->from->port : 0;
    out->to_ip = m->to_ip;
    out->to_port = m->to_port;
    char *p = out->text;
    for (int k = 0; k < T_COUNT; k++) {
        size_t n = strs[k] ? strnlen(strs[k], text_max[k]) : 0;
        memcpy(p, strs[k] ? strs[k] : "", n);
        p[n] = '\0';
        out->len[k] = (uint8_t)n;
        p += n + 1;
    }
    return (size_t)(p - (char *)out);
}

/* Every fourth byte of the strings (the table compares whole routes) and the addresses. */
static uint32_t route_hash(const rec_route *rt)
{
    uint32_t h = 2166136261u;
    const char *p = rt->text;
    for (int k = 0; k < T_COUNT; p += rt->len[k++] + 1) {
        for (size_t i = 0; i < rt->len[k]; i += 4) h = (h ^ (uint8_t)p[i]) * 16777619u;
        h = (h ^ rt->len[k]) * 16777619u;
    }
    return h ^ rt->from_ip * 2654435761u ^ rt->to_ip ^ (uint32_t)rt->from_port << 16 ^
           rt->to_port;
}

/* Whether a holds the route b holds in its first len bytes (the hash aside). */
static bool route_eq(const rec_route *a, const rec_route *b, size_t len)
{
    size_t skip = offsetof(rec_route, from_ip);
    return memcmp((const char *)a + skip, (const char *)b + skip, len - skip) == 0;
}

/* Makes the other table the one in use, empty, if no event the ring holds names a route of it:
 * those were all written before it was last replaced, so a full turn of the ring since (event
 * i is being written) has overwritten them. A reader still copying one of those events sees
 * its slot's generation change, so it never takes a route written here for that event's. */
static bool table_switch(rec_ring *r, uint64_t i)
{
    unsigned other = r->table ^ 1;
    if (r->retired[other] + r->mask + 1 > i) return false;
    atomic_store_explicit(&r->nroutes[other], 0, memory_order_relaxed);
    memset(r->route_index, 0, 2 * ROUTES * sizeof *r->route_index);
    r->retired[r->table] = i;
    r->table = other;
    r->last_rt = NULL;
    return true;
}

/* Remembers route k of the table in use as the last one used and names it as a slot does. */
static uint16_t route_used(rec_ring *r, uint32_t k)
{
    r->last_rt = &r->routes[r->table][k];
    return r->last = (uint16_t)(k | (r->table ? IN_SECOND : 0));
}

/* route_intern when m's route is not the last one used: kept out of line, the common case
 * needs none of its stack. */
static __attribute__((noinline)) uint16_t route_lookup(rec_ring *r, uint64_t i, const rec_msg *m)
{
    /* counted by the ring's one writer: no shared line to contend for, no locked add */
    atomic_store_explicit(&r->lookups, atomic_load_explicit(&r->lookups, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    const char *strs[T_COUNT];
    route_strings(m, strs);
    rec_route want;
    size_t len = route_of(m, strs, &want);
    want.hash = route_hash(&want);
    rec_route *table = r->routes[r->table];
    uint32_t at = want.hash & (2 * ROUTES - 1);
    for (uint16_t k; (k = r->route_index[at]); at = (at + 1) & (2 * ROUTES - 1))
        if (table[k - 1].hash == want.hash && route_eq(&table[k - 1], &want, len))
            return route_used(r, k - 1u);
    uint32_t n = atomic_load_explicit(&r->nroutes[r->table], memory_order_relaxed);
    if (n == ROUTES && table_switch(r, i)) {
        table = r->routes[r->table];
        n = 0;
        at = want.hash & (2 * ROUTES - 1);
    }
    if (n < ROUTES) {
        memcpy(&table[n], &want, len);
        r->route_index[at] = (uint16_t)(n + 1);
        atomic_store_explicit(&r->nroutes[r->table], n + 1, memory_order_release);
        return route_used(r, n);
    }
    rec_route *spill = atomic_load_explicit(&r->spill, memory_order_relaxed);
    if (!spill) {
        spill = act_calloc(r->mask + 1, sizeof *spill);
        atomic_store_explicit(&r->spill, spill, memory_order_release);
    }
    memcpy(&spill[i & r->mask], &want, len);
    atomic_fetch_add_explicit(&spilled, 1, memory_order_relaxed);
    return SPILLED;
}

/* The rec_msg that describes an entry's event (to_id, reason: as act__rec_entry_drop has
 * them; NULL for a sent or received one). */
HOT void entry_msg(rec_kind kind, const act_entry *e, const char *to_id, const char *reason,
                   rec_msg *m)
{
    bool remote = e->kind == E_REMOTE_SEND;
    *m = (rec_msg){.kind = kind, .from = &e->from, .to_id = to_id ? to_id : e->to_id,
                   .to_ip = remote ? e->to_ip : act__rt->address.ip,
                   .to_port = remote ? e->to_port : act__rt->address.port, .name = e->name,
                   .body = e->body, .len = e->len, .ctype = e->ctype,
                   .libprocess = e->libprocess, .tc = &e->tc, .reason = reason,
                   .to_room = to_id ? ACT_ID_MAX : e->to_len ? (uint16_t)(e->to_len + 1) : 0,
                   .name_room = e->name_len ? (uint16_t)(e->name_len + 1) : 0,
                   .joined = !to_id && e->to_len && e->name_len};
}

/* route_lookup and route_is for a sent or received entry's event (see entry_route_same): its
 * rec_msg is built here, out of line, on the way to a new route or to compare what
 * entry_route_same does not (a content type, a string the entry does not know the length of or
 * the route keeps cut), so that matching the last route needs none of it. */
static __attribute__((noinline)) uint16_t route_lookup_entry(rec_ring *r, uint64_t i,
                                                             rec_kind kind, const act_entry *e)
{
    rec_msg m;
    entry_msg(kind, e, NULL, NULL, &m);
    return route_lookup(r, i, &m);
}

static __attribute__((noinline)) bool route_is_entry(const rec_route *rt, const act_entry *e)
{
    rec_msg m;
    entry_msg(REC_SEND, e, NULL, NULL, &m); /* (the kind is no part of a route) */
    return route_is(rt, &m);
}

/* Whether rt is the route of a sent or received entry (`received`: an E_MSG delivered here),
 * straight from the entry, in the fewest steps: the receiver's and the name's lengths, which
 * the entry knows, are the route's, with no content type and no reason on either side (the
 * lengths sit side by side in both); then the addresses, the sender and "to\0name\0" byte for
 * byte, NULs included. Exact when entry_exact(e); otherwise only a true answer is, and
 * route_is_entry compares. */
HOT bool entry_route_same(const rec_route *rt, const act_entry *e, bool received)
{
    _Static_assert(offsetof(act_entry, name_len) == offsetof(act_entry, to_len) + 1 &&
                   T_NAME == T_TO + 1 && T_CTYPE == T_NAME + 1 && T_REASON == T_CTYPE + 1,
                   "the lengths compared together sit side by side");
    uint16_t lens, rlens, rrest;
    memcpy(&lens, &e->to_len, 2);
    memcpy(&rlens, &rt->len[T_TO], 2);
    memcpy(&rrest, &rt->len[T_CTYPE], 2);
    if (lens != rlens || rrest || e->ctype) return false;
    bool remote = !received && e->kind == E_REMOTE_SEND;
    uint32_t to_ip = remote ? e->to_ip : act__rt->address.ip;
    uint16_t to_port = remote ? e->to_port : act__rt->address.port;
    if (rt->from_ip != e->from.ip || rt->to_ip != to_ip || rt->from_port != e->from.port ||
        rt->to_port != to_port)
        return false;
    size_t fl = rt->len[T_FROM];
    return bytes_eq(e->from.id, rt->text, fl + 1) && /* (fl < ACT_ID_MAX: in the id) */
           bytes_eq(e->to_id, rt->text + fl + 1, (size_t)e->to_len + e->name_len + 2);
}

/* Whether entry_route_same's answer is the whole answer for e: it has no content type, it knows
 * the lengths of its receiver's name and of its own (0: it does not), and a route keeps both
 * whole. (A message with a content type goes only to peers that are not ours.) */
HOT bool entry_exact(const act_entry *e)
{
    return !e->ctype && e->to_len && e->name_len && e->to_len <= text_max[T_TO] &&
           e->name_len <= text_max[T_NAME];
}

/* How slot i names its route, which m describes, or e when not NULL (a sent or received
 * entry's event): its index in the table in use (with IN_SECOND for the second), added if
 * new; SPILLED (the route written to the slot's spill area) when the table is full and the
 * other cannot start over yet. Runs of one route copy and build nothing. */
HOT uint16_t route_intern(rec_ring *r, uint64_t i, const rec_msg *m, rec_kind kind,
                          const act_entry *e)
{
    if (e) {
        if (r->last_rt && (entry_route_same(r->last_rt, e, kind == REC_RECV) ||
                           (!entry_exact(e) && route_is_entry(r->last_rt, e))))
            return r->last;
        return route_lookup_entry(r, i, kind, e);
    }
    if (r->last_rt && route_is(r->last_rt, m)) return r->last;
    return route_lookup(r, i, m);
}

/* What an event holds besides its route. */
typedef struct rec_what {
    rec_kind kind;
    bool libprocess;
    const act_trace *tc;
    const uint8_t *body; /* len bytes, or NULL */
    size_t len;
} rec_what;

/* Each slot's seqlock, its writer's side: slot_open marks the ring's next event (*i) as being
 * written and gives it the process's next sequence number; slot_publish marks it complete and
 * counts it in the ring's head. A reader copying the slot in between sees its generation
 * change and drops the copy. */
HOT rec_slot *slot_open(rec_ring *r, uint64_t *i)
{
    *i = atomic_load_explicit(&r->head, memory_order_relaxed);
    rec_slot *s = &r->slots[*i & r->mask];
    uint64_t seq = atomic_fetch_add_explicit(&last_seq, 1, memory_order_relaxed) + 1;
    atomic_store_explicit(&s->gen, 2 * *i + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    s->seq = seq;
    return s;
}

HOT void slot_publish(rec_ring *r, rec_slot *s, uint64_t i)
{
    atomic_store_explicit(&s->gen, 2 * i + 2, memory_order_release);
    atomic_store_explicit(&r->head, i + 1, memory_order_release);
}

/* Writes an event into slot head of r: w, and its route as m describes it, or e (as for
 * route_intern). The clock is read first and the body copied last: little of the event is
 * live across either call. */
HOT void ring_write(rec_ring *r, rec_what w, const rec_msg *m, const act_entry *e)
{
    uint64_t ns = event_ns();
    uint64_t i;
    rec_slot *s = slot_open(r, &i);
    s->ns = ns;
    s->tc = *w.tc;
    s->size = (uint32_t)w.len;
    s->route = route_intern(r, i, m, w.kind, e);
    /* The tags are read from the kept bytes when the event is read, not here: recording
     * costs a copy of the body's start, not a walk through it. */
    uint32_t keep = atomic_load_explicit(&keeping, memory_order_relaxed);
    uint8_t flags = (uint8_t)((unsigned)w.kind | (w.libprocess ? F_LIBPROCESS : 0) |
                              (KEEP_FLAGS(keep) & F_WHOLE));
    if (KEEP_MAX(keep) && w.body && w.len) {
        s->flags = flags | F_CAPTURED;
        capture_body(r, s, w.body, w.len, KEEP_MAX(keep));
    } else {
        s->flags = flags;
    }
    slot_publish(r, s, i);
}

/* Records an event (w, m and e: as for ring_write). */
HOT void rec(rec_what w, const rec_msg *m, const act_entry *e)
{
    if (!rings) return;
    act_loop *l = act__current_loop;
    if (l) {
        ring_write(&rings[l->index], w, m, e);
    } else { /* threads that run no loop share a ring and take turns */
        pthread_mutex_lock(&foreign_mu);
        ring_write(&rings[nrings - 1], w, m, e);
        pthread_mutex_unlock(&foreign_mu);
    }
    if (atomic_load_explicit(&nwatch, memory_order_relaxed) > 0) act__trace_kick();
}

void act__rec(const rec_msg *m)
{
    rec((rec_what){m->kind, m->libprocess, m->tc, m->body, m->len}, m, NULL);
}

/* A drop: its receiver or reason are given apart from the entry, so it is described by a
 * rec_msg (drops are few). */
void act__rec_entry_drop(const act_entry *e, const char *to_id, const char *reason)
{
    rec_msg m;
    entry_msg(REC_DROP, e, to_id, reason, &m);
    act__rec(&m);
}

/* act__rec_sent's and act__rec_received's every other case: another ring, a route the ring did
 * not use last, the arena to start or to wrap. */
static __attribute__((noinline)) void rec_entry_any(rec_kind kind, const act_entry *e)
{
    rec((rec_what){kind, e->libprocess, &e->tc, e->body, e->len}, NULL, e);
}

/* Writes a sent or received entry's event whose route is the ring's last (see rec_entry): its
 * clock reading ns and flags (its kind among them), n bytes of its body kept at `at` in the
 * arena, copied in line if `short_body` (n <= TAG_PREFIX). */
HOT void entry_write(rec_ring *r, const act_entry *e, uint64_t ns, size_t n, uint64_t at,
                     uint8_t flags, bool short_body)
{
    uint64_t i;
    rec_slot *s = slot_open(r, &i);
    s->ns = ns;
    s->tc = e->tc;
    s->size = (uint32_t)e->len;
    s->route = r->last;
    s->flags = flags;
    if (n) keep_bytes(r, s, at, e->body, n, short_body);
    slot_publish(r, s, i);
    if (atomic_load_explicit(&nwatch, memory_order_relaxed) > 0) act__trace_kick();
}

/* entry_write for a body start longer than TAG_PREFIX (a watcher asks for bodies). */
static __attribute__((noinline)) void entry_write_long(rec_ring *r, const act_entry *e,
                                                       uint64_t ns, size_t n, uint64_t at,
                                                       uint8_t flags)
{
    entry_write(r, e, ns, n, at, flags, false);
}

/* A sent or received entry's event is recorded from the entry itself: nothing of it is copied
 * to describe it (a route new to the ring is described anew, out of line). The common case (a
 * loop's ring, the route it used last, a clock reading to reuse, a body start of at most
 * TAG_PREFIX bytes) is written here and calls nothing, so it keeps nothing on the stack; what
 * could need more is checked before the slot is touched and left, by a tail call, to
 * rec_entry_clock, rec_entry_any or entry_write_long. `read`: a clock reading just taken, or
 * NULL to reuse the thread's last one. */
HOT void rec_entry(rec_kind kind, const act_entry *e, const uint64_t *read);

static __attribute__((noinline)) void rec_entry_clock(rec_kind kind, const act_entry *e)
{
    uint64_t ns = clock_ns();
    clock_reuse(ns);
    rec_entry(kind, e, &ns);
}

HOT void rec_entry(rec_kind kind, const act_entry *e, const uint64_t *read)
{
    uint64_t ns;
    if (read) {
        ns = *read;
    } else if (!(ns = clock_reused())) {
        rec_entry_clock(kind, e);
        return;
    }
    act_loop *l = act__current_loop;
    rec_ring *r = l ? l->rec : NULL;
    if (!r || !r->last_rt || !entry_route_same(r->last_rt, e, kind == REC_RECV)) {
        rec_entry_any(kind, e);
        return;
    }
    uint32_t keep = atomic_load_explicit(&keeping, memory_order_relaxed);
    size_t n = e->len < KEEP_MAX(keep) ? e->len : KEEP_MAX(keep); /* what is kept of the body */
    uint64_t at = atomic_load_explicit(&r->arena_head, memory_order_relaxed);
    if (at % ARENA_BYTES + n > ARENA_BYTES) { /* the arena wraps */
        rec_entry_any(kind, e);
        return;
    }
    uint8_t flags = (uint8_t)((unsigned)kind | (e->libprocess ? F_LIBPROCESS : 0) |
                              (n ? KEEP_FLAGS(keep) : 0));
    if (n > TAG_PREFIX) {
        entry_write_long(r, e, ns, n, at, flags);
        return;
    }
    entry_write(r, e, ns, n, at, flags, true);
}

/* One function per kind: the kind is a constant in each, a register less. */
void act__rec_sent(const act_entry *e) { rec_entry(REC_SEND, e, NULL); }
void act__rec_received(const act_entry *e) { rec_entry(REC_RECV, e, NULL); }

/* ---- reading ----------------------------------------------------------------------------- */

/* The route slot s (event i of ring r) names; NULL when it names none (a torn read). */
static const rec_route *slot_route(const rec_ring *r, uint64_t i, const rec_slot *s)
{
    uint16_t k = s->route;
    if (k == SPILLED) {
        rec_route *spill = atomic_load_explicit(&r->spill, memory_order_acquire);
        return spill ? &spill[i & r->mask] : NULL;
    }
    unsigned t = k & IN_SECOND ? 1 : 0;
    k &= (uint16_t)~IN_SECOND;
    return k < atomic_load_explicit(&r->nroutes[t], memory_order_acquire) ? &r->routes[t][k]
                                                                          : NULL;
}

/* The lengths of rt's strings, each bounded by its field (a torn read may hold anything),
 * into len; returns where each starts in rt->text, in at. */
static void route_texts(const rec_route *rt, size_t len[T_COUNT], size_t at[T_COUNT])
{
    size_t p = 0;
    for (int t = 0; t < T_COUNT; t++) {
        size_t n = rt->len[t] <= text_max[t] ? rt->len[t] : text_max[t];
        if (p + n >= TEXT_MAX) n = 0;
        len[t] = n;
        at[t] = p < TEXT_MAX ? p : TEXT_MAX - 1;
        p += n + 1;
    }
}

/* The event a slot holds (event i of ring r), strings unpacked into their fields; a torn
 * read (the caller checks the slot's generation after) stays within the ring's memory. */
static void unpack(const rec_ring *r, uint64_t i, const rec_slot *s, rec_event *out)
{
    memset(out, 0, sizeof *out);
    out->seq = s->seq;
    out->ns = s->ns;
    out->tc = s->tc;
    out->kind = s->flags & F_KIND;
    out->libprocess = s->flags & F_LIBPROCESS;
    out->size = s->size;
    out->body_whole = s->flags & F_WHOLE;
    size_t max = out->body_whole ? BODY_MAX : TAG_PREFIX;
    out->body_len = s->flags & F_CAPTURED ? (s->size < max ? s->size : (uint32_t)max) : 0;
    const rec_route *rt = slot_route(r, i, s);
    if (!rt) return; /* torn: the generation check fails */
    out->from.ip = rt->from_ip;
    out->from.port = rt->from_port;
    out->to.ip = rt->to_ip;
    out->to.port = rt->to_port;
    char *dst[T_COUNT] = {out->from.id, out->to.id, out->name, out->ctype, out->reason};
    size_t len[T_COUNT], at[T_COUNT];
    route_texts(rt, len, at);
    for (int t = 0; t < T_COUNT; t++) {
        memcpy(dst[t], rt->text + at[t], len[t]);
        dst[t][len[t]] = '\0';
    }
}

static bool read_slot(rec_ring *r, uint64_t i, bool bodies, rec_event *out)
{
    rec_slot *s = &r->slots[i & r->mask];
    if (atomic_load_explicit(&s->gen, memory_order_acquire) != 2 * i + 2) return false;
    unpack(r, i, s, out);
    uint64_t body_at = s->body_at;
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&s->gen, memory_order_relaxed) != 2 * i + 2) return false;
    out->body = NULL;
    if (out->kind > REC_DROP) return false;
    if (!out->body_len) {
        out->body_len = 0;
        return true;
    }
    out->body = act_malloc(out->body_len);
    memcpy(out->body, r->arena + body_at % ARENA_BYTES, out->body_len);
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&r->arena_head, memory_order_acquire) > body_at + ARENA_BYTES) {
        free(out->body); /* the bytes were reused: later bodies pushed it out */
        out->body = NULL;
        out->body_len = 0;
        out->tags.truncated = true;
        return true;
    }
    act_tagger fn = atomic_load_explicit(&tagger, memory_order_relaxed);
    if (fn) fn(out->name, out->body, out->body_len, out->ctype[0] ? out->ctype : NULL,
               out->libprocess, &out->tags);
    if (!bodies || !out->body_whole) { /* a start kept for the tags only */
        free(out->body);
        out->body = NULL;
        out->body_len = 0;
    }
    return true;
}

static int by_seq(const void *a, const void *b)
{
    uint64_t x = ((const rec_event *)a)->seq, y = ((const rec_event *)b)->seq;
    return x < y ? -1 : x > y;
}

void act__rec_cursor_free(rec_cursor *c)
{
    free(c->pos);
    free(c->scratch);
    memset(c, 0, sizeof *c);
}

void act__rec_read(rec_cursor *c, uint64_t since, size_t max, bool bodies, rec_event **out,
                   size_t *n, uint64_t *lost)
{
    *out = NULL;
    *n = 0;
    if (lost) *lost = 0;
    if (!rings) return;
    if (c->n != nrings) {
        free(c->pos);
        c->pos = act_calloc(nrings, sizeof *c->pos);
        c->n = nrings;
    }
    size_t cap = 0;
    for (size_t k = 0; k < nrings; k++) {
        rec_ring *r = &rings[k];
        uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
        uint64_t from = c->pos[k], oldest = head > r->mask + 1 ? head - (r->mask + 1) : 0;
        if (from < oldest) {
            if (lost) *lost += oldest - from;
            from = oldest;
        }
        for (uint64_t i = from; i < head; i++) {
            if (*n == cap) {
                cap = cap ? cap * 2 : 256;
                *out = act_realloc(*out, cap * sizeof **out);
            }
            rec_event *ev = &(*out)[*n];
            if (!read_slot(r, i, bodies, ev)) {
                if (lost) (*lost)++;
            } else if (ev->seq > since) {
                (*n)++;
            } else {
                free(ev->body);
            }
        }
        c->pos[k] = head;
    }
    /* Each ring's events come in order; with one ring that held any (one loop), they all do,
     * and sorting events this large would cost more than reading them. */
    bool sorted = true;
    for (size_t i = 1; i < *n && sorted; i++) sorted = (*out)[i - 1].seq < (*out)[i].seq;
    if (!sorted) qsort(*out, *n, sizeof **out, by_seq);
    if (max && *n > max) { /* keep the newest */
        for (size_t i = 0; i < *n - max; i++) free((*out)[i].body);
        memmove(*out, *out + (*n - max), max * sizeof **out);
        *n = max;
    }
}

void act__rec_events_free(rec_event *ev, size_t n)
{
    for (size_t i = 0; i < n; i++) free(ev[i].body);
    free(ev);
}

/* ---- JSON -------------------------------------------------------------------------------- */

/* An event is written straight into the buffer: /__trace__ writes one per message while a
 * watcher reads, so the generic writer's per-key work (escaping constant keys, a call per
 * comma) would cost the watched process more than recording does. The text is what
 * act_json would write. */

#define KIND_JSON(name) {",\"kind\":\"" name "\"", sizeof ",\"kind\":\"" name "\"" - 1}
static const struct { const char *text; size_t len; } kind_json[] = {
    [REC_SEND] = KIND_JSON("send"), [REC_RECV] = KIND_JSON("receive"),
    [REC_DROP] = KIND_JSON("drop")};

/* Appends n bytes; the caller reserved room. */
static inline void put(act_buf *b, const char *p, size_t n)
{
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

/* A JSON string (act_json_escape copies runs of plain bytes in one go). */
static void put_string(act_buf *b, const char *s, size_t n, bool escape_slash)
{
    act_json_put_string(b, s, n, escape_slash);
}

/* Appends one byte; the caller reserved room. */
static inline void put_char(act_buf *b, char c)
{
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

/* The pieces below are written unchecked too, into the room act__rec_event_json reserves for
 * the whole event (event_room); strings (put_string, base64_string) reserve their own. */
static void put_uint_dec(act_buf *b, uint64_t v)
{
    char num[24];
    put(b, num, (size_t)(act_put_u64(num, v) - num));
    b->data[b->len] = '\0';
}

#define PUT_LIT(b, lit) put(b, lit, sizeof lit - 1)
#define KEY(b, lit) PUT_LIT(b, ",\"" lit "\":") /* one store of a constant, not a call */

/* "<16 hex digits>" */
static void put_hex(act_buf *b, uint64_t v)
{
    b->data[b->len] = '"';
    hex16(v, b->data + b->len + 1);
    b->data[b->len + 17] = '"';
    b->len += 18;
}

/* The body as a JSON string in base64 (which needs no escaping). */
static void base64_string(act_buf *out, const uint8_t *p, size_t n)
{
    act_buf_putc(out, '"');
    act_buf_base64(out, p, n);
    act_buf_putc(out, '"');
}

/* "tags": {key: [values]}, keys in first-seen order. The pairs are listed once, each with the
 * first pair of its key, so writing them is one pass per distinct key (a handful: framework,
 * slave, task ...), not one per pair. */
static void tags_json(act_buf *b, const act_tags *t, bool escape_slash)
{
    enum { MAX_PAIRS = ACT_TAGS_MAX / 4 }; /* a pair takes 4 bytes or more */
    const char *key[MAX_PAIRS], *value[MAX_PAIRS];
    uint8_t first[MAX_PAIRS];
    size_t n = 0;
    for (size_t at = 0; n < MAX_PAIRS && act_tags_next(t, &at, &key[n], &value[n]); n++) {
        first[n] = (uint8_t)n;
        for (size_t k = 0; k < n; k++) /* stored as [length][key]: lengths compare first */
            if (first[k] == k && key[k][-1] == key[n][-1] && strcmp(key[k], key[n]) == 0) {
                first[n] = (uint8_t)k;
                break;
            }
    }
    KEY(b, "tags");
    put_char(b, '{');
    for (size_t i = 0; i < n; i++) {
        if (first[i] != i) continue;
        if (i) put_char(b, ','); /* the first pair always starts its key */
        put_string(b, key[i], (uint8_t)key[i][-1], escape_slash);
        put_char(b, ':');
        put_char(b, '[');
        for (size_t k = i; k < n; k++) {
            if (first[k] != i) continue;
            if (k != i) put_char(b, ',');
            put_string(b, value[k], (uint8_t)value[k][-1], escape_slash);
        }
        put_char(b, ']');
    }
    put_char(b, '}');
    if (t->truncated) {
        KEY(b, "tags_truncated");
        PUT_LIT(b, "true");
    }
}

/* A pid as a JSON string. Events come in runs between the same few actors, so each thread
 * keeps the text of the last two pids it wrote. */
typedef struct pid_text {
    act_pid pid;
    bool escape_slash;
    uint8_t len; /* of json; 0: unused */
    char json[160];
} pid_text;
static _Thread_local pid_text pid_texts[2];
static _Thread_local unsigned pid_texts_next;

static void put_pid(act_buf *b, const act_pid *pid, bool escape_slash)
{
    for (int i = 0; i < 2; i++) {
        const pid_text *t = &pid_texts[i];
        if (t->len && t->pid.ip == pid->ip && t->pid.port == pid->port &&
            t->escape_slash == escape_slash && strcmp(t->pid.id, pid->id) == 0) {
            put(b, t->json, t->len);
            return;
        }
    }
    char text[ACT_PID_STRLEN];
    act_pid_format(pid, text, sizeof text);
    size_t start = b->len;
    put_string(b, text, strlen(text), escape_slash);
    size_t n = b->len - start;
    if (n < sizeof pid_texts[0].json) {
        pid_text *t = &pid_texts[pid_texts_next++ & 1];
        t->pid = *pid;
        t->escape_slash = escape_slash;
        t->len = (uint8_t)n;
        memcpy(t->json, b->data + start, n);
    }
}

/* Room for a whole event: every string escaped at its longest (6 bytes a byte; a tag pair's
 * 4 bytes of lengths and NULs cover its quotes and punctuation), the body in base64, and
 * the keys, numbers and IDs (under 600 bytes). */
static size_t event_room(const rec_event *ev)
{
    size_t strings = 2 * ACT_PID_STRLEN + strlen(ev->name) + strlen(ev->ctype) +
                     strlen(ev->reason) + ev->tags.len;
    return 1024 + 6 * strings + (ev->body ? (ev->body_len + 2) / 3 * 4 + 2 : 0);
}

void act__rec_event_json(act_json *j, const rec_event *ev)
{
    act_json_raw(j, "", 0); /* the comma before it, if any */
    act_buf *b = j->out;
    bool sl = j->escape_slash;
    char num[40];
    act_buf_reserve(b, event_room(ev));
    PUT_LIT(b, "{\"seq\":");
    put_uint_dec(b, ev->seq);
    KEY(b, "time"); /* seconds, to the microsecond */
    size_t n = sizeof num;
    uint64_t us = (ev->ns + 500) / 1000, sec = us / 1000000;
    for (int k = 0; k < 6; k++, us /= 10) num[--n] = (char)('0' + us % 10);
    num[--n] = '.';
    do num[--n] = (char)('0' + sec % 10); while (sec /= 10);
    put(b, num + n, sizeof num - n);
    put(b, kind_json[ev->kind].text, kind_json[ev->kind].len);
    KEY(b, "from");
    put_pid(b, &ev->from, sl);
    KEY(b, "to");
    put_pid(b, &ev->to, sl);
    KEY(b, "name");
    put_string(b, ev->name, strlen(ev->name), sl);
    KEY(b, "size");
    put_uint_dec(b, ev->size);
    KEY(b, "trace");
    put_hex(b, ev->tc.trace);
    KEY(b, "span");
    put_hex(b, ev->tc.span);
    KEY(b, "parent");
    put_hex(b, ev->tc.parent);
    if (ev->ctype[0]) {
        KEY(b, "content_type");
        put_string(b, ev->ctype, strlen(ev->ctype), sl);
    }
    if (ev->libprocess) {
        KEY(b, "libprocess");
        PUT_LIT(b, "true");
    }
    if (ev->reason[0]) {
        KEY(b, "reason");
        put_string(b, ev->reason, strlen(ev->reason), sl);
    }
    tags_json(b, &ev->tags, sl);
    if (ev->body) {
        KEY(b, "body");
        base64_string(b, ev->body, ev->body_len);
        if (ev->body_len < ev->size) {
            KEY(b, "body_truncated");
            PUT_LIT(b, "true");
        }
    }
    put_char(b, '}');
}

/* ---- the binary stream ------------------------------------------------------------------- */

/* /__trace__?format=binary (the format is in actor.h): an event goes from its slot, its route
 * and its kept bytes straight into the stream, nothing decoded or formatted on the way. */

/* Little-endian stores and loads: one move each where the CPU is little-endian. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LE(v) (v)
#else
#define LE(v) _Generic((v), uint16_t: __builtin_bswap16, uint32_t: __builtin_bswap32, \
                       uint64_t: __builtin_bswap64)(v)
#endif
static inline void put_le16(uint8_t *p, uint16_t v) { v = LE(v); memcpy(p, &v, 2); }
static inline void put_le32(uint8_t *p, uint32_t v) { v = LE(v); memcpy(p, &v, 4); }
static inline void put_le64(uint8_t *p, uint64_t v) { v = LE(v); memcpy(p, &v, 8); }

static inline uint16_t get_le16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return LE(v);
}

static inline uint32_t get_le32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return LE(v);
}

static inline uint64_t get_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return LE(v);
}

void act__rec_binary_lost(act_buf *out, uint64_t count)
{
    act_buf_reserve(out, 13);
    uint8_t *p = (uint8_t *)out->data + out->len;
    put_le32(p, 9);
    p[4] = ACT_TRACE_REC_LOST;
    put_le64(p + 5, count);
    out->len += 13;
}

/* A watcher's filters: part of the message name, the sender or the receiver (length 0:
 * any). */
typedef struct bin_filter {
    const char *name, *actor;
    size_t name_len, actor_len;
} bin_filter;

static bool route_wanted(const rec_route *rt, const size_t len[T_COUNT], const size_t at[T_COUNT],
                         const bin_filter *f)
{
    if (f->name_len && !memmem(rt->text + at[T_NAME], len[T_NAME], f->name, f->name_len))
        return false;
    size_t al = f->actor_len;
    if (!al) return true;
    return (len[T_FROM] == al && memcmp(rt->text + at[T_FROM], f->actor, al) == 0) ||
           (len[T_TO] == al && memcmp(rt->text + at[T_TO], f->actor, al) == 0);
}

enum { BIN_WRITTEN, BIN_FILTERED, BIN_TORN };

/* Appends event i of ring r as a record, if the filters want it. A torn read (the slot was
 * rewritten meanwhile) leaves out as it was. */
static int binary_event(rec_ring *r, uint64_t i, const bin_filter *f, bool bodies,
                        act_buf *out)
{
    rec_slot *s = &r->slots[i & r->mask];
    if (atomic_load_explicit(&s->gen, memory_order_acquire) != 2 * i + 2) return BIN_TORN;
    const rec_route *rt = slot_route(r, i, s);
    if (!rt) return BIN_TORN;
    size_t len[T_COUNT], at[T_COUNT];
    route_texts(rt, len, at);
    uint8_t flags = s->flags;
    uint32_t size = s->size;
    uint64_t body_at = s->body_at;
    bool whole = bodies && (flags & F_WHOLE);
    size_t max = whole ? BODY_MAX : TAG_PREFIX;
    uint32_t body_len = flags & F_CAPTURED ? (size < max ? size : (uint32_t)max) : 0;
    if (!route_wanted(rt, len, at, f)) {
        atomic_thread_fence(memory_order_acquire);
        return atomic_load_explicit(&s->gen, memory_order_relaxed) == 2 * i + 2 ? BIN_FILTERED
                                                                                : BIN_TORN;
    }
    size_t strings = len[T_FROM] + len[T_TO] + len[T_NAME] + len[T_CTYPE] + len[T_REASON];
    size_t start = out->len, total = 5 + ACT_TRACE_EVENT_FIXED + strings + body_len;
    act_buf_reserve(out, total);
    uint8_t *p = (uint8_t *)out->data + start;
    p[4] = ACT_TRACE_REC_EVENT;
    uint8_t *e = p + 5;
    put_le64(e, s->seq);
    put_le64(e + 8, s->ns);
    put_le64(e + 16, s->tc.trace);
    put_le64(e + 24, s->tc.span);
    put_le64(e + 32, s->tc.parent);
    put_le32(e + 40, size);
    put_le32(e + 44, rt->from_ip);
    put_le32(e + 48, rt->to_ip);
    put_le16(e + 52, rt->from_port);
    put_le16(e + 54, rt->to_port);
    e[56] = flags & F_KIND;
    e[57] = (uint8_t)((flags & F_LIBPROCESS ? ACT_TRACE_F_LIBPROCESS : 0) |
                      (whole && body_len ? ACT_TRACE_F_BODY : 0));
    uint8_t *q = e + ACT_TRACE_EVENT_FIXED;
    for (int t = 0; t < T_COUNT; t++) {
        e[58 + t] = (uint8_t)len[t];
        memcpy(q, rt->text + at[t], len[t]);
        q += len[t];
    }
    e[63] = 0;
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&s->gen, memory_order_relaxed) != 2 * i + 2 || e[56] > REC_DROP)
        return BIN_TORN; /* out->len is still start: nothing was written */
    if (body_len) {
        memcpy(q, r->arena + body_at % ARENA_BYTES, body_len);
        atomic_thread_fence(memory_order_seq_cst);
        if (atomic_load_explicit(&r->arena_head, memory_order_acquire) > body_at + ARENA_BYTES) {
            body_len = 0; /* the bytes were reused: later bodies pushed it out */
            e[57] = (uint8_t)((e[57] & ~ACT_TRACE_F_BODY) | ACT_TRACE_F_BODY_GONE);
        }
    } else {
        body_len = 0;
    }
    put_le32(e + 64, body_len);
    total = 5 + ACT_TRACE_EVENT_FIXED + strings + body_len;
    put_le32(p, (uint32_t)(total - 4));
    out->len = start + total;
    return BIN_WRITTEN;
}

/* The sequence number of event i of ring r; 0 when its slot no longer holds it (overwritten,
 * or being rewritten). */
static uint64_t slot_seq(rec_ring *r, uint64_t i)
{
    rec_slot *s = &r->slots[i & r->mask];
    if (atomic_load_explicit(&s->gen, memory_order_acquire) != 2 * i + 2) return 0;
    uint64_t seq = s->seq;
    atomic_thread_fence(memory_order_acquire);
    return atomic_load_explicit(&s->gen, memory_order_relaxed) == 2 * i + 2 ? seq : 0;
}

/* Moves ring k's position to its next readable event before `head` and returns its sequence
 * number (0: none); what was overwritten on the way is added to *lost. */
static uint64_t ring_next(rec_cursor *c, size_t k, uint64_t head, uint64_t *lost)
{
    rec_ring *r = &rings[k];
    while (c->pos[k] < head) {
        uint64_t seq = slot_seq(r, c->pos[k]);
        if (seq) return seq;
        uint64_t now = atomic_load_explicit(&r->head, memory_order_acquire);
        uint64_t oldest = now > r->mask + 1 ? now - (r->mask + 1) : 0;
        if (c->pos[k] < oldest) { /* overwritten: on to the oldest the ring still holds */
            *lost += (oldest < head ? oldest : head) - c->pos[k];
            c->pos[k] = oldest < head ? oldest : head;
        } else { /* being rewritten as we look */
            (*lost)++;
            c->pos[k]++;
        }
    }
    return 0;
}

bool act__rec_read_binary(rec_cursor *c, const char *name, const char *actor, bool bodies,
                          size_t budget, act_buf *out, size_t *n, uint64_t *lost)
{
    *n = 0;
    *lost = 0;
    if (!rings) return false;
    if (c->n != nrings) {
        free(c->pos);
        c->pos = act_calloc(nrings, sizeof *c->pos);
        c->n = nrings;
    }
    if (c->scratch_n < 2 * nrings) {
        free(c->scratch);
        c->scratch = act_calloc(2 * nrings, sizeof *c->scratch);
        c->scratch_n = 2 * nrings;
    }
    /* The rings are merged by sequence number (each is in order), up to the heads they had
     * when the read began and to about `budget` bytes: what is left waits for the next read. */
    uint64_t *head = c->scratch, *next = c->scratch + nrings;
    for (size_t k = 0; k < nrings; k++) {
        head[k] = atomic_load_explicit(&rings[k].head, memory_order_acquire);
        next[k] = ring_next(c, k, head[k], lost);
    }
    bin_filter f = {name, actor, strlen(name), strlen(actor)};
    size_t from = out->len;
    for (;;) {
        size_t best = nrings;
        for (size_t k = 0; k < nrings; k++)
            if (next[k] && (best == nrings || next[k] < next[best])) best = k;
        if (best == nrings) return false;
        size_t before = out->len;
        int rc = binary_event(&rings[best], c->pos[best], &f, bodies, out);
        if (rc == BIN_WRITTEN && out->len - from > budget && *n) {
            out->len = before; /* over the budget: it goes first next time */
            return true;
        } /* (the first always goes: one larger than the room a connection can ever have
           * is then refused there, and told lost, rather than holding up all behind it) */
        if (rc == BIN_TORN) (*lost)++;
        *n += rc == BIN_WRITTEN;
        c->pos[best]++;
        next[best] = ring_next(c, best, head[best], lost);
    }
}

/* ---- reading the binary stream ----------------------------------------------------------- */

static long bad(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "not a trace stream: %s", what);
    return -EPROTO;
}

long act_trace_head_parse(const uint8_t *data, size_t len, char *err, size_t errlen)
{
    size_t have = len < 4 ? len : 4;
    if (memcmp(data, ACT_TRACE_MAGIC, have) != 0) return bad(err, errlen, "no ATRC at its start");
    if (len < ACT_TRACE_HEAD_LEN) return 0;
    uint32_t version = get_le32(data + 4);
    if (version != ACT_TRACE_VERSION) {
        snprintf(err, errlen, "trace stream version %u (this reader knows %u)", version,
                 ACT_TRACE_VERSION);
        return -EPROTO;
    }
    return ACT_TRACE_HEAD_LEN;
}

/* Copies n bytes at p into a string field of `room` bytes (n < room, checked by the caller). */
static void field(char *dst, const uint8_t *p, size_t n)
{
    memcpy(dst, p, n);
    dst[n] = '\0';
}

static long event_parse(const uint8_t *e, size_t len, act_trace_record *out, char *err,
                        size_t errlen)
{
    if (len < ACT_TRACE_EVENT_FIXED) return bad(err, errlen, "an event shorter than its fields");
    out->seq = get_le64(e);
    out->ns = get_le64(e + 8);
    out->tc = (act_trace){get_le64(e + 16), get_le64(e + 24), get_le64(e + 32)};
    out->size = get_le32(e + 40);
    out->from.ip = get_le32(e + 44);
    out->to.ip = get_le32(e + 48);
    out->from.port = get_le16(e + 52);
    out->to.port = get_le16(e + 54);
    out->kind = e[56];
    out->flags = e[57];
    out->body_len = get_le32(e + 64);
    if (out->kind > REC_DROP) return bad(err, errlen, "an event of an unknown kind");
    char *dst[T_COUNT] = {out->from.id, out->to.id, out->name, out->content_type, out->reason};
    const size_t room[T_COUNT] = {sizeof out->from.id, sizeof out->to.id, sizeof out->name,
                                  sizeof out->content_type, sizeof out->reason};
    size_t at = ACT_TRACE_EVENT_FIXED;
    for (int t = 0; t < T_COUNT; t++) {
        size_t n = e[58 + t];
        if (n >= room[t]) return bad(err, errlen, "a name longer than its field");
        if (n > len - at) return bad(err, errlen, "an event's strings past its end");
        field(dst[t], e + at, n);
        at += n;
    }
    if (out->body_len != len - at) return bad(err, errlen, "an event's body not its length");
    out->body = out->body_len ? e + at : NULL;
    return 0;
}

long act_trace_record_parse(const uint8_t *data, size_t len, act_trace_record *out, char *err,
                            size_t errlen)
{
    memset(out, 0, offsetof(act_trace_record, from)); /* an event sets the rest */
    out->from.id[0] = out->to.id[0] = out->name[0] = out->content_type[0] = out->reason[0] = 0;
    out->from.ip = out->to.ip = 0;
    out->from.port = out->to.port = 0;
    out->body = NULL;
    out->body_len = 0;
    if (len < 4) return 0;
    uint32_t n = get_le32(data);
    if (n < 1 || n > ACT_TRACE_RECORD_MAX) return bad(err, errlen, "a record length out of bounds");
    if (len - 4 < n) return 0;
    out->type = data[4];
    long rc = 0;
    if (out->type == ACT_TRACE_REC_LOST) {
        if (n != 9) return bad(err, errlen, "a lost record of the wrong length");
        out->lost = get_le64(data + 5);
    } else if (out->type == ACT_TRACE_REC_EVENT) {
        rc = event_parse(data + 5, n - 1, out, err, errlen);
    }
    return rc < 0 ? rc : (long)n + 4;
}
