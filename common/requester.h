/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Who asked for a load, an unload or a setting change, as plain data: the bus layer fills it
 * from the sender's credentials, the kernel hook from its peer, and the engine passes it on to
 * its listeners (the journal sink writes CALLER_UID=, CALLER_PID=, CALLER_COMM=, CALLER_UNIT=)
 * without knowing where it came from. What the source cannot tell stays unknown. */

#include <stdbool.h>
#include <sys/types.h>

#define REQUESTER_COMM_MAX 16   /* TASK_COMM_LEN, with its NUL */
#define REQUESTER_UNIT_MAX 256  /* systemd's UNIT_NAME_MAX, with its NUL */

typedef struct Requester {
        uid_t uid;                      /* (uid_t) -1: unknown */
        pid_t pid;                      /* 0: unknown */
        char comm[REQUESTER_COMM_MAX];  /* "": unknown */
        char unit[REQUESTER_UNIT_MAX];  /* the systemd unit (service or scope); "": unknown or none */
} Requester;

#define REQUESTER_UNKNOWN ((const Requester) { .uid = (uid_t) -1 })

/* comm and unit may be NULL (unknown); longer ones are cut at their maximum. */
void requester_set(Requester *r, uid_t uid, pid_t pid, const char *comm, const char *unit);
/* Anything known about who it was. */
bool requester_is_known(const Requester *r);
