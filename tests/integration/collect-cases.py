#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The integration cases, found rather than listed: every test_* method of every class in
tests/integration/test-*.py becomes one meson test.

  collect-cases.py DIR            prints one line per case, FILE|CLASS.METHOD|TEST-NAME, for
                                  tests/integration/meson.build's run_command() at configure
                                  time. It parses the files with ast and imports nothing (the
                                  harness needs the build's paths, which do not exist yet).
  collect-cases.py --check DIR REGISTERED...
                                  the integration-cases-registered test: imports every file
                                  the way `python3 test-X.py` does and asks unittest's loader
                                  which cases it would run; fails unless that is exactly what
                                  the ast pass finds and what meson registered (REGISTERED, the
                                  CLASS.METHOD@FILE list of configure time). So a case that
                                  exists runs, by construction at configure time and checked
                                  again at test time (a file added since, a case the ast pass
                                  cannot see such as one inherited from another test class).

The test name is integration-STEM-CASE: STEM is the file name without "test-" and ".py", CASE
the method name without "test_". test-daemon.py's cases are integration-CASE, the names they
have always had. Two cases of one name, or a method unittest would run (its name starts with
"test") that does not start with "test_", stop the configuration."""

import ast
import glob
import importlib.util
import os
import sys
import unittest

# Files whose cases carry no stem in their names.
NO_STEM = {'daemon'}


def fail(msg):
    print('collect-cases.py: ' + msg, file=sys.stderr)
    sys.exit(1)


def test_files(directory):
    return sorted(glob.glob(os.path.join(directory, 'test-*.py')))


def collect(directory):
    """[(file name, 'Class.method', meson test name)] from the source, without importing it."""
    cases = []
    names = {}
    for path in test_files(directory):
        base = os.path.basename(path)
        stem = base[len('test-'):-len('.py')]
        tree = ast.parse(open(path).read(), path)
        classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
        with_tests = set()
        for cls in classes:
            for node in cls.body:
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or not node.name.startswith('test'):
                    continue
                if not node.name.startswith('test_'):
                    fail('%s: %s.%s: unittest runs it, but a case is named test_*' % (base, cls.name, node.name))
                with_tests.add(cls.name)
                name = 'integration-' + ('' if stem in NO_STEM else stem + '-') + node.name[len('test_'):]
                if name in names:
                    fail('%s: %s.%s and %s are both the test %s' % (base, cls.name, node.name, names[name], name))
                names[name] = '%s: %s.%s' % (base, cls.name, node.name)
                cases.append((base, cls.name + '.' + node.name, name))
        for cls in classes:
            for b in cls.bases:
                if isinstance(b, ast.Name) and b.id in with_tests:
                    fail('%s: %s inherits the cases of %s, which are registered under %s only: define '
                         'cases in the class that runs them, and share helpers through a base class '
                         'without test_* methods (as modctl_test.ModctlTest is)' % (base, cls.name, b.id, b.id))
        if not any(c[0] == base for c in cases):
            fail('%s has no test_* method: a file that runs nothing is a mistake' % base)
        if not any(isinstance(n, ast.If) and 'unittest.main' in ast.unparse(n) and '__main__' in ast.unparse(n.test)
                   for n in tree.body):
            fail("%s has no \"if __name__ == '__main__': unittest.main()\": run as meson runs it, it would "
                 "run nothing and pass" % base)
    return cases


def loaded(directory):
    """{(file name, 'Class.method')} that unittest would run for each file."""
    out = set()
    for path in test_files(directory):
        base = os.path.basename(path)
        spec = importlib.util.spec_from_file_location('collected_' + base[:-3].replace('-', '_'), path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)

        def walk(suite):
            for t in suite:
                if isinstance(t, unittest.TestSuite):
                    yield from walk(t)
                else:
                    yield t
        for t in walk(unittest.defaultTestLoader.loadTestsFromModule(module)):
            if t.__class__.__module__ != module.__name__:
                continue  # a TestCase the file imported; its own file runs it
            out.add((base, t.__class__.__name__ + '.' + t._testMethodName))
    return out


def check(directory, registered):
    found = {(c[0], c[1]) for c in collect(directory)}
    ok = True
    for base, case in sorted(loaded(directory) - found):
        print('%s: unittest runs %s, which the collector does not see' % (base, case))
        ok = False
    reg = {(r.split('@')[1], r.split('@')[0]) for r in registered}
    for base, case in sorted(found - reg):
        print('%s: %s is not registered with meson: reconfigure (meson setup --reconfigure build)' % (base, case))
        ok = False
    for base, case in sorted(reg - found):
        print('%s: %s is registered with meson but no longer exists: reconfigure' % (base, case))
        ok = False
    if ok:
        print('%d integration cases, all registered' % len(found))
    return 0 if ok else 1


if __name__ == '__main__':
    if len(sys.argv) >= 3 and sys.argv[1] == '--check':
        sys.exit(check(sys.argv[2], sys.argv[3:]))
    if len(sys.argv) != 2:
        fail('usage: collect-cases.py DIR | collect-cases.py --check DIR REGISTERED...')
    for base, case, name in collect(sys.argv[1]):
        print('%s|%s|%s' % (base, case, name))
