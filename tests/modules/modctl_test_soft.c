// SPDX-License-Identifier: GPL-2.0
/* A soft dependency declared in the module itself (depmod writes it to modules.softdep). */
#include <linux/init.h>
#include <linux/module.h>

static int __init modctl_test_soft_init(void)
{
	return 0;
}

static void __exit modctl_test_soft_exit(void)
{
}

module_init(modctl_test_soft_init);
module_exit(modctl_test_soft_exit);
MODULE_LICENSE("GPL");
MODULE_SOFTDEP("pre: modctl_test_base");
MODULE_DESCRIPTION("modctl test module: softdep pre modctl_test_base");
