/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "plan.h"
#include "strv.h"

int plan_new(const char *request, Plan **ret) {
        _cleanup_(plan_freep) Plan *p = NULL;

        p = calloc(1, sizeof(Plan));
        if (!p)
                return -ENOMEM;

        if (request) {
                p->request = strdup(request);
                if (!p->request)
                        return -ENOMEM;
        }

        *ret = TAKE_PTR(p);
        return 0;
}

static void plan_step_done(PlanStep *s) {
        free(s->name);
        free(s->path);
        free(s->options);
        free(s->command);
        free(s->deps);
        s->fd = safe_close(s->fd);
}

Plan *plan_free(Plan *p) {
        if (!p)
                return NULL;

        for (size_t i = 0; i < p->n_steps; i++)
                plan_step_done(&p->steps[i]);
        free(p->steps);
        strv_free(p->skipped);
        free(p->skipped_builtin);
        free(p->request);
        free(p->target);
        free(p);
        return NULL;
}

static int strdup_optional(const char *s, char **ret) {
        char *c = NULL;

        if (s) {
                c = strdup(s);
                if (!c)
                        return -ENOMEM;
        }
        *ret = c;
        return 0;
}

int plan_add_step(Plan *p, PlanStepKind kind, const char *name, const char *path, const char *options,
                  const char *command, size_t *ret_index) {
        PlanStep s = { .kind = kind, .fd = -EBADF };
        PlanStep *steps;

        if (!p || !name || kind < 0 || kind >= _PLAN_STEP_KIND_MAX)
                return -EINVAL;

        if (strdup_optional(name, &s.name) < 0 ||
            strdup_optional(path, &s.path) < 0 ||
            strdup_optional(options, &s.options) < 0 ||
            strdup_optional(command, &s.command) < 0) {
                plan_step_done(&s);
                return -ENOMEM;
        }

        steps = realloc(p->steps, sizeof(PlanStep) * (p->n_steps + 1));
        if (!steps) {
                plan_step_done(&s);
                return -ENOMEM;
        }
        p->steps = steps;
        p->steps[p->n_steps] = s;

        if (ret_index)
                *ret_index = p->n_steps;
        p->n_steps++;
        return 0;
}

int plan_step_add_dep(Plan *p, size_t step, size_t dep) {
        PlanStep *s;
        size_t *deps;

        if (!p || step >= p->n_steps)
                return -EINVAL;
        /* Steps are stored in execution order, so a dependency must come earlier. This also
         * keeps the graph acyclic by construction. */
        if (dep >= step)
                return -EINVAL;

        s = &p->steps[step];
        for (size_t i = 0; i < s->n_deps; i++)
                if (s->deps[i] == dep)
                        return 0;

        deps = realloc(s->deps, sizeof(size_t) * (s->n_deps + 1));
        if (!deps)
                return -ENOMEM;
        s->deps = deps;
        s->deps[s->n_deps++] = dep;
        return 0;
}

static int plan_add_skipped_full(Plan *p, const char *name, bool builtin) {
        size_t n;
        bool *b;
        int r;

        if (!p || !name)
                return -EINVAL;
        if (strv_contains(p->skipped, name))
                return 0;

        n = strv_length(p->skipped);
        b = realloc(p->skipped_builtin, sizeof(bool) * (n + 1));
        if (!b)
                return -ENOMEM;
        p->skipped_builtin = b;

        r = strv_extend(&p->skipped, name);
        if (r < 0)
                return r;
        p->skipped_builtin[n] = builtin;
        return 0;
}

int plan_add_skipped(Plan *p, const char *name) {
        return plan_add_skipped_full(p, name, false);
}

int plan_add_skipped_builtin(Plan *p, const char *name) {
        return plan_add_skipped_full(p, name, true);
}

int plan_find(const Plan *p, PlanStepKind kind, const char *name, size_t *ret_index) {
        if (!p || !name)
                return -EINVAL;

        for (size_t i = 0; i < p->n_steps; i++)
                if (p->steps[i].kind == kind && p->steps[i].name && strcmp(p->steps[i].name, name) == 0) {
                        if (ret_index)
                                *ret_index = i;
                        return 0;
                }

        return -ENOENT;
}

/* For display only, like modprobe -D: every $CMDLINE_OPTS replaced by the options. The command
 * itself runs with the options in its environment (command.c), never with this text. */
static int expand_command(const char *command, const char *options, char **ret) {
        static const char var[] = "$CMDLINE_OPTS";
        _cleanup_free_ char *s = NULL;
        const char *p = command, *q;
        size_t len = 0;
        FILE *f;

        f = open_memstream(&s, &len);
        if (!f)
                return -ENOMEM;
        while ((q = strstr(p, var))) {
                fwrite(p, 1, (size_t) (q - p), f);
                fputs(strempty(options), f);
                p = q + strlen(var);
        }
        fputs(p, f);
        if (fclose(f) != 0)
                return -ENOMEM;

        *ret = TAKE_PTR(s);
        return 0;
}

static int describe_step(const PlanStep *s, char **ret) {
        _cleanup_free_ char *command = NULL;
        int r;

        switch (s->kind) {
        case PLAN_STEP_INSERT:
                if (s->options && s->options[0])
                        r = asprintf(ret, "insmod %s %s", strempty(s->path), s->options);
                else
                        r = asprintf(ret, "insmod %s", strempty(s->path));
                break;
        case PLAN_STEP_COMMAND:
                if (expand_command(strempty(s->command), s->options, &command) < 0)
                        return -ENOMEM;
                r = asprintf(ret, "install %s", command);
                break;
        case PLAN_STEP_REMOVE:
                r = asprintf(ret, "rmmod %s", s->name);
                break;
        default:
                return -EINVAL;
        }

        return r < 0 ? -ENOMEM : 0;
}

int plan_describe(const Plan *p, char ***ret) {
        _cleanup_(strv_freep) char **l = NULL;
        int r;

        if (!p || !ret)
                return -EINVAL;

        /* An empty list, not NULL, for a plan with nothing to show. */
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;

        /* Skipped modules first: they are what the steps build on. */
        for (size_t i = 0; p->skipped && p->skipped[i]; i++) {
                char *line;

                if (asprintf(&line, "%s %s", p->skipped_builtin && p->skipped_builtin[i] ? "builtin" : "loaded",
                             p->skipped[i]) < 0)
                        return -ENOMEM;
                r = strv_push(&l, line);
                if (r < 0) {
                        free(line);
                        return r;
                }
        }

        for (size_t i = 0; i < p->n_steps; i++) {
                char *line;

                r = describe_step(&p->steps[i], &line);
                if (r < 0)
                        return r;
                r = strv_push(&l, line);
                if (r < 0) {
                        free(line);
                        return r;
                }
        }

        *ret = TAKE_PTR(l);
        return 0;
}
