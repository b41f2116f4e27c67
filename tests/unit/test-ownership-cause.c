/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who caused a kernel thread's request_module(): the plain-C rule of ownership-cause.h that the
 * BPF program runs, and the fake backend's kernel_module_request built on it. */
#include <criterion/criterion.h>
#include <string.h>

#include "daemon-config.h"
#include "kernel/bpf/ownership-cause.h"
#include "ownership-fake.h"

static int components(const char *name, char out[MODCTL_CAUSE_COMPONENTS][MODCTL_BPF_NAME_MAX]) {
        char buf[MODCTL_BPF_NAME_MAX] = {};
        __u8 start[MODCTL_CAUSE_COMPONENTS], clen[MODCTL_CAUSE_COMPONENTS];
        int off, len, n;

        strncpy(buf, name, sizeof(buf) - 1);
        off = modctl_cause_crypto_offset(buf);
        cr_assert_eq(off, 7, "%s", name);
        len = modctl_cause_crypto_len(buf, off);
        n = modctl_cause_components(buf, off, len, start, clen);
        for (int i = 0; i < n; i++)
                snprintf(out[i], MODCTL_BPF_NAME_MAX, "%.*s", clen[i], buf + start[i]);
        return n;
}

static bool has(char out[MODCTL_CAUSE_COMPONENTS][MODCTL_BPF_NAME_MAX], int n, const char *s) {
        for (int i = 0; i < n; i++)
                if (strcmp(out[i], s) == 0)
                        return true;
        return false;
}

Test(cause, components_of_a_nested_instance) {
        char out[MODCTL_CAUSE_COMPONENTS][MODCTL_BPF_NAME_MAX];
        int n = components("crypto-pcrypt(gcm(aes))-all", out);

        cr_assert_eq(n, 5);
        const char *want[] = { "pcrypt", "gcm", "aes", "gcm(aes)", "pcrypt(gcm(aes))" };
        for (size_t i = 0; i < 5; i++)
                cr_assert(has(out, n, want[i]), "%s", want[i]);

        n = components("crypto-authenc(hmac(sha256),cbc(aes))", out);
        const char *want2[] = { "authenc", "hmac", "sha256", "hmac(sha256)", "cbc", "aes", "cbc(aes)",
                                "authenc(hmac(sha256),cbc(aes))" };
        cr_assert_eq(n, 8);
        for (size_t i = 0; i < 8; i++)
                cr_assert(has(out, n, want2[i]), "%s", want2[i]);
}

Test(cause, prefix_and_all_suffix) {
        char name[MODCTL_BPF_NAME_MAX] = "crypto-aes-all";

        cr_assert_eq(modctl_cause_crypto_offset(name), 7);
        cr_assert_eq(modctl_cause_crypto_len(name, 7), 3);
        strcpy(name, "net-pf-38");
        cr_assert_eq(modctl_cause_crypto_offset(name), -1);
        strcpy(name, "crypto");
        cr_assert_eq(modctl_cause_crypto_offset(name), -1);
        cr_assert(modctl_cause_has_paren("crypto-xts(aes)"));
        cr_assert(!modctl_cause_has_paren("crypto-xts"));
}

Test(cause, verdicts) {
        struct modctl_bpf_cause user = { .uid = 65534, .privileged = 0 }, root = { .uid = 0, .privileged = 1 };
        const __u32 P = MODCTL_BPF_REQUESTS_PRIVILEGED;

        /* A task's own request: its own capabilities. */
        cr_assert(modctl_request_refused(P, 0, 0, 1, NULL));
        cr_assert(!modctl_request_refused(P, 1, 0, 1, NULL));
        /* A kernel thread's crypto request: its cause, and none fails closed. */
        cr_assert(modctl_request_refused(P, 1, 1, 1, NULL));
        cr_assert(modctl_request_refused(P, 1, 1, 1, &user));
        cr_assert(!modctl_request_refused(P, 1, 1, 1, &root));
        /* A kernel thread's other requests: its own, as before. */
        cr_assert(!modctl_request_refused(P, 1, 1, 0, NULL));
        /* any and none. */
        cr_assert(!modctl_request_refused(MODCTL_BPF_REQUESTS_ANY, 0, 1, 1, NULL));
        cr_assert(modctl_request_refused(MODCTL_BPF_REQUESTS_NONE, 1, 0, 0, NULL));
}

Test(cause, least_privileged_cause_stays_within_the_window) {
        struct modctl_bpf_cause user = { .at = 1000, .uid = 65534 }, root = { .at = 2000, .privileged = 1 }, out;

        modctl_cause_merge(&out, &user, &root);
        cr_assert_eq(out.uid, 65534);
        cr_assert_eq(out.at, 1000);
        root.at = 1000 + MODCTL_CAUSE_WINDOW_NSEC + 1;
        modctl_cause_merge(&out, &user, &root);
        cr_assert_eq(out.uid, 0);
        /* The other way round the newer, less privileged one wins. */
        user.at = root.at + 1;
        modctl_cause_merge(&out, &root, &user);
        cr_assert_eq(out.uid, 65534);
        cr_assert_not_null(modctl_cause_valid(&out, out.at + MODCTL_CAUSE_WINDOW_NSEC));
        cr_assert_null(modctl_cause_valid(&out, out.at + MODCTL_CAUSE_WINDOW_NSEC + 1));
        cr_assert_null(modctl_cause_valid(NULL, 0));
}

static OwnershipReport last;
static char last_name[64], last_cause_comm[16];
static int reports;

static void on_report(const OwnershipReport *r, void *userdata) {
        last = *r;
        snprintf(last_name, sizeof(last_name), "%s", r->name);
        memcpy(last_cause_comm, r->cause_comm, sizeof(last_cause_comm));
        reports++;
}

static pid_t kthread_pid = 400;

/* kthread: the request comes from the cryptomgr_probe thread kthread_pid. */
static bool request(Ownership *o, const char *name, uid_t uid, bool kthread, uint64_t now) {
        OwnershipFakeRequest req = {
                .name = name, .pid = kthread ? kthread_pid : 100 + (int) (uid % 100), .uid = kthread ? 0 : uid,
                .privileged = kthread || uid == 0, .kthread = kthread,
                .comm = kthread ? "cryptomgr_probe" : uid == 0 ? "cryptsetup" : "attacker", .now_nsec = now,
        };
        bool refused = ownership_fake_request(o, &req);
        /* A request that passes waits for the daemon's next wakeup (see the wakeup tests). */
        ownership_drain(o);
        return refused;
}

#define SEC 1000000000ULL

Test(cause, af_alg_bind_through_cryptomgr) {
        Ownership *o = NULL;

        cr_assert_eq(ownership_new(NULL, on_report, NULL, &o), 0);
        /* Without the programs, nothing is judged or reported. */
        cr_assert(!request(o, "crypto-pcrypt", 0, true, 10 * SEC));
        cr_assert_eq(reports, 0);
        cr_assert_eq(ownership_apply(o, OWNERSHIP_SHARED, KERNEL_REQUESTS_PRIVILEGED, OWNERSHIP_ON_EXIT_RELEASE, NULL), 0);

        /* uid 65534 binds pcrypt(aes): its own requests are refused, and so is the kernel thread's,
         * which is reported as caused by uid 65534. */
        cr_assert(request(o, "crypto-pcrypt(aes)", 65534, false, 10 * SEC));
        cr_assert(request(o, "crypto-pcrypt(aes)-all", 65534, false, 10 * SEC));
        cr_assert(request(o, "crypto-pcrypt", 0, true, 10 * SEC + 1000));
        cr_assert_eq(last.cause, OWNERSHIP_CAUSE_RECORDED);
        cr_assert_eq(last.cause_uid, 65534);
        cr_assert_str_eq(last_cause_comm, "attacker");
        cr_assert(last.kthread);
        cr_assert_str_eq(last_name, "crypto-pcrypt");
        cr_assert(request(o, "crypto-aes", 0, true, 10 * SEC + 2000));

        /* Root, within the window: the unprivileged cause stays (no laundering). */
        kthread_pid = 401;
        cr_assert(!request(o, "crypto-pcrypt(aes)", 0, false, 11 * SEC));
        cr_assert(request(o, "crypto-pcrypt", 0, true, 11 * SEC + 1000));
        cr_assert_eq(last.cause_uid, 65534);

        /* Root's first use of xts(aes) (cryptsetup): its instantiation's requests pass. */
        kthread_pid = 402;
        cr_assert(!request(o, "crypto-xts(aes)", 0, false, 25 * SEC));
        cr_assert(!request(o, "crypto-xts(aes)-all", 0, false, 25 * SEC));
        cr_assert(!request(o, "crypto-xts", 0, true, 25 * SEC + 1000));
        cr_assert_eq(last.cause, OWNERSHIP_CAUSE_RECORDED);
        cr_assert_eq(last.cause_uid, 0);
        cr_assert(!request(o, "crypto-aes", 0, true, 25 * SEC + 2000));
        cr_assert(!request(o, "crypto-aes-all", 0, true, 25 * SEC + 2000));
        /* The name xts builds itself, in the same thread, and the thread that probes it. */
        cr_assert(!request(o, "crypto-ecb(aes)", 0, true, 25 * SEC + 3000));
        cr_assert_eq(last.cause, OWNERSHIP_CAUSE_RECORDED);
        cr_assert_eq(last.cause_uid, 0);
        kthread_pid = 403;
        cr_assert(!request(o, "crypto-ecb", 0, true, 25 * SEC + 4000));
        cr_assert_eq(last.cause_uid, 0);
        /* Later, root's pcrypt(aes) passes too: the attacker's cause has expired. */
        kthread_pid = 404;
        cr_assert(!request(o, "crypto-pcrypt(aes)", 0, false, 40 * SEC));
        cr_assert(!request(o, "crypto-pcrypt", 0, true, 40 * SEC + 1000));

        /* A kernel thread's crypto request that no task caused fails closed; its other requests are
         * its own. */
        kthread_pid = 405;
        cr_assert(request(o, "crypto-serpent", 0, true, 60 * SEC));
        cr_assert_eq(last.cause, OWNERSHIP_CAUSE_UNKNOWN);
        cr_assert(!request(o, "net-pf-10", 0, true, 60 * SEC));
        cr_assert_eq(last.cause, OWNERSHIP_CAUSE_SELF);
        cr_assert(last.kthread);

        /* The attacker's own plain request is its own. */
        cr_assert(request(o, "crypto-serpent", 65534, false, 61 * SEC));
        cr_assert_eq(last.cause, OWNERSHIP_CAUSE_SELF);

        /* A thread that works for uid 65534 stays refused, even for a name root caused. */
        cr_assert(request(o, "crypto-lrw(serpent)", 65534, false, 70 * SEC));
        kthread_pid = 406;
        cr_assert(request(o, "crypto-lrw", 0, true, 70 * SEC + 1000));
        cr_assert(!request(o, "crypto-xts(twofish)", 0, false, 70 * SEC + 2000));
        cr_assert(request(o, "crypto-twofish", 0, true, 70 * SEC + 3000));
        cr_assert_eq(last.cause_uid, 65534);
        ownership_free(o);
}

/* The ring buffer's wakeup: only a request that passes waits for the next wakeup; the rest
 * wake modctld at once, forced past the records still waiting. */
Test(wakeup, submit_flags) {
        cr_assert_eq(modctl_bpf_submit_flags(MODCTL_BPF_EVENT_REQUEST, 0), BPF_RB_NO_WAKEUP);
        cr_assert_eq(modctl_bpf_submit_flags(MODCTL_BPF_EVENT_REQUEST, 1), BPF_RB_FORCE_WAKEUP);
        cr_assert_eq(modctl_bpf_submit_flags(MODCTL_BPF_EVENT_READ_FILE, 0), BPF_RB_FORCE_WAKEUP);
        cr_assert_eq(modctl_bpf_submit_flags(MODCTL_BPF_EVENT_READ_FILE, 1), BPF_RB_FORCE_WAKEUP);
        cr_assert_eq(modctl_bpf_submit_flags(MODCTL_BPF_EVENT_LOAD_DATA, 0), BPF_RB_FORCE_WAKEUP);
        cr_assert_eq(modctl_bpf_submit_flags(MODCTL_BPF_EVENT_LOAD_DATA, 1), BPF_RB_FORCE_WAKEUP);
}

static char names_seen[8][64];
static int n_seen;

static void on_report_name(const OwnershipReport *r, void *userdata) {
        if (n_seen < 8)
                snprintf(names_seen[n_seen++], sizeof(names_seen[0]), "%s%s", r->name, r->refused ? "!" : "");
}

Test(wakeup, passing_requests_wait_for_the_next_read) {
        Ownership *o = NULL;
        OwnershipFakeRequest req = { .pid = 100, .uid = 0, .privileged = true, .comm = "ip" };

        cr_assert_eq(ownership_new(NULL, on_report_name, NULL, &o), 0);
        cr_assert_eq(ownership_apply(o, OWNERSHIP_SHARED, KERNEL_REQUESTS_PRIVILEGED, OWNERSHIP_ON_EXIT_RELEASE, NULL), 0);

        /* Root's requests pass: recorded, not reported until read. */
        req.name = "rtnl-link-dummy";
        cr_assert(!ownership_fake_request(o, &req));
        req.name = "net-pf-14";
        cr_assert(!ownership_fake_request(o, &req));
        cr_assert_eq(n_seen, 0);
        ownership_drain(o);
        cr_assert_eq(n_seen, 2);
        cr_assert_str_eq(names_seen[0], "rtnl-link-dummy");
        cr_assert_str_eq(names_seen[1], "net-pf-14");

        /* A refusal is reported at once, after the passing request that came before it. */
        req.name = "net-pf-5";
        cr_assert(!ownership_fake_request(o, &req));
        cr_assert_eq(n_seen, 2);
        req = (OwnershipFakeRequest) { .name = "net-pf-5", .pid = 200, .uid = 65534, .comm = "kreq" };
        cr_assert(ownership_fake_request(o, &req));
        cr_assert_eq(n_seen, 4);
        cr_assert_str_eq(names_seen[2], "net-pf-5");
        cr_assert_str_eq(names_seen[3], "net-pf-5!");
        ownership_drain(o);
        cr_assert_eq(n_seen, 4);
        ownership_free(o);
}
