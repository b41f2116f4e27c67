// SPDX-License-Identifier: GPL-2.0
/* The root of the test dependency tree: exports a symbol and has a parameter that tests read
 * back from /sys/module/modctl_test_base/parameters/value. */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

static int value;
module_param(value, int, 0644);
MODULE_PARM_DESC(value, "An integer the tests set and read back");

int modctl_test_base_value(void)
{
	return value;
}
EXPORT_SYMBOL_GPL(modctl_test_base_value);

static int __init modctl_test_base_init(void)
{
	pr_info("modctl_test_base: loaded, value=%d\n", value);
	return 0;
}

static void __exit modctl_test_base_exit(void)
{
}

module_init(modctl_test_base_init);
module_exit(modctl_test_base_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("modctl test module: exported symbol and parameter");
