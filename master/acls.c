/*
 * acls.c - authorization against --acls, as Mesos' local authorizer decides
 * (src/authorizer/authorizer.cpp): each ACL names subjects (principals) and objects (roles,
 * users, framework principals), each an entity of some values, ANY or NONE; the first ACL
 * whose entities both match the request decides, allowing it only if both allow it; when
 * none matches, `permissive` (default true) decides. A request names one value for each side,
 * or ANY when it has none (a framework without a principal). Without --acls everything is
 * allowed.
 */
#include "master/master_int.h"

#include <stddef.h>
#include <string.h>

/* What a request names on one side: one value, or ANY (value NULL). */
typedef const char *acl_request;

/* Every request value is among the ACL's (a request names at most one). */
static bool listed(acl_request r, const wire_acl_entity *acl)
{
    for (size_t i = 0; i < acl->values_count; i++)
        if (strcmp(acl->values[i], r) == 0) return true;
    return false;
}

/* Whether the ACL's entity concerns the request's: ANY and NONE concern every request; a
 * request for ANY is concerned only by those; values must be among the ACL's values. */
static bool matches(acl_request r, const wire_acl_entity *acl)
{
    if (acl->type == WIRE_ACL_ANY || acl->type == WIRE_ACL_NONE) return true;
    return r && listed(r, acl);
}

/* Whether a matching ACL's entity allows the request's (Mesos' allow matrix): ANY allows
 * everything, NONE nothing a request can name, values only what they list. */
static bool allows(acl_request r, const wire_acl_entity *acl)
{
    if (acl->type == WIRE_ACL_ANY) return true;
    if (acl->type == WIRE_ACL_NONE) return false;
    return r && listed(r, acl);
}

/* The first ACL of a list (n items of `stride` bytes, each with its subjects and objects
 * entities at those offsets) that matches the request decides; else `permissive`. */
static bool decide(const wire_acls *acls, const void *list, size_t n, size_t stride,
                   size_t subjects_at, size_t objects_at, acl_request subject,
                   acl_request object)
{
    for (size_t i = 0; i < n; i++) {
        const char *acl = (const char *)list + i * stride;
        const wire_acl_entity *subjects = (const void *)(acl + subjects_at);
        const wire_acl_entity *objects = (const void *)(acl + objects_at);
        if (matches(subject, subjects) && matches(object, objects))
            return allows(subject, subjects) && allows(object, objects);
    }
    return acls->permissive;
}

#define DECIDE(acls, list, type, objects, subject, object)                                   \
    decide(acls, (acls)->list, (acls)->list##_count, sizeof(type), offsetof(type, principals), \
           offsetof(type, objects), subject, object)

bool m_authorize_role(const wire_acls *acls, const char *principal, const char *role)
{
    return !acls || DECIDE(acls, register_frameworks, wire_acl_register_framework, roles,
                           principal, role);
}

bool m_authorize_user(const wire_acls *acls, const char *principal, const char *user)
{
    return !acls || DECIDE(acls, run_tasks, wire_acl_run_task, users, principal, user);
}

bool m_authorize_shutdown(const wire_acls *acls, const char *principal,
                          const char *framework_principal)
{
    return !acls || DECIDE(acls, shutdown_frameworks, wire_acl_shutdown_framework,
                           framework_principals, principal, framework_principal);
}
