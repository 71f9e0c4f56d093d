"""A real IMAP server for the tests: Debian's Dovecot with a throwaway configuration.

``DovecotServer`` writes a Dovecot 2.3 configuration, a self-signed certificate and a one-user
password file into a temporary folder, and runs ``dovecot -F`` on free ports of 127.0.0.1: one
IMAPS port (implicit TLS) and one plain IMAP port that offers STARTTLS. The system's
/etc/dovecot and its service are never touched. Registered as a pytest plugin in conftest.py:
``dovecot`` is one server for the whole run, ``imap_server`` the same server with an empty
mailbox.

scripts/ensure-dovecot installs Dovecot; without it the fixtures skip, unless
AVSOFT_REQUIRE_DOVECOT is set (scripts/run-tests sets it), when they fail.
"""

import contextlib
import grp
import imaplib
import os
import pwd
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from avsoft_support.inbound.sources import Mailbox, quote_folder

DOVECOT = "/usr/sbin/dovecot"
REQUIRE_VARIABLE = "AVSOFT_REQUIRE_DOVECOT"
STARTUP_SECONDS = 15


class DovecotError(RuntimeError):
    pass


def free_port(host="127.0.0.1"):
    """A port nothing listens on now; Dovecot binds it a moment later (a leftover server from
    an earlier run keeps its own ports, so it never collides with this one)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _users():
    """(internal user, login user, mail uid, mail gid) that Dovecot accepts.

    As root: the internal processes (auth, config, log) run as root, so they read the files in
    our private temporary folder; imap-login refuses root ("must not be run as root"), and the
    imap process refuses uid and gid 0 whatever first_valid_uid says ("Mail access not allowed
    for root"), so both run as Debian's dovenull / nobody. Otherwise: everything as ourselves.
    """
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid
    nobody = pwd.getpwnam("nobody")
    try:
        login = pwd.getpwnam("dovenull").pw_name
    except KeyError:
        login = nobody.pw_name
    return "root", login, nobody.pw_uid, nobody.pw_gid


class DovecotServer:
    """One Dovecot, its files in a temporary folder removed by ``stop()``."""

    host = "127.0.0.1"
    username = "support@example.test"
    password = "Imap-Test-Pa55word"

    def __init__(self, binary=DOVECOT):
        self.binary = binary
        self.dir = None
        self.process = None
        self.imaps_port = None
        self.imap_port = None
        self.cafile = None

    # Start and stop ------------------------------------------------------------------------

    def start(self):
        self.dir = Path(tempfile.mkdtemp(prefix="avsoft-dovecot-"))
        try:
            self._write_files()
            for attempt in range(3):
                self.imaps_port, self.imap_port = free_port(), free_port()
                self._write_config()
                try:
                    self._run()
                    return self
                except DovecotError as error:
                    # Another process took a free port between our look and Dovecot's bind.
                    if "Address already in use" not in str(error) or attempt == 2:
                        raise
        except BaseException:
            self.stop()
            raise

    def stop(self):
        self._terminate()
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def _terminate(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            # SIGTERM: the master stops its children and removes its pid file.
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def _write_files(self):
        self.cafile = str(self.dir / "cert.pem")
        subprocess.run(  # noqa: S603 (our own fixed arguments)
            [
                shutil.which("openssl") or "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",  # faster than RSA, and every client knows it
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout",
                str(self.dir / "key.pem"),
                "-out",
                self.cafile,
            ],
            check=True,
            capture_output=True,
        )
        (self.dir / "passwd").write_text(f"{self.username}:{{PLAIN}}{self.password}\n")
        _, _, uid, gid = _users()
        (self.dir / "mail").mkdir()
        if os.geteuid() == 0:
            os.chown(self.dir / "mail", uid, gid)
            # mkdtemp's 0700 would keep the imap process (nobody) out of its mail folder.
            self.dir.chmod(0o711)

    def _write_config(self):
        internal, login, uid, gid = _users()
        d = self.dir
        # Only this file is read (-c): no /etc/dovecot, no conf.d. Paths under d are short,
        # which matters: base_dir holds unix sockets (108 characters at most).
        config = f"""
protocols = imap
listen = {self.host}
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
default_internal_user = {internal}
default_internal_group = {grp.getgrgid(pwd.getpwnam(internal).pw_gid).gr_name}
default_login_user = {login}
mail_uid = {uid}
mail_gid = {gid}
# Not required: STARTTLS on the plain port works, and plain-text login on it is refused unless
# the connection is TLS or from the host itself (Dovecot counts 127.0.0.1 as secured).
ssl = yes
ssl_cert = <{d}/cert.pem
ssl_key = <{d}/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
auth_verbose = yes
# A failed login (the wrong-password test) would delay the replies and the next logins from
# 127.0.0.1 by seconds: no failure delay, and no penalty (anvil's socket closed, as the
# Dovecot documentation says to disable it).
auth_failure_delay = 0
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {d}/passwd
}}
userdb {{
  driver = static
  args = home={d}/mail/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = {self.host}
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = {self.host}
    port = {self.imaps_port}
    ssl = yes
  }}
}}
"""
        if os.geteuid() != 0:
            # Only root may chroot: the services that would are told not to.
            for service in ("anvil", "imap-login", "imap-urlauth-login", "ipc", "old-stats"):
                config += f"service {service} {{\n  chroot =\n}}\n"
        (d / "dovecot.conf").write_text(config)

    def _run(self):
        self._terminate()
        for name in ("run", "state"):
            shutil.rmtree(self.dir / name, ignore_errors=True)
        (self.dir / "dovecot.log").write_text("")
        with open(self.dir / "dovecot.stderr", "wb") as stderr:
            self.process = subprocess.Popen(  # noqa: S603 (our own fixed arguments)
                [self.binary, "-F", "-c", str(self.dir / "dovecot.conf")],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if self.process.poll() is not None:
                raise self._failure(f"dovecot exited with status {self.process.returncode}")
            if self._greets():
                return
            if time.monotonic() > deadline:
                self._terminate()
                raise self._failure(f"no IMAP greeting within {STARTUP_SECONDS} s")
            time.sleep(0.05)

    def _greets(self):
        """Both ports answer with an IMAP greeting, the IMAPS one over TLS with our certificate."""
        try:
            with socket.create_connection((self.host, self.imap_port), timeout=2) as sock:
                if not sock.recv(200).startswith(b"* OK"):
                    return False
            context = ssl.create_default_context(cafile=self.cafile)
            with (
                socket.create_connection((self.host, self.imaps_port), timeout=2) as raw,
                context.wrap_socket(raw, server_hostname=self.host) as sock,
            ):
                return sock.recv(200).startswith(b"* OK")
        except OSError:
            return False

    def log(self):
        """What Dovecot wrote: its log file, then anything it printed before logging started."""
        parts = []
        for name in ("dovecot.log", "dovecot.stderr"):
            with contextlib.suppress(OSError):
                text = (self.dir / name).read_text(errors="replace").strip()
                if text:
                    parts.append(f"--- {name}\n{text}")
        return "\n".join(parts) or "(Dovecot wrote nothing)"

    def _failure(self, what):
        return DovecotError(f"Dovecot did not start: {what}\n{self.log()}")

    # For the code under test ---------------------------------------------------------------

    def mailbox(self, security="ssl", **overrides):
        """The ``sources.Mailbox`` of this server: IMAPS for "ssl", the plain port otherwise."""
        port = self.imaps_port if security == "ssl" else self.imap_port
        fields = {"host": self.host, "port": port, "security": security}
        fields |= {"username": self.username, "password": self.password}
        return Mailbox(**(fields | overrides))

    # Helpers: the test's own IMAPS client (the standard library's imaplib) -----------------

    @contextlib.contextmanager
    def client(self, folder=None, readonly=False):
        """A logged-in imaplib client, with ``folder`` selected when given."""
        context = ssl.create_default_context(cafile=self.cafile)
        imap = imaplib.IMAP4_SSL(self.host, self.imaps_port, ssl_context=context, timeout=10)
        try:
            imap.login(self.username, self.password)
            if folder is not None:
                _ok(imap.select(quote_folder(folder), readonly=readonly))
            yield imap
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                imap.logout()

    def append(self, raw: bytes, folder="INBOX", flags=""):
        """Deliver ``raw`` (CRLF line ends: imaplib turns bare LF into CRLF) to ``folder`` with
        ``flags`` (e.g. "\\Seen"); returns its UID."""
        with self.client() as imap:
            data = _ok(imap.append(quote_folder(folder), flags or None, None, raw))
        match = re.search(rb"APPENDUID \d+ (\d+)", b" ".join(data))
        return int(match.group(1))

    def uids(self, folder="INBOX"):
        with self.client(folder, readonly=True) as imap:
            data = _ok(imap.uid("SEARCH", "ALL"))
        return [int(uid) for uid in data[0].split()]

    def flags(self, uid, folder="INBOX"):
        """The flags of message ``uid``, \\Recent left out (it depends on the session)."""
        with self.client(folder, readonly=True) as imap:
            data = _ok(imap.uid("FETCH", str(uid), "(FLAGS)"))
        return {flag.decode() for flag in imaplib.ParseFlags(data[0])} - {"\\Recent"}

    def read(self, uid, folder="INBOX"):
        """Read a message as a person's mail client does: a FETCH without PEEK sets \\Seen."""
        with self.client(folder) as imap:
            data = _ok(imap.uid("FETCH", str(uid), "(BODY[])"))
        return next(item[1] for item in data if isinstance(item, tuple))

    def fetch_all(self, folder="INBOX"):
        """The raw bytes of every message in ``folder``, by UID, without setting \\Seen."""
        with self.client(folder, readonly=True) as imap:
            uids = _ok(imap.uid("SEARCH", "ALL"))[0].split()
            if not uids:
                return []
            data = _ok(imap.uid("FETCH", ",".join(map(bytes.decode, uids)), "(BODY.PEEK[])"))
        return [item[1] for item in data if isinstance(item, tuple)]

    def create_folder(self, name):
        with self.client() as imap:
            status, data = imap.create(quote_folder(name))
        if status != "OK" and b"ALREADYEXISTS" not in b" ".join(data):
            raise DovecotError(f"CREATE {name!r}: {data!r}")

    def clear(self):
        """Empty every folder; delete every folder but the INBOX."""
        with self.client() as imap:
            names = _folder_names(_ok(imap.list()))
            for name in names:
                if int(_ok(imap.select(name))[0]):
                    _ok(imap.uid("STORE", "1:*", "+FLAGS.SILENT", "(\\Deleted)"))
                    _ok(imap.expunge())
            _ok(imap.unselect())
            # Children before their parents.
            for name in sorted(names, key=len, reverse=True):
                if name.strip('"').upper() != "INBOX":
                    _ok(imap.delete(name))


def _ok(response):
    status, data = response
    if status != "OK":
        raise DovecotError(f"IMAP said {status}: {data!r}")
    return data


def _folder_names(listing):
    """The names in a LIST answer, as quoted IMAP strings to send back."""
    names = []
    for line in listing:
        if isinstance(line, tuple):  # a name sent as a literal
            names.append(_quoted(line[1]))
            continue
        match = re.match(rb'\([^)]*\) (?:"(?:[^"\\]|\\.)*"|NIL) (.+)$', line)
        name = match.group(1).decode()
        names.append(name if name.startswith('"') else f'"{name}"')
    return names


def _quoted(raw):
    return '"' + raw.decode().replace("\\", "\\\\").replace('"', '\\"') + '"'


# Fixtures ------------------------------------------------------------------------------------


def _required():
    return os.environ.get(REQUIRE_VARIABLE, "") not in ("", "0")


@pytest.fixture(scope="session")
def dovecot():
    """One Dovecot for the whole run (starting one takes a fraction of a second, but many)."""
    if not os.path.exists(DOVECOT):
        reason = f"{DOVECOT} is missing (scripts/ensure-dovecot installs Debian's dovecot-imapd)"
        if _required():
            pytest.fail(f"{reason}, and {REQUIRE_VARIABLE} is set", pytrace=False)
        pytest.skip(reason)
    server = DovecotServer().start()
    yield server
    server.stop()


@pytest.fixture
def imap_server(dovecot):
    """The session's Dovecot, its mailbox emptied for this test."""
    dovecot.clear()
    return dovecot
