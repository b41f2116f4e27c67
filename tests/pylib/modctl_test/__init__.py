# SPDX-License-Identifier: LGPL-2.1-or-later
"""The integration tests' shared harness: a private system-type dbus-daemon with modctl's
policy file (Bus), modctld on the fake kernel over the fixture module tree (Daemon), a
dbus-monitor that tests wait on (BusMonitor), and ModctlTest, the TestCase base class that
starts both per test and holds the helpers (the CLI, busctl, dbus-send, the dbusmock polkit,
the kernel hook's helper). It holds no test cases of its own.

Test files import it normally: `from modctl_test import ModctlTest, NOBODY`. meson's
integration_env puts tests/pylib on PYTHONPATH and sets the paths that paths.py reads."""

from .paths import (BUS_CONF_IN, CONTRACT, MODCTL, MODCTL_REQUEST, MODCTL_REQUEST_INSTALLED, MODCTLD,
                    MODPROBE_D, MODULE_PATH, MODULES_DIR, NOBODY, POLICY, POLKIT, TIMEOUT)
from .bus import Bus, BusMonitor
from .daemon import Daemon
from .case import ModctlTest

__all__ = ['BUS_CONF_IN', 'CONTRACT', 'MODCTL', 'MODCTL_REQUEST', 'MODCTL_REQUEST_INSTALLED', 'MODCTLD',
           'MODPROBE_D', 'MODULE_PATH', 'MODULES_DIR', 'NOBODY', 'POLICY', 'POLKIT', 'TIMEOUT',
           'Bus', 'BusMonitor', 'Daemon', 'ModctlTest']
