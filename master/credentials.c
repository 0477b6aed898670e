/*
 * credentials.c - principals and secrets as Mesos reads them (src/credentials/credentials.hpp):
 * the master's --credentials (many) and the slave's --credential (one), each a file holding
 * JSON ({"credentials": [{"principal", "secret"}]}) or text ("principal secret" per line). A
 * file others may read earns a warning. Nothing here ever logs or reports a secret.
 */
#include "master/auth.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FILE (1u << 20)

struct auth_credentials {
    act_map *secrets; /* principal -> wire_bytes (owned, data right after the struct) */
};

static void add(auth_credentials *c, const char *principal, const void *secret, size_t len)
{
    wire_bytes *b = act_malloc(sizeof *b + len + 1);
    b->data = (uint8_t *)(b + 1);
    memcpy(b->data, secret, len);
    b->data[len] = 0;
    b->len = len;
    free(act_map_put(c->secrets, principal, b));
}

static auth_credentials *credentials_new(void)
{
    auth_credentials *c = act_calloc(1, sizeof *c);
    c->secrets = act_map_new();
    return c;
}

void auth_credentials_free(auth_credentials *c)
{
    if (!c) return;
    void *v;
    for (size_t it = 0; act_map_next(c->secrets, &it, NULL, &v);) {
        wire_bytes *b = v;
        memset(b->data, 0, b->len);
        free(b);
    }
    act_map_free(c->secrets);
    free(c);
}

const wire_bytes *auth_credentials_secret(const auth_credentials *c, const char *principal)
{
    return c ? act_map_get(c->secrets, principal) : NULL;
}

size_t auth_credentials_count(const auth_credentials *c)
{
    return c ? act_map_size(c->secrets) : 0;
}

bool auth_credentials_check(void *credentials, const char *principal, const char *secret)
{
    const wire_bytes *want = auth_credentials_secret(credentials, principal);
    size_t len = strlen(secret);
    /* Compare as much as the guess holds either way, so timing tells nothing of the secret. */
    uint8_t diff = want && want->len == len ? 0 : 1;
    for (size_t i = 0; i < len; i++)
        diff |= (uint8_t)(secret[i] ^ (want && i < want->len ? want->data[i] : 0));
    return diff == 0;
}

static bool looks_like_json(const char *text, size_t len)
{
    size_t i = 0;
    while (i < len && strchr(" \t\r\n", text[i])) i++;
    return i < len && text[i] == '{';
}

/* {"credentials": [...]} */
static int parse_json(const char *text, size_t len, auth_credentials *c, char *err,
                      size_t errlen)
{
    wire_msg *m;
    char why[256];
    if (wire_from_json(WIRE_DESC(credentials), text, len, &m, why, sizeof why) != 0) {
        snprintf(err, errlen, "Invalid JSON credentials: %s", why);
        return -EINVAL;
    }
    const wire_credentials *cs = m->root;
    for (size_t i = 0; i < cs->credentials_count; i++)
        add(c, cs->credentials[i].principal, cs->credentials[i].secret.data,
            cs->credentials[i].secret.len);
    wire_msg_free(m);
    return 0;
}

/* One "principal secret" per line; blank lines are skipped. */
static int parse_text(const char *text, size_t len, auth_credentials *c, char *err,
                      size_t errlen)
{
    char *copy = act_strndup(text, len), *save = NULL;
    int rc = 0, line = 0;
    for (char *l = strtok_r(copy, "\n", &save); l && rc == 0; l = strtok_r(NULL, "\n", &save)) {
        line++;
        char *tsave = NULL, *tok[3] = {NULL, NULL, NULL};
        int n = 0;
        for (char *t = strtok_r(l, " \t\r", &tsave); t; t = strtok_r(NULL, " \t\r", &tsave))
            tok[n < 3 ? n : 2] = t, n++;
        if (n == 0) continue;
        if (n != 2) {
            snprintf(err, errlen, "Invalid credential format at line %d (expected "
                     "'principal secret')", line);
            rc = -EINVAL;
        } else {
            add(c, tok[0], tok[1], strlen(tok[1]));
        }
    }
    memset(copy, 0, len);
    free(copy);
    return rc;
}

int auth_credentials_parse(const char *text, size_t len, auth_credentials **out, char *err,
                           size_t errlen)
{
    auth_credentials *c = credentials_new();
    int rc = looks_like_json(text, len) ? parse_json(text, len, c, err, errlen)
                                        : parse_text(text, len, c, err, errlen);
    if (rc == 0 && act_map_size(c->secrets) == 0) {
        snprintf(err, errlen, "No credentials");
        rc = -EINVAL;
    }
    if (rc != 0) {
        auth_credentials_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

/* The file's bytes in b, with a warning when others may read it (Mesos warns too). */
static int read_secret_file(const char *path, act_buf *b, char *err, size_t errlen)
{
    int rc = act_buf_read_file(b, path, MAX_FILE);
    if (rc != 0) {
        snprintf(err, errlen, "Failed to read credentials file '%s': %s", path,
                 rc == -EINVAL ? "not a regular file" : act_strerror(rc));
        return rc;
    }
    struct stat st;
    if (stat(path, &st) == 0 && (st.st_mode & S_IRWXO))
        LOG_WARNING("Permissions on credentials file '%s' are too open: it is recommended that "
                    "others may not read it", path);
    return 0;
}

int auth_credentials_read(const char *path, auth_credentials **out, char *err, size_t errlen)
{
    act_buf b = {0};
    int rc = read_secret_file(path, &b, err, errlen);
    char why[256];
    if (rc == 0 && (rc = auth_credentials_parse(b.data, b.len, out, why, sizeof why)) != 0)
        snprintf(err, errlen, "%s: %s", path, why);
    if (b.data) memset(b.data, 0, b.len);
    act_buf_free(&b);
    if (rc == 0) LOG_INFO("Loaded %zu credential(s) from '%s'", act_map_size((*out)->secrets), path);
    return rc;
}

int auth_credential_read(const char *path, wire_msg **out, char *err, size_t errlen)
{
    act_buf b = {0};
    int rc = read_secret_file(path, &b, err, errlen);
    wire_msg *one = NULL;
    auth_credentials *c = NULL;
    char why[256];
    /* A bare {"principal", "secret"} object, as Mesos' readCredential takes ... */
    if (rc == 0 && looks_like_json(b.data, b.len) &&
        wire_from_json(WIRE_DESC(credential), b.data, b.len, &one, why, sizeof why) == 0) {
        *out = one;
    } else if (rc == 0 && (rc = auth_credentials_parse(b.data, b.len, &c, why,
                                                       sizeof why)) != 0) {
        snprintf(err, errlen, "%s: %s", path, why);
    } else if (rc == 0 && act_map_size(c->secrets) != 1) { /* ... or the list form, of one */
        snprintf(err, errlen, "%s: expected exactly one credential, found %zu", path,
                 act_map_size(c->secrets));
        rc = -EINVAL;
    } else if (rc == 0) {
        const char *principal;
        void *secret;
        size_t it = 0;
        act_map_next(c->secrets, &it, &principal, &secret);
        *out = wire_new(WIRE_DESC(credential));
        wire_credential *cr = (*out)->root;
        cr->principal = wire_strdup(*out, principal);
        cr->has_secret = true;
        cr->secret.len = ((wire_bytes *)secret)->len;
        cr->secret.data = wire_alloc(*out, cr->secret.len + 1);
        memcpy(cr->secret.data, ((wire_bytes *)secret)->data, cr->secret.len);
    }
    auth_credentials_free(c);
    if (b.data) memset(b.data, 0, b.len);
    act_buf_free(&b);
    return rc;
}
