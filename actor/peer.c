/*
 * peer.c - what the runtime remembers about peers that are not like us. Our own processes send
 * bodies of the default type (ACT_CONTENT_TYPE_DEFAULT) with Libprocess-From; other processes
 * that speak libprocess' framing (libmesos, mesos-go and their kin) send another Content-Type,
 * or identify themselves with User-Agent: libprocess/<pid>, or both. When such a message
 * arrives, the transport records its sender's address here, so that everything later sent to
 * any actor there carries the headers that peer expects, and senders can ask which body type
 * it reads (act_peer_get). The runtime carries the type; what the bytes mean is its users'.
 * The table is bounded: when full, the peer heard from least recently is forgotten.
 */
#include "actor/actor_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define PEERS_MAX 65536

typedef struct peer_rec {
    act_peer peer;
    uint64_t heard; /* when last heard from, in messages recorded */
} peer_rec;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static act_map *peers;       /* "ip:port" -> peer_rec, under mu */
static uint64_t clock_ticks; /* under mu */
static _Atomic size_t npeers; /* read without mu: zero means nothing to look up */

static void peer_key(uint32_t ip, uint16_t port, char *key, size_t n)
{
    snprintf(key, n, "%u:%u", ip, (unsigned)port);
}

void act__content_type(const char *value, char *out, size_t n)
{
    out[0] = '\0';
    if (!value) return;
    while (*value == ' ' || *value == '\t') value++;
    size_t len = strcspn(value, ";");
    while (len && (value[len - 1] == ' ' || value[len - 1] == '\t')) len--;
    if (len >= n) return;
    if (len == strlen(ACT_CONTENT_TYPE_DEFAULT) &&
        strncasecmp(value, ACT_CONTENT_TYPE_DEFAULT, len) == 0)
        return;
    memcpy(out, value, len);
    out[len] = '\0';
}

/* Forgets the peer heard from least recently (mu held; the table is full). */
static void evict_one(void)
{
    const char *oldest = NULL, *key;
    uint64_t when = UINT64_MAX;
    void *v;
    for (size_t it = 0; act_map_next(peers, &it, &key, &v);) {
        if (((peer_rec *)v)->heard >= when) continue;
        when = ((peer_rec *)v)->heard;
        oldest = key;
    }
    char copy[32];
    snprintf(copy, sizeof copy, "%s", oldest);
    free(act_map_remove(peers, copy));
}

void act__peer_heard(uint32_t ip, uint16_t port, bool libprocess, const char *content_type)
{
    char key[32];
    peer_key(ip, port, key, sizeof key);
    pthread_mutex_lock(&mu);
    if (!peers) peers = act_map_new();
    peer_rec *r = act_map_get(peers, key);
    if (!r) {
        if (act_map_size(peers) >= PEERS_MAX) evict_one();
        r = act_calloc(1, sizeof *r);
        act_map_put(peers, key, r);
        atomic_store(&npeers, act_map_size(peers));
    }
    r->peer.libprocess = libprocess;
    snprintf(r->peer.content_type, sizeof r->peer.content_type, "%s", content_type);
    r->heard = ++clock_ticks;
    pthread_mutex_unlock(&mu);
}

bool act__peer_at(uint32_t ip, uint16_t port, act_peer *out)
{
    if (atomic_load_explicit(&npeers, memory_order_relaxed) == 0) return false;
    char key[32];
    peer_key(ip, port, key, sizeof key);
    pthread_mutex_lock(&mu);
    peer_rec *r = peers ? act_map_get(peers, key) : NULL;
    if (r) *out = r->peer;
    pthread_mutex_unlock(&mu);
    return r != NULL;
}

bool act_peer_get(const act_pid *pid, act_peer *out)
{
    return act__peer_at(pid->ip, pid->port, out);
}

void act_peer_set(const act_pid *pid, const act_peer *peer)
{
    act__peer_heard(pid->ip, pid->port, peer->libprocess, peer->content_type);
}

void act__peers_reset(void)
{
    pthread_mutex_lock(&mu);
    if (peers) {
        void *v;
        for (size_t it = 0; act_map_next(peers, &it, NULL, &v);) free(v);
        act_map_free(peers);
        peers = NULL;
    }
    atomic_store(&npeers, 0);
    clock_ticks = 0;
    pthread_mutex_unlock(&mu);
}
