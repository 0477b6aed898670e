/*
 * cgtest.c - cgroups in tests (see cgtest.h).
 */
#include "tests/support/cgtest.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ROOT_PREFIX "mesos-test-"

static bool detect(cg_version v, cg_layout *out, const char **hierarchy)
{
    static const char *const v2_places[] = {TCG_HIERARCHY, TCG_HIERARCHY "/unified"};
    char err[512];
    if (v == CG_V1) {
        *hierarchy = TCG_HIERARCHY;
        return cg_layout_detect(TCG_HIERARCHY, out, err, sizeof err) == 0 && out->version == CG_V1;
    }
    for (size_t i = 0; i < 2; i++) {
        *hierarchy = v2_places[i];
        if (cg_layout_detect(v2_places[i], out, err, sizeof err) == 0 && out->version == CG_V2 &&
            strcmp(out->hierarchy, v2_places[i]) == 0)
            return true;
    }
    return false;
}

bool tcg_layout(cg_version v, const char *what, cg_layout *out, const char **hierarchy)
{
    if (geteuid() != 0) {
        fprintf(stderr, "skipped: %s (cgroups need root)\n", what);
        return false;
    }
    if (detect(v, out, hierarchy)) return true;
    fprintf(stderr, "skipped: %s (this machine has no cgroup v%d hierarchy under %s)\n", what,
            (int)v, TCG_HIERARCHY);
    return false;
}

bool tcg_layout_with(cg_version v, unsigned needed, const char *what, cg_layout *out,
                     const char **hierarchy)
{
    if (!tcg_layout(v, what, out, hierarchy)) return false;
    char why[512];
    if (cg_layout_require(out, needed, why, sizeof why) == 0) return true;
    fprintf(stderr, "skipped: %s on cgroup v%d: %s\n", what, (int)v, why);
    return false;
}

/* ---- removing roots ---------------------------------------------------------------------- */

/* Kills what runs in dir and below it, deepest first, and removes them. */
static void destroy_tree(const cg_layout *l, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
        char child[PATH_MAX];
        snprintf(child, sizeof child, "%s/%s", dir, e->d_name);
        destroy_tree(l, child);
    }
    closedir(d);
    if (cg_kill_all(l, dir, 10) != 0) fprintf(stderr, "cgtest: processes left in %s\n", dir);
    if (cg_remove(dir) != 0) fprintf(stderr, "cgtest: cannot remove %s\n", dir);
}

/* Calls fn(l, base) for the base directory of every hierarchy of both layouts. */
static void each_base(void (*fn)(const cg_layout *l, const char *base, void *ctx), void *ctx)
{
    cg_layout l;
    const char *h;
    if (detect(CG_V1, &l, &h))
        for (int c = 0; c < CG_NCONTROLLERS; c++)
            if (l.mount[c][0]) fn(&l, l.mount[c], ctx);
    if (detect(CG_V2, &l, &h)) fn(&l, l.hierarchy, ctx);
}

static void remove_in(const cg_layout *l, const char *base, void *ctx)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/%s", base, (const char *)ctx);
    destroy_tree(l, dir);
}

static void remove_root(const char *name)
{
    each_base(remove_in, (void *)name);
}

/* Roots of test processes that are gone. */
static void sweep_in(const cg_layout *l, const char *base, void *ctx)
{
    DIR *d = opendir(base);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int pid = 0, used = 0;
        if (sscanf(e->d_name, ROOT_PREFIX "%d%n", &pid, &used) != 1 || e->d_name[used] != '\0' ||
            pid <= 1 || pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH)
            continue;
        remove_in(l, base, e->d_name);
    }
    closedir(d);
}

static char root[64];

void tcg_cleanup(void)
{
    if (root[0] && getpid() == atoi(root + strlen(ROOT_PREFIX))) remove_root(root);
}

const char *tcg_root(void)
{
    if (root[0] && atoi(root + strlen(ROOT_PREFIX)) == getpid()) return root;
    snprintf(root, sizeof root, ROOT_PREFIX "%d", (int)getpid());
    each_base(sweep_in, NULL);
    atexit(tcg_cleanup);
    return root;
}
