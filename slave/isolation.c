/*
 * isolation.c - the table of isolators by --isolation name and the set the containerizer
 * runs (see isolator_int.h): parsing the flag (unknown names are an error naming each),
 * detecting the cgroup layout once when any isolator needs cgroups (and saying which in the
 * log), refusing to start without a controller an isolator needs, and calling the isolators
 * in Mesos' order (MesosContainerizerProcess: prepare in order, cleanup in reverse).
 */
#include "slave/isolator_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static const iso_ops *const table[] = {
    &iso_filesystem_shared, /* first: the others prepare in the container's view of files */
    &iso_posix_cpu,   &iso_posix_mem,   &iso_posix_disk, &iso_cgroups_cpu,
    &iso_cgroups_mem, &iso_namespaces_pid,
};
#define NTABLE (sizeof table / sizeof table[0])

/* ---- configuration ----------------------------------------------------------------------- */

void cz_config_default(cz_config *c)
{
    memset(c, 0, sizeof *c);
    c->isolation = "posix/cpu,posix/mem";
    c->cgroups_hierarchy = "/sys/fs/cgroup";
    c->cgroups_root = "mesos";
    c->container_disk_watch_interval = 15;
    c->resource_monitoring_interval = 1;
}

static const iso_ops *find(const char *name, size_t len)
{
    for (size_t i = 0; i < NTABLE; i++)
        if (strlen(table[i]->name) == len && strncmp(table[i]->name, name, len) == 0)
            return table[i];
    return NULL;
}

/* Mesos' deprecated spellings. */
static const char *expand(const char *isolation)
{
    if (strcmp(isolation, "process") == 0) return "posix/cpu,posix/mem";
    if (strcmp(isolation, "cgroups") == 0) return "cgroups/cpu,cgroups/mem";
    return isolation;
}

static void known_names(act_buf *b)
{
    for (size_t i = 0; i < NTABLE; i++)
        act_buf_printf(b, "%s%s", i ? ", " : "", table[i]->name);
}

int iso_parse(const char *isolation, const iso_ops **out, size_t *n, char *err, size_t errlen)
{
    bool chosen[NTABLE] = {false};
    act_buf unknown = {0};
    int bad = 0;
    const char *text = expand(isolation ? isolation : "");
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, ",");
        const iso_ops *ops = len ? find(p, len) : NULL;
        if (len && !ops) act_buf_printf(&unknown, "%s'%.*s'", bad++ ? ", " : "", (int)len, p);
        for (size_t i = 0; ops && i < NTABLE; i++) {
            if (table[i] != ops) continue;
            if (chosen[i]) {
                snprintf(err, errlen, "--isolation names '%s' twice", ops->name);
                act_buf_free(&unknown);
                return -EINVAL;
            }
            chosen[i] = true;
        }
        p += len;
        if (*p == ',') p++;
    }
    if (bad) {
        act_buf known = {0};
        known_names(&known);
        snprintf(err, errlen, "Unknown or unsupported isolator%s %s in --isolation (this build "
                 "has %s)", bad > 1 ? "s" : "", unknown.data, known.data);
        act_buf_free(&known);
        act_buf_free(&unknown);
        return -EINVAL;
    }
    *n = 0;
    for (size_t i = 0; i < NTABLE; i++)
        if (chosen[i]) out[(*n)++] = table[i];
    return 0;
}

/* A relative path of names, no "." or "..": it is joined below every hierarchy. */
static bool valid_root(const char *root)
{
    if (!root || !*root || root[0] == '/') return false;
    for (const char *p = root; *p;) {
        size_t len = strcspn(p, "/");
        if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && strncmp(p, "..", 2) == 0))
            return false;
        p += len;
        if (*p == '/') p++;
    }
    return root[strlen(root) - 1] != '/';
}

int cz_config_check(const cz_config *c, char *err, size_t errlen)
{
    const iso_ops *ops[NTABLE];
    size_t n;
    int rc = iso_parse(c->isolation, ops, &n, err, errlen);
    if (rc != 0) return rc;
    if (n == 0) {
        snprintf(err, errlen, "--isolation names no isolator");
        return -EINVAL;
    }
    if (!valid_root(c->cgroups_root)) {
        snprintf(err, errlen, "Invalid --cgroups_root '%s': a relative path such as 'mesos'",
                 c->cgroups_root ? c->cgroups_root : "");
        return -EINVAL;
    }
    if (c->container_disk_watch_interval <= 0) {
        snprintf(err, errlen, "--container_disk_watch_interval must be positive");
        return -EINVAL;
    }
    return 0;
}

/* ---- the set ----------------------------------------------------------------------------- */

unsigned iso_set_controllers(const iso_set *s)
{
    unsigned c = s->contain ? CG_BIT(CG_FREEZER) : 0;
    for (size_t i = 0; i < s->n; i++) c |= s->v[i].ops->controllers;
    return c;
}

static int create_layout(iso_set *s, char *err, size_t errlen)
{
    char why[1024];
    int rc = cg_layout_detect(s->cfg.cgroups_hierarchy, &s->layout, why, sizeof why);
    if (rc == 0) rc = cg_layout_require(&s->layout, iso_set_controllers(s), why, sizeof why);
    if (rc != 0) {
        act_buf names = {0};
        for (size_t i = 0; i < s->n; i++)
            if (s->v[i].ops->contains)
                act_buf_printf(&names, "%s%s", names.len ? ", " : "", s->v[i].ops->name);
        snprintf(err, errlen, "Cannot use --isolation=%s (%s needs cgroups): %s",
                 s->cfg.isolation, names.data, why);
        act_buf_free(&names);
        return rc;
    }
    /* The root now, as Mesos' cgroups::prepare does: no permission is found at start-up, not
     * at the first launch. */
    unsigned used = iso_set_controllers(s), enable = used & (CG_BIT(CG_CPU) | CG_BIT(CG_MEMORY));
    for (int c = 0; c < CG_NCONTROLLERS; c++) {
        if (!(used & CG_BIT(c))) continue;
        rc = cg_create(&s->layout, (cg_controller)c, s->cfg.cgroups_root, enable, false, why,
                       sizeof why);
        if (rc != 0) {
            snprintf(err, errlen, "Cannot use --cgroups_root=%s: %s", s->cfg.cgroups_root, why);
            return rc;
        }
    }
    char text[4096];
    LOG_INFO("Isolation %s in %s, containers under '%s'", s->cfg.isolation,
             cg_layout_describe(&s->layout, text, sizeof text), s->cfg.cgroups_root);
    s->env.layout = &s->layout;
    return 0;
}

int iso_set_create(iso_set *s, const cz_config *cfg, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    s->env.cfg = &s->cfg;
    int rc = cz_config_check(cfg, err, errlen);
    const iso_ops *ops[NTABLE];
    if (rc == 0) rc = iso_parse(cfg->isolation, ops, &s->n, err, errlen);
    if (rc != 0) return rc;
    for (size_t i = 0; i < s->n; i++) {
        s->v[i] = (isolator){ops[i], &s->env, (int)i, NULL};
        s->contain |= ops[i]->contains;
    }
    if (s->contain && (rc = create_layout(s, err, errlen)) != 0) return rc;
    for (size_t i = 0; i < s->n; i++) {
        isolator *iso = &s->v[i];
        char why[1024];
        if (!iso->ops->create || (rc = iso->ops->create(iso, why, sizeof why)) == 0) continue;
        snprintf(err, errlen, "Cannot create isolator %s: %s", iso->ops->name, why);
        for (size_t k = i; k-- > 0;)
            if (s->v[k].ops->destroy) s->v[k].ops->destroy(&s->v[k]);
        s->n = 0;
        return rc;
    }
    if (!s->contain) LOG_INFO("Isolation %s", cfg->isolation);
    return 0;
}

void iso_set_destroy(iso_set *s)
{
    for (size_t i = s->n; i-- > 0;)
        if (s->v[i].ops->destroy) s->v[i].ops->destroy(&s->v[i]);
    s->n = 0;
}

int iso_set_prepare(iso_set *s, iso_container *c, iso_plan *plan, char *err, size_t errlen)
{
    int rc = s->contain ? ll_prepare(s, c, plan, err, errlen) : 0;
    for (size_t i = 0; rc == 0 && i < s->n; i++) {
        isolator *iso = &s->v[i];
        plan->clone_flags |= iso->ops->clone_flags;
        char why[1024];
        if (iso->ops->prepare && (rc = iso->ops->prepare(iso, c, plan, why, sizeof why)) != 0)
            snprintf(err, errlen, "%s: %s", iso->ops->name, why);
    }
    return rc;
}

int iso_set_update(iso_set *s, iso_container *c, char *err, size_t errlen)
{
    int first = 0;
    for (size_t i = 0; i < s->n; i++) {
        isolator *iso = &s->v[i];
        char why[1024];
        int rc = iso->ops->update ? iso->ops->update(iso, c, why, sizeof why) : 0;
        if (rc != 0 && first == 0) {
            first = rc;
            snprintf(err, errlen, "%s: %s", iso->ops->name, why);
        }
    }
    return first;
}

void iso_set_usage(iso_set *s, iso_container *c, cz_stats *st)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].ops->usage) s->v[i].ops->usage(&s->v[i], c, st);
}

void iso_set_cleanup(iso_set *s, iso_container *c)
{
    for (size_t i = s->n; i-- > 0;)
        if (s->v[i].ops->cleanup) s->v[i].ops->cleanup(&s->v[i], c);
    if (s->contain) ll_cleanup(s, c);
}

/* ---- plans ------------------------------------------------------------------------------- */

int iso_plan_join(iso_plan *p, const char *dir, char *err, size_t errlen)
{
    if (p->njoin == ISO_MAX_JOIN) {
        snprintf(err, errlen, "too many cgroups to join");
        return -E2BIG;
    }
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "open %s: %s", path, strerror(e));
        return -e;
    }
    p->join[p->njoin++] = fd;
    return 0;
}

void iso_plan_bind(iso_plan *p, const char *source, const char *target, bool readonly)
{
    p->mounts = act_realloc(p->mounts, (p->nmounts + 1) * sizeof *p->mounts);
    p->mounts[p->nmounts++] = (iso_mount){act_strdup(source), act_strdup(target), NULL,
                                          MS_BIND | MS_REC, readonly};
}

void iso_plan_free(iso_plan *p)
{
    for (size_t i = 0; i < p->njoin; i++) close(p->join[i]);
    for (size_t i = 0; i < p->nmounts; i++) {
        free(p->mounts[i].source);
        free(p->mounts[i].target);
    }
    free(p->mounts);
    memset(p, 0, sizeof *p);
}
