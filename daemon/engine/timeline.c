/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "common/strv.h"
#include "engine/timeline.h"

struct Timeline {
        TimelineEntry *entries;         /* oldest first */
        size_t n_entries;
        TimelineBatch *batches;
        size_t n_batches;
        TimelinePhase *phases;
        size_t n_phases;
};

static void entry_done(TimelineEntry *e) {
        free(e->module);
        strv_free(e->after);
}

int timeline_new(Timeline **ret) {
        assert(ret);

        *ret = calloc(1, sizeof(Timeline));
        return *ret ? 0 : -ENOMEM;
}

Timeline *timeline_free(Timeline *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_entries; i++)
                entry_done(&t->entries[i]);
        free(t->entries);
        for (size_t i = 0; i < t->n_batches; i++)
                free(t->batches[i].name);
        free(t->batches);
        for (size_t i = 0; i < t->n_phases; i++)
                free(t->phases[i].name);
        free(t->phases);
        free(t);
        return NULL;
}

/* The newest entry of module: the one its events belong to. */
static TimelineEntry *find_entry(Timeline *t, const char *module) {
        for (size_t i = t->n_entries; i > 0; i--)
                if (streq(t->entries[i - 1].module, module))
                        return &t->entries[i - 1];
        return NULL;
}

/* Best effort: a timeline that cannot grow loses an entry, never a load. */
static TimelineEntry *add_entry(Timeline *t) {
        if (t->n_entries == TIMELINE_MAX) {
                entry_done(&t->entries[0]);
                memmove(t->entries, t->entries + 1, sizeof(TimelineEntry) * (t->n_entries - 1));
                t->n_entries--;
        } else {
                TimelineEntry *l = realloc(t->entries, sizeof(TimelineEntry) * (t->n_entries + 1));
                if (!l)
                        return NULL;
                t->entries = l;
        }
        t->entries[t->n_entries] = (TimelineEntry) {};
        return &t->entries[t->n_entries++];
}

void timeline_queued(Timeline *t, const Plan *plan, const char *origin, uint64_t now) {
        assert(t);
        assert(plan);
        assert(origin);

        for (size_t i = 0; i < plan->n_steps; i++) {
                const PlanStep *step = &plan->steps[i];
                TimelineEntry *e = find_entry(t, step->name);

                if (step->kind != PLAN_STEP_INSERT)
                        continue;
                /* Queued already and not done yet: the first request's entry stays. */
                if (e && !e->inserted && e->error == 0)
                        continue;
                e = add_entry(t);
                if (!e)
                        return;
                e->module = strdup(step->name);
                if (!e->module) {
                        t->n_entries--;
                        return;
                }
                e->origin = origin;
                e->queued = now;
                for (size_t d = 0; d < step->n_deps; d++) {
                        const PlanStep *dep = &plan->steps[step->deps[d]];
                        if (dep->kind == PLAN_STEP_INSERT)
                                (void) strv_extend(&e->after, dep->name);
                }
        }
}

void timeline_checked(Timeline *t, const Plan *plan, uint64_t now) {
        assert(t);
        assert(plan);

        for (size_t i = 0; i < plan->n_steps; i++) {
                TimelineEntry *e = find_entry(t, plan->steps[i].name);
                if (e && !e->checked)
                        e->checked = now;
        }
}

void timeline_inserted(Timeline *t, const char *module, uint64_t began, uint64_t ended, int result) {
        TimelineEntry *e;

        assert(t);
        assert(module);

        e = find_entry(t, module);
        if (!e)
                return;
        e->started = began;
        e->inserted = ended;
        e->error = MIN(result, 0);
}

void timeline_live(Timeline *t, const char *module, uint64_t now) {
        TimelineEntry *e;

        assert(t);
        assert(module);

        e = find_entry(t, module);
        if (e && !e->live)
                e->live = now;
}

void timeline_batch_started(Timeline *t, const char *batch, uint64_t now) {
        TimelineBatch *l;
        char *name;

        assert(t);
        assert(batch);

        name = strdup(batch);
        l = name ? realloc(t->batches, sizeof(TimelineBatch) * (t->n_batches + 1)) : NULL;
        if (!l) {
                free(name);
                return;
        }
        t->batches = l;
        t->batches[t->n_batches++] = (TimelineBatch) { .name = name, .started = now };
}

void timeline_batch_finished(Timeline *t, const char *batch, uint64_t now) {
        assert(t);
        assert(batch);

        for (size_t i = t->n_batches; i > 0; i--)
                if (streq(t->batches[i - 1].name, batch) && !t->batches[i - 1].finished) {
                        t->batches[i - 1].finished = now;
                        return;
                }
}

void timeline_phase(Timeline *t, const char *phase, uint64_t began, uint64_t ended) {
        TimelinePhase *p = NULL, *l;
        char *name;
        size_t i;

        assert(t);
        assert(phase);

        ended = MAX(ended, began);
        for (i = 0; i < t->n_phases && !p; i++)
                if (streq(t->phases[i].name, phase))
                        p = &t->phases[i];
        if (p) {
                p->began = MIN(p->began, began);
                p->ended = MAX(p->ended, ended);
                p->busy += ended - began;
                p->count++;
                return;
        }
        name = strdup(phase);
        l = name ? realloc(t->phases, sizeof(TimelinePhase) * (t->n_phases + 1)) : NULL;
        if (!l) {
                free(name);
                return;
        }
        t->phases = l;
        /* Kept in the order they began: a thread's phase may be reported after a later one. */
        for (i = t->n_phases; i > 0 && t->phases[i - 1].began > began; i--)
                t->phases[i] = t->phases[i - 1];
        t->phases[i] = (TimelinePhase){
                .name = name, .began = began, .ended = ended, .busy = ended - began, .count = 1
        };
        t->n_phases++;
}

const TimelineEntry *timeline_entries(Timeline *t, size_t *ret_n) {
        assert(t);
        assert(ret_n);
        *ret_n = t->n_entries;
        return t->entries;
}

const TimelineBatch *timeline_batches(Timeline *t, size_t *ret_n) {
        assert(t);
        assert(ret_n);
        *ret_n = t->n_batches;
        return t->batches;
}

const TimelinePhase *timeline_phases(Timeline *t, size_t *ret_n) {
        assert(t);
        assert(ret_n);
        *ret_n = t->n_phases;
        return t->phases;
}
