/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/plan.h"
#include "common/strv.h"

int plan_new(const char *request, Plan **ret) {
        _cleanup_(plan_freep) Plan *p = NULL;

        assert(ret);

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
        free(s->config_command);
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
        free(p->skipped_at);
        strv_free(p->blacklisted);
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

        assert(p);
        assert(name);
        if (kind < 0 || kind >= _PLAN_STEP_KIND_MAX)
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

        assert(p);
        if (step >= p->n_steps)
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
        size_t n, *at;
        bool *b;
        int r;

        assert(p);
        assert(name);
        if (strv_contains(p->skipped, name))
                return 0;

        n = strv_length(p->skipped);
        b = realloc(p->skipped_builtin, sizeof(bool) * (n + 1));
        if (!b)
                return -ENOMEM;
        p->skipped_builtin = b;
        at = realloc(p->skipped_at, sizeof(size_t) * (n + 1));
        if (!at)
                return -ENOMEM;
        p->skipped_at = at;

        r = strv_extend(&p->skipped, name);
        if (r < 0)
                return r;
        p->skipped_builtin[n] = builtin;
        p->skipped_at[n] = p->n_steps;
        return 0;
}

int plan_add_blacklisted(Plan *p, const char *name) {
        assert(p);
        assert(name);
        if (strv_contains(p->blacklisted, name))
                return 0;
        return strv_extend(&p->blacklisted, name);
}

int plan_add_skipped(Plan *p, const char *name) {
        assert(p);
        assert(name);
        return plan_add_skipped_full(p, name, false);
}

int plan_add_skipped_builtin(Plan *p, const char *name) {
        assert(p);
        assert(name);
        return plan_add_skipped_full(p, name, true);
}

int plan_find(const Plan *p, PlanStepKind kind, const char *name, size_t *ret_index) {
        assert(p);
        assert(name);

        for (size_t i = 0; i < p->n_steps; i++)
                if (p->steps[i].kind == kind && p->steps[i].name && strcmp(p->steps[i].name, name) == 0) {
                        if (ret_index)
                                *ret_index = i;
                        return 0;
                }

        return -ENOENT;
}

static int describe_step(const PlanStep *s, char **ret) {
        int r;

        switch (s->kind) {
        case PLAN_STEP_INSERT:
                if (s->options && s->options[0])
                        r = asprintf(ret, "insmod %s %s", strempty(s->path), s->options);
                else
                        r = asprintf(ret, "insmod %s", strempty(s->path));
                break;
        case PLAN_STEP_COMMAND:
                if (s->config_command && s->options && s->options[0])
                        r = asprintf(ret, "install %s %s", s->config_command, s->options);
                else
                        r = asprintf(ret, "install %s", s->config_command ?: strempty(s->command));
                break;
        case PLAN_STEP_REMOVE:
                r = asprintf(ret, "rmmod %s", s->name);
                break;
        default:
                return -EINVAL;
        }

        return r < 0 ? -ENOMEM : 0;
}

static int push_line(char ***l, const char *verb, const char *name) {
        char *line;
        int r;

        if (asprintf(&line, "%s %s", verb, name) < 0)
                return -ENOMEM;
        r = strv_push(l, line);
        if (r < 0)
                free(line);
        return r;
}

/* The loaded and built-in modules that come before step i. */
static int push_skipped(const Plan *p, size_t i, char ***l) {
        for (size_t k = 0; p->skipped && p->skipped[k]; k++) {
                int r;

                if (p->skipped_at[k] != i)
                        continue;
                r = push_line(l, p->skipped_builtin[k] ? "builtin" : "loaded", p->skipped[k]);
                if (r < 0)
                        return r;
        }
        return 0;
}

int plan_describe(const Plan *p, char ***ret) {
        _cleanup_(strv_freep) char **l = NULL;
        int r;

        assert(p);
        assert(ret);

        /* An empty list, not NULL, for a plan with nothing to show. */
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;

        STRV_FOREACH(b, p->blacklisted) {
                r = push_line(&l, "blacklisted", *b);
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; i <= p->n_steps; i++) {
                char *line;

                r = push_skipped(p, i, &l);
                if (r < 0)
                        return r;
                if (i == p->n_steps)
                        break;

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
