"""tools/check-secrets on fabricated testlogs trees: it finds each kind of secret the tests
configure (fixed passwords, client key passwords, bearer tokens, the ones made at run time,
TLS and SSH private keys, the dev databases' passwords) wherever a test writes output, never
quotes the secret, ignores earlier runs' files, and fails when it scanned nothing."""
import io
import os
import random
import string
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET
import zipfile

import testlogs as tl

SCRIPT = tl.repo_file("tools", "check-secrets")


def rnd(n):
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(n))


# (kind, text with the secret in it, the secret): every secret of tests/ (issue 14).
SAMPLES = [
    ("database password of tests/check and tests/client", "password=Sup3r-Secret-Pa55word",
     "Sup3r-Secret-Pa55word"),
    ("password of tests/server/server_parts_test", "rejected Sup3r-Secret and", "Sup3r-Secret"),
    ("client key password", "client_key_password: key-pass-42", "key-pass-42"),
    ("password of tests/proto", '"password": "s3cret"', "s3cret"),
    ("role password of tests/check", "PASSWORD 'reader-pw'", "reader-pw"),
    ("token file line of tests/server", "  old-token-0123456789abcdef ", "old-token-0123456789abcdef"),
    ("token of tests/server/server_parts_test", "Bearer first-token-0123456789", "first-token-0123456789"),
    ("token of tests/server/server_parts_test", "second-token-0123456789", "second-token-0123456789"),
    ("token of tests/server/server_parts_test", "ok-token-0123456789\n", "ok-token-0123456789"),
    ("wrong token of tests/client", "token not-the-token refused", "not-the-token"),
    ("wrong token of tests/server/examples_test", "not-the-right-token-at-all", "not-the-right-token"),
    ("fixed token of tests/client/shim_test", "authorization: Bearer tok-" + "7" * 24, "7" * 24),
]
_token, _wrong, _pw, _example, _tunnel_pw = rnd(24), rnd(20), rnd(16), rnd(20), rnd(16)
SAMPLES += [
    ("random token of tests/server/server_test", "Bearer tok-" + _token, _token),
    ("random wrong token of tests/server/server_test", "tok-wrong-" + _wrong, _wrong),
    ("random role password of tests/server/server_test", "password=Pw-" + _pw + "-wrong", _pw),
    ("random token of tests/server/examples_test", "example-token-" + _example, _example),
    ("PKCS#8 key (openssl req -newkey ec)", "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMG\n", "MIGHAgEAMBMG"),
    ("EC key", "-----BEGIN EC PRIVATE KEY-----\n", "BEGIN EC PRIVATE"),
    ("RSA key", "-----BEGIN RSA PRIVATE KEY-----\n", "BEGIN RSA PRIVATE"),
    ("encrypted key", "-----BEGIN ENCRYPTED PRIVATE KEY-----\n", "BEGIN ENCRYPTED"),
    ("SSH key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n",
     "b3BlbnNzaC1rZXktdjEAAAAA"),
    ("bastion password of tests/testing/bastion.py", "password=Tunnel-Pw-" + _tunnel_pw,
     _tunnel_pw),
    ("OpenSSH key body pasted on one line, without its header",
     '"ssh_key": "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"', "b3BlbnNzaC1rZXktdjEAAAAABG5vbm"),
    ("RSA (PEM) key body without its header", "MIIEowIBAAKCAQEAwz8h", "MIIEowIBAAKCAQEAwz8h"),
]

CLEAN = ("Executing tests from //tests/server:server_test\n[ RUN      ] Check.WrongPassword\n"
         "password authentication failed for user \"tsdb\"\nthe token file holds no token\n"
         "Bearer ****\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
         "host=127.0.0.1 user=postgres password=postgres\n[       OK ]\n")


class CheckSecrets(unittest.TestCase):
    def setUp(self):
        self.run_ = tl.Run()
        self.addCleanup(self.run_.close)
        self.junit = self.run_.path("secrets.xml")

    def check(self, *dirs, env=None):
        environ = {k: v for k, v in os.environ.items() if not k.startswith("TSDB_")}
        environ.update(env or {})
        p = subprocess.run([sys.executable, SCRIPT, "--since", self.run_.since, "--junit", self.junit]
                           + list(dirs), capture_output=True, text=True, env=environ, timeout=60)
        return p.returncode, p.stdout + p.stderr

    def verdict(self):
        root = ET.parse(self.junit).getroot()
        cases = list(root.iter("testcase"))
        self.assertEqual(len(cases), 1)
        failure = cases[0].find("failure")
        return None if failure is None else (failure.get("message"), failure.text or "")

    def clean_tree(self, name="logs"):
        self.run_.write(name + "/tests/a/a_test/test.log", CLEAN)
        self.run_.write(name + "/tests/a/a_test/test.xml", tl.gtest_xml([("S", "A", "pass")]))
        return self.run_.path(name)

    def test_a_clean_run_passes(self):
        rc, out = self.check(self.clean_tree("normal"), self.clean_tree("asan"))
        self.assertEqual(rc, 0, out)
        self.assertIsNone(self.verdict())
        self.assertIn("scanned 2 files", out)

    def test_finds_every_kind_of_secret(self):
        for i, (kind, text, secret) in enumerate(SAMPLES):
            with self.subTest(kind=kind):
                logs = self.clean_tree("k%d" % i)
                self.run_.write("k%d/tests/b/b_test/test.log" % i, CLEAN + text + "\n" + CLEAN)
                rc, out = self.check(logs)
                self.assertEqual(rc, 1, kind)
                message, text_ = self.verdict()
                self.assertEqual(message, "secret found")
                self.assertIn(os.path.join("tests", "b", "b_test", "test.log"), text_)
                self.assertNotIn("tests/a/a_test", text_)
                # The report names the file and the kind of secret, never the secret.
                self.assertNotIn(secret, text_ + out, kind)

    def test_finds_secrets_in_every_output_of_a_test(self):
        secret = "Sup3r-Secret-Pa55word"
        zipped = io.BytesIO()
        with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("server.log", "x" * 1000 + " password=" + secret + " " + "y" * 1000)
        places = {
            "test.xml": ("test.xml", "<testsuites><testsuite><testcase name='a'><failure>%s</failure>"
                         "</testcase></testsuite></testsuites>" % secret),
            "an undeclared output": ("test.outputs/server.log", "token " + secret),
            "the zip of undeclared outputs": ("test.outputs/outputs.zip", zipped.getvalue()),
            "a flaky attempt's log": ("test_attempts/attempt_1.log", secret),
        }
        for i, (place, (rel, content)) in enumerate(places.items()):
            with self.subTest(place=place):
                logs = self.clean_tree("p%d" % i)
                self.run_.write("p%d/tests/c/c_test/%s" % (i, rel), content)
                rc, out = self.check(logs)
                self.assertEqual(rc, 1, place)
                self.assertIn("c_test", self.verdict()[1])
                if rel.endswith(".zip"):
                    self.assertIn("outputs.zip!server.log", self.verdict()[1])

    def test_the_dev_database_passwords_from_the_environment(self):
        logs = self.clean_tree()
        strong = "native-" + rnd(12)
        self.run_.write("logs/tests/d/d_test/test.log", "connecting with password " + strong)
        env = {"TSDB_NATIVE_USER": "postgres", "TSDB_NATIVE_PASSWORD": strong}
        rc, out = self.check(logs, env=env)
        self.assertEqual(rc, 1, out)
        self.assertIn("$TSDB_NATIVE_PASSWORD", self.verdict()[1])
        self.assertNotIn(strong, self.verdict()[1] + out)
        # tools/dev-db's passwords are the user names (and short): not looked for.
        dev = {"TSDB_PG_USER": "tsdb", "TSDB_PG_PASSWORD": "tsdb",
               "TSDB_TS_USER": "postgres", "TSDB_TS_PASSWORD": "postgres"}
        rc, out = self.check(self.clean_tree("dev"), env=dev)
        self.assertEqual(rc, 0, out)

    def test_files_of_earlier_runs_are_not_scanned(self):
        logs = self.clean_tree()
        self.run_.write("logs/tests/o/old_test/test.log", "password=Sup3r-Secret-Pa55word", old=True)
        rc, out = self.check(logs)
        self.assertEqual(rc, 0, out)

    def test_fails_when_it_scanned_nothing(self):
        self.run_.write("old/tests/o/old_test/test.log", "nothing secret", old=True)
        cases = {"only old files": [self.run_.path("old")],
                 "an empty directory": [os.path.dirname(self.run_.write("empty/.keep", "", old=True))],
                 "a directory that is not there": [self.run_.path("nowhere")],
                 "no directory": [],
                 "an empty path (bazel info failed)": [""]}
        for what, dirs in cases.items():
            with self.subTest(what=what):
                rc, out = self.check(*dirs)
                self.assertEqual(rc, 1, out)
                self.assertEqual(self.verdict()[0], "nothing scanned")
                self.assertIn("nothing was checked", out)

    def test_one_directory_without_new_files_is_fine_when_another_has_some(self):
        self.run_.write("old/tests/o/old_test/test.log", "x", old=True)
        rc, out = self.check(self.run_.path("old"), self.clean_tree())
        self.assertEqual(rc, 0, out)

    def test_its_junit_counts_as_one_case(self):
        rc, _ = self.check(self.clean_tree())
        result = tl.count(self.run_, ("junit", "secrets", rc, self.junit))
        self.assertEqual(result[1], "1 passed, 0 failed\n", result[2])
        rc, _ = self.check(self.run_.path("nowhere"))
        result = tl.count(self.run_, ("junit", "secrets", rc, self.junit))
        self.assertEqual(result[1], "0 passed, 1 failed\n", result[2])

    def test_usage(self):
        p = subprocess.run([SCRIPT, "--junit", self.junit], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 2)


if __name__ == "__main__":
    unittest.main()
