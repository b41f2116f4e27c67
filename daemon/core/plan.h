/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && \
    !defined(MODCTL_LAYER_CORE) && \
    !defined(MODCTL_LAYER_ENGINE) && \
    !defined(MODCTL_LAYER_BUS) && \
    !defined(MODCTL_LAYER_MAIN)
#error "core/ is the plain-C core: the kernel backend may not include it"
#endif

/* A plan is what the resolver produces and the scheduler runs: a DAG of steps, stored in an
 * order where every step comes after the steps it depends on. Plain data, no libkmod. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum PlanStepKind {
        PLAN_STEP_INSERT,   /* finit_module() the file at path with options */
        PLAN_STEP_COMMAND,  /* run a modprobe.d install or remove command through /bin/sh */
        PLAN_STEP_REMOVE,   /* delete_module() name */
        _PLAN_STEP_KIND_MAX,
} PlanStepKind;

typedef struct PlanStep {
        PlanStepKind kind;
        char *name;          /* module name, normalized to underscores */
        char *path;          /* INSERT: absolute path of the .ko (possibly compressed) */
        char *options;       /* INSERT: parameters: modprobe.d, then kernel command line, then caller */
        char *command;       /* COMMAND: the modprobe.d line as written; options reach it as $CMDLINE_OPTS in
                              * its environment, never spliced into the line (command.c) */
        char *config_command; /* COMMAND: the install command as modprobe.d spells it (with
                              * $CMDLINE_OPTS unexpanded), for display only: modprobe -D shows
                              * it followed by the options. NULL: show command. */
        bool only_if_unused; /* REMOVE: skip silently if the module has users or holders (modprobe -r) */
        bool optional;       /* a failure is logged, not fatal (softdeps, like modprobe) */
        int fd;              /* INSERT: the module already opened (and verified by policy), handed
                              * to finit_module() as is; -EBADF: the scheduler opens path itself.
                              * The plan owns it. */
        unsigned insert_flags; /* INSERT: KERNEL_INSERT_* flags that go with fd */
        size_t *deps;        /* indices of steps that must succeed before this one */
        size_t n_deps;
} PlanStep;

typedef struct Plan {
        char *request;       /* the name as asked for */
        char *target;        /* the module the request resolved to (first match for an alias) */
        PlanStep *steps;
        size_t n_steps;
        char **skipped;      /* modules needed but already loaded or built in, for display */
        bool *skipped_builtin; /* parallel to skipped: true if built in, false if loaded */
        size_t *skipped_at;  /* parallel to skipped: how many steps come before it in the plan's
                              * order (modprobe -D shows a built-in module where it falls) */
        char **blacklisted;  /* modules an alias matched that modprobe.d blacklists, for display */
} Plan;

int plan_new(const char *request, Plan **ret);
Plan *plan_free(Plan *p);
static inline void plan_freep(Plan **p) {
        plan_free(*p);
}

/* Append a step; takes copies of the strings. Returns the new step's index in *ret_index. */
int plan_add_step(Plan *p, PlanStepKind kind, const char *name, const char *path, const char *options,
                  const char *command, size_t *ret_index);
int plan_step_add_dep(Plan *p, size_t step, size_t dep);
/* A module that is already loaded; it is shown after the steps added so far. */
int plan_add_skipped(Plan *p, const char *name);
/* A module that is built into the kernel. */
int plan_add_skipped_builtin(Plan *p, const char *name);
/* A module the request's alias matched but modprobe.d blacklists. */
int plan_add_blacklisted(Plan *p, const char *name);
/* Index of the INSERT/REMOVE step for name, or -ENOENT. */
int plan_find(const Plan *p, PlanStepKind kind, const char *name, size_t *ret_index);

/* One line per step as modprobe -D shows it: "insmod PATH OPTS", "install CMD OPTS" (the command
 * as modprobe.d spells it), "rmmod NAME", with "builtin NAME" and "loaded NAME" where those
 * modules fall in the order, and "blacklisted NAME" first for alias matches that modprobe.d
 * blacklists. Unlike modprobe -D, a module is listed once, and no line ends in a space.
 * NULL-terminated. */
int plan_describe(const Plan *p, char ***ret);
