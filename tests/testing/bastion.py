"""A private SSH bastion for the SSH tunnel tests: Debian's OpenSSH server on 127.0.0.1 with
a config, host keys, client keys and authorized_keys of its own in a temporary directory.

The bastion runs in a mount namespace of its own (unshare, as root) whose /etc/hosts,
/etc/passwd, /etc/shadow and /etc/group are the fixture's copies:
  - DB_ALIAS resolves to 127.0.0.1 there and nowhere else, so a config whose database host
    is DB_ALIAS can only reach the database through the bastion: a direct connection fails
    with an unknown host, which proves that every connection went through the tunnel;
  - the login user (USER) exists only there, with a password made for this run, so nothing
    is added to the machine's users and nothing is left behind.
sshd logs at DEBUG1 to a file (`log()`), which names each direct-tcpip forward it serves.

Used as a module by the Python tests, and from the command line by the C++ tests:
  bastion.py start --dir D [--host-key a|b] [--port N]   prints its settings, name=value lines
  bastion.py stop --dir D
(the client keys are the files D/id_ed25519, D/id_rsa_pem and D/id_wrong).
"""
import argparse
import json
import os
import pathlib
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time

SSHD = "/usr/sbin/sshd"
USER = "jumpuser"  # not containing the dev databases' passwords, which logs redact
DB_ALIAS = "pg-behind-bastion.invalid"
UID = 61234


def random_password():
    """A password for this run; tools/check-secrets looks for the "Tunnel-Pw-" pattern."""
    return "Tunnel-Pw-" + "".join(secrets.choice(string.ascii_lowercase + string.digits)
                                  for _ in range(16))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(*cmd, stdin=None):
    proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (cmd[0], proc.returncode, proc.stderr.strip()))
    return proc.stdout


def _keygen(path, *args):
    _run("ssh-keygen", "-q", "-N", "", "-C", "tsdb-source-test", "-f", str(path), *args)


def fingerprint(public_key_path):
    """"SHA256:..." of a public key, as `ssh-keygen -lf` prints it."""
    return _run("ssh-keygen", "-l", "-E", "sha256", "-f", str(public_key_path)).split()[1]


class Bastion:
    """One bastion; `start()` it, `stop()` it (or `restart()` it with the other host key)."""

    def __init__(self, directory=None, password_auth="password"):
        """password_auth: "password" (sshd's own check) or "pam" (keyboard-interactive
        through PAM only, as many bastions offer passwords)."""
        if directory is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="tsdb-bastion-")
            directory = self._tmp.name
        else:
            self._tmp = None
        self.dir = pathlib.Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        # Traversable: sshd reads authorized_keys as the login user. The private files in it
        # (keys, the shadow copy) are mode 0600.
        os.chmod(self.dir, 0o711)
        self.password_auth = password_auth
        self.user = USER
        self.port = None
        self.proc = None
        state = self.dir / "state.json"
        if state.exists():
            saved = json.loads(state.read_text())
            self.password, self.port = saved["password"], saved["port"]
        else:
            self.password = random_password()
            self._make_files()
            state.write_text(json.dumps({"password": self.password, "port": None}))

    # ---- files -----------------------------------------------------------------------
    def _make_files(self):
        d = self.dir
        for name in ("host_a", "host_b"):
            _keygen(d / name, "-t", "ed25519")
        _keygen(d / "id_ed25519", "-t", "ed25519")             # OpenSSH format
        _keygen(d / "id_rsa_pem", "-t", "rsa", "-b", "2048", "-m", "PEM")  # PEM, as Airbyte asks
        _keygen(d / "id_wrong", "-t", "ed25519")               # not authorized
        (d / "authorized_keys").write_text(
            (d / "id_ed25519.pub").read_text() + (d / "id_rsa_pem.pub").read_text())
        os.chmod(d / "authorized_keys", 0o644)
        hashed = _run("openssl", "passwd", "-6", "-stdin", stdin=self.password + "\n").strip()
        etc = d / "etc"
        etc.mkdir(exist_ok=True)
        (etc / "hosts").write_text(pathlib.Path("/etc/hosts").read_text() +
                                   "\n127.0.0.1 %s\n" % DB_ALIAS)
        (etc / "passwd").write_text(pathlib.Path("/etc/passwd").read_text() +
                                    "%s:x:%d:%d::%s:/bin/sh\n" % (USER, UID, UID, d))
        (etc / "group").write_text(pathlib.Path("/etc/group").read_text() +
                                   "%s:x:%d:\n" % (USER, UID))
        (etc / "shadow").write_text(pathlib.Path("/etc/shadow").read_text() +
                                    "%s:%s:19000:0:99999:7:::\n" % (USER, hashed))
        os.chmod(etc / "shadow", 0o600)

    def _config(self, host_key):
        pam = self.password_auth == "pam"
        lines = [
            "Port %d" % self.port,
            "ListenAddress 127.0.0.1",
            "HostKey %s" % (self.dir / ("host_" + host_key)),
            "PidFile %s" % (self.dir / "sshd.pid"),
            "AuthorizedKeysFile %s" % (self.dir / "authorized_keys"),
            "StrictModes no",
            "UsePAM %s" % ("yes" if pam else "no"),
            "PasswordAuthentication %s" % ("no" if pam else "yes"),
            "KbdInteractiveAuthentication %s" % ("yes" if pam else "no"),
            "PubkeyAuthentication yes",
            "PermitRootLogin no",
            "AllowUsers %s" % USER,
            "AllowTcpForwarding local",
            "X11Forwarding no",
            "PermitTTY no",
            "PrintMotd no",
            "LoginGraceTime 30",
            "LogLevel DEBUG1",
        ]
        path = self.dir / "sshd_config"
        path.write_text("\n".join(lines) + "\n")
        return path

    # ---- what tests use --------------------------------------------------------------
    def key(self, name="id_ed25519"):
        """A client private key's text (id_ed25519, id_rsa_pem or id_wrong)."""
        return (self.dir / name).read_text()

    def host_fingerprint(self, host_key="a"):
        return fingerprint(self.dir / ("host_%s.pub" % host_key))

    def log(self):
        path = self.dir / "sshd.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def forwards(self):
        """The direct-tcpip forwards sshd served so far, as (target host, target port)."""
        out = []
        for line in self.log().splitlines():
            # OpenSSH 9.2 serverloop.c: "server_request_direct_tcpip: originator 127.0.0.1
            # port 41234, target pg-behind-bastion.invalid port 54315"
            if "server_request_direct_tcpip" in line and "target" in line:
                words = line.split()
                at = words.index("target")
                out.append((words[at + 1].rstrip(","), int(words[at + 3])))
        return out

    def tunnel(self, method="SSH_KEY_AUTH", key="id_ed25519", **extra):
        """A source-postgres tunnel_method object for this bastion."""
        config = {"tunnel_method": method, "tunnel_host": "127.0.0.1", "tunnel_port": self.port,
                  "tunnel_user": self.user}
        if method == "SSH_KEY_AUTH":
            config["ssh_key"] = self.key(key)
        elif method == "SSH_PASSWORD_AUTH":
            config["tunnel_user_password"] = self.password
        config.update(extra)
        return config

    # ---- process ---------------------------------------------------------------------
    def start(self, host_key="a", port=None):
        if self.port is None or port is not None:
            self.port = port or free_port()
        state = self.dir / "state.json"
        state.write_text(json.dumps({"password": self.password, "port": self.port}))
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege separation dir
        config = self._config(host_key)
        etc = self.dir / "etc"
        mounts = " && ".join("mount --bind %s /etc/%s" % (etc / name, name)
                             for name in ("hosts", "passwd", "group", "shadow"))
        script = "%s && exec %s -D -f %s -E %s" % (mounts, SSHD, config, self.dir / "sshd.log")
        self.proc = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(self.dir / "unshare.err", "ab"), start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("the bastion's sshd stopped at once (rc %d): %s\n%s" % (
                    self.proc.returncode, (self.dir / "unshare.err").read_text(), self.log()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(4).startswith(b"SSH-"):
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("the bastion's sshd does not answer on port %d:\n%s" % (
            self.port, self.log()))

    def _pid(self):
        if self.proc is not None:
            return self.proc.pid
        try:
            return int((self.dir / "sshd.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self):
        """Stops the listening sshd and the sessions it serves."""
        pid = self._pid()
        if pid is None:
            return
        children = []
        for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:  # ppid
                children.append(int(stat.parent.name))
        for p in [pid] + children:
            try:
                os.kill(p, signal.SIGTERM)
            except ProcessLookupError:
                pass
        if self.proc is not None:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        else:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and pathlib.Path("/proc/%d" % pid).exists():
                time.sleep(0.05)
        self.proc = None
        (self.dir / "sshd.pid").unlink(missing_ok=True)

    def restart(self, host_key):
        """The same bastion (port, users) with host key `host_key`."""
        self.stop()
        return self.start(host_key=host_key)

    def close(self):
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()


def main(argv):
    parser = argparse.ArgumentParser(prog="bastion.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "stop"])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--host-key", default="a", choices=["a", "b"])
    parser.add_argument("--port", type=int)
    args = parser.parse_args(argv)
    bastion = Bastion(args.dir)
    if args.command == "stop":
        bastion.stop()
        return 0
    bastion.start(host_key=args.host_key, port=args.port)
    bastion.proc = None  # keeps running after this process exits
    settings = {
        "port": bastion.port, "user": bastion.user, "password": bastion.password,
        "db_alias": DB_ALIAS, "fingerprint_a": bastion.host_fingerprint("a"),
        "fingerprint_b": bastion.host_fingerprint("b"), "log": bastion.dir / "sshd.log",
    }
    for name, value in settings.items():
        print("%s=%s" % (name, value))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
