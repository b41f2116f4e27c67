/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <dirent.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon-config.h"
#include "time-util.h"
#include "strv.h"

static const char *const hook_fallback_table[] = { "modprobe", "deny" };
static const char *const policy_mode_table[] = { "enforce", "warn", "off" };
static const char *const policy_license_table[] = { "any", "gpl-compatible" };
static const char *const policy_signature_table[] = { "any", "signed", "trusted", "kernel" };
static const char *const policy_vermagic_table[] = { "check", "ignore" };
static const char *const ownership_mode_table[] = { "shared", "audit", "exclusive" };
static const char *const ownership_on_exit_table[] = { "release", "keep" };
static const char *const kernel_requests_table[] = { "any", "privileged", "none" };

#define DEFINE_TO_STRING(name, type, table)                             \
        const char *name(type v) {                                      \
                return (size_t) v < ELEMENTSOF(table) ? table[v] : NULL; \
        }

DEFINE_TO_STRING(hook_fallback_to_string, HookFallback, hook_fallback_table)
DEFINE_TO_STRING(policy_mode_to_string, PolicyMode, policy_mode_table)
DEFINE_TO_STRING(policy_license_to_string, PolicyLicense, policy_license_table)
DEFINE_TO_STRING(policy_signature_to_string, PolicySignature, policy_signature_table)
DEFINE_TO_STRING(policy_vermagic_to_string, PolicyVermagic, policy_vermagic_table)
DEFINE_TO_STRING(ownership_mode_to_string, OwnershipMode, ownership_mode_table)
DEFINE_TO_STRING(ownership_on_exit_to_string, OwnershipOnExit, ownership_on_exit_table)
DEFINE_TO_STRING(kernel_requests_to_string, KernelRequests, kernel_requests_table)

static int lookup(const char *const *table, size_t n, const char *value) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(table[i], value) == 0)
                        return (int) i;
        return -EINVAL;
}

int config_new_default(Config **ret) {
        Config *c = calloc(1, sizeof(Config));

        assert(ret);

        if (!c)
                return -ENOMEM;

        c->n_ref = 1;
        c->daemon.hook_fallback = HOOK_FALLBACK_DENY;  /* a policy is in force: don't bypass it */
        c->daemon.hook_install = true;
        c->daemon.load_timeout_usec = 120 * USEC_PER_SEC;
        c->daemon.command_timeout_usec = 60 * USEC_PER_SEC;
        c->policy.mode = POLICY_MODE_ENFORCE;
        c->policy.out_of_tree = true;
        c->policy.staging = true;
        c->policy.vermagic = POLICY_VERMAGIC_CHECK;
        c->daemon.hook_modprobe = strdup("/sbin/modprobe");
        c->daemon.hook_helper = strdup(LIBEXECDIR "/modctl-request");
        c->policy.trusted_certificates = strdup(SYSCONFDIR "/modctl/keys");
        if (!c->daemon.hook_modprobe || !c->daemon.hook_helper || !c->policy.trusted_certificates) {
                config_unref(c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

Config *config_ref(Config *c) {
        if (c)
                c->n_ref++;
        return c;
}

/* References are taken and dropped on the event loop only. */
Config *config_unref(Config *c) {
        if (!c || --c->n_ref > 0)
                return NULL;
        free(c->daemon.hook_modprobe);
        free(c->daemon.hook_helper);
        free(c->policy.trusted_certificates);
        strv_free(c->policy.deny);
        strv_free(c->policy.allow);
        strv_free(c->policy.deny_files);
        strv_free(c->policy.allow_files);
        free(c->policy.deny_reset_file);
        free(c->policy.allow_reset_file);
        strv_free(c->policy.kernel_blacklist);
        strv_free(c->files);
        free(c);
        return NULL;
}

static int parse_boolean(const char *v) {
        static const char *const yes[] = { "yes", "y", "true", "t", "on", "1" };
        static const char *const no[] = { "no", "n", "false", "f", "off", "0" };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(v, yes[i]) == 0)
                        return 1;
                if (strcasecmp(v, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}

/* "90", "90s", "2min", "500ms", "infinity" (0: no timeout). */
static int parse_seconds(const char *v, uint64_t *ret) {
        static const struct { const char *suffix; uint64_t usec; } units[] = {
                { "", USEC_PER_SEC }, { "s", USEC_PER_SEC }, { "sec", USEC_PER_SEC },
                { "ms", 1000 }, { "min", 60 * USEC_PER_SEC }, { "m", 60 * USEC_PER_SEC },
        };
        char *end;

        if (strcmp(v, "infinity") == 0) {
                *ret = 0;
                return 0;
        }
        if (*v < '0' || *v > '9')
                return -EINVAL;
        errno = 0;
        unsigned long long n = strtoull(v, &end, 10);
        if (errno != 0 || n > UINT32_MAX)
                return -ERANGE;
        while (*end == ' ')
                end++;
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (strcmp(end, units[i].suffix) == 0) {
                        *ret = n * units[i].usec;
                        return 0;
                }
        return -EINVAL;
}

static bool glob_is_valid(const char *g) {
        if (!*g || strlen(g) > 127)
                return false;
        for (const char *p = g; *p; p++)
                if (*p == '/' || *p <= ' ' || *p >= 127)
                        return false;
        return true;
}

/* Space-separated module-name globs; an empty value resets the list. '-' and '_' are the
 * same in module names, so globs are stored with '_'. */
/* files: kept parallel to list, the file each glob came from; reset_file: the file of the last
 * reset, so that a setting it dropped can name it. */
static int parse_globs(const char *v, char ***list, char ***files, char **reset_file, const char *file) {
        _cleanup_free_ char *copy = strdup(v);
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        if (!*v) {
                char *f = strdup(strempty(file));
                if (!f)
                        return -ENOMEM;
                free(*reset_file);
                *reset_file = f;
                *list = strv_free(*list);
                *files = strv_free(*files);
                return 0;
        }
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                if (!glob_is_valid(w))
                        return -EINVAL;
                for (char *p = w; *p; p++)
                        if (*p == '-')
                                *p = '_';
                if (strv_contains(*list, w))
                        continue;
                if (strv_extend(list, w) < 0 || strv_extend(files, strempty(file)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int set_string(char **field, const char *v, bool absolute_path) {
        if (absolute_path && v[0] != '/')
                return -EINVAL;
        char *s = strdup(v);
        if (!s)
                return -ENOMEM;
        free(*field);
        *field = s;
        return 0;
}

typedef struct ParseState {
        Config *config;
        const char *file;
        char *error;      /* the first problem, without its line number (inih knows that) */
} ParseState;

static int fail(ParseState *s, const char *fmt, const char *a, const char *b) {
        if (!s->error && asprintf(&s->error, fmt, a, b) < 0)
                s->error = NULL;
        return 0; /* inih: error */
}

#define ENUM(table, field, value)                                               \
        ({                                                                      \
                int _i = lookup(table, ELEMENTSOF(table), value);               \
                if (_i >= 0)                                                    \
                        field = _i;                                             \
                _i;                                                             \
        })

static int handle_daemon(ParseState *s, const char *key, const char *value) {
        DaemonSettings *d = &s->config->daemon;
        int r;

        if (strcmp(key, "HookFallback") == 0)
                return ENUM(hook_fallback_table, d->hook_fallback, value);
        if (strcmp(key, "HookModprobe") == 0)
                return set_string(&d->hook_modprobe, value, true);
        if (strcmp(key, "HookHelper") == 0)
                return set_string(&d->hook_helper, value, true);
        if (strcmp(key, "HookInstall") == 0) {
                r = parse_boolean(value);
                if (r >= 0)
                        d->hook_install = r;
                return r;
        }
        if (strcmp(key, "Ownership") == 0)
                return ENUM(ownership_mode_table, d->ownership, value);
        if (strcmp(key, "OwnershipOnExit") == 0)
                return ENUM(ownership_on_exit_table, d->ownership_on_exit, value);
        if (strcmp(key, "LoadTimeoutSec") == 0)
                return parse_seconds(value, &d->load_timeout_usec);
        if (strcmp(key, "CommandTimeoutSec") == 0)
                return parse_seconds(value, &d->command_timeout_usec);
        if (strcmp(key, "Workers") == 0) {
                char *end;
                errno = 0;
                unsigned long n = strtoul(value, &end, 10);
                if (errno || *end || !*value || value[0] == '-')
                        return -EINVAL;
                if (n > CONFIG_WORKERS_MAX)
                        return -ERANGE;
                d->workers = (unsigned) n;
                return 0;
        }
        return -ENOKEY;
}

static int handle_policy(ParseState *s, const char *key, const char *value) {
        PolicySettings *p = &s->config->policy;
        int r;

        if (strcmp(key, "Mode") == 0)
                return ENUM(policy_mode_table, p->mode, value);
        if (strcmp(key, "License") == 0)
                return ENUM(policy_license_table, p->license, value);
        if (strcmp(key, "Signature") == 0)
                return ENUM(policy_signature_table, p->signature, value);
        if (strcmp(key, "Vermagic") == 0)
                return ENUM(policy_vermagic_table, p->vermagic, value);
        if (strcmp(key, "KernelRequests") == 0)
                return ENUM(kernel_requests_table, p->kernel_requests, value);
        if (strcmp(key, "TrustedCertificates") == 0)
                return set_string(&p->trusted_certificates, value, true);
        if (strcmp(key, "Deny") == 0)
                return parse_globs(value, &p->deny, &p->deny_files, &p->deny_reset_file, s->file);
        if (strcmp(key, "Allow") == 0)
                return parse_globs(value, &p->allow, &p->allow_files, &p->allow_reset_file, s->file);
        if (strcmp(key, "OutOfTree") == 0 || strcmp(key, "Staging") == 0) {
                r = parse_boolean(value);
                if (r >= 0)
                        *(key[0] == 'O' ? &p->out_of_tree : &p->staging) = r;
                return r;
        }
        return -ENOKEY;
}

static int handler(void *userdata, const char *section, const char *key, const char *value) {
        ParseState *s = userdata;
        int r;

        if (!key) /* a section header on its own (inih calls with NULL key when so built) */
                return 1;
        if (strcmp(section, "Daemon") == 0)
                r = handle_daemon(s, key, value);
        else if (strcmp(section, "Policy") == 0)
                r = handle_policy(s, key, value);
        else if (!*section)
                return fail(s, "assignment '%s=%s' outside of a section", key, value);
        else
                return fail(s, "unknown section [%s] (key %s)", section, key);

        if (r == -ENOKEY)
                return fail(s, "unknown key '%s' in [%s]", key, section);
        if (r == -ENOMEM)
                return fail(s, "out of memory at %s=%s", key, value);
        if (r == -ERANGE && strcmp(key, "Workers") == 0)
                return fail(s, "Workers=%s is out of range: %s", value,
                            "0 (one per CPU) to " STRINGIFY(CONFIG_WORKERS_MAX_N));
        if (r < 0)
                return fail(s, "invalid value for %s: '%s'", key, value);
        return 1;
}

static int finish_parse(ParseState *s, int line, Failure *failure) {
        _cleanup_free_ char *error = TAKE_PTR(s->error);

        if (line == 0)
                return strv_extend(&s->config->files, s->file) < 0 ? -ENOMEM : 0;
        if (line < 0)
                return failure_set(failure, FAILURE_INVALID_ARGUMENT, "%s: cannot read the file.", s->file);
        return failure_set(failure, FAILURE_INVALID_ARGUMENT, "%s:%d: %s.", s->file, line,
                           error ?: "syntax error (expected [Section] or Key=Value)");
}

/* inih reads at most INI_MAX_LINE - 1 bytes of a line and parses the rest as another line;
 * refuse such lines instead of misreading them. */
#define LINE_MAX_BYTES (INI_MAX_LINE - 2)
#define FILE_MAX_BYTES (1024 * 1024)

static int check_line_lengths(const char *name, const char *text, Failure *failure) {
        unsigned line = 1;

        for (const char *p = text; *p; line++) {
                size_t n = strcspn(p, "\n");
                if (n > LINE_MAX_BYTES)
                        return failure_set(failure, FAILURE_INVALID_ARGUMENT,
                                           "%s:%u: line too long (%zu bytes, at most %d); split a list over several "
                                           "assignments of the same key.", name, line, n, LINE_MAX_BYTES);
                p += n;
                if (*p)
                        p++;
        }
        return 0;
}

int config_parse_string(Config *c, const char *name, const char *text, Failure *failure) {
        ParseState s = { .config = c, .file = name };
        int r;

        assert(c);

        r = check_line_lengths(name, text, failure);
        if (r < 0)
                return r;
        return finish_parse(&s, ini_parse_string(text, handler, &s), failure);
}

int config_parse_file(Config *c, const char *path, Failure *failure) {
        _cleanup_(fclosep) FILE *f = fopen(path, "re");
        _cleanup_free_ char *text = NULL;
        size_t n;

        assert(c);

        if (!f)
                return failure_set_errno(failure, FAILURE_INTERNAL, -errno, "%s: %s.", path, strerror(errno));
        text = malloc(FILE_MAX_BYTES + 1);
        if (!text)
                return failure_set_errno(failure, FAILURE_INTERNAL, -ENOMEM, "%s: out of memory.", path);
        n = fread(text, 1, FILE_MAX_BYTES + 1, f);
        if (ferror(f))
                return failure_set_errno(failure, FAILURE_INTERNAL, -EIO, "%s: cannot read the file.", path);
        if (n > FILE_MAX_BYTES)
                return failure_set(failure, FAILURE_INVALID_ARGUMENT, "%s: larger than %d bytes.", path, FILE_MAX_BYTES);
        if (memchr(text, '\0', n))
                return failure_set(failure, FAILURE_INVALID_ARGUMENT, "%s: contains a NUL byte.", path);
        text[n] = '\0';
        return config_parse_string(c, path, text, failure);
}

static char *path_join(const char *root, const char *a, const char *b) {
        char *p;
        if (asprintf(&p, "%s%s%s%s", strempty(root), a, b ? "/" : "", strempty(b)) < 0)
                return NULL;
        return p;
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Masked: a symlink to /dev/null or an empty file. */
static bool is_masked(const char *path) {
        struct stat st;
        if (stat(path, &st) < 0)
                return true;
        return S_ISCHR(st.st_mode) || st.st_size == 0;
}

static const char *const config_dirs[] = { "/etc/modctl", "/run/modctl", "/usr/local/lib/modctl", "/usr/lib/modctl" };

int config_load(const char *root, Config **ret, Failure *failure) {
        _cleanup_(config_unrefp) Config *c = NULL;
        _cleanup_(strv_freep) char **names = NULL, **paths = NULL;
        int r;

        assert(ret);

        r = config_new_default(&c);
        if (r < 0)
                return failure_set_errno(failure, FAILURE_INTERNAL, r, "Out of memory while reading the configuration.");

        /* The main file: the first one found wins. */
        for (size_t i = 0; i < ELEMENTSOF(config_dirs); i++) {
                if (strcmp(config_dirs[i], "/usr/local/lib/modctl") == 0)
                        continue;
                _cleanup_free_ char *p = path_join(root, config_dirs[i], "modctld.conf");
                if (!p)
                        return failure_set_errno(failure, FAILURE_INTERNAL, -ENOMEM, "Out of memory while reading the configuration.");
                if (access(p, F_OK) < 0)
                        continue;
                if (!is_masked(p)) {
                        r = config_parse_file(c, p, failure);
                        if (r < 0)
                                return r;
                }
                break;
        }

        /* Drop-ins: collect unique names, the first directory that has a name owns it. */
        for (size_t i = 0; i < ELEMENTSOF(config_dirs); i++) {
                _cleanup_free_ char *dir = path_join(root, config_dirs[i], "modctld.conf.d");
                _cleanup_(closedirp) DIR *d = NULL;

                if (!dir)
                        return failure_set_errno(failure, FAILURE_INTERNAL, -ENOMEM, "Out of memory while reading the configuration.");
                d = opendir(dir);
                if (!d)
                        continue;
                for (struct dirent *de; (de = readdir(d)); ) {
                        size_t n = strlen(de->d_name);
                        if (de->d_name[0] == '.' || n < 6 || strcmp(de->d_name + n - 5, ".conf") != 0 ||
                            strv_contains(names, de->d_name))
                                continue;
                        _cleanup_free_ char *p = path_join(NULL, dir, de->d_name);
                        if (!p || strv_extend(&names, de->d_name) < 0 || strv_extend(&paths, p) < 0)
                                return failure_set_errno(failure, FAILURE_INTERNAL, -ENOMEM, "Out of memory while reading the configuration.");
                }
        }

        /* Applied in file-name order, whatever directory they live in. */
        size_t n = strv_length(names);
        char **order = calloc(n + 1, sizeof(char *));
        if (!order)
                return failure_set_errno(failure, FAILURE_INTERNAL, -ENOMEM, "Out of memory while reading the configuration.");
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *key = NULL;
                if (asprintf(&key, "%s\n%s", names[i], paths[i]) < 0) {
                        strv_free(order);
                        return failure_set_errno(failure, FAILURE_INTERNAL, -ENOMEM, "Out of memory while reading the configuration.");
                }
                order[i] = TAKE_PTR(key);
        }
        qsort(order, n, sizeof(char *), compare_strings);
        for (size_t i = 0; i < n; i++) {
                const char *p = strchr(order[i], '\n') + 1;
                if (is_masked(p))
                        continue;
                r = config_parse_file(c, p, failure);
                if (r < 0) {
                        strv_free(order);
                        return r;
                }
        }
        strv_free(order);

        *ret = TAKE_PTR(c);
        return 0;
}

/* One assignment per glob (they append), so that no line outgrows the parser's limit. */
static void format_globs(FILE *f, const char *key, char **globs) {
        if (strv_length(globs) == 0)
                fprintf(f, "%s=\n", key);
        STRV_FOREACH(g, globs)
                fprintf(f, "%s=%s\n", key, *g);
}

int config_format(const Config *c, char **ret) {
        char *buf = NULL;
        size_t size = 0;

        assert(c);
        assert(ret);

        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return -ENOMEM;
        fprintf(f, "[Daemon]\nHookFallback=%s\nHookModprobe=%s\nHookInstall=%s\nHookHelper=%s\n"
                   "LoadTimeoutSec=%llu\nCommandTimeoutSec=%llu\nWorkers=%u\nOwnership=%s\nOwnershipOnExit=%s\n\n",
                hook_fallback_to_string(c->daemon.hook_fallback), c->daemon.hook_modprobe,
                c->daemon.hook_install ? "yes" : "no", c->daemon.hook_helper,
                (unsigned long long) (c->daemon.load_timeout_usec / USEC_PER_SEC),
                (unsigned long long) (c->daemon.command_timeout_usec / USEC_PER_SEC), c->daemon.workers,
                ownership_mode_to_string(c->daemon.ownership),
                ownership_on_exit_to_string(c->daemon.ownership_on_exit));
        fprintf(f, "[Policy]\nMode=%s\nLicense=%s\nSignature=%s\nTrustedCertificates=%s\n",
                policy_mode_to_string(c->policy.mode), policy_license_to_string(c->policy.license),
                policy_signature_to_string(c->policy.signature), c->policy.trusted_certificates);
        format_globs(f, "Deny", c->policy.deny);
        format_globs(f, "Allow", c->policy.allow);
        fprintf(f, "OutOfTree=%s\nStaging=%s\nVermagic=%s\nKernelRequests=%s\n", c->policy.out_of_tree ? "yes" : "no",
                c->policy.staging ? "yes" : "no", policy_vermagic_to_string(c->policy.vermagic),
                kernel_requests_to_string(c->policy.kernel_requests));
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        return 0;
}
