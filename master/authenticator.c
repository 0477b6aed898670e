/*
 * authenticator.c - the master's side of authentication (Mesos' CRAM-MD5 authenticator and
 * Master::authenticate): a session per authenticatee, which challenges it and checks the
 * answer against --credentials, and the table of pids that proved a principal. A pid stays
 * authenticated until its connection breaks (the master links it) or it authenticates again;
 * registration (frameworks.c, slaves.c) asks here when --authenticate or
 * --authenticate_slaves requires it. Sessions are bounded in number and in time, and a session
 * hears only from the authenticatee that opened it (they are found by its pid).
 */
#include "master/master_int.h"

#include <errno.h>
#include <string.h>

void m_handle(act_actor *a, const wire_desc *desc,
              void (*fn)(master *m, const act_msg *msg, void *decoded));

#define MAX_SESSIONS 1024

typedef struct m_auth_session {
    act_pid authenticatee, client;
    bool stepping;                   /* the challenge went out */
    char challenge[AUTH_CHALLENGE_MAX];
    act_timer_id timer;
} m_auth_session;

static void session_end(master *m, m_auth_session *s)
{
    char key[ACT_PID_STRLEN];
    act_map_remove(m->auth_sessions, act_pid_format(&s->authenticatee, key, sizeof key));
    if (s->timer) act_cancel(m->self, s->timer);
    free(s);
}

static void send_error(master *m, const act_pid *to, const char *error)
{
    wire_authentication_error_message e = {.has_error = true, .error = (char *)error};
    m_send(m, to, WIRE_DESC(authentication_error_message), &e);
}

static void forget(master *m, const char *pid_text)
{
    free(act_map_remove(m->authenticated, pid_text));
}

const char *m_auth_principal(master *m, const act_pid *pid)
{
    char key[ACT_PID_STRLEN];
    return act_map_get(m->authenticated, act_pid_format(pid, key, sizeof key));
}

void m_auth_exited(master *m, const act_pid *pid)
{
    char key[ACT_PID_STRLEN];
    forget(m, act_pid_format(pid, key, sizeof key));
}

/* arg is the session: its end cancels this timer. */
static void session_timeout(act_actor *self, void *arg)
{
    master *m = act_state(self);
    m_auth_session *s = arg;
    s->timer = 0;
    char client[ACT_PID_STRLEN];
    LOG_WARNING_LIMITED("Authentication of %s timed out",
                        act_pid_format(&s->client, client, sizeof client));
    session_end(m, s);
}

/* AuthenticateMessage{pid}: the authenticatee (msg->from) asks to authenticate pid, which must
 * live on its own host: nobody authenticates a scheduler elsewhere. (libprocess runs the
 * authenticatee in the client's process; mesos-go in a process of its own, on another port
 * of the same host.) */
static void on_authenticate(master *m, const act_msg *msg, void *decoded)
{
    wire_authenticate_message *a = decoded;
    act_pid client;
    if (act_pid_parse(a->pid, &client) != 0 || client.ip != msg->from.ip) {
        act_count_refused();
        m_drop(m, msg, "the pid to authenticate is not on the sender's host");
        send_error(m, &msg->from, "The pid to authenticate must be on the sender's host");
        return;
    }
    forget(m, a->pid); /* authenticating again: the old proof is void (Mesos) */
    char key[ACT_PID_STRLEN];
    m_auth_session *s = act_map_get(m->auth_sessions,
                                    act_pid_format(&msg->from, key, sizeof key));
    if (s) session_end(m, s); /* a new attempt replaces the old one */
    if (act_map_size(m->auth_sessions) >= MAX_SESSIONS) {
        m_drop(m, msg, "too many authentications in progress");
        send_error(m, &msg->from, "Too many authentications in progress");
        return;
    }
    s = act_calloc(1, sizeof *s);
    s->authenticatee = msg->from;
    s->client = client;
    s->timer = act_delay(m->self, AUTH_TIMEOUT, session_timeout, s);
    act_map_put(m->auth_sessions, key, s);
    VLOG(1, "Authenticating %s", a->pid);
    char *mechanisms[] = {AUTH_MECHANISM};
    wire_authentication_mechanisms_message mm = {.mechanisms = mechanisms,
                                                 .mechanisms_count = 1};
    m_send(m, &msg->from, WIRE_DESC(authentication_mechanisms_message), &mm);
}

/* The session msg belongs to, in the expected step; else an error ends it (Mesos). */
static m_auth_session *session_of(master *m, const act_msg *msg, bool stepping)
{
    char key[ACT_PID_STRLEN];
    m_auth_session *s = act_map_get(m->auth_sessions,
                                    act_pid_format(&msg->from, key, sizeof key));
    if (s && s->stepping == stepping) return s;
    char error[96];
    snprintf(error, sizeof error, "Unexpected authentication '%s' received",
             stepping ? "step" : "start");
    m_drop(m, msg, error);
    send_error(m, &msg->from, error);
    if (s) session_end(m, s);
    return NULL;
}

static void on_start(master *m, const act_msg *msg, void *decoded)
{
    wire_authentication_start_message *st = decoded;
    m_auth_session *s = session_of(m, msg, false);
    if (!s) return;
    if (strcmp(st->mechanism, AUTH_MECHANISM) != 0) {
        send_error(m, &msg->from, "Unsupported authentication mechanism (only CRAM-MD5)");
        session_end(m, s);
        return;
    }
    auth_cram_challenge(m->info->hostname, s->challenge);
    s->stepping = true;
    wire_authentication_step_message step = {
        .data = {(uint8_t *)s->challenge, strlen(s->challenge)}};
    m_send(m, &msg->from, WIRE_DESC(authentication_step_message), &step);
}

static void on_step(master *m, const act_msg *msg, void *decoded)
{
    wire_authentication_step_message *step = decoded;
    m_auth_session *s = session_of(m, msg, true);
    if (!s) return;
    char principal[256], client[ACT_PID_STRLEN];
    act_pid_format(&s->client, client, sizeof client);
    int rc = auth_cram_verify(m->cfg.credentials, s->challenge, strlen(s->challenge),
                              step->data.data, step->data.len, principal, sizeof principal);
    if (rc == 0) {
        LOG_INFO("Authenticated principal '%s' at %s", principal, client);
        free(act_map_put(m->authenticated, client, act_strdup(principal))); /* a race of two */
        act_link(m->self, &s->client); /* until its connection breaks */
        m_send(m, &msg->from, WIRE_DESC(authentication_completed_message),
               &(wire_authentication_completed_message){0});
    } else if (rc == -EACCES) {
        act_counter_inc(act_counter_get("master/authentication_failures"));
        LOG_WARNING_LIMITED("Failed to authenticate principal '%s' at %s: unknown principal or "
                            "wrong secret", principal, client);
        m_send(m, &msg->from, WIRE_DESC(authentication_failed_message),
               &(wire_authentication_failed_message){0});
    } else {
        m_drop(m, msg, "malformed CRAM-MD5 answer");
        send_error(m, &msg->from, "Malformed CRAM-MD5 answer");
    }
    session_end(m, s);
}

void m_auth_free(master *m)
{
    m_auth_session *s;
    for (size_t it = 0; act_map_next(m->auth_sessions, &it, NULL, (void **)&s);) free(s);
    act_map_free(m->auth_sessions);
    void *p;
    for (size_t it = 0; act_map_next(m->authenticated, &it, NULL, &p);) free(p);
    act_map_free(m->authenticated);
}

void m_auth_handlers(act_actor *a)
{
    m_handle(a, WIRE_DESC(authenticate_message), on_authenticate);
    m_handle(a, WIRE_DESC(authentication_start_message), on_start);
    m_handle(a, WIRE_DESC(authentication_step_message), on_step);
}
