/*
 * sorter_int.h - the DRF sorter the allocator uses twice: once over roles (weighted) and once
 * per role over its frameworks (Mesos' DRFSorter). A client's dominant share is the largest,
 * over scalar resource kinds, of allocated / cluster total, divided by its weight; clients are
 * ordered by (share, number of allocations made to them, name), so equal shares have a fixed
 * order. Only active clients are in the order. Internal to master/.
 */
#ifndef MASTER_SORTER_INT_H
#define MASTER_SORTER_INT_H

#include "wire/wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sorter sorter;
typedef struct sorter_client sorter_client;

/* A position in the order: the key of the client last returned by sorter_next. Start with
 * SORTER_CURSOR_INIT. The name is borrowed from that client (clients must not be removed while
 * a cursor is in use). */
typedef struct sorter_cursor {
    bool started;
    double share;
    uint64_t allocations;
    const char *name;
} sorter_cursor;

#define SORTER_CURSOR_INIT {false, 0.0, 0, NULL}

/* A new, empty sorter (no clients, total zero). Never NULL. */
sorter *sorter_create(void);
/* Frees the sorter and every client still in it. NULL is ignored. */
void sorter_destroy(sorter *s);

/* Adds an active client with no allocation. `name` is copied; `data` is the caller's and is
 * handed back by sorter_client_data. weight <= 0 is taken as 1. The returned client belongs to
 * the sorter: valid until sorter_remove or sorter_destroy. Never NULL. */
sorter_client *sorter_add(sorter *s, const char *name, double weight, void *data);
/* Removes and frees the client. */
void sorter_remove(sorter *s, sorter_client *c);
/* Puts the client into the order / takes it out (allocations are kept either way). */
void sorter_activate(sorter *s, sorter_client *c);
void sorter_deactivate(sorter *s, sorter_client *c);

/* The client's allocation grows by (shrinks by) the scalars of r. `allocated` also counts one
 * more allocation for the tie-break, as Mesos does. Updating one client is O(kinds + log n). */
void sorter_allocated(sorter *s, sorter_client *c, const res_set *r);
void sorter_unallocated(sorter *s, sorter_client *c, const res_set *r);

/* The cluster total grows by (shrinks by) the scalars of r. Every share changes, so the order
 * is rebuilt once, lazily, the next time it is walked. */
void sorter_add_total(sorter *s, const res_set *r);
void sorter_remove_total(sorter *s, const res_set *r);

/* The active client that comes right after the cursor (the first one for a fresh cursor), or
 * NULL; the cursor then points at it. Changing that client's allocation afterwards does not
 * disturb the walk: the next call continues after the position the client had. */
sorter_client *sorter_next(sorter *s, sorter_cursor *cur);

/* The client's (weighted) dominant share, computed now from its allocation and the total. */
double sorter_share(const sorter *s, const sorter_client *c);
void *sorter_client_data(const sorter_client *c);
const char *sorter_client_name(const sorter_client *c);
/* Number of clients (active or not). */
size_t sorter_count(const sorter *s);

#endif /* MASTER_SORTER_INT_H */
