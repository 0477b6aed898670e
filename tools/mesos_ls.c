/*
 * mesos_ls.c - mesos-ls: lists a directory of a task's sandbox (the sandbox itself by
 * default) as `ls -l` does, from the slave's /files/browse.json. The task is named as for
 * mesos-cat (a partial ID works):
 *
 *   mesos ls TID [PATH]
 *   mesos-ls --master=... --task=TID --path=subdir
 */
#include "tools/cli.h"

#include <string.h>
#include <time.h>

typedef struct ls_flags {
    cli_task_flags task;
    char *path;
} ls_flags;

#define F(name, type, def, help) ACT_FLAG_ROW(ls_flags, name, type, def, help, NULL, NULL)

static const act_flag flag_table[] = {
    CLI_TASK_FLAGS(ls_flags),
    F(path, STRING, NULL, "A directory relative to the sandbox (or PATH; default the sandbox)."),
};

static void print_entry(json_t *e)
{
    char when[32];
    time_t mtime = (time_t)json_integer_value(json_object_get(e, "mtime"));
    struct tm tm;
    strftime(when, sizeof when, "%b %d %H:%M", localtime_r(&mtime, &tm));
    const char *p = cli_str(e, "path"), *slash = strrchr(p, '/');
    printf("%s %3lld %-8s %-8s %10lld %s %s\n", cli_str(e, "mode"),
           (long long)json_integer_value(json_object_get(e, "nlink")), cli_str(e, "uid"),
           cli_str(e, "gid"), (long long)json_integer_value(json_object_get(e, "size")), when,
           slash ? slash + 1 : p);
}

static int ls(void *values, int npos, char **pos)
{
    ls_flags *f = values;
    cli_sandbox sb;
    int rc = cli_find_sandbox("mesos-ls", &f->task, npos, pos, &sb);
    if (rc != CLI_OK) return rc;
    const char *sub = npos > 1 ? pos[1] : f->path;
    char path[8192], target[16384], err[2048];
    snprintf(path, sizeof path, "%s%s%s", sb.dir, sub ? "/" : "", sub ? sub : "");
    char *escaped = cli_escape(path);
    snprintf(target, sizeof target, "/files/browse.json?path=%s", escaped);
    free(escaped);
    long status;
    json_t *list = cli_get_json(sb.slave, target, &status, err, sizeof err);
    if (!list || !json_is_array(list)) {
        fprintf(stderr, status == 404 ? "No such directory: %s\n" : "Failed to list %s: %s\n",
                path, err);
        json_decref(list);
        return CLI_FAILED;
    }
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) print_entry(e);
    json_decref(list);
    return CLI_OK;
}

int main(int argc, char **argv)
{
    ls_flags f;
    cli_tool t = {"mesos-ls", "[TASK [PATH]]", flag_table,
                  sizeof flag_table / sizeof flag_table[0], &f, NULL, 0, 2, ls};
    return cli_main(&t, argc, argv);
}
