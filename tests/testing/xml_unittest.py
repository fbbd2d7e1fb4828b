"""Runs the unittest module at argv[1] and writes JUnit XML to $XML_OUTPUT_FILE, so that
tools/test counts Python test cases like GoogleTest ones: one <testcase> per test, with a
<failure> when it failed, errored, failed in a subTest or passed although marked
expectedFailure, and a <skipped> when it was skipped or is an expected failure (which
tools/count-results counts as failed: no test may be skipped silently). Exits non-zero on any
failure or skip, and when no test ran."""
import fnmatch
import importlib.util
import os
import sys
import unittest
import xml.etree.ElementTree as ET


def _tests(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from _tests(item)
        else:
            yield item


def main():
    path = os.path.abspath(sys.argv[1])
    sys.path.insert(0, os.path.dirname(path))
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    # Registered like an imported module, so unittest runs setUpModule/tearDownModule.
    sys.modules[name] = module
    spec.loader.exec_module(module)
    suite = unittest.defaultTestLoader.loadTestsFromModule(module)
    # bazel test --test_filter=F (TESTBRIDGE_TEST_ONLY): the tests whose id
    # (module.Class.method) ends with one of F's ':'-separated patterns, as GoogleTest reads
    # them ("Class.*"). tools/test-native picks the TimescaleDB classes so.
    only = os.environ.get("TESTBRIDGE_TEST_ONLY")
    if only:
        patterns = ["*" + p for p in only.split(":") if p]
        chosen = [t for t in _tests(suite)
                  if any(fnmatch.fnmatchcase(t.id(), p) for p in patterns)]
        suite = unittest.TestSuite(chosen)
    # One outcome per test id, the worst wins: "failure" > "skipped" > "passed". A failed
    # subTest fails its test (unittest reports it through addSubTest only).
    outcomes = {}
    rank = {"passed": 0, "skipped": 1, "failure": 2}

    def record(test, kind, text=""):
        name = test.id()
        if name not in outcomes or rank[kind] > rank[outcomes[name][0]]:
            outcomes[name] = (kind, text)
        elif kind == outcomes[name][0] and text:
            outcomes[name] = (kind, outcomes[name][1] + "\n" + text)

    class Recorder(unittest.TextTestResult):
        def addSuccess(self, test):
            super().addSuccess(test)
            record(test, "passed")

        def addFailure(self, test, err):
            super().addFailure(test, err)
            record(test, "failure", self._exc_info_to_string(err, test))

        def addError(self, test, err):
            super().addError(test, err)
            record(test, "failure", self._exc_info_to_string(err, test))

        def addSubTest(self, test, subtest, err):
            super().addSubTest(test, subtest, err)
            if err is not None:
                record(test, "failure", "%s: %s" % (subtest.id(), self._exc_info_to_string(err, test)))

        def addSkip(self, test, reason):
            # Recorded as skipped (<skipped/>); tools/count-results counts a skip as a failure:
            # no test may be skipped silently.
            super().addSkip(test, reason)
            record(test, "skipped", reason)

        def addExpectedFailure(self, test, err):
            # A test known to fail proves nothing: a skip, not a pass.
            super().addExpectedFailure(test, err)
            record(test, "skipped", "expected failure: " + self._exc_info_to_string(err, test))

        def addUnexpectedSuccess(self, test):
            super().addUnexpectedSuccess(test)
            record(test, "failure", "unexpected success of a test marked expectedFailure")

    runner = unittest.TextTestRunner(verbosity=2, resultclass=Recorder)
    result = runner.run(suite)
    out = os.environ.get("XML_OUTPUT_FILE")
    if out:
        kinds = [kind for kind, _ in outcomes.values()]
        suites = ET.Element("testsuites")
        ts = ET.SubElement(suites, "testsuite", name=os.path.basename(path), tests=str(len(outcomes)),
                           failures=str(kinds.count("failure")), skipped=str(kinds.count("skipped")))
        for name, (kind, text) in outcomes.items():
            case = ET.SubElement(ts, "testcase", name=name)
            if kind == "failure":
                ET.SubElement(case, "failure", message="failed").text = text
            elif kind == "skipped":
                ET.SubElement(case, "skipped", message=text.splitlines()[0][:200] if text else "skipped").text = text
        ET.ElementTree(suites).write(out, encoding="utf-8", xml_declaration=True)
    ok = (result.wasSuccessful() and not result.skipped and not result.expectedFailures
          and result.testsRun > 0)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
