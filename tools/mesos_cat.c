/*
 * mesos_cat.c - mesos-cat: prints a file of a task's sandbox, read from its slave through
 * /files/read.json. The task is named by a partial ID (an exact ID wins; several matches are
 * an error listing them) among active and completed tasks:
 *
 *   mesos-cat --master=127.0.0.1:5050 --framework=FID --task=TID --file=stdout
 *   mesos cat TID stdout            (with MESOS_master=... or --master)
 */
#include "tools/cli.h"

#include <string.h>

typedef struct cat_flags {
    cli_task_flags task;
    char *file;
} cat_flags;

#define F(name, type, def, help) \
    ACT_FLAG_ROW(cat_flags, name, type, def, help, NULL, NULL)

static const act_flag flag_table[] = {
    CLI_TASK_FLAGS(cat_flags),
    F(file, STRING, NULL, "The file, relative to the sandbox (or FILE; default stdout)."),
};

/* Bytes asked for per read (the slave answers at most 16 pages at a time). */
#define CAT_CHUNK (64 * 1024)

static int cat(void *values, int npos, char **pos)
{
    cat_flags *f = values;
    cli_sandbox sb;
    int rc = cli_find_sandbox("mesos-cat", &f->task, npos, pos, &sb);
    if (rc != CLI_OK) return rc;
    char path[8192], err[2048];
    snprintf(path, sizeof path, "%s/%s", sb.dir, npos > 1 ? pos[1] : f->file ? f->file
                                                                             : "stdout");
    long long size = 0, at = 0;
    act_buf data = {0};
    rc = cli_read(sb.slave, path, -1, -1, &data, &size, err, sizeof err);
    for (long long offset = 0; rc == CLI_OK && offset < size;) {
        act_buf_reset(&data);
        rc = cli_read(sb.slave, path, offset, CAT_CHUNK, &data, &at, err, sizeof err);
        if (rc != CLI_OK || data.len == 0) break; /* truncated meanwhile: done */
        fwrite(data.data, 1, data.len, stdout);
        offset = at + (long long)data.len;
    }
    if (rc != CLI_OK) fprintf(stderr, "%s\n", err);
    act_buf_free(&data);
    return rc;
}

int main(int argc, char **argv)
{
    cat_flags f;
    cli_tool t = {"mesos-cat", "[TASK [FILE]]", flag_table,
                  sizeof flag_table / sizeof flag_table[0], &f, NULL, 0, 2, cat};
    return cli_main(&t, argc, argv);
}
