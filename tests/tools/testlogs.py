"""Fabricated Bazel testlogs trees for the tests of tools/count-results and tools/check-secrets:
test.xml as GoogleTest 1.12 and Bazel 4.2.3 write them, test.log, test.cache_status (the
TestResultData protobuf), each file dated before or after the run's --since file."""
import os
import shutil
import subprocess
import sys
import tempfile
from xml.sax.saxutils import escape, quoteattr

# BlazeTestStatus (src/main/protobuf/test_status.proto).
PASSED, FLAKY, TIMEOUT, FAILED = 1, 2, 3, 4


def repo_file(*parts):
    """A file of the repository: from the runfiles under Bazel, else beside this file."""
    srcdir, workspace = os.environ.get("TEST_SRCDIR"), os.environ.get("TEST_WORKSPACE")
    if srcdir and workspace and os.path.exists(os.path.join(srcdir, workspace, *parts)):
        return os.path.join(srcdir, workspace, *parts)
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", *parts)


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def cache_status(status, path="/x/testlogs/t/test.log"):
    """test.cache_status as Bazel writes it: test_passed (2), status (3), a failed/passed log
    (4, length-delimited), has_coverage (6), test_times_millis (9)."""
    passed = status in (PASSED, FLAKY)
    log = path.encode()
    return (b"\x10" + varint(int(passed)) + b"\x18" + varint(status) + b"\x22" + varint(len(log)) + log
            + b"\x30\x00" + b"\x48" + varint(3000))


def gtest_xml(cases):
    """GoogleTest 1.12's XML for cases (suite, name, kind), kind: pass, fail, skip, disabled."""
    suites = {}
    for suite, name, kind in cases:
        suites.setdefault(suite, []).append((name, kind))
    n_fail = sum(1 for c in cases if c[2] == "fail")
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<testsuites tests="%d" failures="%d" disabled="0" errors="0" time="0.1" '
           'timestamp="2026-12-01T21:43:01.543" name="AllTests">' % (len(cases), n_fail)]
    for suite, items in suites.items():
        out.append('  <testsuite name="%s" tests="%d" failures="%d" disabled="%d" skipped="%d" errors="0" '
                   'time="0.1" timestamp="2026-12-01T21:43:01.543">' % (
                       suite, len(items), sum(k == "fail" for _, k in items),
                       sum(k == "disabled" for _, k in items), sum(k == "skip" for _, k in items)))
        for name, kind in items:
            status, result = {"pass": ("run", "completed"), "fail": ("run", "completed"),
                              "skip": ("run", "skipped"), "disabled": ("notrun", "suppressed")}[kind]
            head = ('    <testcase name="%s" file="tests/x/x_test.cc" line="10" status="%s" result="%s" '
                    'time="0.01" timestamp="2026-12-01T21:43:01.543" classname="%s"' % (name, status, result, suite))
            if kind == "fail":
                out += [head + ">", '      <failure message="tests/x/x_test.cc:12&#x0A;Expected equality" '
                        'type=""><![CDATA[tests/x/x_test.cc:12\nExpected equality]]></failure>', "    </testcase>"]
            elif kind == "skip":
                out += [head + ">", '      <skipped message="tests/x/x_test.cc:11&#x0A;not configured">'
                        '<![CDATA[tests/x/x_test.cc:11\nnot configured]]></skipped>', "    </testcase>"]
            else:
                out.append(head + " />")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


def empty_gtest_xml():
    """A GoogleTest binary that ran no case."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites tests="0" failures="0" disabled="0" '
            'errors="0" time="0" timestamp="2026-12-01T21:43:01.543" name="AllTests">\n</testsuites>\n')


def generated_xml(name, exit_code=0, log="hi"):
    """The test.xml Bazel 4.2.3 writes for a binary that wrote none (tools/test/generate-xml.sh)."""
    error = '<error message="exited with error code %d"></error>' % exit_code if exit_code else ""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n'
            '  <testsuite name="%s" tests="1" failures="0" errors="%d">\n'
            '    <testcase name="%s" status="run" duration="0" time="0">%s</testcase>\n'
            '      <system-out>\nGenerated test.log (if the file is not UTF-8, then this may be unreadable):\n'
            '<![CDATA[%s]]>\n      </system-out>\n    </testsuite>\n</testsuites>\n' % (
                name, int(bool(exit_code)), name, error, log))


def junit(cases):
    """A plain JUnit file (tools/fuzz, tools/check-secrets, xml_unittest.py): (name, kind, text)."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites><testsuite name=\"s\">"]
    for name, kind, *text in cases:
        body = {"pass": "", "fail": "<failure message=\"failed\">%s</failure>",
                "skip": "<skipped message=\"skipped\">%s</skipped>"}[kind]
        out.append("<testcase classname=\"fuzz\" name=%s>%s</testcase>" % (
            quoteattr(name), body % escape(text[0] if text else "") if body else ""))
    out.append("</testsuite></testsuites>")
    return "\n".join(out) + "\n"


class Run:
    """A temporary directory with the run's --since file and testlogs trees in it."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="testlogs-", dir=os.environ.get("TEST_TMPDIR"))
        self.since = os.path.join(self.dir, "started")
        with open(self.since, "w"):
            pass
        self.t0 = os.path.getmtime(self.since)
        os.utime(self.since, (self.t0, self.t0))

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write(self, relpath, content, old=False):
        """Writes a file, dated 100 s before --since when old, else 100 s after."""
        path = self.path(relpath)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content if isinstance(content, bytes) else content.encode())
        when = self.t0 + (-100 if old else 100)
        os.utime(path, (when, when))
        return path

    def target(self, tree, label, xml, log=None, status=None, old=False, shard=None):
        """One target's results in testlogs tree `tree`: label "tests/x:y_test"."""
        pkg, name = label.split(":")
        d = os.path.join(tree, pkg, name, *([shard] if shard else []))
        self.write(os.path.join(d, "test.xml"), xml, old)
        self.write(os.path.join(d, "test.log"), log if log is not None else "[  PASSED  ]\n", old)
        if status is not None:
            self.write(os.path.join(d, "test.cache_status"),
                       cache_status(status, self.path(d, "test.log")), old)
        return self.path(tree)


def count(run, *configs, script=None):
    """Runs tools/count-results; configs are (kind, name, status, path). Returns (rc, stdout, stderr)."""
    args = [sys.executable, script or repo_file("tools", "count-results"), "--since", run.since]
    for kind, name, status, path in configs:
        args += ["--" + kind, name, str(status), path]
    p = subprocess.run(args, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr
