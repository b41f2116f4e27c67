/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* modctl analyze: where the boot's module time went, in the spirit of systemd-analyze.
 *
 *   blame           modules by the time their insert took
 *   critical-chain  the chain of inserts and waits that decided when the batch finished
 *   plot            an SVG with one bar per module, from queued to live
 *
 * The daemon's GetTimeline gives, per module, when its request was queued, when the policy had
 * checked it, when a worker began inserting it, when the kernel returned and when its uevent
 * arrived (CLOCK_MONOTONIC, so "@" times are from about the kernel's start). */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-call.h"
#include "i18n.h"
#include "modctl.h"
#include "output.h"
#include "strv.h"

typedef struct Entry {
        char *name;
        char *origin;
        uint64_t queued, checked, started, inserted, live;
        int error;
        char **after;
} Entry;

typedef struct Batch {
        char *name;
        uint64_t started, finished;
} Batch;

/* modctld's own work at its start: set-up steps, the device walk, planning (in pieces). */
typedef struct Phase {
        char *name;
        uint64_t began, ended, busy;
        unsigned count;
} Phase;

typedef struct Timeline {
        uint64_t now;
        Batch *batches;
        size_t n_batches;
        Entry *entries;
        size_t n_entries;
        Phase *phases;
        size_t n_phases;
} Timeline;

static void timeline_done(Timeline *t) {
        for (size_t i = 0; i < t->n_entries; i++) {
                free(t->entries[i].name);
                free(t->entries[i].origin);
                strv_free(t->entries[i].after);
        }
        free(t->entries);
        for (size_t i = 0; i < t->n_batches; i++)
                free(t->batches[i].name);
        free(t->batches);
        for (size_t i = 0; i < t->n_phases; i++)
                free(t->phases[i].name);
        free(t->phases);
}

/* The phases are GetTimeline's fourth field; a daemon from before them sends none. */
static int read_phases(sd_bus_message *reply, Timeline *t) {
        const char *name;
        Phase p = {};
        char type;
        int r;

        r = sd_bus_message_peek_type(reply, &type, NULL);
        if (r <= 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(stttu)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(stttu)", &name, &p.began, &p.ended, &p.busy,
                                                  &p.count)) > 0) {
                Phase *l = realloc(t->phases, sizeof(Phase) * (t->n_phases + 1));
                if (!l)
                        return -ENOMEM;
                t->phases = l;
                p.name = strdup(name);
                if (!p.name)
                        return -ENOMEM;
                t->phases[t->n_phases++] = p;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(reply);
}

static int read_entry(sd_bus_message *reply, Entry *e) {
        const char *name, *origin;
        int r;

        r = sd_bus_message_enter_container(reply, 'r', "sstttttias");
        if (r <= 0)
                return r;
        r = sd_bus_message_read(reply, "ssttttti", &name, &origin, &e->queued, &e->checked, &e->started,
                                &e->inserted, &e->live, &e->error);
        if (r < 0)
                return r;
        r = sd_bus_message_read_strv(reply, &e->after);
        if (r < 0)
                return r;
        e->name = strdup(name);
        e->origin = strdup(origin);
        if (!e->name || !e->origin)
                return -ENOMEM;
        r = sd_bus_message_exit_container(reply);
        return r < 0 ? r : 1;
}

static int read_timeline(sd_bus_message *reply, Timeline *t) {
        const char *name;
        uint64_t started, finished;
        int r;

        r = sd_bus_message_read(reply, "t", &t->now);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(stt)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(stt)", &name, &started, &finished)) > 0) {
                Batch *l = realloc(t->batches, sizeof(Batch) * (t->n_batches + 1));
                if (!l)
                        return -ENOMEM;
                t->batches = l;
                t->batches[t->n_batches] = (Batch) { strdup(name), started, finished };
                if (!t->batches[t->n_batches++].name)
                        return -ENOMEM;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(sstttttias)");
        for (;;) {
                if (r < 0)
                        return r;
                Entry *l = realloc(t->entries, sizeof(Entry) * (t->n_entries + 1));
                if (!l)
                        return -ENOMEM;
                t->entries = l;
                t->entries[t->n_entries] = (Entry) {};
                r = read_entry(reply, &t->entries[t->n_entries]);
                if (r <= 0)
                        break;
                t->n_entries++;
        }
        if (r < 0) {
                /* The half-read entry is the last one: give it back. */
                free(t->entries[t->n_entries].name);
                free(t->entries[t->n_entries].origin);
                strv_free(t->entries[t->n_entries].after);
                return r;
        }
        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;
        return read_phases(reply, t);
}

/* The window of a batch: "boot" is the boot list and the coldplug that runs beside it, from
 * the first batch's start to the last one's end; "all" is everything recorded. */
static int select_window(const Timeline *t, const char *batch, uint64_t *ret_from, uint64_t *ret_to) {
        uint64_t from = UINT64_MAX, to = 0;

        if (streq(batch, "all")) {
                /* From the first request on, so that a plot does not start at the kernel's start. */
                for (size_t i = 0; i < t->n_entries; i++)
                        from = MIN(from, t->entries[i].queued);
                *ret_from = from == UINT64_MAX ? 0 : from;
                *ret_to = UINT64_MAX;
                return 0;
        }
        if (streq(batch, "boot")) {
                /* The first boot batch, and the coldplug that runs beside it. */
                for (size_t i = 0; i < t->n_batches && from == UINT64_MAX; i++)
                        if (streq(t->batches[i].name, "boot")) {
                                from = t->batches[i].started;
                                to = t->batches[i].finished ?: t->now;
                        }
                for (size_t i = 0; from != UINT64_MAX && i < t->n_batches; i++)
                        if (streq(t->batches[i].name, "coldplug") && t->batches[i].started >= from &&
                            t->batches[i].started <= to)
                                to = MAX(to, t->batches[i].finished ?: t->now);
        } else
                /* Any other batch: its latest run (coldplug runs again after a reload). */
                for (size_t i = t->n_batches; i > 0 && from == UINT64_MAX; i--)
                        if (streq(t->batches[i - 1].name, batch)) {
                                from = t->batches[i - 1].started;
                                to = t->batches[i - 1].finished ?: t->now;
                        }
        if (from == UINT64_MAX) {
                log_error_line(_("No '%s' batch has run: nothing to analyze (try 'all')."), batch);
                return -ENOENT;
        }
        *ret_from = from;
        *ret_to = to;
        return 0;
}

/* Queued while the window was open. A request queued the moment the last batch ended came after
 * it (the fake kernel's virtual clock stands still between inserts). */
static bool in_window(const Entry *e, uint64_t from, uint64_t to) {
        return e->queued >= from && (e->queued < to || e->queued == from);
}

static uint64_t entry_end(const Entry *e) {
        return e->live ?: e->inserted;
}

static const Entry *find_entry(const Timeline *t, const char *name, uint64_t before) {
        /* The newest entry of name that had ended by before. */
        for (size_t i = t->n_entries; i > 0; i--) {
                const Entry *e = &t->entries[i - 1];
                if (streq(e->name, name) && entry_end(e) && entry_end(e) <= before)
                        return e;
        }
        return NULL;
}

static void format_span(char *buf, size_t size, uint64_t usec) {
        if (usec >= 10 * 1000 * 1000)
                snprintf(buf, size, "%.1fs", usec / 1e6);
        else if (usec >= 1000 * 1000)
                snprintf(buf, size, "%.3fs", usec / 1e6);
        else
                snprintf(buf, size, "%" PRIu64 "ms", usec / 1000);
}

static void format_at(char *buf, size_t size, uint64_t usec) {
        snprintf(buf, size, "%.3fs", usec / 1e6);
}

/* ---- modctld's own phases, for --json ---- */

/* The phases shown with the 'boot' window: modctld's start, before the window opens, is part of
 * why it ended when it did. */
static bool show_phases(const Timeline *t, const char *batch) {
        return t->n_phases > 0 && streq(batch, "boot");
}

/* The inserts of the window: the first one's start to the last one's end; false if none ran. */
static bool inserts_span(const Timeline *t, uint64_t from, uint64_t to, uint64_t *ret_first, uint64_t *ret_last,
                         size_t *ret_n) {
        uint64_t first = UINT64_MAX, last = 0;
        size_t n = 0;

        for (size_t i = 0; i < t->n_entries; i++) {
                const Entry *e = &t->entries[i];
                if (!in_window(e, from, to) || !e->started)
                        continue;
                n++;
                first = MIN(first, e->started);
                last = MAX(last, entry_end(e));
        }
        if (n == 0)
                return false;
        *ret_first = first;
        *ret_last = last;
        *ret_n = n;
        return true;
}

/* The object of blame's and critical-chain's --json: the list under key, then modctld's own
 * phases (empty outside the 'boot' window, as in the text) and the window's inserts (null when
 * none ran). Takes list, also on failure. */
static int print_with_phases(const Timeline *t, const Options *o, uint64_t from, uint64_t to, const char *batch,
                             const char *key, json_object *list) {
        _cleanup_(json_object_putp) json_object *root = json_object_new_object();
        json_object *phases, *inserts = NULL;
        uint64_t first, last;
        size_t n;

        if (!root || !list) {
                json_object_put(list);
                return log_oom();
        }
        json_object_object_add(root, key, list);
        phases = json_object_new_array();
        if (!phases)
                return log_oom();
        json_object_object_add(root, "phases", phases);
        for (size_t i = 0; show_phases(t, batch) && i < t->n_phases; i++) {
                const Phase *p = &t->phases[i];
                json_object *j = json_object_new_object();
                if (!j)
                        return log_oom();
                json_object_object_add(j, "phase", json_object_new_string(p->name));
                json_object_object_add(j, "began_usec", json_object_new_int64((int64_t) p->began));
                json_object_object_add(j, "ended_usec", json_object_new_int64((int64_t) p->ended));
                json_object_object_add(j, "busy_usec", json_object_new_int64((int64_t) p->busy));
                json_object_object_add(j, "pieces", json_object_new_int64(p->count));
                json_object_array_add(phases, j);
        }
        if (inserts_span(t, from, to, &first, &last, &n)) {
                inserts = json_object_new_object();
                if (!inserts)
                        return log_oom();
                json_object_object_add(inserts, "began_usec", json_object_new_int64((int64_t) first));
                json_object_object_add(inserts, "ended_usec", json_object_new_int64((int64_t) last));
                json_object_object_add(inserts, "modules", json_object_new_int64((int64_t) n));
        }
        json_object_object_add(root, "inserts", inserts);
        return print_json(root, o->json);
}

/* ---- blame ---- */

static int cmp_blame(const void *a, const void *b) {
        const Entry *x = *(const Entry *const *) a, *y = *(const Entry *const *) b;
        uint64_t dx = x->inserted - x->started, dy = y->inserted - y->started;

        if (dx != dy)
                return dx < dy ? 1 : -1;
        return strcmp(x->name, y->name);
}

static int blame(const Timeline *t, const Options *o, uint64_t from, uint64_t to, const char *batch) {
        _cleanup_free_ const Entry **l = calloc(t->n_entries + 1, sizeof(Entry *));
        size_t n = 0;

        if (!l)
                return log_oom();
        for (size_t i = 0; i < t->n_entries; i++)
                if (in_window(&t->entries[i], from, to) && t->entries[i].started && t->entries[i].inserted)
                        l[n++] = &t->entries[i];
        qsort(l, n, sizeof(Entry *), cmp_blame);

        if (o->json != JSON_OFF) {
                _cleanup_(json_object_putp) json_object *a = json_object_new_array();
                for (size_t i = 0; a && i < n; i++) {
                        json_object *j = json_object_new_object();
                        if (!j)
                                return log_oom();
                        json_object_array_add(a, j);
                        json_object_object_add(j, "module", json_object_new_string(l[i]->name));
                        json_object_object_add(j, "origin", json_object_new_string(l[i]->origin));
                        json_object_object_add(j, "insert_usec",
                                               json_object_new_int64((int64_t) (l[i]->inserted - l[i]->started)));
                        json_object_object_add(j, "errno", json_object_new_int(-l[i]->error));
                }
                return print_with_phases(t, o, from, to, batch, "modules", TAKE_PTR(a));
        }
        for (size_t i = 0; i < n; i++) {
                char span[32];
                format_span(span, sizeof(span), l[i]->inserted - l[i]->started);
                if (l[i]->error < 0)
                        printf("%10s %s (%s: %s)\n", span, l[i]->name, _("failed"), i18n_strerror(-l[i]->error));
                else
                        printf("%10s %s\n", span, l[i]->name);
        }
        return 0;
}

/* ---- critical-chain ---- */

/* The module whose end decided the window's end, then, step by step, the dependency each one
 * waited for last. */
static size_t build_chain(const Timeline *t, uint64_t from, uint64_t to, const Entry **chain, size_t max) {
        const Entry *cur = NULL;
        size_t n = 0;

        for (size_t i = 0; i < t->n_entries; i++) {
                const Entry *e = &t->entries[i];
                if (in_window(e, from, to) && entry_end(e) && (!cur || entry_end(e) >= entry_end(cur)))
                        cur = e;
        }
        while (cur && n < max) {
                const Entry *next = NULL;

                chain[n++] = cur;
                STRV_FOREACH(a, cur->after) {
                        const Entry *d = find_entry(t, *a, cur->started ?: entry_end(cur));
                        if (d && (!next || entry_end(d) > entry_end(next)))
                                next = d;
                }
                cur = next;
        }
        return n;
}

/* What a newcomer reads first: modctld's start-up, its planning and device walk, and when the
 * inserts ran, each with its time, in the order they began. */
static void print_phases(const Timeline *t, uint64_t from, uint64_t to) {
        uint64_t first, last;
        size_t n;

        printf(_("\nmodctld's own work (\"@\" when a phase began, \"+\" how long it took; a phase done in\n"
                 "pieces between other work gives their number and the time they took together):\n"));
        for (size_t i = 0; i < t->n_phases; i++) {
                const Phase *p = &t->phases[i];
                char at[32], took[32], busy[32];

                format_at(at, sizeof(at), p->began);
                format_span(took, sizeof(took), p->ended - p->began);
                printf("  %-14s @%s +%s", p->name, at, took);
                if (p->count > 1) {
                        format_span(busy, sizeof(busy), p->busy);
                        printf(" (%s: %u, %s)", _("pieces"), p->count, busy);
                }
                putchar('\n');
        }
        if (inserts_span(t, from, to, &first, &last, &n)) {
                char at[32], took[32];
                format_at(at, sizeof(at), first);
                format_span(took, sizeof(took), last - first);
                printf("  %-14s @%s +%s (%zu %s)\n", "inserts", at, took, n, _("modules"));
        }
}

/* What the module waited for between its request and its insert: its dependencies, the policy
 * check, or a free worker. */
static uint64_t waited(const Entry *e, const Entry *dep) {
        uint64_t ready = MAX(dep ? entry_end(dep) : e->queued, e->checked);
        return e->started > ready ? e->started - ready : 0;
}

static int critical_chain(const Timeline *t, const Options *o, uint64_t from, uint64_t to, const char *batch) {
        const Entry *chain[64];
        size_t n = build_chain(t, from, to, chain, ELEMENTSOF(chain));

        if (o->json != JSON_OFF) {
                _cleanup_(json_object_putp) json_object *a = json_object_new_array();
                for (size_t i = 0; a && i < n; i++) {
                        const Entry *e = chain[i], *dep = i + 1 < n ? chain[i + 1] : NULL;
                        json_object *j = json_object_new_object();
                        if (!j)
                                return log_oom();
                        json_object_array_add(a, j);
                        json_object_object_add(j, "module", json_object_new_string(e->name));
                        json_object_object_add(j, "origin", json_object_new_string(e->origin));
                        json_object_object_add(j, "queued_usec", json_object_new_int64((int64_t) e->queued));
                        json_object_object_add(j, "checked_usec", json_object_new_int64((int64_t) e->checked));
                        json_object_object_add(j, "started_usec", json_object_new_int64((int64_t) e->started));
                        json_object_object_add(j, "inserted_usec", json_object_new_int64((int64_t) e->inserted));
                        json_object_object_add(j, "live_usec", json_object_new_int64((int64_t) e->live));
                        json_object_object_add(j, "waited_usec", json_object_new_int64((int64_t) waited(e, dep)));
                }
                return print_with_phases(t, o, from, to, batch, "chain", TAKE_PTR(a));
        }
        if (n == 0) {
                printf(_("No module was inserted in the '%s' window.\n"), batch);
                return 0;
        }

        char total[32], at[32];
        format_span(total, sizeof(total), entry_end(chain[0]) - from);
        format_at(at, sizeof(at), from);
        printf(_("The '%s' window began @%s; its last module went live %s later.\n"), batch, at, total);
        printf(_("\"@\" is when a module went live, \"+\" how long its insert took, \"waited\" the time between\n"
                 "what it depended on being ready and its insert starting (a busy worker, or the policy check).\n\n"));
        for (size_t i = 0; i < n; i++) {
                const Entry *e = chain[i], *dep = i + 1 < n ? chain[i + 1] : NULL;
                char live[32], took[32], wait[32];

                format_at(live, sizeof(live), entry_end(e));
                format_span(took, sizeof(took), e->inserted - e->started);
                format_span(wait, sizeof(wait), waited(e, dep));
                printf("%*s%s%s @%s +%s", (int) (i > 0 ? 2 * (i - 1) : 0), "", i > 0 ? "└─" : "", e->name, live, took);
                if (waited(e, dep) > 0)
                        printf(" (%s %s)", _("waited"), wait);
                if (!dep) {
                        char q[32];
                        format_at(q, sizeof(q), e->queued);
                        printf(" (%s @%s, %s)", _("queued"), q, e->origin);
                }
                putchar('\n');
        }
        if (show_phases(t, batch))
                print_phases(t, from, to);
        return 0;
}

/* ---- plot ---- */

static const char *origin_color(const char *origin) {
        if (streq(origin, "boot"))
                return "#3465a4";
        if (streq(origin, "device"))
                return "#4e9a06";
        if (streq(origin, "kernel"))
                return "#c4a000";
        if (streq(origin, "user"))
                return "#75507b";
        return "#888a85";
}

static void xml_escaped(const char *s) {
        for (; *s; s++)
                switch (*s) {
                case '<': fputs("&lt;", stdout); break;
                case '>': fputs("&gt;", stdout); break;
                case '&': fputs("&amp;", stdout); break;
                case '"': fputs("&quot;", stdout); break;
                default: putchar(*s);
                }
}

static int cmp_start(const void *a, const void *b) {
        const Entry *x = *(const Entry *const *) a, *y = *(const Entry *const *) b;
        uint64_t sx = x->started ?: x->queued, sy = y->started ?: y->queued;
        return sx < sy ? -1 : sx > sy ? 1 : strcmp(x->name, y->name);
}

#define PLOT_ROW 20
#define PLOT_LABEL 220
#define PLOT_TOP 60

static int plot(const Timeline *t, uint64_t from, uint64_t to, const char *batch) {
        _cleanup_free_ const Entry **l = calloc(t->n_entries + 1, sizeof(Entry *));
        uint64_t end = from;
        size_t n = 0;

        if (!l)
                return log_oom();
        for (size_t i = 0; i < t->n_entries; i++)
                if (in_window(&t->entries[i], from, to)) {
                        l[n++] = &t->entries[i];
                        end = MAX(end, entry_end(&t->entries[i]) ?: t->entries[i].queued);
                }
        qsort(l, n, sizeof(Entry *), cmp_start);
        /* modctld's start-up phases above the modules, the window widened to show them. */
        size_t np = show_phases(t, batch) ? t->n_phases : 0;
        int phase_top = PLOT_TOP + (np > 0 ? 16 : 0);
        for (size_t i = 0; i < np; i++) {
                from = MIN(from, t->phases[i].began);
                end = MAX(end, t->phases[i].ended);
        }
        int top = phase_top + (int) np * PLOT_ROW + (np > 0 ? PLOT_ROW / 2 : 0);

        /* At least 800 px for the span, and no less than 1 px per 2 ms. */
        double span = (double) MAX(end - from, (uint64_t) 1);
        double width = MAX(800.0, span / 2000.0);
        double scale = width / span;
        int height = top + (int) n * PLOT_ROW + 60;
#define X(usec) (PLOT_LABEL + ((double) ((usec) - from)) * scale)

        printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        printf("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%d\" font-family=\"sans-serif\" "
               "font-size=\"12\">\n", width + PLOT_LABEL + 40, height);
        printf("<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
        printf("<text x=\"10\" y=\"20\" font-size=\"16\">modctl analyze plot: '");
        xml_escaped(batch);
        printf("', %zu modules, %.3f s</text>\n", n, span / 1e6);
        printf("<text x=\"10\" y=\"40\" fill=\"#555\">queued (light) . checked . waiting . inserting (solid, "
               "coloured by origin: boot blue, device green, kernel yellow, user purple, external grey) . "
               "until its uevent (thin)</text>\n");
        if (np > 0)
                printf("<text x=\"10\" y=\"56\" fill=\"#555\">above the modules, modctld's own phases (orange; "
                       "light: done in pieces between other work, with the pieces' sum)</text>\n");
        /* Time axis: about ten lines, at 10 ms, 50 ms, 100 ms, 500 ms or whole seconds. */
        static const uint64_t steps[] = { 10000, 50000, 100000, 500000, 1000000, 5000000, 10000000 };
        uint64_t step = steps[ELEMENTSOF(steps) - 1];
        for (size_t i = 0; i < ELEMENTSOF(steps); i++)
                if (span / (double) steps[i] <= 12) {
                        step = steps[i];
                        break;
                }
        for (uint64_t x = 0; x <= end - from; x += step) {
                printf("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>\n", X(from + x), PLOT_TOP - 5,
                       X(from + x), height - 40);
                printf("<text x=\"%.1f\" y=\"%d\" fill=\"#555\">%.2fs</text>\n", X(from + x), height - 25,
                       (from + x) / 1e6);
        }
        for (size_t i = 0; i < np; i++) {
                const Phase *p = &t->phases[i];
                int y = phase_top + (int) i * PLOT_ROW;
                bool pieces = p->count > 1;

                printf("<g><title>modctld %s: @%.3fs, %.1f ms", p->name, p->began / 1e6,
                       (p->ended - p->began) / 1e3);
                if (pieces)
                        printf(", %u pieces, %.1f ms together", p->count, p->busy / 1e3);
                printf("</title>\n<text x=\"10\" y=\"%d\" fill=\"#ce5c00\">modctld: %s</text>\n", y + 14,
                       p->name);
                printf("<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"14\" fill=\"%s\"/>\n", X(p->began),
                       y + 2, MAX(X(p->ended) - X(p->began), 1.0), pieces ? "#fcaf3e" : "#f57900");
                printf("<text x=\"%.1f\" y=\"%d\" fill=\"#555\">%.0f ms</text></g>\n", X(p->ended) + 4,
                       y + 14, p->busy / 1e3);
        }
        for (size_t i = 0; i < n; i++) {
                const Entry *e = l[i];
                int y = top + (int) i * PLOT_ROW;
                uint64_t checked = e->checked ?: e->queued, started = e->started ?: checked;
                uint64_t inserted = e->inserted ?: started, live = e->live ?: inserted;

                printf("<g><title>");
                xml_escaped(e->name);
                printf(" (%s): queued @%.3fs, insert %.1f ms%s</title>\n", e->origin, e->queued / 1e6,
                       (inserted - started) / 1e3, e->error < 0 ? ", failed" : "");
                printf("<text x=\"10\" y=\"%d\">", y + 14);
                xml_escaped(e->name);
                printf("</text>\n");
                printf("<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"14\" fill=\"#d3d7cf\"/>\n", X(e->queued), y + 2,
                       MAX(X(checked) - X(e->queued), 0.5));
                printf("<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"14\" fill=\"#eeeeec\" stroke=\"#d3d7cf\"/>\n",
                       X(checked), y + 2, MAX(X(started) - X(checked), 0.5));
                printf("<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"14\" fill=\"%s\"%s/>\n", X(started), y + 2,
                       MAX(X(inserted) - X(started), 1.0), origin_color(e->origin),
                       e->error < 0 ? " stroke=\"#cc0000\" stroke-width=\"2\"" : "");
                printf("<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"4\" fill=\"%s\"/>\n", X(inserted), y + 7,
                       MAX(X(live) - X(inserted), 0.5), origin_color(e->origin));
                printf("<text x=\"%.1f\" y=\"%d\" fill=\"#555\">%.0f ms</text></g>\n", X(live) + 4, y + 14,
                       (inserted - started) / 1e3);
        }
        /* Dependencies: from the end of what a module waited for to the start of its insert. */
        for (size_t i = 0; i < n; i++)
                STRV_FOREACH(a, l[i]->after)
                        for (size_t k = 0; k < n; k++)
                                if (streq(l[k]->name, *a) && entry_end(l[k]))
                                        printf("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                                               "stroke=\"#ef2929\" "
                                               "stroke-width=\"1\" stroke-dasharray=\"3,2\"/>\n",
                                               X(entry_end(l[k])), top + (int) k * PLOT_ROW + 9,
                                               X(l[i]->started ?: l[i]->queued),
                                               top + (int) i * PLOT_ROW + 9);
        printf("</svg>\n");
#undef X
        return 0;
}

int verb_analyze(sd_bus *bus, const Options *o, char **args, size_t n_args) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(timeline_done) Timeline t = {};
        const char *what = args[0], *batch = n_args > 1 ? args[1] : "boot";
        uint64_t from, to;
        int r;

        if (!streq(what, "blame") && !streq(what, "critical-chain") && !streq(what, "plot")) {
                log_error_line(_("Unknown analysis '%s': use blame, critical-chain or plot."), what);
                return -EINVAL;
        }
        if (streq(what, "plot") && o->json != JSON_OFF) {
                log_error_line(_("'analyze plot' writes SVG; --json is for blame and critical-chain."));
                return -EINVAL;
        }

        r = modctl_new_method_call(bus, "GetTimeline", false, &m);
        if (r < 0)
                return r;
        r = modctl_call(bus, m, MODCTL_DEFAULT_TIMEOUT_USEC, &reply);
        if (r < 0)
                return r;
        r = read_timeline(reply, &t);
        if (r < 0)
                return log_parse_error(r);
        r = select_window(&t, batch, &from, &to);
        if (r < 0)
                return r;

        if (streq(what, "blame"))
                return blame(&t, o, from, to, batch);
        if (streq(what, "critical-chain"))
                return critical_chain(&t, o, from, to, batch);
        return plot(&t, from, to, batch);
}
