// SPDX-License-Identifier: GPL-2.0
/* Depends on modctl_test_dep, which depends on modctl_test_base: checks dependency order. */
#include <linux/init.h>
#include <linux/module.h>

extern int modctl_test_dep_value(void);

static int __init modctl_test_chain_init(void)
{
	pr_info("modctl_test_chain: loaded, dep value=%d\n", modctl_test_dep_value());
	return 0;
}

static void __exit modctl_test_chain_exit(void)
{
}

module_init(modctl_test_chain_init);
module_exit(modctl_test_chain_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("modctl test module: two-level dependency chain");
