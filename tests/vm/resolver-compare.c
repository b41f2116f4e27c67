/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The resolver against kmod's `modprobe -D`, over many requests in one process (the index is
 * loaded once). test-resolver-compare.sh runs modprobe -D over the same requests first and
 * hands us its output:
 *
 *   resolver-compare REQUESTS KMOD_STDOUT KMOD_STDERR ALLOW_LIST
 *
 * REQUESTS   one request a line: NAME, or NAME<TAB>PARAMS[<TAB>OPTIONS] (PARAMS as modprobe joins
 *            them, "-" for none; OPTIONS "--ignore-install" or nothing)
 * KMOD_STDOUT modprobe -D's output for each request in turn, each followed by the separator
 *            line "install /bin/echo MODCTL-CMP-SEP " (modprobe.d gives the name
 *            modctl-cmp-sep that install command, so `modprobe -a -D A modctl-cmp-sep B ...`
 *            prints it between requests)
 * KMOD_STDERR modprobe's messages; "Module NAME not found in directory DIR" marks a request
 *            modprobe fails (exit 1)
 * ALLOW_LIST lines NAME<TAB>REASON: requests whose plan may differ, each with its reason
 *
 * Two comparisons per request, both on exit status and lines:
 *   plan: resolver_plan_load() with the dry-run flag and plan_describe(), as `modctl load
 *         --dry-run` shows it, against modprobe -D with trailing spaces removed and repeated
 *         lines listed once (the documented differences; "loaded" and "blacklisted" lines are
 *         modctl's own and left out, nothing is loaded here anyway);
 *   kmod: resolver_show_depends() against modprobe -D, byte for byte.
 * Prints the agreement as figures and exits 1 if a plan differs outside the allow-list or any
 * kmod line differs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "modctl-bus.h"
#include "core/plan.h"
#include "core/resolver.h"
#include "strv.h"

static const char separator[] = "install /bin/echo MODCTL-CMP-SEP ";

typedef struct Request {
        char *name;
        char *params;
        uint64_t flags;
        char **kmod;            /* modprobe -D's lines, as printed */
        bool kmod_failed;
        const char *allowed;    /* the allow-list's reason, or NULL */
} Request;

static char **read_lines(const char *path) {
        _cleanup_(strv_freep) char **l = NULL;
        char *line = NULL;
        size_t size = 0;
        ssize_t n;
        FILE *f = fopen(path, "re");

        if (!f) {
                fprintf(stderr, "resolver-compare: cannot open %s: %m\n", path);
                exit(2);
        }
        l = calloc(1, sizeof(char *));
        while (l && (n = getline(&line, &size, f)) >= 0) {
                if (n > 0 && line[n - 1] == '\n')
                        line[n - 1] = '\0';
                if (strv_extend(&l, line) < 0)
                        break;
        }
        free(line);
        fclose(f);
        if (!l) {
                fprintf(stderr, "resolver-compare: out of memory\n");
                exit(2);
        }
        return TAKE_PTR(l);
}

static double now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* modprobe -D's lines as the plan shows them: no trailing space, each line once. */
static char **kmod_as_plan(char **kmod) {
        _cleanup_(strv_freep) char **out = calloc(1, sizeof(char *));

        STRV_FOREACH(k, kmod) {
                _cleanup_free_ char *s = strdup(*k);
                size_t n;

                if (!s || !out)
                        return NULL;
                n = strlen(s);
                while (n > 0 && s[n - 1] == ' ')
                        s[--n] = '\0';
                if (strv_contains(out, s))
                        continue;
                if (strv_extend(&out, s) < 0)
                        return NULL;
        }
        return TAKE_PTR(out);
}

static char **plan_without_notes(char **lines) {
        _cleanup_(strv_freep) char **out = calloc(1, sizeof(char *));

        STRV_FOREACH(l, lines) {
                if (!out)
                        return NULL;
                if (strncmp(*l, "loaded ", 7) == 0 || strncmp(*l, "blacklisted ", 12) == 0)
                        continue;
                if (strv_extend(&out, *l) < 0)
                        return NULL;
        }
        return TAKE_PTR(out);
}

static bool strv_equal_lines(char **a, char **b) {
        size_t n = strv_length(a);

        if (n != strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (strcmp(a[i], b[i]) != 0)
                        return false;
        return true;
}

static void print_side(const char *label, bool failed, char **lines, const char *message) {
        printf("    %s: exit %d%s%s\n", label, failed ? 1 : 0, message ? " " : "", message ?: "");
        STRV_FOREACH(l, lines)
                printf("      |%s|\n", *l);
}

int main(int argc, char *argv[]) {
        _cleanup_(strv_freep) char **requests = NULL, **out = NULL, **err = NULL, **allow = NULL;
        _cleanup_(resolver_freep) Resolver *r = NULL;
        Request *reqs;
        size_t n = 0, o = 0, plan_agree = 0, plan_allowed = 0, kmod_agree = 0, shown = 0;
        double plan_ms = 0, kmod_ms = 0;
        int e;

        if (argc != 5) {
                fprintf(stderr, "usage: resolver-compare REQUESTS KMOD_STDOUT KMOD_STDERR ALLOW_LIST\n");
                return 2;
        }
        requests = read_lines(argv[1]);
        out = read_lines(argv[2]);
        err = read_lines(argv[3]);
        allow = read_lines(argv[4]);

        n = strv_length(requests);
        reqs = calloc(n + 1, sizeof(Request));
        if (!reqs)
                return 2;

        for (size_t i = 0; i < n; i++) {
                char *tab = strchr(requests[i], '\t');

                reqs[i].name = requests[i];
                if (tab) {
                        char *opts;

                        *tab = '\0';
                        reqs[i].params = tab + 1;
                        opts = strchr(reqs[i].params, '\t');
                        if (opts) {
                                *opts++ = '\0';
                                if (strstr(opts, "--ignore-install"))
                                        reqs[i].flags |= MODCTL_LOAD_IGNORE_COMMANDS;
                        }
                        if (strcmp(reqs[i].params, "-") == 0)
                                reqs[i].params = NULL;
                }
                reqs[i].kmod = calloc(1, sizeof(char *));
                /* modprobe's output up to the next separator. */
                while (out[o] && strcmp(out[o], separator) != 0)
                        if (strv_extend(&reqs[i].kmod, out[o++]) < 0)
                                return 2;
                if (!out[o]) {
                        fprintf(stderr, "resolver-compare: modprobe's output ends before request %zu (%s)\n", i,
                                reqs[i].name);
                        return 2;
                }
                o++;
                STRV_FOREACH(a, allow) {
                        size_t len = strcspn(*a, "\t");

                        if ((*a)[0] != '#' && strlen(reqs[i].name) == len && strncmp(*a, reqs[i].name, len) == 0)
                                reqs[i].allowed = (*a)[len] ? *a + len + 1 : "";
                }
        }

        STRV_FOREACH(l, err) {
                /* "modprobe: WARNING: Module NAME not found in directory DIR" (FATAL without -a) */
                const char *p = strstr(*l, "Module "), *q = p ? strstr(p, " not found in directory ") : NULL;

                if (!q)
                        continue;
                p += strlen("Module ");
                for (size_t i = 0; i < n; i++)
                        if (strlen(reqs[i].name) == (size_t) (q - p) && strncmp(reqs[i].name, p, q - p) == 0)
                                reqs[i].kmod_failed = true;
        }

        /* MODCTL_COMPARE_MODULES_DIR and MODCTL_COMPARE_CONFIG: to run it on a build host against
         * `modprobe -S VER -C DIR`; in the VM the defaults are the real ones. */
        const char *config_paths[] = { getenv("MODCTL_COMPARE_CONFIG"), NULL };
        ResolverConfig config = {
                .modules_dir = getenv("MODCTL_COMPARE_MODULES_DIR"),
                .config_paths = config_paths[0] ? config_paths : NULL,
        };
        e = resolver_new(&config, &r);
        if (e < 0) {
                fprintf(stderr, "resolver-compare: resolver_new: %s\n", strerror(-e));
                return 2;
        }

        for (size_t i = 0; i < n; i++) {
                _cleanup_(strv_freep) char **lines = NULL, **ours = NULL, **theirs = NULL, **shown_kmod = NULL;
                _cleanup_(plan_freep) Plan *p = NULL;
                Failure f = FAILURE_NULL, g = FAILURE_NULL;
                bool plan_failed, show_failed, plan_same, kmod_same;
                double t0;

                t0 = now_ms();
                plan_failed = resolver_plan_load(r, NULL, reqs[i].name, reqs[i].params,
                                                  MODCTL_LOAD_DRY_RUN | reqs[i].flags, &p, &f) < 0;
                if (!plan_failed && plan_describe(p, &lines) < 0)
                        return 2;
                plan_ms += now_ms() - t0;

                t0 = now_ms();
                show_failed = resolver_show_depends(r, reqs[i].name, reqs[i].params, reqs[i].flags, &shown_kmod, &g) < 0;
                kmod_ms += now_ms() - t0;

                ours = plan_failed ? calloc(1, sizeof(char *)) : plan_without_notes(lines);
                theirs = kmod_as_plan(reqs[i].kmod);
                if (!ours || !theirs)
                        return 2;

                plan_same = plan_failed == reqs[i].kmod_failed && strv_equal_lines(ours, theirs);
                kmod_same = show_failed == reqs[i].kmod_failed &&
                            strv_equal_lines(show_failed ? NULL : shown_kmod, reqs[i].kmod);

                if (plan_same)
                        plan_agree++;
                else if (reqs[i].allowed)
                        plan_allowed++;
                if (kmod_same)
                        kmod_agree++;

                if ((!plan_same && !reqs[i].allowed) || !kmod_same) {
                        if (shown++ < 40) {
                                printf("DIFFERENT %s [%s]%s\n", reqs[i].name, strempty(reqs[i].params),
                                       reqs[i].flags ? " --ignore-install" : "");
                                print_side("modprobe -D", reqs[i].kmod_failed, reqs[i].kmod, NULL);
                                if (!plan_same)
                                        print_side("modctl plan", plan_failed, ours, f.message);
                                if (!kmod_same)
                                        print_side("resolver_show_depends", show_failed, shown_kmod, g.message);
                        }
                } else if (!plan_same)
                        printf("ALLOWED %s: %s\n", reqs[i].name, reqs[i].allowed);
                failure_done(&f);
                failure_done(&g);
        }

        printf("resolver-compare: %zu requests; plan agrees with modprobe -D for %zu (%.2f%%), %zu more differ "
               "as allowed, %zu differ otherwise\n",
               n, plan_agree, n ? 100.0 * plan_agree / n : 0, plan_allowed, n - plan_agree - plan_allowed);
        printf("resolver-compare: resolver_show_depends() is byte-identical to modprobe -D for %zu of %zu (%.2f%%)\n",
               kmod_agree, n, n ? 100.0 * kmod_agree / n : 0);
        printf("resolver-compare: resolver time: plans %.0f ms (%.2f ms each), modprobe -D lines %.0f ms\n",
               plan_ms, n ? plan_ms / n : 0, kmod_ms);

        for (size_t i = 0; i < n; i++)
                strv_free(reqs[i].kmod);
        free(reqs);
        return plan_agree + plan_allowed == n && kmod_agree == n ? 0 : 1;
}
