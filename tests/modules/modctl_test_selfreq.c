// SPDX-License-Identifier: GPL-2.0
/* Asks for itself from its own init, while its finit_module() is still running: a daemon that
 * made this request wait for the load in flight would deadlock, because that load waits for
 * this init. It succeeds whatever the result. */
#include <linux/init.h>
#include <linux/kmod.h>
#include <linux/module.h>

static int __init modctl_test_selfreq_init(void)
{
	int r = request_module("modctl_test_selfreq");

	pr_info("modctl_test_selfreq: request_module(modctl_test_selfreq) returned %d\n", r);
	return 0;
}

static void __exit modctl_test_selfreq_exit(void)
{
}

module_init(modctl_test_selfreq_init);
module_exit(modctl_test_selfreq_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("modctl test module: request_module() for itself from its init");
