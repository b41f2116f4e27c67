// SPDX-License-Identifier: GPL-2.0
/* Calls request_module() from its init, while finit_module() is still running: the daemon must
 * answer the nested request or deadlock. It succeeds whatever the result. */
#include <linux/init.h>
#include <linux/kmod.h>
#include <linux/module.h>

static int __init modctl_test_nested_init(void)
{
	int r = request_module("modctl_test_base");

	pr_info("modctl_test_nested: request_module(modctl_test_base) returned %d\n", r);
	return 0;
}

static void __exit modctl_test_nested_exit(void)
{
}

module_init(modctl_test_nested_init);
module_exit(modctl_test_nested_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("modctl test module: nested request_module()");
