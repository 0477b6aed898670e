/*
 * queue.c - the lock-free multi-producer single-consumer inbox every loop has (Dmitry
 * Vyukov's intrusive MPSC queue). Producers on any thread push with one atomic exchange;
 * the owning loop pops. FIFO per producer, which is what keeps per-pair message order when
 * actors on different loops talk.
 */
#include "actor/actor_int.h"

void act__mpsc_init(mpsc_queue *q)
{
    q->stub = act_calloc(1, sizeof *q->stub);
    atomic_store_explicit(&q->stub->next, NULL, memory_order_relaxed);
    atomic_store_explicit(&q->head, q->stub, memory_order_relaxed);
    q->tail = q->stub;
}

void act__mpsc_push(mpsc_queue *q, act_entry *e)
{
    atomic_store_explicit(&e->next, NULL, memory_order_relaxed);
    act_entry *prev = atomic_exchange_explicit(&q->head, e, memory_order_acq_rel);
    atomic_store_explicit(&prev->next, e, memory_order_release);
}

act_entry *act__mpsc_pop(mpsc_queue *q)
{
    act_entry *tail = q->tail;
    act_entry *next = atomic_load_explicit(&tail->next, memory_order_acquire);
    if (tail == q->stub) {
        if (!next) return NULL;
        q->tail = next;
        tail = next;
        next = atomic_load_explicit(&next->next, memory_order_acquire);
    }
    if (next) {
        q->tail = next;
        return tail;
    }
    act_entry *head = atomic_load_explicit(&q->head, memory_order_acquire);
    if (tail != head) return NULL; /* a producer is mid-push; the caller retries */
    act__mpsc_push(q, q->stub);
    next = atomic_load_explicit(&tail->next, memory_order_acquire);
    if (next) {
        q->tail = next;
        return tail;
    }
    return NULL;
}

bool act__mpsc_empty(mpsc_queue *q)
{
    act_entry *tail = q->tail;
    return tail == q->stub && atomic_load_explicit(&tail->next, memory_order_acquire) == NULL &&
           atomic_load_explicit(&q->head, memory_order_acquire) == q->stub;
}

void act__mpsc_destroy(mpsc_queue *q)
{
    free(q->stub);
    q->stub = NULL;
}
