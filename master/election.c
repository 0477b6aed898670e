/*
 * election.c - who leads (PROTOCOL.md, "Master failover"). Without --zk the master leads at
 * once. With it, the contender puts this master's candidacy in ZooKeeper and the master's own
 * detector says who leads, as in Mesos: the master is elected when the detected leader is
 * itself. Elected, it recovers the registry before serving (messages arriving meanwhile are
 * held, master.c); a standby leaves frameworks and slaves alone and points HTTP users at the
 * leader (http.c). A leader that sees another leader, loses its candidacy or cannot detect
 * aborts, so that a supervisor restarts it as a standby; a standby that loses its candidacy
 * just contends again.
 */
#include "master/master_int.h"

#include "master/detector.h"

#include <string.h>

/* Recovery needs the registry's fence (our znode) when the registry is in ZooKeeper. */
static void maybe_recover(master *m)
{
    if (!m->elected || m->recovering || m->recovered) return;
    if (m->cfg.zk && !m->cfg.registry_in_memory && !m->candidacy) return;
    m->recovering = true;
    m_registrar_recover(m);
}

static void become_leader(master *m)
{
    m->elected = true;
    m->elected_time = act_now();
    act_gauge_set(act_gauge_get("master/elected"), 1);
    maybe_recover(m);
}

void m_election_start(master *m)
{
    if (!m->cfg.zk) {
        LOG_INFO("Elected as the leading master (standalone)");
        become_leader(m);
        return;
    }
    char err[512];
    zk_url url;
    detector_address *a = detector_parse(m->cfg.zk, err, sizeof err);
    if (!a || zk_url_parse(m->cfg.zk, &url, err, sizeof err) != 0) { /* checked at spawn */
        detector_address_free(a);
        m_abort(m, err);
        return;
    }
    char *json = detector_info_json(m->info);
    m->contender = contender_spawn(&url, m->cfg.zk_session_timeout, json, &m->pid, 0);
    m->detector = detector_spawn(a, m->cfg.zk_session_timeout, &m->pid, 0);
    free(json);
    zk_url_free(&url);
}

static void on_leader(act_actor *self, const act_msg *msg)
{
    master *m = act_state(self);
    const detector_leader *l = msg->obj;
    if (m->aborted) return;
    if (l->error) {
        char why[512];
        snprintf(why, sizeof why, "Failed to detect the leading master: %s", l->error);
        m_abort(m, why);
        return;
    }
    wire_msg_free(m->leader);
    m->leader = l->info ? wire_copy(WIRE_DESC(master_info), l->info->root) : NULL;
    const wire_master_info *info = l->info ? l->info->root : NULL;
    bool us = info && strcmp(info->id, m->id) == 0;
    LOG_INFO("The newly elected leader is %s%s%s", info ? info->pid : "None",
             info ? " with id " : "", info ? info->id : "");
    if (m->elected && !us) {
        m_abort(m, "Lost leadership... committing suicide!");
    } else if (us && !m->elected) {
        LOG_INFO("Elected as the leading master!");
        become_leader(m);
    }
}

static void on_contender(act_actor *self, const act_msg *msg)
{
    master *m = act_state(self);
    const contender_event *e = msg->obj;
    if (m->aborted) return;
    if (e->node) {
        free(m->candidacy);
        m->candidacy = act_strdup(e->node);
        maybe_recover(m);
        return;
    }
    char why[512];
    snprintf(why, sizeof why, "Lost the candidacy (%s)%s", e->lost,
             m->elected ? "... committing suicide!" : "");
    if (m->elected || e->fatal) {
        m_abort(m, why);
        return;
    }
    LOG_WARNING("%s; contending again as a standby", why);
    free(m->candidacy);
    m->candidacy = NULL;
}

const wire_master_info *m_leader(const master *m)
{
    if (m->elected) return m->info;
    return m->leader ? m->leader->root : NULL;
}

void m_election_handlers(act_actor *a)
{
    act_on_local(a, DETECTOR_MSG_LEADER, on_leader);
    act_on_local(a, CONTENDER_MSG, on_contender);
}
