/*
 * gc_int.h - the parts of the "gc" actor (gc.c) that tests reach into: the disk headroom
 * constant and a replaceable source of disk usage, since a test cannot fill a disk to see
 * sandboxes pruned early. The slave itself needs only slave_int.h.
 */
#ifndef SLAVE_GC_INT_H
#define SLAVE_GC_INT_H

/* The fraction of the disk GC tries to keep free (Mesos' GC_DISK_HEADROOM). */
#define GC_DISK_HEADROOM 0.1

/* Returns the used fraction of a disk (0..1), or a negative value when unknown. */
typedef double (*gc_usage_fn)(void);

/* Makes every gc actor read disk usage from fn instead of statvfs(work_dir); NULL restores
 * statvfs. For tests; safe from any thread, takes effect at the next disk check. */
void gc_set_usage_probe(gc_usage_fn fn);

/* The used fraction of the file system holding path (1 - f_bavail / f_blocks, as Mesos'
 * fs::usage), or -errno. */
double gc_disk_usage(const char *path);

#endif /* SLAVE_GC_INT_H */
