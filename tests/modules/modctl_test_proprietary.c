// SPDX-License-Identifier: GPL-2.0
/* A non-GPL license string: loading it taints the kernel (P). */
#include <linux/init.h>
#include <linux/module.h>

static int __init modctl_test_proprietary_init(void)
{
	return 0;
}

static void __exit modctl_test_proprietary_exit(void)
{
}

module_init(modctl_test_proprietary_init);
module_exit(modctl_test_proprietary_exit);
MODULE_LICENSE("Proprietary");
MODULE_DESCRIPTION("modctl test module: proprietary license");
