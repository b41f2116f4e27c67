/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A log line that a peer can provoke at will must not flood the journal: allow `burst` events
 * per `interval`, count the rest, and say how many were suppressed when the next one passes. */

#include <stdbool.h>

#include "time-util.h"

typedef struct RateLimit {
        usec_t interval;
        unsigned burst;
        usec_t begin;           /* CLOCK_MONOTONIC start of the current interval */
        unsigned n;             /* events in it */
        unsigned suppressed;    /* events dropped since the last one that passed */
} RateLimit;

#define RATELIMIT_INIT(i, b) ((RateLimit) { .interval = (i), .burst = (b) })

/* True if this event may be logged. *ret_suppressed (may be NULL) is how many were dropped
 * before it; the counter starts again. */
static inline bool ratelimit_below(RateLimit *rl, unsigned *ret_suppressed) {
        usec_t now = now_usec(CLOCK_MONOTONIC);

        if (rl->begin == 0 || now - rl->begin >= rl->interval) {
                rl->begin = now;
                rl->n = 0;
        }
        if (rl->n >= rl->burst) {
                rl->suppressed++;
                return false;
        }
        rl->n++;
        if (ret_suppressed)
                *ret_suppressed = rl->suppressed;
        rl->suppressed = 0;
        return true;
}
