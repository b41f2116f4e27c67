/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the command line asked for, shared by the verbs. */

#include <stdbool.h>
#include <stddef.h>

#include <systemd/sd-bus.h>

#include "output.h"
#include "table.h"

#define EXIT_USAGE 2

typedef struct Options {
        bool dry_run;
        bool verdicts;          /* load --dry-run --verdicts: the policy's verdicts and taint prediction too */
        bool ignore_install;
        bool force;
        bool remove_unused;
        bool ignore_remove;
        bool first_time;
        JsonMode json;
        bool ask_password;
        bool runtime;           /* settings: the files under /run, lost at reboot */
        bool now;               /* enable/disable: also load/unload now */
        bool boot_only;         /* enable/disable: the boot list only */
        bool clear;             /* options: remove modctld's options line */
        bool quiet;
        bool verbose;
        bool legend;            /* header rows and footers; --no-legend clears it */
        bool pager;             /* --no-pager clears it */
        const char *host;       /* -H [USER@]HOST: the system bus there, over ssh */
        const char *field;      /* info -F FIELD */
        const char *release;    /* load -n -S VERSION: /lib/modules/VERSION, offline */
        const char *output;     /* -o COLUMNS, checked against the verb's column names */
        bool raw;               /* --raw */
        unsigned offset;        /* search --offset: matches skipped */
        unsigned limit;         /* search --limit: matches shown at most; UINT32_MAX: all */
        char **parameters;      /* the arguments after "--" (load NAME -- PARAM=VALUE...) */
} Options;

/* The column names of each verb's table, for -o: stable lower-case words, NULL-terminated. */
extern const char *const list_columns[];
extern const char *const policy_columns[];
extern const char *const settings_columns[];
extern const char *const search_columns[];

/* --no-legend, --raw and -o for a table made with table_new_named(). */
int table_apply_options(Table *t, const Options *o);

/* Each verb logs its own failures and returns a negative errno; args[0] is the first argument
 * after the verb's name. bus is NULL for a verb marked VERB_OFFLINE when modctld cannot be
 * reached: the verb then answers from the kernel and the module index, or fails saying why. */
int verb_load(sd_bus *bus, const Options *o, char **args, size_t n_args);
int verb_unload(sd_bus *bus, const Options *o, char **args, size_t n_args);
int verb_list(sd_bus *bus, const Options *o, char **args, size_t n_args);
int verb_info(sd_bus *bus, const Options *o, char **args, size_t n_args);
int verb_monitor(sd_bus *bus, const Options *o, char **args, size_t n_args);
int verb_status(sd_bus *bus, const Options *o, char **args, size_t n_args);
int verb_policy(sd_bus *bus, const Options *o, char **args, size_t n_args);
int verb_reload(sd_bus *bus, const Options *o, char **args, size_t n_args);
int verb_enable(sd_bus *bus, const Options *o, char **args, size_t n_args);
int verb_disable(sd_bus *bus, const Options *o, char **args, size_t n_args);
int verb_blacklist(sd_bus *bus, const Options *o, char **args, size_t n_args);
int verb_unblacklist(sd_bus *bus, const Options *o, char **args, size_t n_args);
int verb_options(sd_bus *bus, const Options *o, char **args, size_t n_args);
int verb_settings(sd_bus *bus, const Options *o, char **args, size_t n_args);
int verb_search(sd_bus *bus, const Options *o, char **args, size_t n_args);
int verb_analyze(sd_bus *bus, const Options *o, char **args, size_t n_args);
int verb_wait(sd_bus *bus, const Options *o, char **args, size_t n_args);

/* The modprobe-compatible mode: argv as modprobe would get it (argv[0] is the name). Returns
 * the exit status. */
int modprobe_main(int argc, char *argv[]);
