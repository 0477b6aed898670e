/*
 * detector.h - where the leading master is (Mesos' MasterDetector): what the slave, the
 * scheduler driver, mesos-resolve and the masters themselves use to find the leader.
 *
 * An address is "host:port", "master@ip:port", "zk://[user:pass@]h1:p1,h2:p2/path" or
 * "file:///path" (a file holding one of the others). A detector is an actor in the owner's
 * process that posts DETECTOR_MSG_LEADER to its owner whenever the leader it knows changes:
 * for host:port at once; for zk:// whenever the lowest `<path>/json.info_NNNNNNNNNN` znode
 * (data: MasterInfo as JSON, as Mesos 0.24+ writes it) changes. It keeps the last leader
 * through a lost connection and reports "no leader" only when its session expires, then
 * detects again with a new session (Mesos' rules).
 *
 * Linking: detector.c and zk.c use actor/ and wire/ only; add -lzookeeper_mt.
 */
#ifndef MASTER_DETECTOR_H
#define MASTER_DETECTOR_H

#include "wire/wire.h"

/* The message a detector posts to its owner: obj is a detector_leader (freed by the runtime
 * after the handler; set *obj_taken to keep it and free it with detector_leader_free). */
#define DETECTOR_MSG_LEADER "detector.leader"

/* Mesos' default ZooKeeper session timeout for detectors and contenders. */
#define DETECTOR_ZK_SESSION_TIMEOUT 10.0

typedef struct detector_leader {
    wire_msg *info; /* a wire_master_info; NULL: no master leads now */
    act_pid pid;    /* the leader's master actor (none when info is NULL) */
    char *error;    /* detection failed for good (e.g. credentials refused); else NULL */
} detector_leader;

void detector_leader_free(void *leader);

typedef struct detector_address detector_address;

/* Reads and checks an address: reads a file:// address's file, resolves a host name (may
 * block on DNS), validates a zk:// URL. Returns NULL with the reason in err. The caller owns
 * the result (detector_spawn takes it, or detector_address_free). */
detector_address *detector_parse(const char *text, char *err, size_t errlen);
void detector_address_free(detector_address *a);
/* True for a ZooKeeper address (after reading a file://). */
bool detector_is_zk(const detector_address *a);

/* Spawns a detector actor ("detector(N)") on `loop`, taking `a`; it posts to `owner`, a local
 * actor, first once it knows a leader (at once for host:port), then on every change, and an
 * error if detection cannot go on. session_timeout: seconds, for zk:// (Mesos: 10 s). Stop
 * it with act_terminate. */
act_pid detector_spawn(detector_address *a, double session_timeout, const act_pid *owner,
                       int loop);

/* Writes the MasterInfo JSON a contender puts in its znode ({"hostname","id","ip","pid",
 * "port","version"}); free() the result. */
char *detector_info_json(const wire_master_info *info);
/* Parses znode data back into a wire_master_info (NULL, err set, if it is not one). */
wire_msg *detector_info_parse(const char *data, size_t len, char *err, size_t errlen);

#endif /* MASTER_DETECTOR_H */
