/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Printing helpers shared by the verbs. The log_* functions print and return the error. */

#include <stdbool.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

/* --json=pretty|short|off; a bare --json is pretty. */
typedef enum JsonMode {
        JSON_OFF,
        JSON_PRETTY,
        JSON_SHORT,
} JsonMode;

int json_mode_from_string(const char *s);

int log_oom(void);
int log_parse_error(int r);
/* s as it may be printed on a terminal: control characters, invalid bytes and text-reordering
 * characters escaped (utf8_escape_terminal). For what modules, files and requesters say, as a
 * printf argument: the result stays valid until 8 more calls ("?" when out of memory). */
const char *term_escape(const char *s);

/* "modctl: MESSAGE" on stderr, escaped as term_escape() does, red on a terminal. */
void log_error_line(const char *fmt, ...) _printf_(1, 2);
int print_json(json_object *o, JsonMode mode);
/* Reads an "as" reply into a JSON array of strings. */
int read_strv_reply(sd_bus_message *reply, json_object **ret);
/* The strings of l as a JSON array of strings. */
int strv_to_json(char **l, json_object **ret);
/* A plan step as modprobe -D prints it ("insmod PATH PARAMS", "install COMMAND", "builtin NAME",
 * "loaded NAME", "rmmod NAME") as an object: action, module, path, params or command, and the
 * line itself. modctl(1)'s JSON OUTPUT section lists the fields. */
int plan_step_to_json(const char *line, json_object **ret);
/* An array of such lines (strings) into an array of step objects. The daemon's "taint NAME
 * LETTERS" lines become the "taint" of NAME's step; with_taint=false (libkmod's plan, no
 * prediction) makes every "taint" null instead of "". */
int plan_steps_to_json(json_object *lines, bool with_taint, json_object **ret);
