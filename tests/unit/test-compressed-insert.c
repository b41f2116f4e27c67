/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The scheduler with a kernel that decompresses xz itself (the fake, set up like 6.12): a
 * .ko.xz goes to finit_module() as it is, with MODULE_INIT_COMPRESSED_FILE, and a stream the
 * kernel's decoder refuses (a CRC64 check, xz(1)'s default) is inserted again, decompressed in
 * user space. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel-fake.h"
#include "core/scheduler.h"
#include "kernel/kernel.h"
#include "macro.h"

#define KO(name) MODCTL_TEST_MODULES_DIR "/src/" name ".ko"

static sd_event *event;
static Kernel *kernel;
static Scheduler *scheduler;
static char tmpdir[] = "/tmp/modctl-compressed-XXXXXX";

static void setup(void) {
        cr_assert_not_null(mkdtemp(tmpdir));
        cr_assert_eq(sd_event_new(&event), 0);
        cr_assert_eq(kernel_new_fake(&kernel), 0);
        cr_assert_eq(kernel_fake_set_decompression(kernel, "xz"), 0);
        SchedulerConfig config = { .n_workers = 1, .command_timeout_usec = 300 * 1000,
                                   .step_timeout_usec = 5 * 1000 * 1000 };
        cr_assert_eq(scheduler_new(event, kernel, &config, &scheduler), 0);
}

static void teardown(void) {
        char cmd[128];

        scheduler = scheduler_free(scheduler);
        kernel = kernel_free(kernel);
        event = sd_event_unref(event);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
        (void) system(cmd);
}

TestSuite(compressed_insert, .init = setup, .fini = teardown, .timeout = 60);

/* The test module compressed with check, written as NAME.ko.xz in tmpdir. */
static char *compress_module(const char *name, lzma_check check) {
        _cleanup_(fclosep) FILE *in = NULL;
        FILE *out;
        uint8_t *plain, *packed;
        size_t n, cap, pos = 0;
        long size;
        char *path;

        in = fopen(KO("modctl_test_base"), "re");
        cr_assert_not_null(in);
        cr_assert_eq(fseek(in, 0, SEEK_END), 0);
        size = ftell(in);
        rewind(in);
        plain = malloc(size);
        cr_assert_eq(fread(plain, 1, size, in), (size_t) size);
        cap = size + size / 2 + 4096;
        packed = malloc(cap);
        cr_assert_eq(lzma_easy_buffer_encode(6, check, NULL, plain, size, packed, &pos, cap), LZMA_OK);
        n = pos;

        cr_assert_geq(asprintf(&path, "%s/%s.ko.xz", tmpdir, name), 0);
        out = fopen(path, "we");
        cr_assert_not_null(out);
        cr_assert_eq(fwrite(packed, 1, n, out), n);
        cr_assert_eq(fclose(out), 0);
        free(plain);
        free(packed);
        return path;
}

static bool finished;
static int error;

static void on_finished(Job *job, void *userdata) {
        finished = true;
        error = job_failure(job)->error;
}

static void insert(const char *path) {
        Plan *p;

        cr_assert_eq(plan_new("modctl_test_base", &p), 0);
        cr_assert_eq(plan_add_step(p, PLAN_STEP_INSERT, "modctl_test_base", path, "value=3", NULL, NULL), 0);
        finished = false;
        cr_assert_eq(scheduler_submit(scheduler, p, 0, false, NULL, on_finished, NULL), 0);
        while (!finished)
                cr_assert_geq(sd_event_run(event, UINT64_MAX), 0);
}

Test(compressed_insert, kernel_decompresses_what_it_can) {
        _cleanup_free_ char *path = compress_module("crc32", LZMA_CHECK_CRC32), *params = NULL;
        unsigned flags = 0;

        insert(path);
        cr_assert_eq(error, 0);
        cr_assert_eq(kernel_fake_insert_calls(kernel), 1);
        cr_assert_eq(kernel_fake_get_params(kernel, "modctl_test_base", &params, &flags), 0);
        cr_assert_eq(flags, KERNEL_INSERT_COMPRESSED_FILE, "flags %u", flags);
        cr_assert_str_eq(params, "value=3");
}

Test(compressed_insert, refused_stream_is_retried_decompressed) {
        _cleanup_free_ char *path = compress_module("crc64", LZMA_CHECK_CRC64), *params = NULL;
        unsigned flags = 99;

        insert(path);
        cr_assert_eq(error, 0);
        /* Once as it is, refused; once decompressed, without the flag. */
        cr_assert_eq(kernel_fake_insert_calls(kernel), 2);
        cr_assert_eq(kernel_fake_get_params(kernel, "modctl_test_base", &params, &flags), 0);
        cr_assert_eq(flags, 0, "flags %u", flags);
        cr_assert_str_eq(params, "value=3");
}

Test(compressed_insert, other_rejections_are_not_retried) {
        _cleanup_free_ char *path = compress_module("busy", LZMA_CHECK_CRC32);

        cr_assert_eq(kernel_fake_set_failure(kernel, "modctl_test_base", -EBUSY), 0);
        insert(path);
        cr_assert_eq(error, -EBUSY, "error %d", error);
        cr_assert_eq(kernel_fake_insert_calls(kernel), 1);
}
