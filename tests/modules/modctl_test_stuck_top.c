// SPDX-License-Identifier: GPL-2.0
/* The top of the chain modctl_test_base -> modctl_test_stuck -> modctl_test_stuck_top. With
 * fail=1 its init fails with -ENODEV, so the plan that inserted the two below it unwinds. */
#include <linux/errno.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

extern int modctl_test_stuck_value(void);

static bool fail;
module_param(fail, bool, 0444);
MODULE_PARM_DESC(fail, "Whether init fails with -ENODEV");

static int __init modctl_test_stuck_top_init(void)
{
	if (fail) {
		pr_info("modctl_test_stuck_top: init fails\n");
		return -ENODEV;
	}
	pr_info("modctl_test_stuck_top: loaded, value=%d\n", modctl_test_stuck_value());
	return 0;
}

static void __exit modctl_test_stuck_top_exit(void)
{
}

module_init(modctl_test_stuck_top_init);
module_exit(modctl_test_stuck_top_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("modctl test module: the top of a chain through modctl_test_stuck");
