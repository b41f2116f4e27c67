// SPDX-License-Identifier: GPL-2.0
/* A module init that never returns on its own: it waits, killably, until its parameter
 * "release" is written (echo 1 > /sys/module/modctl_test_stuck/parameters/release; the file is
 * there while the init runs) or the loading task gets SIGKILL, when the init fails with
 * -EINTR and the kernel frees the module. With exit_wait=1 its exit waits the same way, so a
 * removal (a failed plan's unwind) stays in delete_module() until released. Each wait prints a
 * line with the "tag" parameter to the kernel log: the event a test waits for. It uses
 * modctl_test_base and exports a symbol for modctl_test_stuck_top: base -> stuck -> top. */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/wait.h>

extern int modctl_test_base_value(void);

static DECLARE_WAIT_QUEUE_HEAD(release_wq);
static bool released;

static bool init_wait = true;
module_param(init_wait, bool, 0444);
MODULE_PARM_DESC(init_wait, "Whether init waits for a release (default yes)");
static bool exit_wait;
module_param(exit_wait, bool, 0444);
MODULE_PARM_DESC(exit_wait, "Whether exit waits for a release (default no)");
static char *tag = "";
module_param(tag, charp, 0444);
MODULE_PARM_DESC(tag, "A word in the log lines, to tell one test's load from another's");

static int release_set(const char *val, const struct kernel_param *kp)
{
	WRITE_ONCE(released, true);
	wake_up_all(&release_wq);
	return 0;
}

static int release_get(char *buf, const struct kernel_param *kp)
{
	return sprintf(buf, "%d\n", READ_ONCE(released) ? 1 : 0);
}

static const struct kernel_param_ops release_ops = {
	.set = release_set,
	.get = release_get,
};
module_param_cb(release, &release_ops, NULL, 0644);
MODULE_PARM_DESC(release, "Write anything to let a waiting init or exit go on");

int modctl_test_stuck_value(void)
{
	return modctl_test_base_value() + 1;
}
EXPORT_SYMBOL_GPL(modctl_test_stuck_value);

static int __init modctl_test_stuck_init(void)
{
	if (init_wait) {
		pr_info("modctl_test_stuck: init waiting for a release (tag %s)\n", tag);
		if (wait_event_killable(release_wq, READ_ONCE(released))) {
			pr_info("modctl_test_stuck: init killed (tag %s)\n", tag);
			return -EINTR;
		}
		WRITE_ONCE(released, false);
	}
	pr_info("modctl_test_stuck: loaded (tag %s)\n", tag);
	return 0;
}

static void __exit modctl_test_stuck_exit(void)
{
	if (exit_wait) {
		pr_info("modctl_test_stuck: exit waiting for a release (tag %s)\n", tag);
		if (wait_event_killable(release_wq, READ_ONCE(released)))
			pr_info("modctl_test_stuck: exit killed (tag %s)\n", tag);
	}
	pr_info("modctl_test_stuck: removed (tag %s)\n", tag);
}

module_init(modctl_test_stuck_init);
module_exit(modctl_test_stuck_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("modctl test module: an init (and optionally an exit) that waits until released");
