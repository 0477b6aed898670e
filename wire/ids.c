/*
 * ids.c - the IDs the master hands out (SPEC section 1), in Mesos' formats so operators and
 * tools recognise them: master "20150113-142013-16842879-5050-5237", framework
 * "<master>-0000", slave "<master>-S0", offer "<master>-O0"; and random UUIDs for container
 * runs and status updates, as text or as the 16 raw bytes Mesos sends.
 */
#include "wire/wire_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <sys/random.h>

char *wire_id_copy(char *out, const char *id)
{
    size_t n = strnlen(id, WIRE_ID_MAX - 1);
    memcpy(out, id, n);
    out[n] = '\0';
    return out;
}

char *wire_id_key(char *out, const char *framework_id, const char *id)
{
    size_t a = strnlen(framework_id, WIRE_KEY_MAX - 1);
    memcpy(out, framework_id, a);
    if (a < WIRE_KEY_MAX - 1) out[a++] = '/';
    size_t b = strnlen(id, WIRE_KEY_MAX - 1 - a);
    memcpy(out + a, id, b);
    out[a + b] = '\0';
    return out;
}

char *wire_id_master(char *buf, size_t n, time_t when, uint32_t ip, uint16_t port, long pid)
{
    struct tm tm;
    char date[32];
    localtime_r(&when, &tm);
    strftime(date, sizeof date, "%Y%m%d-%H%M%S", &tm);
    /* Mesos prints the address as the uint32 whose memory holds it in network order, read on a
     * little-endian host: 127.0.1.1 -> 0x0101007f -> 16842879. */
    uint32_t le =
        ((ip >> 24) & 0xffu) | ((ip >> 8) & 0xff00u) | ((ip << 8) & 0xff0000u) | (ip << 24);
    snprintf(buf, n, "%s-%u-%u-%ld", date, le, (unsigned)port, pid);
    return buf;
}

char *wire_id_framework(char *buf, size_t n, const char *master_id, uint64_t seq)
{
    snprintf(buf, n, "%s-%04llu", master_id, (unsigned long long)seq);
    return buf;
}

char *wire_id_slave(char *buf, size_t n, const char *master_id, uint64_t seq)
{
    snprintf(buf, n, "%s-S%llu", master_id, (unsigned long long)seq);
    return buf;
}

char *wire_id_offer(char *buf, size_t n, const char *master_id, uint64_t seq)
{
    snprintf(buf, n, "%s-O%llu", master_id, (unsigned long long)seq);
    return buf;
}

bool wire_id_valid(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 255 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0) return false;
    for (const char *p = id; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c == 0x7f || c == '/' || c == '\\') return false;
    }
    return true;
}

void wire_uuid_random(wire_uuid *u)
{
    size_t got = 0;
    while (got < sizeof u->bytes) {
        ssize_t r = getrandom(u->bytes + got, sizeof u->bytes - got, 0);
        if (r < 0 && errno == EINTR) continue;
        ACT_CHECK(r > 0);
        got += (size_t)r;
    }
    u->bytes[6] = (uint8_t)((u->bytes[6] & 0x0f) | 0x40); /* version 4 */
    u->bytes[8] = (uint8_t)((u->bytes[8] & 0x3f) | 0x80); /* RFC 4122 variant */
}

void wire__uuid_text(const uint8_t bytes[16], char out[WIRE_UUID_STRLEN - 1])
{
    static const char hex[] = "0123456789abcdef";
    /* where each byte's two digits go: the dashes are at 8, 13, 18 and 23 */
    static const uint8_t at[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};
    for (int i = 0; i < 16; i++) {
        out[at[i]] = hex[bytes[i] >> 4];
        out[at[i] + 1] = hex[bytes[i] & 15];
    }
    out[8] = out[13] = out[18] = out[23] = '-';
}

char *wire_uuid_format(const wire_uuid *u, char *buf, size_t n)
{
    char out[WIRE_UUID_STRLEN];
    wire__uuid_text(u->bytes, out);
    out[WIRE_UUID_STRLEN - 1] = '\0';
    snprintf(buf, n, "%s", out);
    return buf;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int wire_uuid_parse(const char *text, wire_uuid *u)
{
    if (strlen(text) != WIRE_UUID_STRLEN - 1) return WIRE_EPARSE;
    int byte = 0;
    for (int i = 0; i < WIRE_UUID_STRLEN - 1;) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (text[i++] != '-') return WIRE_EPARSE;
            continue;
        }
        int hi = hexval(text[i]), lo = hexval(text[i + 1]);
        if (hi < 0 || lo < 0) return WIRE_EPARSE;
        u->bytes[byte++] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    return 0;
}

int wire_uuid_from_bytes(const void *data, size_t len, wire_uuid *u)
{
    if (len != sizeof u->bytes) return WIRE_EINVAL;
    memcpy(u->bytes, data, len);
    return 0;
}

bool wire_uuid_equal(const wire_uuid *a, const wire_uuid *b)
{
    return memcmp(a->bytes, b->bytes, sizeof a->bytes) == 0;
}
