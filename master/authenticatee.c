/*
 * authenticatee.c - the client's side of authentication (Mesos' CRAM-MD5 authenticatee plus
 * the retries its drivers make around it): an actor in the slave's or the scheduler's process
 * that asks the master to authenticate its client's pid, answers the master's challenge with
 * the credential, and tells the client whether the master completed or refused it. An error or
 * an attempt with no answer within AUTH_TIMEOUT is tried again; only the master's process may
 * speak for the master.
 *
 *   authenticatee -> master   AuthenticateMessage{pid: client}
 *   master -> authenticatee   AuthenticationMechanismsMessage{["CRAM-MD5"]}
 *   authenticatee -> master   AuthenticationStartMessage{"CRAM-MD5"}
 *   master -> authenticatee   AuthenticationStepMessage{challenge}
 *   authenticatee -> master   AuthenticationStepMessage{"principal hexdigest"}
 *   master -> authenticatee   AuthenticationCompletedMessage | ...FailedMessage | ...ErrorMessage
 */
#include "master/auth.h"

#include <string.h>

typedef enum state { STARTING, STEPPING, WAITING } state;

typedef struct authenticatee {
    act_actor *self;
    act_pid master, client;
    wire_msg *credential; /* a wire_credential */
    state state;
    unsigned attempt;
    act_timer_id timer;   /* the attempt's timeout, or the pause before the next one */
} authenticatee;

static const wire_credential *cred(const authenticatee *a) { return a->credential->root; }

static void attempt(act_actor *self, void *arg);

/* Tries again after `delay`: the master abandons the session of an earlier attempt when the
 * next AuthenticateMessage for the same pid arrives. */
static void retry(authenticatee *a, double delay, const char *why)
{
    char master[ACT_PID_STRLEN];
    LOG_WARNING("Failed to authenticate principal '%s' with master %s: %s; retrying",
                cred(a)->principal, act_pid_format(&a->master, master, sizeof master), why);
    if (a->timer) act_cancel(a->self, a->timer);
    a->state = WAITING;
    a->timer = act_delay(a->self, delay, attempt, NULL);
}

static void timed_out(act_actor *self, void *arg)
{
    authenticatee *a = act_state(self);
    a->timer = 0;
    retry(a, 0, "no answer within the timeout");
}

static void attempt(act_actor *self, void *arg)
{
    authenticatee *a = act_state(self);
    char pid[ACT_PID_STRLEN];
    wire_authenticate_message m = {.pid = act_pid_format(&a->client, pid, sizeof pid)};
    a->state = STARTING;
    a->attempt++;
    a->timer = act_delay(self, AUTH_TIMEOUT, timed_out, NULL);
    wire_send(self, &a->master, WIRE_DESC(authenticate_message), &m);
}

static void finish(authenticatee *a, bool completed)
{
    char master[ACT_PID_STRLEN];
    act_pid_format(&a->master, master, sizeof master);
    if (completed)
        LOG_INFO("Authenticated principal '%s' with master %s", cred(a)->principal, master);
    else
        LOG_ERROR("Master %s refused the authentication of principal '%s'", master,
                  cred(a)->principal);
    auth_result *r = act_calloc(1, sizeof *r);
    r->completed = completed;
    act_post(a->self, &a->client, AUTH_MSG_RESULT, r, free);
    act_exit(a->self);
}

/* ---- the master's messages -------------------------------------------------------------- */

static void on_mechanisms(authenticatee *a, const act_msg *msg, void *root)
{
    const wire_authentication_mechanisms_message *m = root;
    bool offered = false;
    for (size_t i = 0; i < m->mechanisms_count; i++)
        offered |= strcmp(m->mechanisms[i], AUTH_MECHANISM) == 0;
    if (a->state != STARTING || !offered) {
        retry(a, AUTH_RETRY_DELAY, offered ? "unexpected mechanisms message"
                                           : "the master does not offer CRAM-MD5");
        return;
    }
    wire_authentication_start_message start = {.mechanism = AUTH_MECHANISM};
    wire_send(a->self, &msg->from, WIRE_DESC(authentication_start_message), &start);
    a->state = STEPPING;
}

static void on_step(authenticatee *a, const act_msg *msg, void *root)
{
    const wire_authentication_step_message *m = root;
    if (a->state != STEPPING) {
        retry(a, AUTH_RETRY_DELAY, "unexpected step");
        return;
    }
    act_buf answer = {0};
    auth_cram_response(cred(a)->principal, &cred(a)->secret, m->data.data, m->data.len, &answer);
    wire_authentication_step_message step = {.data = {(uint8_t *)answer.data, answer.len}};
    wire_send(a->self, &msg->from, WIRE_DESC(authentication_step_message), &step);
    act_buf_free(&answer);
}

static void on_completed(authenticatee *a, const act_msg *msg, void *root)
{
    if (a->state != STEPPING) {
        retry(a, AUTH_RETRY_DELAY, "unexpected completion");
        return;
    }
    finish(a, true);
}

static void on_failed(authenticatee *a, const act_msg *msg, void *root)
{
    finish(a, false);
}

static void on_error(authenticatee *a, const act_msg *msg, void *root)
{
    const wire_authentication_error_message *m = root;
    char why[512];
    snprintf(why, sizeof why, "authentication error: %s", m->has_error ? m->error : "");
    retry(a, AUTH_RETRY_DELAY, why);
}

typedef struct handler {
    const wire_desc *desc;
    void (*fn)(authenticatee *a, const act_msg *msg, void *root);
} handler;

static const handler handlers[] = {
    {WIRE_DESC(authentication_mechanisms_message), on_mechanisms},
    {WIRE_DESC(authentication_step_message), on_step},
    {WIRE_DESC(authentication_completed_message), on_completed},
    {WIRE_DESC(authentication_failed_message), on_failed},
    {WIRE_DESC(authentication_error_message), on_error},
};

/* Only the master's process speaks for the master (its authenticator may be another actor
 * there, as in Mesos); nothing is answered while waiting to try again. */
static void on_message(act_actor *self, const act_msg *msg)
{
    authenticatee *a = act_state(self);
    if (msg->from.ip != a->master.ip || msg->from.port != a->master.port) {
        char from[ACT_PID_STRLEN];
        act_count_refused();
        LOG_WARNING_LIMITED("Authenticatee: ignoring %s from %s: not the master's process",
                            msg->name, act_pid_format(&msg->from, from, sizeof from));
        return;
    }
    if (a->state == WAITING) return;
    for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++) {
        if (strcmp(wire_type_name(handlers[i].desc), msg->name) != 0) continue;
        wire_msg *m = wire_decode_msg(msg, handlers[i].desc);
        if (m) handlers[i].fn(a, msg, m->root);
        wire_msg_free(m);
        return;
    }
}

static void on_init(act_actor *self, void *arg)
{
    authenticatee *a = arg;
    a->self = self;
    char master[ACT_PID_STRLEN];
    LOG_INFO("Authenticating principal '%s' with master %s", cred(a)->principal,
             act_pid_format(&a->master, master, sizeof master));
    attempt(self, NULL);
}

static void on_terminate(act_actor *self, void *arg)
{
    authenticatee *a = arg;
    wire_msg_free(a->credential);
    free(a);
}

int auth_authenticatee_spawn(const act_pid *master, const act_pid *client,
                             const wire_credential *credential, int loop, act_pid *out)
{
    char name[ACT_ID_MAX];
    authenticatee *a = act_calloc(1, sizeof *a);
    a->master = *master;
    a->client = *client;
    a->credential = wire_copy(WIRE_DESC(credential), credential);
    act_actor *actor = act_new(act_unique_name("crammd5_authenticatee", name, sizeof name), a);
    for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
        act_on_message(actor, wire_type_name(handlers[i].desc), on_message);
    act_on_init(actor, on_init, a);
    act_on_terminate(actor, on_terminate, a);
    *out = act_self(actor);
    int rc = act_spawn(actor, loop);
    if (rc != 0) on_terminate(NULL, a); /* a failed spawn runs no terminate callback */
    return rc;
}
