/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Logging to stderr, with sd-daemon priority prefixes when stderr is the journal. Each
 * log_*_errno() returns the negative errno it was given, so log-and-return is one line:
 *         return log_error_errno(r, "Failed to open '%s': %m", path);
 * '%m' prints the error passed in, not the current errno. */

#include <syslog.h>

#include "macro.h"

void log_set_max_level(int level);
int log_get_max_level(void);
int log_internal(int level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_full_errno(level, error, ...) log_internal((level), (error), __VA_ARGS__)
#define log_error_errno(error, ...)   log_full_errno(LOG_ERR, (error), __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_WARNING, (error), __VA_ARGS__)
#define log_info_errno(error, ...)    log_full_errno(LOG_INFO, (error), __VA_ARGS__)
#define log_debug_errno(error, ...)   log_full_errno(LOG_DEBUG, (error), __VA_ARGS__)

#define log_error(...)   (void) log_full_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_warning(...) (void) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_notice(...)  (void) log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_info(...)    (void) log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_debug(...)   (void) log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)

#define log_oom() log_error_errno(-ENOMEM, "Out of memory.")
