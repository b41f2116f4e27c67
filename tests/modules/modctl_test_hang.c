// SPDX-License-Identifier: GPL-2.0
/* Its init sleeps for delay_ms (interruptibly, so a signal cuts it short), then succeeds: for
 * timeout and concurrency tests. */
#include <linux/delay.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

static unsigned int delay_ms = 10000;
module_param(delay_ms, uint, 0444);
MODULE_PARM_DESC(delay_ms, "How long init sleeps, in milliseconds");

static int __init modctl_test_hang_init(void)
{
	unsigned long left = msleep_interruptible(delay_ms);

	pr_info("modctl_test_hang: slept, %lu ms left\n", left);
	return 0;
}

static void __exit modctl_test_hang_exit(void)
{
}

module_init(modctl_test_hang_init);
module_exit(modctl_test_hang_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("modctl test module: slow init");
