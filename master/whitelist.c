/*
 * whitelist.c - --whitelist (Mesos' WhitelistWatcher): a file of slave hostnames, one per line,
 * that the allocator offers resources of; other slaves register and run what they run but are
 * offered to nobody. The master checks the file every WHITELIST_INTERVAL of runtime clock (one
 * stat), reads it again whenever it changed, and tells the allocator. An empty file offers no
 * slave; a file that cannot be read keeps the last list (and says so, rate-limited); the path
 * "*" means every slave, as in Mesos.
 */
#include "master/master_int.h"

#include <string.h>
#include <sys/stat.h>

#define MAX_FILE (16u << 20)

/* Identifies one version of the file (device, inode, size, modification time); 0: none. */
static uint64_t signature(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) return 0;
    uint64_t parts[] = {(uint64_t)st.st_dev, (uint64_t)st.st_ino, (uint64_t)st.st_size,
                        (uint64_t)st.st_mtim.tv_sec, (uint64_t)st.st_mtim.tv_nsec};
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        h = (h ^ parts[i]) * 1099511628211ull;
    return h ? h : 1;
}

/* The hostnames of the file's lines (blanks around them ignored) as an allocator event. */
static alloc_event *whitelist_event(const char *text)
{
    alloc_event *ev = alloc_event_new(ALLOC_UPDATE_WHITELIST, NULL, NULL);
    res_set none = {0};
    char *copy = act_strdup(text), *save = NULL;
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        while (*l == ' ' || *l == '\t') l++;
        size_t n = strcspn(l, " \t\r");
        if (!n) continue;
        l[n] = '\0';
        alloc_event_add_used(ev, l, &none);
    }
    free(copy);
    return ev;
}

static void check(act_actor *self, void *arg)
{
    master *m = act_state(self);
    uint64_t sig = signature(m->cfg.whitelist);
    act_buf text = {0};
    int rc = sig && sig == m->whitelist_sig ? 0 : act_buf_read_file(&text, m->cfg.whitelist,
                                                                    MAX_FILE);
    if (rc != 0) {
        LOG_ERROR_LIMITED("Cannot read the whitelist file '%s': %s; keeping the last list",
                          m->cfg.whitelist, act_strerror(rc));
    } else if (sig != m->whitelist_sig) {
        alloc_event *ev = whitelist_event(text.data ? text.data : "");
        LOG_INFO("Whitelist '%s': %zu slave hostname(s) to offer", m->cfg.whitelist, ev->nused);
        m_alloc(m, ev);
        m->whitelist_sig = sig;
    }
    act_buf_free(&text);
    act_delay(self, WHITELIST_INTERVAL, check, NULL);
}

void m_whitelist_start(master *m)
{
    if (!m->cfg.whitelist) return;
    if (strcmp(m->cfg.whitelist, "*") == 0) {
        LOG_WARNING("--whitelist=*: every slave is offered, as without the flag");
        return;
    }
    check(m->self, NULL);
}
