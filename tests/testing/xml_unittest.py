"""Runs the unittest module at argv[1] and writes JUnit XML to $XML_OUTPUT_FILE, so that
tools/test counts Python test cases like GoogleTest ones."""
import importlib.util
import os
import sys
import unittest
import xml.etree.ElementTree as ET


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
    outcomes = []

    class Recorder(unittest.TextTestResult):
        def addSuccess(self, test):
            super().addSuccess(test)
            outcomes.append((test.id(), None))

        def addFailure(self, test, err):
            super().addFailure(test, err)
            outcomes.append((test.id(), self._exc_info_to_string(err, test)))

        def addError(self, test, err):
            super().addError(test, err)
            outcomes.append((test.id(), self._exc_info_to_string(err, test)))

        def addSkip(self, test, reason):
            # A skipped test is a failure here: no test may be skipped silently.
            super().addSkip(test, reason)
            outcomes.append((test.id(), "skipped: " + reason))

    runner = unittest.TextTestRunner(verbosity=2, resultclass=Recorder)
    result = runner.run(suite)
    out = os.environ.get("XML_OUTPUT_FILE")
    if out:
        suites = ET.Element("testsuites")
        ts = ET.SubElement(suites, "testsuite", name=os.path.basename(path), tests=str(len(outcomes)),
                           failures=str(sum(1 for _, e in outcomes if e)))
        for name, error in outcomes:
            case = ET.SubElement(ts, "testcase", name=name)
            if error:
                ET.SubElement(case, "failure", message="failed").text = error
        ET.ElementTree(suites).write(out, encoding="utf-8", xml_declaration=True)
    ok = result.wasSuccessful() and not result.skipped and result.testsRun > 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
