/*
 * fake.h - a scriptable stand-in actor for cluster tests: it records every message it is sent
 * (by name, with its bytes), answers some automatically (a fake slave pongs pings), and sends
 * real wire messages from its own pid. Tests play a slave or a scheduler at the message level
 * with it, the way Mesos' tests use mock processes.
 */
#ifndef TESTS_SUPPORT_FAKE_H
#define TESTS_SUPPORT_FAKE_H

#include "actor/actor.h"
#include "wire/wire.h"

typedef struct fake fake;

/* Spawns a fake actor named `name` on `loop` that records messages with the given names
 * (a NULL-terminated list). Lives until the runtime shuts down. */
fake *fake_spawn(const char *name, int loop, const char *const *names);
act_pid fake_pid(const fake *f);
/* When a message named `when` arrives, answer its sender with an empty `reply` message.
 * Call before fake_spawn returns work, i.e. right after spawning. */
void fake_autoreply(fake *f, const char *when, const char *reply);
/* Stops or resumes the automatic answers. */
void fake_mute(fake *f, bool muted);
/* Sends `msg` (a `desc` struct, encoded now) from the fake to `to`. */
void fake_send(fake *f, const act_pid *to, const wire_desc *desc, const void *msg);
/* Sends raw bytes under any name (hostile input). */
void fake_send_raw(fake *f, const act_pid *to, const char *name, const void *body, size_t len);
/* How many messages named `name` arrived. */
size_t fake_count(fake *f, const char *name);
/* The i-th message named `name` decoded as `desc` (free with wire_msg_free), or NULL. */
wire_msg *fake_nth(fake *f, const char *name, const wire_desc *desc, size_t i);
/* Who sent it (an empty pid when there is no such message). */
act_pid fake_nth_sender(fake *f, const char *name, size_t i);
/* The last one, or NULL. */
wire_msg *fake_last(fake *f, const char *name, const wire_desc *desc);
/* Forgets everything recorded. */
void fake_clear(fake *f);

/* Message names, shortened for tests. */
#define MI(x) "mesos.internal." #x

#endif
