/*
 * build.c - what the daemons' state.json report of this build, as Mesos' build.cpp does: when
 * it was built (build_time, epoch seconds; build_date, "YYYY-MM-DD HH:MM:SS" local time) and
 * by whom (build_user). The Makefile passes BUILD_TIME (SOURCE_DATE_EPOCH when set, so a
 * package build is reproducible) and BUILD_USER when it compiles this file only.
 */
#include "wire/wire.h"

#include <time.h>

#ifndef BUILD_TIME
#define BUILD_TIME 0
#endif
#ifndef BUILD_USER
#define BUILD_USER ""
#endif

double wire_build_time(void)
{
    return (double)BUILD_TIME;
}

const char *wire_build_user(void)
{
    return BUILD_USER;
}

char *wire_build_date(char *buf, size_t n)
{
    time_t t = (time_t)BUILD_TIME;
    struct tm tm;
    if (!localtime_r(&t, &tm) || strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf(buf, n, "%s", "");
    return buf;
}
