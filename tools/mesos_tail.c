/*
 * mesos_tail.c - mesos-tail: the last lines of a file of a task's sandbox (-n, default 10)
 * and, with -f, what is written to it afterwards, polling the slave's /files/read.json until
 * interrupted (exit 130). The task is named as for mesos-cat (a partial ID works):
 *
 *   mesos tail -f TID stdout
 *   mesos-tail --master=... --framework=FID --task=TID --file=stderr --lines=50
 */
#include "tools/cli.h"

#include <signal.h>
#include <string.h>
#include <time.h>

typedef struct tail_flags {
    cli_task_flags task;
    char *file;
    int64_t lines;
    bool follow;
    double interval;
} tail_flags;

#define F(name, type, def, help) \
    ACT_FLAG_ROW(tail_flags, name, type, def, help, NULL, NULL)

static const act_flag flag_table[] = {
    CLI_TASK_FLAGS(tail_flags),
    F(file, STRING, NULL, "The file, relative to the sandbox (or FILE; default stdout)."),
    F(lines, INT, "10", "How many lines from the end to print first (-n)."),
    F(follow, BOOL, "false", "Keep printing what is appended to the file (-f)."),
    F(interval, DURATION, "500ms", "With --follow: how often to look for more."),
};

#define TAIL_CHUNK (64 * 1024)

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    interrupted = 1;
}

/* The offset where the last `lines` lines of the file (of `size` bytes) start. */
static int last_lines_start(const char *slave, const char *path, long long size,
                            long long lines, long long *start, char *err, size_t errlen)
{
    long long end = size, found = 0;
    act_buf data = {0};
    int rc = CLI_OK;
    *start = 0;
    while (end > 0 && rc == CLI_OK) {
        long long from = end > TAIL_CHUNK ? end - TAIL_CHUNK : 0, at = 0;
        act_buf_reset(&data);
        rc = cli_read(slave, path, from, end - from, &data, &at, err, errlen);
        for (long long i = (long long)data.len - 1; rc == CLI_OK && i >= 0; i--) {
            /* a newline ending the file does not start a line */
            if (data.data[i] == '\n' && from + i != size - 1 && ++found == lines) {
                *start = from + i + 1;
                act_buf_free(&data);
                return CLI_OK;
            }
        }
        end = from;
    }
    act_buf_free(&data);
    return rc;
}

/* Prints the file from offset on, up to `until` (-1: its end, however far it has grown);
 * advances offset past what was printed. */
static int print_from(const char *slave, const char *path, long long *offset, long long until,
                      char *err, size_t errlen)
{
    act_buf data = {0};
    int rc = CLI_OK;
    while (until < 0 || *offset < until) {
        long long at = 0, want = TAIL_CHUNK;
        if (until >= 0 && until - *offset < want) want = until - *offset;
        act_buf_reset(&data);
        rc = cli_read(slave, path, *offset, want, &data, &at, err, errlen);
        if (rc != CLI_OK || data.len == 0) break;
        fwrite(data.data, 1, data.len, stdout);
        *offset = at + (long long)data.len;
    }
    fflush(stdout);
    act_buf_free(&data);
    return rc;
}

static void nap(double secs)
{
    struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
    nanosleep(&ts, NULL);
}

static int tail(void *values, int npos, char **pos)
{
    tail_flags *f = values;
    if (f->lines < 0) {
        fprintf(stderr, "--lines must not be negative\n\nSee 'mesos-tail --help'.\n");
        return CLI_USAGE;
    }
    cli_sandbox sb;
    int rc = cli_find_sandbox("mesos-tail", &f->task, npos, pos, &sb);
    if (rc != CLI_OK) return rc;
    char path[8192], err[2048];
    const char *slave = sb.slave;
    snprintf(path, sizeof path, "%s/%s", sb.dir, npos > 1 ? pos[1] : f->file ? f->file
                                                                             : "stdout");
    long long size = 0, offset = 0;
    act_buf probe = {0};
    rc = cli_read(slave, path, -1, -1, &probe, &size, err, sizeof err);
    act_buf_free(&probe);
    if (rc == CLI_OK && f->lines > 0)
        rc = last_lines_start(slave, path, size, f->lines, &offset, err, sizeof err);
    else
        offset = size;
    /* The last lines as of the size measured, not what was appended since (-f shows that). */
    if (rc == CLI_OK) rc = print_from(slave, path, &offset, size, err, sizeof err);
    signal(SIGINT, on_sigint);
    while (rc == CLI_OK && f->follow && !interrupted) {
        nap(f->interval);
        rc = print_from(slave, path, &offset, -1, err, sizeof err);
    }
    if (rc != CLI_OK) fprintf(stderr, "%s\n", err);
    return interrupted ? CLI_INTERRUPTED : rc;
}

int main(int argc, char **argv)
{
    static const char *const shorts[][2] = {{"-n", "--lines="}, {"-f", "--follow"}};
    tail_flags f;
    cli_tool t = {"mesos-tail", "[-n LINES] [-f] [TASK [FILE]]", flag_table,
                  sizeof flag_table / sizeof flag_table[0], &f, shorts, 2, 2, tail};
    return cli_main(&t, argc, argv);
}
