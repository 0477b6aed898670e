/*
 * mesos.c - the `mesos` dispatcher, as Mesos' own: `mesos <command> [args]` runs
 * mesos-<command> with the same arguments, found first beside this binary and then in PATH;
 * `mesos help` lists the commands found that way and `mesos help <command>` shows that
 * command's --help.
 *
 *   mesos ps --master=127.0.0.1:5050      (runs mesos-ps --master=127.0.0.1:5050)
 */
#include "wire/wire.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PREFIX "mesos-"

/* The directory of this binary (for the commands installed beside it), or "". */
static void self_dir(char *out, size_t n)
{
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    out[0] = '\0';
    if (len <= 0) return;
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) snprintf(out, n, "%.*s", (int)(slash - exe), exe);
}

/* "<self dir>:<PATH>": where commands are looked for, in order. */
static void search_path(act_buf *out)
{
    char dir[PATH_MAX];
    self_dir(dir, sizeof dir);
    const char *path = getenv("PATH");
    act_buf_printf(out, "%s:%s", dir, path ? path : "/usr/local/bin:/usr/bin:/bin");
}

static bool executable(const char *dir, const char *name, char *full, size_t n)
{
    struct stat s;
    snprintf(full, n, "%s/%s", *dir ? dir : ".", name);
    return stat(full, &s) == 0 && S_ISREG(s.st_mode) && access(full, X_OK) == 0;
}

/* Finds mesos-<cmd> along the search path into full. */
static bool find_command(const char *cmd, char *full, size_t n)
{
    act_buf path = {0}, name = {0};
    search_path(&path);
    act_buf_printf(&name, PREFIX "%s", cmd);
    bool found = false;
    char *save = NULL;
    for (char *d = strtok_r(path.data, ":", &save); d && !found; d = strtok_r(NULL, ":", &save))
        found = *d && executable(d, name.data, full, n);
    act_buf_free(&path);
    act_buf_free(&name);
    return found;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every mesos-<cmd> along the search path, each once, sorted. */
static void list_commands(FILE *out)
{
    act_buf path = {0};
    search_path(&path);
    act_map *seen = act_map_new();
    char *save = NULL, full[PATH_MAX * 2];
    for (char *d = strtok_r(path.data, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        DIR *dir = *d ? opendir(d) : NULL;
        for (struct dirent *e; dir && (e = readdir(dir));)
            if (strncmp(e->d_name, PREFIX, strlen(PREFIX)) == 0 && e->d_name[strlen(PREFIX)] &&
                executable(d, e->d_name, full, sizeof full))
                act_map_put(seen, e->d_name + strlen(PREFIX), (void *)1);
        if (dir) closedir(dir);
    }
    size_t n = act_map_size(seen), i = 0;
    const char **names = act_calloc(n ? n : 1, sizeof *names);
    const char *key;
    for (size_t it = 0; act_map_next(seen, &it, &key, NULL);) names[i++] = key;
    qsort(names, n, sizeof *names, by_name);
    for (i = 0; i < n; i++) fprintf(out, "  %s\n", names[i]);
    free(names);
    act_map_free(seen);
    act_buf_free(&path);
}

static void usage(FILE *out)
{
    fprintf(out, "Usage: mesos <command> [OPTIONS]\n\n"
                 "Runs mesos-<command> with the options given. Available commands:\n"
                 "  help\n");
    list_commands(out);
    fprintf(out, "\nSee 'mesos help <command>' for more information on a command.\n");
}

/* Runs mesos-<cmd> with argv[1..] in place of this process; returns only on failure. */
static int run(const char *cmd, char **argv)
{
    char full[PATH_MAX * 2], name[256];
    if (strchr(cmd, '/') || !find_command(cmd, full, sizeof full)) {
        fprintf(stderr, "'%s' is not a mesos command (no " PREFIX "%s found).\n\n", cmd, cmd);
        usage(stderr);
        return 2;
    }
    snprintf(name, sizeof name, PREFIX "%s", cmd);
    argv[0] = name; /* the command's own name, for its messages */
    execv(full, argv);
    fprintf(stderr, "Failed to run %s: %s\n", full, strerror(errno));
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        (strcmp(argv[1], "help") == 0 && argc == 2)) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("mesos %s\n", WIRE_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "help") == 0) {
        char *help[] = {NULL, "--help", NULL};
        return run(argv[2], help);
    }
    return run(argv[1], argv + 1);
}
