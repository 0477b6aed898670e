/*
 * iso_shared.c - the filesystem/shared isolator (Mesos' SharedFilesystemIsolatorProcess): the
 * executor gets a mount namespace of its own, and each volume of its ContainerInfo (or of
 * --default_container_info) is bind-mounted there, read-write or read-only: a relative host
 * path is a directory made in the sandbox, so the volume is private to the container (/tmp of
 * each container its own), an absolute one is shared. The container path must exist on the
 * host, and no volume may be mounted over the sandbox or over another volume (nor under one).
 * Nothing the container mounts reaches the host. Needs root.
 */
#include "slave/isolator_int.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int create(isolator *iso, char *err, size_t errlen)
{
    if (geteuid() == 0) return 0;
    snprintf(err, errlen, "the shared filesystem isolator requires root privileges");
    return -EPERM;
}

/* True if `path` is `dir` or below it (by whole path components). */
static bool within(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/' || n == 1);
}

static bool has_dot_components(const char *path)
{
    for (const char *p = path; *p;) {
        size_t len = strcspn(p, "/");
        if ((len == 1 && p[0] == '.') || (len == 2 && strncmp(p, "..", 2) == 0)) return true;
        p += len;
        if (*p == '/') p++;
    }
    return false;
}

/* A relative host path: a directory in the sandbox, owned and permitted as the container
 * path is (a bind mount shows the host path's). */
static int sandbox_host_path(const iso_container *c, const wire_volume *v, char *host,
                             size_t n, char *err, size_t errlen)
{
    snprintf(host, n, "%s/%s", c->directory, v->host_path);
    if (has_dot_components(v->host_path)) {
        snprintf(err, errlen, "Relative host path '%s' cannot contain relative components",
                 v->host_path);
        return -EINVAL;
    }
    struct stat st;
    int rc = ckpt_mkdirs(host, 0755);
    if (rc == 0 && stat(v->container_path, &st) != 0) rc = -errno;
    if (rc == 0 && (chmod(host, st.st_mode & 07777) != 0 || chown(host, st.st_uid, st.st_gid) != 0))
        rc = -errno;
    if (rc != 0)
        snprintf(err, errlen, "Failed to create host_path '%s' for mount to '%s': %s", host,
                 v->container_path, strerror(-rc));
    return rc;
}

/* Mesos' checks, by whole path components: no volume over or under the sandbox or another. */
static int check_overlap(const char *path, const char *const *taken, size_t n, char *err,
                         size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        if (within(path, taken[i])) {
            snprintf(err, errlen, "Cannot mount volume to '%s' because it is under volume '%s'",
                     path, taken[i]);
            return -EINVAL;
        }
        if (within(taken[i], path)) {
            snprintf(err, errlen, "Cannot mount volume to '%s' because it is under volume '%s'",
                     taken[i], path);
            return -EINVAL;
        }
    }
    return 0;
}

static int add_volume(const iso_container *c, const wire_volume *v, iso_plan *plan,
                      const char **taken, size_t *ntaken, char *err, size_t errlen)
{
    const char *cpath = v->container_path ? v->container_path : "";
    if (cpath[0] != '/' || access(cpath, F_OK) != 0) {
        snprintf(err, errlen, "Volume with container path '%s' must be an absolute path that "
                 "exists on the host for the shared filesystem isolator", cpath);
        return -EINVAL;
    }
    if (!v->host_path || !*v->host_path) {
        snprintf(err, errlen, "Volume with container path '%s' must specify a host path for "
                 "the shared filesystem isolator", cpath);
        return -EINVAL;
    }
    int rc = check_overlap(cpath, taken, *ntaken, err, errlen);
    if (rc != 0) return rc;
    taken[(*ntaken)++] = cpath;
    char host[PATH_MAX];
    if (v->host_path[0] != '/') {
        rc = sandbox_host_path(c, v, host, sizeof host, err, errlen);
        if (rc != 0) return rc;
    } else {
        snprintf(host, sizeof host, "%s", v->host_path);
        if (access(host, F_OK) != 0) {
            snprintf(err, errlen, "Volume with container path '%s' must have host path '%s' "
                     "present on host for the shared filesystem isolator", cpath, host);
            return -ENOENT;
        }
    }
    iso_plan_bind(plan, host, cpath, v->mode == WIRE_VOLUME_RO);
    LOG_INFO("Container %s: '%s' at '%s' (%s)", c->container_id, host, cpath,
             v->mode == WIRE_VOLUME_RO ? "read-only" : "read-write");
    return 0;
}

static int prepare(isolator *iso, iso_container *c, iso_plan *plan, char *err, size_t errlen)
{
    const wire_container_info *ci = c->executor ? c->executor->container : NULL;
    if (!ci) return 0;
    if (ci->type != WIRE_CONTAINER_MESOS) {
        snprintf(err, errlen, "Can only prepare filesystem for a MESOS container");
        return -EINVAL;
    }
    const char **taken = act_calloc(ci->volumes_count + 2, sizeof *taken);
    size_t ntaken = 0;
    taken[ntaken++] = c->directory;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < ci->volumes_count; i++)
        rc = add_volume(c, &ci->volumes[i], plan, taken, &ntaken, err, errlen);
    free(taken);
    return rc;
}

const iso_ops iso_filesystem_shared = {
    .name = "filesystem/shared",
    .contains = true,
    .clone_flags = CLONE_NEWNS,
    .create = create,
    .prepare = prepare,
};
