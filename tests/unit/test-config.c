/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* modctld.conf: every key, bad lines with FILE:LINE, drop-in order, precedence and masking. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon-config.h"
#include "strv.h"

static Config *parse(const char *text, int expect) {
        _cleanup_(failure_donep) Failure f = FAILURE_NULL;
        Config *c = NULL;

        cr_assert_eq(config_new_default(&c), 0);
        cr_assert_eq(config_parse_string(c, "test.conf", text, &f), expect, "%s", strempty(f.message));
        return c;
}

static char *parse_error(const char *text) {
        _cleanup_(config_unrefp) Config *c = NULL;
        Failure f = FAILURE_NULL;

        cr_assert_eq(config_new_default(&c), 0);
        cr_assert_eq(config_parse_string(c, "test.conf", text, &f), -failure_kind_to_errno(FAILURE_INVALID_ARGUMENT));
        cr_assert_not_null(f.message);
        return f.message;
}

Test(config, defaults) {
        _cleanup_(config_unrefp) Config *c = NULL;

        cr_assert_eq(config_new_default(&c), 0);
        cr_assert_eq(c->policy.mode, POLICY_MODE_ENFORCE);
        cr_assert_eq(c->policy.license, POLICY_LICENSE_ANY);
        cr_assert_eq(c->policy.signature, POLICY_SIGNATURE_ANY);
        cr_assert_str_eq(c->policy.trusted_certificates, SYSCONFDIR "/modctl/keys");
        cr_assert_null(c->policy.deny);
        cr_assert_null(c->policy.allow);
        cr_assert(c->policy.out_of_tree);
        cr_assert(c->policy.staging);
        cr_assert_eq(c->policy.vermagic, POLICY_VERMAGIC_CHECK);
        cr_assert_eq(c->daemon.hook_fallback, HOOK_FALLBACK_DENY);  /* a policy is in force: fail closed */
        cr_assert_eq(c->daemon.load_timeout_usec, 120000000);
}

Test(config, every_policy_key) {
        _cleanup_(config_unrefp) Config *c = parse(
                "# comment\n; another\n[Policy]\nMode=warn\nLicense=gpl-compatible\nSignature=trusted\n"
                "TrustedCertificates=/srv/keys\nDeny=snd-* dummy\nAllow=snd* soundcore\nOutOfTree=no\n"
                "Staging=false\nVermagic=ignore\n", 0);

        cr_assert_eq(c->policy.mode, POLICY_MODE_WARN);
        cr_assert_eq(c->policy.license, POLICY_LICENSE_GPL_COMPATIBLE);
        cr_assert_eq(c->policy.signature, POLICY_SIGNATURE_TRUSTED);
        cr_assert_str_eq(c->policy.trusted_certificates, "/srv/keys");
        /* Globs are stored with '_' like module names. */
        cr_assert_eq(strv_length(c->policy.deny), 2);
        cr_assert_str_eq(c->policy.deny[0], "snd_*");
        cr_assert_str_eq(c->policy.deny[1], "dummy");
        cr_assert_eq(strv_length(c->policy.allow), 2);
        cr_assert(!c->policy.out_of_tree);
        cr_assert(!c->policy.staging);
        cr_assert_eq(c->policy.vermagic, POLICY_VERMAGIC_IGNORE);
}

Test(config, every_enum_value) {
        static const char *const modes[] = { "enforce", "warn", "off" };
        static const char *const sigs[] = { "any", "signed", "trusted", "kernel" };
        _cleanup_free_ char *t = NULL;

        for (size_t i = 0; i < 3; i++) {
                _cleanup_free_ char *s = NULL;
                cr_assert(asprintf(&s, "[Policy]\nMode=%s\n", modes[i]) > 0);
                _cleanup_(config_unrefp) Config *c = parse(s, 0);
                cr_assert_eq((size_t) c->policy.mode, i);
                cr_assert_str_eq(policy_mode_to_string(c->policy.mode), modes[i]);
        }
        for (size_t i = 0; i < 4; i++) {
                _cleanup_free_ char *s = NULL;
                cr_assert(asprintf(&s, "[Policy]\nSignature=%s\n", sigs[i]) > 0);
                _cleanup_(config_unrefp) Config *c = parse(s, 0);
                cr_assert_eq((size_t) c->policy.signature, i);
        }
        _cleanup_(config_unrefp) Config *c = parse("[Policy]\nLicense=any\nVermagic=check\nOutOfTree=yes\nStaging=1\n", 0);
        cr_assert_eq(c->policy.license, POLICY_LICENSE_ANY);
        cr_assert_eq(c->policy.vermagic, POLICY_VERMAGIC_CHECK);
        cr_assert(c->policy.out_of_tree && c->policy.staging);
}

Test(config, every_daemon_key) {
        _cleanup_(config_unrefp) Config *c = parse(
                "[Daemon]\nHookFallback=deny\nHookModprobe=/usr/sbin/modprobe\nHookInstall=no\n"
                "HookHelper=/opt/helper\nLoadTimeoutSec=2min\nCommandTimeoutSec=500ms\nWorkers=3\n", 0);

        cr_assert_eq(c->daemon.hook_fallback, HOOK_FALLBACK_DENY);
        cr_assert_str_eq(c->daemon.hook_modprobe, "/usr/sbin/modprobe");
        cr_assert(!c->daemon.hook_install);
        cr_assert_str_eq(c->daemon.hook_helper, "/opt/helper");
        cr_assert_eq(c->daemon.load_timeout_usec, 120000000);
        cr_assert_eq(c->daemon.command_timeout_usec, 500000);
        cr_assert_eq(c->daemon.workers, 3);
}

Test(config, ownership_keys) {
        _cleanup_(config_unrefp) Config *d = parse("", 0);
        cr_assert_eq(d->daemon.ownership, OWNERSHIP_SHARED);
        cr_assert_eq(d->daemon.ownership_on_exit, OWNERSHIP_ON_EXIT_RELEASE);
        cr_assert_eq(d->policy.kernel_requests, KERNEL_REQUESTS_ANY);

        _cleanup_(config_unrefp) Config *c = parse(
                "[Daemon]\nOwnership=exclusive\nOwnershipOnExit=keep\n[Policy]\nKernelRequests=privileged\n", 0);
        cr_assert_eq(c->daemon.ownership, OWNERSHIP_EXCLUSIVE);
        cr_assert_eq(c->daemon.ownership_on_exit, OWNERSHIP_ON_EXIT_KEEP);
        cr_assert_eq(c->policy.kernel_requests, KERNEL_REQUESTS_PRIVILEGED);

        _cleanup_free_ char *text = NULL;
        cr_assert_eq(config_format(c, &text), 0);
        cr_assert(strstr(text, "Ownership=exclusive\nOwnershipOnExit=keep\n"), "%s", text);
        cr_assert(strstr(text, "KernelRequests=privileged\n"), "%s", text);
}

Test(config, list_keys_append_and_reset) {
        _cleanup_(config_unrefp) Config *c = parse("[Policy]\nDeny=a\nDeny=b a\nAllow=x\nAllow=\nAllow=y\n", 0);

        cr_assert_eq(strv_length(c->policy.deny), 2);
        cr_assert_str_eq(c->policy.deny[0], "a");
        cr_assert_str_eq(c->policy.deny[1], "b");
        cr_assert_eq(strv_length(c->policy.allow), 1);
        cr_assert_str_eq(c->policy.allow[0], "y");
}

Test(config, later_assignment_wins) {
        _cleanup_(config_unrefp) Config *c = parse("[Policy]\nMode=off\nMode=warn\n", 0);
        cr_assert_eq(c->policy.mode, POLICY_MODE_WARN);
}

Test(config, bad_lines_name_file_and_line) {
        struct { const char *text, *needle; } cases[] = {
                { "[Policy]\nMode=sometimes\n", "test.conf:2: invalid value for Mode: 'sometimes'" },
                { "[Policy]\n\nLicense=bsd\n", "test.conf:3: invalid value for License" },
                { "[Policy]\nSignature=yes\n", "test.conf:2: invalid value for Signature" },
                { "[Policy]\nTrustedCertificates=relative/dir\n", "test.conf:2: invalid value for TrustedCertificates" },
                { "[Policy]\nDeny=a/b\n", "test.conf:2: invalid value for Deny" },
                { "[Policy]\nAllow=ok bad/glob\n", "test.conf:2: invalid value for Allow" },
                { "[Policy]\nOutOfTree=maybe\n", "test.conf:2: invalid value for OutOfTree" },
                { "[Policy]\nStaging=2\n", "test.conf:2: invalid value for Staging" },
                { "[Policy]\nVermagic=strict\n", "test.conf:2: invalid value for Vermagic" },
                { "[Policy]\nColour=blue\n", "test.conf:2: unknown key 'Colour' in [Policy]" },
                { "[Polcy]\nMode=off\n", "test.conf:2: unknown section [Polcy]" },
                { "Mode=off\n", "test.conf:1: assignment 'Mode=off' outside of a section" },
                { "[Policy]\nthis is not an assignment\n", "test.conf:2: syntax error" },
                { "[Daemon]\nWorkers=-1\n", "test.conf:2: invalid value for Workers" },
                /* Beyond what the pool supports: a clear range, not a failure at start. */
                { "[Daemon]\nWorkers=300\n", "test.conf:2: Workers=300 is out of range: 0 (one per CPU) to 128" },
                { "[Daemon]\nWorkers=129\n", "test.conf:2: Workers=129 is out of range" },
                { "[Daemon]\nLoadTimeoutSec=soon\n", "test.conf:2: invalid value for LoadTimeoutSec" },
                { "[Daemon]\nHookFallback=maybe\n", "test.conf:2: invalid value for HookFallback" },
                { "[Daemon]\nHookInstall=perhaps\n", "test.conf:2: invalid value for HookInstall" },
                { "[Daemon]\nOwnership=mine\n", "test.conf:2: invalid value for Ownership: 'mine'" },
                { "[Daemon]\nOwnershipOnExit=linger\n", "test.conf:2: invalid value for OwnershipOnExit" },
                { "[Policy]\nKernelRequests=root\n", "test.conf:2: invalid value for KernelRequests" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *m = parse_error(cases[i].text);
                cr_assert_not_null(strstr(m, cases[i].needle), "case %zu: '%s' does not contain '%s'", i, m, cases[i].needle);
        }
}

Test(config, overlong_line_is_refused_not_misread) {
        char text[400];
        snprintf(text, sizeof(text), "[Policy]\nDeny=%0250d\n", 0);
        _cleanup_free_ char *m = parse_error(text);
        cr_assert_not_null(strstr(m, "test.conf:2: line too long"), "%s", m);
}

Test(config, long_lists_format_to_lines_that_parse_again) {
        _cleanup_(config_unrefp) Config *c = NULL, *again = NULL;
        _cleanup_free_ char *text = NULL;
        _cleanup_(failure_donep) Failure f = FAILURE_NULL;

        cr_assert_eq(config_new_default(&c), 0);
        for (int i = 0; i < 40; i++) {
                char line[64];
                snprintf(line, sizeof(line), "[Policy]\nDeny=module_number_%d_*\n", i);
                cr_assert_eq(config_parse_string(c, "t", line, &f), 0);
        }
        cr_assert_eq(config_format(c, &text), 0);
        cr_assert_eq(config_new_default(&again), 0);
        cr_assert_eq(config_parse_string(again, "formatted", text, &f), 0, "%s", strempty(f.message));
        cr_assert_eq(strv_length(again->policy.deny), 40);
}

Test(config, first_error_wins_and_keeps_nothing_half_applied_for_callers) {
        _cleanup_free_ char *m = parse_error("[Policy]\nMode=bad\nLicense=worse\n");
        cr_assert_not_null(strstr(m, ":2:"), "%s", m);
}

/* ---- files and drop-ins below a root ---- */

static void write_file(const char *root, const char *rel, const char *text) {
        _cleanup_free_ char *p = NULL, *cmd = NULL;
        FILE *f;

        cr_assert(asprintf(&p, "%s%s", root, rel) > 0);
        cr_assert(asprintf(&cmd, "mkdir -p \"$(dirname '%s')\"", p) > 0);
        cr_assert_eq(system(cmd), 0);
        f = fopen(p, "we");
        cr_assert_not_null(f);
        fputs(text, f);
        fclose(f);
}

static char *new_root(void) {
        char *d = strdup("/tmp/modctl-config-XXXXXX");
        cr_assert_not_null(mkdtemp(d));
        return d;
}

static Config *load(const char *root) {
        _cleanup_(failure_donep) Failure f = FAILURE_NULL;
        Config *c = NULL;
        cr_assert_eq(config_load(root, &c, &f), 0, "%s", strempty(f.message));
        return c;
}

Test(config, no_files_gives_defaults) {
        _cleanup_free_ char *root = new_root();
        _cleanup_(config_unrefp) Config *c = load(root);
        cr_assert_eq(c->policy.mode, POLICY_MODE_ENFORCE);
        cr_assert_null(c->files);
}

Test(config, etc_hides_vendor_main_file) {
        _cleanup_free_ char *root = new_root();
        write_file(root, "/usr/lib/modctl/modctld.conf", "[Policy]\nLicense=gpl-compatible\nMode=warn\n");
        _cleanup_(config_unrefp) Config *vendor = load(root);
        cr_assert_eq(vendor->policy.license, POLICY_LICENSE_GPL_COMPATIBLE);

        write_file(root, "/etc/modctl/modctld.conf", "[Policy]\nMode=off\n");
        _cleanup_(config_unrefp) Config *c = load(root);
        cr_assert_eq(c->policy.mode, POLICY_MODE_OFF);
        cr_assert_eq(c->policy.license, POLICY_LICENSE_ANY, "the vendor file is not read at all");
        cr_assert_eq(strv_length(c->files), 1);
}

Test(config, dropins_in_name_order_across_directories) {
        _cleanup_free_ char *root = new_root();
        write_file(root, "/etc/modctl/modctld.conf", "[Policy]\nMode=off\nDeny=base\n");
        write_file(root, "/usr/lib/modctl/modctld.conf.d/10-vendor.conf", "[Policy]\nMode=warn\nDeny=ten\n");
        write_file(root, "/etc/modctl/modctld.conf.d/20-admin.conf", "[Policy]\nMode=enforce\nDeny=twenty\n");
        write_file(root, "/run/modctl/modctld.conf.d/15-runtime.conf", "[Policy]\nSignature=signed\n");
        write_file(root, "/etc/modctl/modctld.conf.d/ignored.txt", "garbage\n");

        _cleanup_(config_unrefp) Config *c = load(root);
        cr_assert_eq(c->policy.mode, POLICY_MODE_ENFORCE);
        cr_assert_eq(c->policy.signature, POLICY_SIGNATURE_SIGNED);
        cr_assert_eq(strv_length(c->policy.deny), 3);
        cr_assert_str_eq(c->policy.deny[0], "base");
        cr_assert_str_eq(c->policy.deny[1], "ten");
        cr_assert_str_eq(c->policy.deny[2], "twenty");
        cr_assert_eq(strv_length(c->files), 4);
}

Test(config, same_name_in_etc_overrides_vendor_dropin) {
        _cleanup_free_ char *root = new_root();
        write_file(root, "/usr/lib/modctl/modctld.conf.d/50-policy.conf", "[Policy]\nLicense=gpl-compatible\n");
        write_file(root, "/etc/modctl/modctld.conf.d/50-policy.conf", "[Policy]\nStaging=no\n");

        _cleanup_(config_unrefp) Config *c = load(root);
        cr_assert_eq(c->policy.license, POLICY_LICENSE_ANY);
        cr_assert(!c->policy.staging);
}

Test(config, masking_with_dev_null_or_empty_file) {
        _cleanup_free_ char *root = new_root(), *p = NULL;
        write_file(root, "/usr/lib/modctl/modctld.conf.d/50-policy.conf", "[Policy]\nLicense=gpl-compatible\n");
        write_file(root, "/usr/lib/modctl/modctld.conf.d/60-deny.conf", "[Policy]\nDeny=dummy\n");
        write_file(root, "/etc/modctl/modctld.conf.d/60-deny.conf", "");
        cr_assert(asprintf(&p, "%s/etc/modctl/modctld.conf.d/50-policy.conf", root) > 0);
        cr_assert_eq(symlink("/dev/null", p), 0);

        _cleanup_(config_unrefp) Config *c = load(root);
        cr_assert_eq(c->policy.license, POLICY_LICENSE_ANY);
        cr_assert_null(c->policy.deny);
}

Test(config, bad_dropin_fails_the_whole_load) {
        _cleanup_free_ char *root = new_root();
        _cleanup_(failure_donep) Failure f = FAILURE_NULL;
        Config *c = NULL;

        write_file(root, "/etc/modctl/modctld.conf", "[Policy]\nMode=warn\n");
        write_file(root, "/etc/modctl/modctld.conf.d/90-bad.conf", "[Policy]\n# fine\nLicense=gpl\n");
        cr_assert_eq(config_load(root, &c, &f), -failure_kind_to_errno(FAILURE_INVALID_ARGUMENT));
        cr_assert_null(c);
        cr_assert_not_null(strstr(f.message, "/etc/modctl/modctld.conf.d/90-bad.conf:3: invalid value for License"),
                           "%s", f.message);
}

Test(config, format_round_trips) {
        _cleanup_(config_unrefp) Config *c = parse(
                "[Policy]\nMode=warn\nLicense=gpl-compatible\nSignature=kernel\nDeny=a b*\nAllow=c\nOutOfTree=no\n"
                "Staging=no\nVermagic=ignore\n[Daemon]\nWorkers=4\nHookFallback=deny\n", 0);
        _cleanup_free_ char *text = NULL;

        cr_assert_eq(config_format(c, &text), 0);
        cr_assert_not_null(strstr(text, "[Policy]\nMode=warn\nLicense=gpl-compatible\nSignature=kernel\n"), "%s", text);
        cr_assert_not_null(strstr(text, "Deny=a\nDeny=b*\nAllow=c\nOutOfTree=no\nStaging=no\nVermagic=ignore\n"), "%s", text);

        _cleanup_(config_unrefp) Config *again = parse(text, 0);
        _cleanup_free_ char *text2 = NULL;
        cr_assert_eq(config_format(again, &text2), 0);
        cr_assert_str_eq(text, text2);
}
