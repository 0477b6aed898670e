/*
 * proctree.c - signalling a whole process tree. An executor's process group is not enough:
 * the command executor runs its task in a session of its own, so killing the executor's group
 * would leave the task running. This walks /proc for every descendant of a process (while it
 * is still alive or a zombie, its children still name it as their parent) and signals each,
 * the way cgroups would contain them if this slave had them.
 */
#include "slave/slave_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <string.h>

typedef struct proc_link {
    pid_t pid, ppid, pgid;
} proc_link;

/* Reads pid, ppid and pgid of every process. Returns how many (at most max). */
static size_t read_links(proc_link *v, size_t max)
{
    DIR *d = opendir("/proc");
    if (!d) return 0;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < max) {
        if (!isdigit((unsigned char)de->d_name[0])) continue;
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/%.20s/stat", de->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t got = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[got] = '\0';
        char *close = strrchr(buf, ')'); /* the command name may hold spaces and parens */
        char state;
        int ppid, pgid;
        if (!close || sscanf(close + 1, " %c %d %d", &state, &ppid, &pgid) != 3) continue;
        v[n].pid = (pid_t)atoi(de->d_name);
        v[n].ppid = (pid_t)ppid;
        v[n].pgid = (pid_t)pgid;
        n++;
    }
    closedir(d);
    return n;
}

int proc_kill_tree(pid_t root, int sig)
{
    if (root <= 1) return -EINVAL;
    enum { MAX = 32768 };
    proc_link *all = act_calloc(MAX, sizeof *all);
    pid_t *tree = act_calloc(MAX, sizeof *tree);
    size_t n = read_links(all, MAX), count = 0;
    tree[count++] = root;
    for (size_t i = 0; i < count && count < MAX; i++) /* breadth first: children of tree[i] */
        for (size_t k = 0; k < n && count < MAX; k++)
            if (all[k].ppid == tree[i] && all[k].pid != root) tree[count++] = all[k].pid;
    for (size_t i = count; i-- > 0;) {
        kill(tree[i], sig);
        for (size_t k = 0; k < n; k++) /* a descendant that leads a group: the group too */
            if (all[k].pid == tree[i] && all[k].pgid == tree[i]) kill(-tree[i], sig);
    }
    free(all);
    free(tree);
    return 0;
}
