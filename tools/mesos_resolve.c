/*
 * mesos_resolve.c - mesos-resolve: prints the leading master as ip:port, as Mesos' tool does,
 * for a master given as host:port, master@ip:port, zk://[user:pass@]h1:p1,.../path or
 * file:///path. It runs a detector (master/detector.h, through tools/cli.h) and prints the
 * first leader it reports; with no leader within --timeout, or an address it cannot use, it
 * says why on stderr and exits 1.
 *
 *   mesos-resolve zk://zk1:2181,zk2:2181/mesos   ->  10.0.0.2:5050
 */
#include "tools/cli.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

typedef struct resolve_flags {
    double timeout;
    bool verbose;
} resolve_flags;

#define F(name, type, def, help) \
    ACT_FLAG_ROW(resolve_flags, name, type, def, help, NULL, NULL)

static const act_flag flag_table[] = {
    F(timeout, DURATION, "5secs", "How long to wait for a leading master."),
    F(verbose, BOOL, "false", "Log what the detector does (to stderr)."),
};

int main(int argc, char **argv)
{
    resolve_flags f;
    act_flags flags = {"mesos-resolve", "<master>", "mesos-resolve 0.22.0", flag_table,
                       sizeof flag_table / sizeof flag_table[0], &f, NULL};
    char err[1024];
    int npos = 0;
    int rc = act_flags_load(&flags, argc, argv, &npos, "MESOS_", err, sizeof err);
    if (rc == 0 && npos != 1) {
        snprintf(err, sizeof err, npos ? "Ambiguous 'master': give exactly one"
                                       : "Missing 'master'");
        rc = -EINVAL;
    }
    if (rc != 0) {
        if (rc < 0) fprintf(stderr, "%s\n\nSee 'mesos-resolve --help'.\n", err);
        act_flags_free(&flags);
        return rc < 0 ? 1 : 0;
    }
    act_log_set_level(f.verbose ? ACT_LOG_INFO : ACT_LOG_ERROR);
    char out[ACT_PID_STRLEN];
    rc = cli_resolve(argv[1], f.timeout, out, sizeof out, err, sizeof err);
    act_flags_free(&flags);
    if (rc == CLI_OK) {
        printf("%s\n", out);
        return 0;
    }
    fprintf(stderr, "%s\n", err);
    return 1;
}
