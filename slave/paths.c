/*
 * paths.c - where the slave keeps things on disk, in Mesos' layout (src/slave/paths.cpp):
 * sandboxes under <work_dir>/slaves/... and checkpoints under <work_dir>/meta/slaves/...
 * with the same nesting. Every function only formats a path into the caller's buffer; none
 * touches the file system.
 */
#include "slave/slave_int.h"

#include <stdarg.h>
#include <stdio.h>

char *path_fmt(char *buf, size_t n, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    vsnprintf(buf, n, format, ap);
    va_end(ap);
    return buf;
}

char *path_sandbox(char *buf, size_t n, const char *work_dir, const char *slave_id,
                   const char *framework_id, const char *executor_id, const char *container_id)
{
    return path_fmt(buf, n, "%s/slaves/%s/frameworks/%s/executors/%s/runs/%s", work_dir, slave_id,
               framework_id, executor_id, container_id);
}

char *path_sandbox_latest(char *buf, size_t n, const char *work_dir, const char *slave_id,
                          const char *framework_id, const char *executor_id)
{
    return path_sandbox(buf, n, work_dir, slave_id, framework_id, executor_id, "latest");
}

char *path_meta_root(char *buf, size_t n, const char *work_dir)
{
    return path_fmt(buf, n, "%s/meta", work_dir);
}

char *path_meta_latest_slave(char *buf, size_t n, const char *work_dir)
{
    return path_fmt(buf, n, "%s/meta/slaves/latest", work_dir);
}

char *path_meta_slave(char *buf, size_t n, const char *work_dir, const char *slave_id)
{
    return path_fmt(buf, n, "%s/meta/slaves/%s", work_dir, slave_id);
}

char *path_meta_slave_info(char *buf, size_t n, const char *work_dir, const char *slave_id)
{
    return path_fmt(buf, n, "%s/meta/slaves/%s/slave.info", work_dir, slave_id);
}

char *path_meta_framework(char *buf, size_t n, const char *work_dir, const char *slave_id,
                          const char *framework_id)
{
    return path_fmt(buf, n, "%s/meta/slaves/%s/frameworks/%s", work_dir, slave_id, framework_id);
}

char *path_meta_executor(char *buf, size_t n, const char *work_dir, const char *slave_id,
                         const char *framework_id, const char *executor_id)
{
    return path_fmt(buf, n, "%s/meta/slaves/%s/frameworks/%s/executors/%s", work_dir, slave_id,
               framework_id, executor_id);
}

char *path_meta_run(char *buf, size_t n, const char *work_dir, const char *slave_id,
                    const char *framework_id, const char *executor_id, const char *container_id)
{
    return path_fmt(buf, n, "%s/meta/slaves/%s/frameworks/%s/executors/%s/runs/%s", work_dir,
               slave_id, framework_id, executor_id, container_id);
}

char *path_meta_pids(char *buf, size_t n, const char *work_dir, const char *slave_id,
                     const char *framework_id, const char *executor_id, const char *container_id)
{
    return path_fmt(buf, n, "%s/meta/slaves/%s/frameworks/%s/executors/%s/runs/%s/pids", work_dir,
               slave_id, framework_id, executor_id, container_id);
}

char *path_meta_task(char *buf, size_t n, const char *work_dir, const char *slave_id,
                     const char *framework_id, const char *executor_id, const char *container_id,
                     const char *task_id)
{
    return path_fmt(buf, n, "%s/meta/slaves/%s/frameworks/%s/executors/%s/runs/%s/tasks/%s",
               work_dir, slave_id, framework_id, executor_id, container_id, task_id);
}

char *path_meta_task_updates(char *buf, size_t n, const char *work_dir, const char *slave_id,
                             const char *framework_id, const char *executor_id,
                             const char *container_id, const char *task_id)
{
    return path_fmt(buf, n,
               "%s/meta/slaves/%s/frameworks/%s/executors/%s/runs/%s/tasks/%s/task.updates",
               work_dir, slave_id, framework_id, executor_id, container_id, task_id);
}
