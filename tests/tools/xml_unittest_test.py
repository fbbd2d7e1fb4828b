"""tests/testing/xml_unittest.py, the runner of every Python test: each outcome is written so
that tools/count-results counts it honestly (a skip and an expected failure as <skipped>, a
failed subTest as a failure of its test), and the runner exits non-zero on any of them or
when no test ran."""
import os
import subprocess
import sys
import textwrap
import unittest
import xml.etree.ElementTree as ET

import testlogs as tl

RUNNER = tl.repo_file("tests", "testing", "xml_unittest.py")

MODULE = '''
import unittest

class T(unittest.TestCase):
    def test_pass(self):
        pass

    def test_fail(self):
        self.assertEqual(1, 2)

    def test_error(self):
        raise KeyError("k")

    def test_skip(self):
        self.skipTest("no server configured")

    @unittest.expectedFailure
    def test_expected_failure(self):
        self.assertEqual(1, 2)

    @unittest.expectedFailure
    def test_unexpected_success(self):
        pass

    def test_subtests(self):
        for i in range(3):
            with self.subTest(i=i):
                self.assertNotEqual(i, 1)
'''


class XmlUnittest(unittest.TestCase):
    def setUp(self):
        self.run_ = tl.Run()
        self.addCleanup(self.run_.close)

    def runner(self, source):
        module = self.run_.write("mod/sample_test.py", textwrap.dedent(source))
        xml = self.run_.path("logs/tests/m/sample_test/test.xml")
        os.makedirs(os.path.dirname(xml), exist_ok=True)
        p = subprocess.run([sys.executable, RUNNER, module], capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, XML_OUTPUT_FILE=xml))
        return p, xml

    def cases(self, xml):
        out = {}
        for case in ET.parse(xml).getroot().iter("testcase"):
            kind = "failure" if case.find("failure") is not None else \
                   "skipped" if case.find("skipped") is not None else "passed"
            out[case.get("name").rsplit(".", 1)[-1]] = kind
        return out

    def test_each_outcome_is_recorded_distinctly(self):
        p, xml = self.runner(MODULE)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(self.cases(xml), {
            "test_pass": "passed", "test_fail": "failure", "test_error": "failure",
            "test_skip": "skipped", "test_expected_failure": "skipped",
            "test_unexpected_success": "failure", "test_subtests": "failure"})
        suite = ET.parse(xml).getroot().find("testsuite")
        self.assertEqual((suite.get("tests"), suite.get("failures"), suite.get("skipped")), ("7", "4", "2"))
        skipped = [c.find("skipped") for c in ET.parse(xml).getroot().iter("testcase")
                   if c.find("skipped") is not None]
        self.assertIn("no server configured", [s.get("message") for s in skipped])

    def test_count_results_counts_skips_as_failed(self):
        p, xml = self.runner(MODULE)
        os.utime(xml, (self.run_.t0 + 10, self.run_.t0 + 10))
        rc, out, err = tl.count(self.run_, ("bazel", "normal", 3, self.run_.path("logs")))
        self.assertEqual(out, "1 passed, 6 failed\n", err)
        self.assertIn("(2 skipped,", err)

    def test_all_passing_exits_0(self):
        p, xml = self.runner("import unittest\nclass T(unittest.TestCase):\n"
                             "    def test_a(self): pass\n    def test_b(self): pass\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.cases(xml), {"test_a": "passed", "test_b": "passed"})

    def test_only_skips_exit_1(self):
        p, xml = self.runner("import unittest\n@unittest.skip('later')\nclass T(unittest.TestCase):\n"
                             "    def test_a(self): pass\n")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(self.cases(xml), {"test_a": "skipped"})

    def test_no_test_exits_1_with_no_case(self):
        p, xml = self.runner("import unittest\n")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(self.cases(xml), {})

    def test_a_failing_set_up_class_is_a_failed_case(self):
        p, xml = self.runner("import unittest\nclass T(unittest.TestCase):\n"
                             "    @classmethod\n    def setUpClass(cls): raise OSError('no db')\n"
                             "    def test_a(self): pass\n")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(list(self.cases(xml).values()), ["failure"])


if __name__ == "__main__":
    unittest.main()
