# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the tests run and read, from the environment tests/integration/meson.build sets
(integration_env), and the constants every test shares."""

import os

MODCTLD = os.environ['MODCTLD']
MODCTL = os.environ['MODCTL']
# The test build of the hook helper, which takes its socket and configuration root from the
# environment; the installed one reads no environment (test-security-helper-env.py).
MODCTL_REQUEST = os.environ['MODCTL_REQUEST']
MODCTL_REQUEST_INSTALLED = os.environ['MODCTL_REQUEST_INSTALLED']
# MODCTL_TEST_INSTALLED=1 (debian/tests/integration, the autopkgtest): the installed modctl and
# helper instead of the build tree's. The daemon stays modctld-fake (the fake kernel's build,
# never installed) and the hook's test build stays too (the installed one reads no environment).
if os.environ.get('MODCTL_TEST_INSTALLED') == '1':
    MODCTL = '/usr/bin/modctl'
    MODCTL_REQUEST_INSTALLED = '/usr/libexec/modctl/modctl-request'
MODULES_DIR = os.environ['FIXTURE_MODULES_DIR']
MODPROBE_D = os.environ['FIXTURE_MODPROBE_D']
POLICY = os.environ['POLICY_CONF']
BUS_CONF_IN = os.environ['BUS_CONF_IN']
CONTRACT = os.environ['CONTRACT_XML']
# Runs a command as uid and gid 65534 with no supplementary groups: the unprivileged caller.
NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']
MODULE_PATH = '/org/modctl1/module/'
POLKIT = ['org.freedesktop.PolicyKit1', '/org/freedesktop/PolicyKit1/Authority']
TIMEOUT = 60
