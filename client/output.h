/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Printing helpers shared by the verbs. The log_* functions print and return the error. */

#include <stdbool.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

int log_oom(void);
int log_parse_error(int r);
int print_json(json_object *o);
/* Prints an "as" reply one string a line. */
int print_strv_reply(sd_bus_message *reply, bool *ret_empty);
