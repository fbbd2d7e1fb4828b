"""tools/count-results, the closing line of tools/test, on fabricated testlogs trees: a skipped
case is not a pass, a target that ran no case adds none, a crash or a report at exit and a
build failure each add a failure even when another one is counted, only this run's files
count, and the line reports distinct cases per configuration, then the total."""
import os
import re
import subprocess
import unittest

import testlogs as tl
from testlogs import FAILED, FLAKY, PASSED, TIMEOUT

PASS3 = tl.gtest_xml([("S", "A", "pass"), ("S", "B", "pass"), ("T", "C", "pass")])
PASS2 = tl.gtest_xml([("S", "A", "pass"), ("S", "B", "pass")])
LEAK = "[  PASSED  ] 2 tests.\n\n=================================================================\n" \
       "==4242==ERROR: LeakSanitizer: detected memory leaks\n\nSUMMARY: AddressSanitizer: 24 byte(s) leaked\n"


class Base(unittest.TestCase):
    def setUp(self):
        self.run_ = tl.Run()
        self.addCleanup(self.run_.close)
        self.logs = self.run_.path("testlogs")

    def target(self, label, xml, **kw):
        return self.run_.target("testlogs", label, xml, **kw)

    def count(self, *configs):
        return tl.count(self.run_, *configs)

    def normal(self, status=0):
        """Counts the one configuration "normal" of self.logs; returns (rc, stdout, stderr)."""
        return self.count(("bazel", "normal", status, self.logs))

    def assertLine(self, result, passed, failed):
        rc, out, err = result
        self.assertEqual(out, "%d passed, %d failed\n" % (passed, failed), err)
        self.assertEqual(rc, 0 if failed == 0 else 1, err)

    def summary(self, err, name="normal"):
        m = re.search(r"^tools/test: %s: (\d+) passed, (\d+) failed \((\d+) skipped, (\d+) crashed or "
                      r"failed at exit, (\d+) not run\)$" % re.escape(name), err, re.M)
        self.assertIsNotNone(m, err)
        return tuple(int(x) for x in m.groups())


class Cases(Base):
    def test_every_passing_case_counts_once(self):
        self.target("tests/a:a_test", PASS3, status=PASSED)
        self.target("tests/b:b_test", PASS2, status=PASSED)
        result = self.normal()
        self.assertLine(result, 5, 0)
        self.assertEqual(self.summary(result[2]), (5, 0, 0, 0, 0))

    def test_a_failed_case_counts_once_and_its_exit_adds_nothing(self):
        self.target("tests/a:a_test", tl.gtest_xml([("S", "A", "pass"), ("S", "B", "fail")]),
                    status=FAILED)
        self.assertLine(self.normal(3), 1, 1)

    def test_a_gtest_skip_is_a_failure_and_is_reported(self):
        xml = tl.gtest_xml([("S", "A", "pass"), ("S", "Skipped", "skip"), ("S", "B", "pass")])
        self.target("tests/a:a_test", xml, status=PASSED)
        rc, out, err = result = self.normal()
        self.assertLine(result, 2, 1)
        self.assertEqual(self.summary(err), (2, 1, 1, 0, 0))
        self.assertIn("skipped (counted as failed): //tests/a:a_test S.Skipped", err)

    def test_each_form_of_skip_counts_as_failed(self):
        # GoogleTest 1.12 writes both result="skipped" and a <skipped> child; either alone is
        # a skip, so are a DISABLED_ test (status="notrun") and Python's <skipped>.
        forms = {
            "attribute only": '<testcase name="A" status="run" result="skipped" classname="S" />',
            "child only": '<testcase name="A" classname="S"><skipped message="m"/></testcase>',
            "disabled": '<testcase name="DISABLED_A" status="notrun" result="suppressed" classname="S" />',
            "python": '<testcase name="m.C.test_a"><skipped message="no server">no server</skipped></testcase>',
        }
        for form, case in forms.items():
            with self.subTest(form=form):
                run = tl.Run()
                self.addCleanup(run.close)
                logs = run.target("logs", "tests/a:a_test", "<testsuites><testsuite name='S'>%s</testsuite>"
                                  "</testsuites>" % case, status=PASSED)
                rc, out, err = tl.count(run, ("bazel", "normal", 0, logs))
                self.assertEqual(out, "0 passed, 1 failed\n", err)
                self.assertEqual(self.summary(err)[2], 1, err)

    def test_a_python_skip_with_its_non_zero_exit_is_one_failure(self):
        # xml_unittest.py exits 1 when a test skipped: the skip is that failure, not two.
        self.target("tests/c:py_test", tl.junit([("m.C.test_a", "pass"), ("m.C.test_b", "skip", "why")]),
                    status=FAILED)
        result = self.normal(3)
        self.assertLine(result, 1, 1)
        self.assertEqual(self.summary(result[2]), (1, 1, 1, 0, 0))

    def test_an_unreadable_test_xml_is_one_failure(self):
        self.target("tests/a:a_test", "<testsuites><testsuite", status=FAILED)
        rc, out, err = result = self.normal(3)
        self.assertLine(result, 0, 1)
        self.assertIn("does not parse", err)


class NoCase(Base):
    def test_a_target_without_cases_adds_nothing(self):
        self.target("tests/a:a_test", PASS2, status=PASSED)
        self.target("tests/e:empty_test", tl.empty_gtest_xml(), status=PASSED)
        rc, out, err = result = self.normal()
        self.assertLine(result, 2, 0)
        self.assertIn("//tests/e:empty_test: ran no test case (adds nothing)", err)

    def test_a_target_without_cases_that_failed_is_one_failure(self):
        self.target("tests/a:a_test", PASS2, status=PASSED)
        self.target("tests/e:empty_test", tl.empty_gtest_xml(), status=FAILED)
        rc, out, err = result = self.normal(3)
        self.assertLine(result, 2, 1)
        self.assertIn("//tests/e:empty_test: failed although ran no test case", err)

    def test_without_cache_status_the_xml_totals_decide(self):
        self.target("tests/a:a_test", PASS2, status=PASSED)
        self.target("tests/e:empty_test", '<testsuites failures="1" errors="0"></testsuites>')
        self.assertLine(self.normal(3), 2, 1)

    def test_python_runner_that_ran_no_test(self):
        self.target("tests/c:py_test", '<?xml version="1.0"?><testsuites><testsuite name="x.py" tests="0" '
                    'failures="0" skipped="0" /></testsuites>', status=FAILED)
        self.assertLine(self.normal(3), 0, 1)


class Crashes(Base):
    def test_a_sanitizer_report_after_passing_cases_is_one_failure(self):
        # GoogleTest wrote its XML (all passed) before LeakSanitizer ran at exit: Bazel keeps
        # that XML, says FAILED in test.cache_status and writes nothing about it in test.log.
        self.target("tests/a:a_test", PASS2, log=LEAK, status=FAILED)
        rc, out, err = result = self.normal(3)
        self.assertLine(result, 2, 1)
        self.assertEqual(self.summary(err), (2, 1, 0, 1, 0))
        self.assertIn("//tests/a:a_test: crash or sanitizer report: ==4242==ERROR: LeakSanitizer", err)

    def test_a_failed_case_and_a_crash_in_one_target_are_two_failures(self):
        xml = tl.gtest_xml([("S", "A", "pass"), ("S", "B", "fail")])
        self.target("tests/a:a_test", xml, log="[  FAILED  ] S.B\n==7==ERROR: AddressSanitizer: "
                    "heap-use-after-free on address 0x602\n", status=FAILED)
        result = self.normal(3)
        self.assertLine(result, 1, 2)
        self.assertEqual(self.summary(result[2]), (1, 2, 0, 1, 0))

    def test_a_non_zero_exit_after_passing_cases_is_one_failure(self):
        self.target("tests/a:a_test", PASS2, log="[  PASSED  ] 2 tests.\n", status=FAILED)
        rc, out, err = result = self.normal(3)
        self.assertLine(result, 2, 1)
        self.assertIn("//tests/a:a_test: failed although all its cases passed (Bazel: FAILED)", err)

    def test_a_report_of_a_child_process_counts_although_bazel_passed(self):
        # A server started by a Python test printed a report; the test itself passed.
        self.target("tests/s:server_test", tl.junit([("m.C.test_a", "pass")]),
                    log="ok\nserver.cc:41:7: runtime error: signed integer overflow\n", status=PASSED)
        self.assertLine(self.normal(), 1, 1)

    def test_every_kind_of_crash_line_is_seen(self):
        lines = ["WARNING: ThreadSanitizer: data race (pid=9)",
                 "read.cc:3:5: runtime error: load of misaligned address",
                 "/bin/bash: line 1: 77 Segmentation fault      ./a_test",
                 "==1==ERROR: AddressSanitizer: stack-buffer-overflow",
                 "ThreadSanitizer: reported 2 warnings",
                 "*** SIGSEGV received at time=1700000000 on cpu 1 ***",
                 "terminate called after throwing an instance of 'std::bad_alloc'",
                 "AddressSanitizer:DEADLYSIGNAL"]
        for i, line in enumerate(lines):
            with self.subTest(line=i):
                run = tl.Run()
                self.addCleanup(run.close)
                logs = run.target("logs", "tests/a:a_test", PASS2, log="x\n" + line + "\ny\n", status=PASSED)
                rc, out, err = tl.count(run, ("bazel", "tsan", 0, logs))
                self.assertEqual(out, "2 passed, 1 failed\n", err)

    def test_ordinary_output_is_no_crash(self):
        log = ("RuntimeError: boom\nno runtime errors here\nthe sanitizer is off\n"
               "[  PASSED  ] 2 tests.\n")
        self.target("tests/a:a_test", PASS2, log=log, status=PASSED)
        self.assertLine(self.normal(), 2, 0)

    def test_bazel_generated_xml_is_the_target_as_one_case(self):
        self.target("tests/b:bench_smoke_test", tl.generated_xml("tests/b/bench_smoke_test"), status=PASSED)
        self.target("tests/b:crash_test", tl.generated_xml("tests/b/crash_test", 139), status=FAILED)
        self.target("tests/b:timeout_test", tl.generated_xml("tests/b/timeout_test", 143), status=TIMEOUT)
        self.assertLine(self.normal(3), 1, 2)

    def test_a_crash_in_a_generated_xml_target_is_not_counted_twice(self):
        # The binary wrote no XML because it crashed: Bazel's failed case is that crash.
        self.target("tests/b:crash_test", tl.generated_xml("tests/b/crash_test", 1),
                    log="==3==ERROR: AddressSanitizer: SEGV on unknown address\n", status=FAILED)
        self.assertLine(self.normal(3), 0, 1)

    def test_a_flaky_pass_is_a_pass_and_is_reported(self):
        self.target("tests/a:a_test", PASS2, status=FLAKY)
        rc, out, err = result = self.normal()
        self.assertLine(result, 2, 0)
        self.assertIn("flaky", err)


class Build(Base):
    def test_a_build_failure_is_one_failure_even_with_failed_cases(self):
        self.target("tests/a:a_test", tl.gtest_xml([("S", "A", "pass"), ("S", "B", "fail")]), status=FAILED)
        rc, out, err = result = self.normal(1)
        self.assertLine(result, 1, 2)
        self.assertEqual(self.summary(err), (1, 2, 0, 0, 1))
        self.assertIn("bazel exited 1: the build or the analysis failed", err)

    def test_a_build_failure_with_no_result_is_one_failure(self):
        self.assertLine(self.normal(1), 0, 1)

    def test_no_result_at_all_is_one_failure(self):
        rc, out, err = result = self.normal(0)
        self.assertLine(result, 0, 1)
        self.assertIn("no result written by this run", err)

    def test_a_testlogs_path_that_is_not_there_is_one_failure(self):
        self.assertLine(self.count(("bazel", "asan", 0, self.run_.path("nowhere"))), 0, 1)
        self.assertLine(self.count(("bazel", "asan", 0, "")), 0, 1)

    def test_failed_tests_without_a_failed_case_are_one_failure(self):
        self.target("tests/a:a_test", PASS2, status=PASSED)
        for status in (3, 4, 8, 37):
            with self.subTest(status=status):
                rc, out, err = result = self.normal(status)
                self.assertLine(result, 2, 1)
                self.assertIn("exited %d with no failed test case" % status, err)


class Since(Base):
    def test_results_of_earlier_runs_are_ignored(self):
        self.target("tests/a:a_test", PASS2, status=PASSED)
        # An earlier run: failed cases, a crash, a failed verdict; all dated before --since.
        self.target("tests/o:old_test", tl.gtest_xml([("S", "X", "fail"), ("S", "Y", "skip")]),
                    log=LEAK, status=FAILED, old=True)
        self.assertLine(self.normal(), 2, 0)

    def test_an_old_log_or_verdict_beside_a_new_xml_is_ignored(self):
        self.target("tests/a:a_test", PASS2, status=PASSED)
        self.run_.write("testlogs/tests/a/a_test/test.log", LEAK, old=True)
        self.run_.write("testlogs/tests/a/a_test/test.cache_status", tl.cache_status(FAILED), old=True)
        self.assertLine(self.normal(), 2, 0)

    def test_an_old_junit_file_is_no_result(self):
        old = self.run_.write("fuzz.xml", tl.junit([("copy_fuzz", "pass")]), old=True)
        self.assertLine(self.count(("junit", "fuzz", 0, old)), 0, 1)


class Distinct(Base):
    def test_a_case_of_several_runs_counts_once_failed_if_one_run_failed(self):
        ok = tl.gtest_xml([("S", "A", "pass"), ("S", "B", "pass")])
        bad = tl.gtest_xml([("S", "A", "pass"), ("S", "B", "fail")])
        self.target("tests/a:a_test", ok, status=PASSED, shard="run_1_of_2")
        self.target("tests/a:a_test", bad, status=FAILED, shard="run_2_of_2")
        self.assertLine(self.normal(3), 1, 1)

    def test_shards_add_their_cases(self):
        self.target("tests/a:a_test", tl.gtest_xml([("S", "A", "pass")]), status=PASSED, shard="shard_1_of_2")
        self.target("tests/a:a_test", tl.gtest_xml([("S", "B", "pass")]), status=PASSED, shard="shard_2_of_2")
        self.assertLine(self.normal(), 2, 0)

    def test_the_same_case_name_in_two_targets_or_configurations_counts_in_each(self):
        self.target("tests/a:a_test", PASS2, status=PASSED)
        self.target("tests/b:b_test", PASS2, status=PASSED)
        asan = self.run_.target("asan", "tests/a:a_test", PASS2, status=PASSED)
        self.assertLine(self.count(("bazel", "normal", 0, self.logs), ("bazel", "asan", 0, asan)), 6, 0)

    def test_a_symlinked_tree_is_not_counted_twice(self):
        self.target("tests/a:a_test", PASS2, status=PASSED)
        os.symlink(os.path.join(self.logs, "tests"), os.path.join(self.logs, "again"))
        self.assertLine(self.normal(), 2, 0)


class Line(Base):
    def test_one_line_per_configuration_then_the_total_on_stdout(self):
        self.target("tests/a:a_test", PASS3, status=PASSED)
        self.target("tests/s:skip_test", tl.gtest_xml([("S", "A", "skip"), ("S", "B", "pass")]), status=PASSED)
        asan = self.run_.target("asan", "tests/a:a_test", PASS2, log=LEAK, status=FAILED)
        tsan = self.run_.target("tsan", "tests/r:read_test", PASS2, status=PASSED)
        fuzz = self.run_.write("fuzz.xml", tl.junit([("copy_fuzz", "pass"), ("state_fuzz", "fail", "crash")]))
        secrets = self.run_.write("secrets.xml", tl.junit([("configured secrets appear in no test output", "pass")]))
        rc, out, err = result = self.count(("bazel", "normal", 0, self.logs), ("bazel", "asan", 3, asan),
                                           ("bazel", "tsan", 0, tsan), ("junit", "fuzz", 1, fuzz),
                                           ("junit", "secrets", 0, secrets))
        self.assertLine(result, 4 + 2 + 2 + 1 + 1, 1 + 1 + 0 + 1 + 0)
        self.assertEqual(self.summary(err, "normal"), (4, 1, 1, 0, 0))
        self.assertEqual(self.summary(err, "asan"), (2, 1, 0, 1, 0))
        self.assertEqual(self.summary(err, "tsan"), (2, 0, 0, 0, 0))
        self.assertEqual(self.summary(err, "fuzz"), (1, 1, 0, 0, 0))
        self.assertEqual(self.summary(err, "secrets"), (1, 0, 0, 0, 0))
        names = re.findall(r"^tools/test: (\w+): \d+ passed", err, re.M)
        self.assertEqual(names, ["normal", "asan", "tsan", "fuzz", "secrets"])

    def test_a_fuzz_build_failure_is_one_failure(self):
        fuzz = self.run_.write("fuzz.xml", tl.junit([("build", "fail", "did not build")]))
        self.assertLine(self.count(("junit", "fuzz", 1, fuzz)), 0, 1)

    def test_a_missing_junit_file_is_one_failure(self):
        self.assertLine(self.count(("junit", "fuzz", 2, self.run_.path("fuzz.xml"))), 0, 1)
        self.assertLine(self.count(("junit", "fuzz", 0, self.run_.path("fuzz.xml"))), 0, 1)

    def test_the_script_runs_as_tools_test_calls_it(self):
        self.target("tests/a:a_test", PASS2, status=PASSED)
        p = subprocess.run([tl.repo_file("tools", "count-results"), "--since", self.run_.since,
                            "--bazel", "normal", "0", self.logs], capture_output=True, text=True, timeout=60)
        self.assertEqual((p.returncode, p.stdout), (0, "2 passed, 0 failed\n"), p.stderr)

    def test_usage_errors_exit_2(self):
        p = subprocess.run([tl.repo_file("tools", "count-results"), "--since", self.run_.since],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stdout, "")


class CacheStatus(unittest.TestCase):
    def test_reads_bazels_verdict(self):
        import importlib.machinery
        import importlib.util
        loader = importlib.machinery.SourceFileLoader("count_results", tl.repo_file("tools", "count-results"))
        spec = importlib.util.spec_from_loader("count_results", loader)
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
        run = tl.Run()
        self.addCleanup(run.close)
        for status in (PASSED, FLAKY, TIMEOUT, FAILED):
            with self.subTest(status=status):
                path = run.write("s%d" % status, tl.cache_status(status))
                self.assertEqual(module.read_cache_status(path), (status in (PASSED, FLAKY), status))
        # The bytes Bazel 4.2.3 wrote for a passing and a failing sh_test (up to the log path).
        self.assertEqual(module.read_cache_status(run.write("p", b"\x10\x01\x18\x01\x30\x00\x40\x00\x48\xf0\x17")),
                         (True, PASSED))
        self.assertEqual(module.read_cache_status(run.write("f", b"\x10\x00\x18\x04\x22\x02ab")), (False, FAILED))
        with self.assertRaises(ValueError):
            module.read_cache_status(run.write("t", b"\x10"))


if __name__ == "__main__":
    unittest.main()
