/*
 * fake.c - the scriptable stand-in actor for cluster tests (see fake.h).
 */
#include "tests/support/fake.h"

#include <pthread.h>
#include <string.h>

typedef struct record {
    act_pid from;
    char *name;
    uint8_t *body;
    size_t len;
} record;

struct fake {
    act_pid pid;
    pthread_mutex_t mu;
    record *v;
    size_t n, cap;
    char *when[8], *reply[8];
    int nreplies;
    bool muted;
};

static void on_any(act_actor *self, const act_msg *m)
{
    fake *f = act_state(self);
    pthread_mutex_lock(&f->mu);
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 16;
        f->v = act_realloc(f->v, f->cap * sizeof *f->v);
    }
    record *r = &f->v[f->n++];
    r->from = m->from;
    r->name = act_strdup(m->name);
    r->body = act_malloc(m->len + 1);
    memcpy(r->body, m->body, m->len);
    r->len = m->len;
    bool muted = f->muted;
    pthread_mutex_unlock(&f->mu);
    for (int i = 0; i < f->nreplies && !muted; i++)
        if (strcmp(f->when[i], m->name) == 0) act_send(self, &m->from, f->reply[i], "\x80", 1);
}

static void on_term(act_actor *self, void *arg)
{
    fake *f = act_state(self);
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].name);
        free(f->v[i].body);
    }
    free(f->v);
    for (int i = 0; i < f->nreplies; i++) {
        free(f->when[i]);
        free(f->reply[i]);
    }
    pthread_mutex_destroy(&f->mu);
    free(f);
}

fake *fake_spawn(const char *name, int loop, const char *const *names)
{
    fake *f = act_calloc(1, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    act_actor *a = act_new(name, f);
    for (size_t i = 0; names[i]; i++) act_on_message(a, names[i], on_any);
    act_on_terminate(a, on_term, NULL);
    f->pid = act_self(a);
    if (act_spawn(a, loop) != 0) return NULL;
    return f;
}

act_pid fake_pid(const fake *f)
{
    return f->pid;
}

void fake_autoreply(fake *f, const char *when, const char *reply)
{
    pthread_mutex_lock(&f->mu);
    f->when[f->nreplies] = act_strdup(when);
    f->reply[f->nreplies] = act_strdup(reply);
    f->nreplies++;
    pthread_mutex_unlock(&f->mu);
}

void fake_mute(fake *f, bool muted)
{
    pthread_mutex_lock(&f->mu);
    f->muted = muted;
    pthread_mutex_unlock(&f->mu);
}

typedef struct outgoing {
    act_pid to;
    char *name;
    act_buf body;
} outgoing;

static void do_send(act_actor *self, void *arg)
{
    outgoing *o = arg;
    if (self) act_send(self, &o->to, o->name, o->body.data, o->body.len);
    free(o->name);
    act_buf_free(&o->body);
    free(o);
}

void fake_send_raw(fake *f, const act_pid *to, const char *name, const void *body, size_t len)
{
    outgoing *o = act_calloc(1, sizeof *o);
    o->to = *to;
    o->name = act_strdup(name);
    act_buf_append(&o->body, body, len);
    act_dispatch(&f->pid, do_send, o);
}

void fake_send(fake *f, const act_pid *to, const wire_desc *desc, const void *msg)
{
    act_buf b = {0};
    int rc = wire_encode(desc, msg, &b);
    ACT_CHECK(rc == 0);
    fake_send_raw(f, to, wire_type_name(desc), b.data, b.len);
    act_buf_free(&b);
}

size_t fake_count(fake *f, const char *name)
{
    size_t n = 0;
    pthread_mutex_lock(&f->mu);
    for (size_t i = 0; i < f->n; i++) n += strcmp(f->v[i].name, name) == 0;
    pthread_mutex_unlock(&f->mu);
    return n;
}

wire_msg *fake_nth(fake *f, const char *name, const wire_desc *desc, size_t i)
{
    wire_msg *out = NULL;
    pthread_mutex_lock(&f->mu);
    for (size_t k = 0; k < f->n; k++) {
        if (strcmp(f->v[k].name, name) != 0) continue;
        if (i-- == 0) {
            char err[256];
            if (wire_decode(desc, f->v[k].body, f->v[k].len, &out, err, sizeof err) != 0)
                fprintf(stderr, "fake: cannot decode %s: %s\n", name, err);
            break;
        }
    }
    pthread_mutex_unlock(&f->mu);
    return out;
}

act_pid fake_nth_sender(fake *f, const char *name, size_t i)
{
    act_pid from = {0};
    pthread_mutex_lock(&f->mu);
    for (size_t k = 0; k < f->n; k++)
        if (strcmp(f->v[k].name, name) == 0 && i-- == 0) {
            from = f->v[k].from;
            break;
        }
    pthread_mutex_unlock(&f->mu);
    return from;
}

wire_msg *fake_last(fake *f, const char *name, const wire_desc *desc)
{
    size_t n = fake_count(f, name);
    return n ? fake_nth(f, name, desc, n - 1) : NULL;
}

void fake_clear(fake *f)
{
    pthread_mutex_lock(&f->mu);
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].name);
        free(f->v[i].body);
    }
    f->n = 0;
    pthread_mutex_unlock(&f->mu);
}
