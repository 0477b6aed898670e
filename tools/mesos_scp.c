/*
 * mesos_scp.c - mesos-scp: copies local files to a directory on every slave the master
 * knows, over ssh as Mesos' tool does (`scp -pr FILES host:DIR` per slave hostname, all at
 * once), then reports each host as uploaded or failed. It needs password-less ssh to the
 * slaves (keys, an agent or ~/.ssh/config); --scp_options adds scp options (a port, a key,
 * -O for servers without SFTP ...). Exits 0 when every slave got the files, 1 otherwise.
 *
 *   mesos-scp --master=127.0.0.1:5050 app.tar.gz /opt/apps
 */
#include "tools/cli.h"

#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct scp_flags {
    cli_common common;
    char *scp, *scp_options;
} scp_flags;

#define F(name, type, def, help) \
    ACT_FLAG_ROW(scp_flags, name, type, def, help, NULL, NULL)

static const act_flag flag_table[] = {
    CLI_COMMON_FLAGS(scp_flags),
    F(scp, STRING, "scp", "The scp program (from PATH unless a path)."),
    F(scp_options, STRING, NULL, "More scp options, separated by spaces (e.g. '-P 2222 -i "
      "key'); they come after -pr."),
};

/* The argv of scp for one host: scp -pr [options] -- files... host:dir ("--": a file or a
 * hostname cannot pass for an option). Free the array and *opts_copy. */
static char **scp_argv(const scp_flags *f, char **files, int nfiles, const char *target,
                       char **opts_copy)
{
    size_t n = 5 + (size_t)nfiles, k = 0;
    char *save = NULL;
    *opts_copy = act_strdup(f->scp_options ? f->scp_options : "");
    for (const char *p = *opts_copy; *p; p++) n += *p == ' ';
    char **v = act_calloc(n + 2, sizeof *v);
    v[k++] = f->scp;
    v[k++] = "-pr";
    for (char *o = strtok_r(*opts_copy, " ", &save); o; o = strtok_r(NULL, " ", &save))
        v[k++] = o;
    v[k++] = "--";
    for (int i = 0; i < nfiles; i++) v[k++] = files[i];
    v[k++] = (char *)target;
    return v;
}

/* Starts scp for host; returns its pid or -1. */
static pid_t start_scp(const scp_flags *f, char **files, int nfiles, const char *dir,
                       const char *host)
{
    if (host[0] == '-' || strpbrk(host, ":/ ")) { /* a slave's hostname is not to be trusted */
        fprintf(stderr, "Refusing to copy to '%s': not a hostname\n", host);
        return -1;
    }
    char target[4096], *opts;
    snprintf(target, sizeof target, "%s:%s", host, dir);
    char **v = scp_argv(f, files, nfiles, target, &opts);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        execvp(v[0], v);
        fprintf(stderr, "Failed to run %s: %s\n", v[0], strerror(errno));
        _exit(127);
    }
    if (pid < 0) fprintf(stderr, "Failed to fork for %s: %s\n", host, strerror(errno));
    free(v);
    free(opts);
    return pid;
}

/* The slaves' hostnames, each once. */
static act_map *hostnames(json_t *state)
{
    act_map *hosts = act_map_new();
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(state, "slaves"), i, s) {
        const char *h = json_string_value(json_object_get(s, "hostname"));
        if (h && *h) act_map_put(hosts, h, (void *)1);
    }
    return hosts;
}

static int copy_to_all(const scp_flags *f, act_map *hosts, char **files, int nfiles,
                       const char *dir)
{
    size_t n = act_map_size(hosts), i = 0, uploaded = 0;
    pid_t *pids = act_calloc(n ? n : 1, sizeof *pids);
    const char *host;
    for (size_t it = 0; act_map_next(hosts, &it, &host, NULL);)
        pids[i++] = start_scp(f, files, nfiles, dir, host);
    printf("\n");
    i = 0;
    for (size_t it = 0; act_map_next(hosts, &it, &host, NULL); i++) {
        int status = 0;
        bool ok = pids[i] > 0 && waitpid(pids[i], &status, 0) == pids[i] &&
                  WIFEXITED(status) && WEXITSTATUS(status) == 0;
        uploaded += ok;
        printf("%s\t%s\n", host, ok ? "uploaded" : "failed");
    }
    printf("\n----- %zu uploaded, %zu failed of total %zu slaves\n\n", uploaded, n - uploaded, n);
    free(pids);
    return uploaded == n ? CLI_OK : CLI_FAILED;
}

static int scp(void *values, int npos, char **pos)
{
    scp_flags *f = values;
    if (npos < 2) {
        fprintf(stderr, "Missing arguments: FILE... REMOTE_DIRECTORY\n\n"
                        "See 'mesos-scp --help'.\n");
        return CLI_USAGE;
    }
    json_t *state;
    int rc = cli_master_state(&f->common, &state);
    if (rc != CLI_OK) return rc;
    act_map *hosts = hostnames(state);
    rc = copy_to_all(f, hosts, pos, npos - 1, pos[npos - 1]);
    act_map_free(hosts);
    json_decref(state);
    return rc;
}

int main(int argc, char **argv)
{
    scp_flags f;
    cli_tool t = {"mesos-scp", "FILE... REMOTE_DIRECTORY", flag_table,
                  sizeof flag_table / sizeof flag_table[0], &f, NULL, 0, 1 << 20, scp};
    return cli_main(&t, argc, argv);
}
