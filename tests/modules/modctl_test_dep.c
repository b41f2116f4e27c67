// SPDX-License-Identifier: GPL-2.0
/* Uses modctl_test_base's symbol, so depmod records a hard dependency on it. Also exports a
 * symbol of its own so that modctl_test_chain depends on it (a two-level chain). */
#include <linux/init.h>
#include <linux/module.h>

extern int modctl_test_base_value(void);

int modctl_test_dep_value(void)
{
	return modctl_test_base_value() + 1;
}
EXPORT_SYMBOL_GPL(modctl_test_dep_value);

static int __init modctl_test_dep_init(void)
{
	pr_info("modctl_test_dep: loaded, base value=%d\n", modctl_test_base_value());
	return 0;
}

static void __exit modctl_test_dep_exit(void)
{
}

module_init(modctl_test_dep_init);
module_exit(modctl_test_dep_exit);
MODULE_LICENSE("GPL");
MODULE_ALIAS("modctl-test-alias");
MODULE_DESCRIPTION("modctl test module: hard dependency on modctl_test_base");
