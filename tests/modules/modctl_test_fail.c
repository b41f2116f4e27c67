// SPDX-License-Identifier: GPL-2.0
/* Its init fails, so finit_module() returns -ENODEV. */
#include <linux/errno.h>
#include <linux/init.h>
#include <linux/module.h>

static int __init modctl_test_fail_init(void)
{
	return -ENODEV;
}

module_init(modctl_test_fail_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("modctl test module: init fails with -ENODEV");
