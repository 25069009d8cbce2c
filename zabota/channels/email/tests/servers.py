"""Real mail servers for the transport tests: Debian's dovecot (IMAP) and aiosmtpd (SMTP).

Import the fixtures under their function names, e.g.
``from zabota.channels.email.tests.servers import dovecot_server, smtp_capture  # noqa: F401``,
and ask for them as ``dovecot`` and ``smtp``.

- ``dovecot``: one private dovecot per test process (installed with apt-get when missing, which
  needs root), run in the foreground from a temporary directory holding its configuration, a
  passwd-file of test accounts and their maildirs: plain IMAP on a free loopback port, ``ssl = no``.
  Each test takes accounts of its own (``dovecot.new_user()``), so tests never see each other's
  mail. The server is stopped when the test session (or the process) ends.
- ``smtp``: an aiosmtpd server on a free loopback port that keeps every message it accepts and
  answers with queued replies first (``smtp.handler.data_replies``), to provoke 4xx/5xx.
"""

import atexit
import contextlib
import fcntl
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from imapclient import IMAPClient

DOVECOT_BINARIES = ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot")
# Bounded waits, generous enough for a loaded two-core CI machine.
INSTALL_TIMEOUT = 900
START_TIMEOUT = 30
STOP_TIMEOUT = 10
INSTALL_LOCK = Path(tempfile.gettempdir()) / "zabota-dovecot-install.lock"
# Test accounts in the passwd-file; each test takes unused ones.
ACCOUNTS = 400


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def closed_port() -> int:
    """A loopback port nobody listens on (connecting is refused)."""
    return free_port()


def _dovecot_binary() -> str | None:
    found = shutil.which("dovecot")
    if found:
        return found
    return next((path for path in DOVECOT_BINARIES if os.access(path, os.X_OK)), None)


def _apt_get(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(
        ["apt-get", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
        check=False,
    )


def ensure_dovecot() -> str:
    """The dovecot binary, installing Debian's dovecot-imapd first if needed (root only).

    Test processes running in parallel (pytest-xdist) take turns through a file lock, so only one
    runs apt-get."""
    binary = _dovecot_binary()
    if binary:
        return binary
    if os.geteuid() != 0:
        pytest.fail(
            "The IMAP tests need Debian's dovecot: run `sudo apt-get install dovecot-imapd` "
            "(the tests install it themselves only when running as root)."
        )
    with INSTALL_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        binary = _dovecot_binary()
        if binary:
            return binary
        result = _apt_get("install", "-y", "-qq", "dovecot-imapd")
        if result.returncode != 0:
            _apt_get("update", "-qq")
            result = _apt_get("install", "-y", "-qq", "dovecot-imapd")
        binary = _dovecot_binary()
        if result.returncode != 0 or not binary:
            pytest.fail(f"apt-get install dovecot-imapd failed:\n{result.stdout}\n{result.stderr}")
    return binary


def _dovecot_version(binary: str) -> tuple[int, int]:
    out = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, timeout=30, check=False
    ).stdout
    major, minor = [*out.split()[0].split("."), "0", "0"][:2] if out.strip() else ("2", "3")
    return int(major), int(minor)


def _accounts() -> dict[str, str]:
    """Which system users dovecot's processes and the test mail run as."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid()).pw_name
        return {"login": me, "internal": me, "mail": me}
    # Dovecot refuses to give mail access to root; "nobody" owns the test maildirs.
    return {"login": "dovenull", "internal": "dovecot", "mail": "nobody"}


def _config_23(root: Path, port: int, accounts: dict[str, str], uid: int, gid: int) -> str:
    return f"""
base_dir = {root}/run
state_dir = {root}/state
instance_name = zabota-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
log_path = {root}/dovecot.log
default_login_user = {accounts["login"]}
default_internal_user = {accounts["internal"]}
first_valid_uid = {min(uid, 500)}
first_valid_gid = {min(gid, 500)}
mail_location = maildir:{root}/mail/%u
mail_max_userip_connections = 100
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def _config_24(root: Path, port: int, accounts: dict[str, str], uid: int, gid: int) -> str:
    return f"""
dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
base_dir = {root}/run
state_dir = {root}/state
instance_name = zabota-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
auth_allow_cleartext = yes
auth_mechanisms = plain login
auth_failure_delay = 0
log_path = {root}/dovecot.log
default_login_user = {accounts["login"]}
default_internal_user = {accounts["internal"]}
first_valid_uid = {min(uid, 500)}
first_valid_gid = {min(gid, 500)}
mail_driver = maildir
mail_path = {root}/mail/%{{user}}
mail_home = {root}/home/%{{user}}
mail_max_userip_connections = 100
passdb passwd-file {{
  passwd_file_path = {root}/passwd
}}
userdb static {{
  fields {{
    uid = {uid}
    gid = {gid}
  }}
}}
service imap-login {{
  inet_listener imap {{
    listen = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@dataclass
class Dovecot:
    """A running private dovecot; ``new_user()`` gives each test an empty mailbox of its own."""

    root: Path
    port: int
    process: subprocess.Popen[bytes]
    mail_uid: int
    mail_gid: int
    host: str = "127.0.0.1"
    users: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._accounts = iter(self.users)

    def new_user(self) -> tuple[str, str]:
        """A fresh (username, password) with an empty mailbox."""
        with self._lock:
            account = next(self._accounts, None)
        if account is None:
            pytest.fail(f"All {ACCOUNTS} dovecot test accounts are taken: raise ACCOUNTS")
        return account

    @contextlib.contextmanager
    def client(self, username: str, password: str) -> Iterator[IMAPClient]:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        try:
            client.login(username, password)
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace")[-5000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)
        shutil.rmtree(self.root, ignore_errors=True)


def _greeted(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.settimeout(5)
            return sock.recv(64).startswith(b"* OK")
    except OSError:
        return False


def _start(binary: str) -> Dovecot:
    accounts = _accounts()
    mail_user = pwd.getpwnam(accounts["mail"])
    uid, gid = mail_user.pw_uid, mail_user.pw_gid
    version = _dovecot_version(binary)
    problems = []
    for _attempt in range(3):  # a free port may be taken by someone else before dovecot binds it
        root = Path(tempfile.mkdtemp(prefix="zabota-dovecot-"))
        root.chmod(0o755)  # dovecot's login and mail processes run as other users
        for name in ("mail", "home"):
            (root / name).mkdir()
            os.chown(root / name, uid, gid)
        # All accounts up front: dovecot notices a changed passwd-file only a second later.
        users = [(f"user{i}", secrets.token_urlsafe(12)) for i in range(1, ACCOUNTS + 1)]
        lines = "".join(f"{name}:{{PLAIN}}{password}::::::\n" for name, password in users)
        (root / "passwd").write_text(lines)
        port = free_port()
        render = _config_24 if version >= (2, 4) else _config_23
        (root / "dovecot.conf").write_text(render(root, port, accounts, uid, gid))
        process = subprocess.Popen(
            [binary, "-F", "-c", str(root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=(root / "stderr.log").open("wb"),
        )
        server = Dovecot(
            root=root, port=port, process=process, mail_uid=uid, mail_gid=gid, users=users
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            if _greeted(port):
                return server
            time.sleep(0.1)
        stderr = (root / "stderr.log").read_text(errors="replace")
        problems.append(f"port {port}: exit {process.poll()}\n{stderr}\n{server.log()}")
        server.stop()
    pytest.fail("dovecot did not start:\n" + "\n".join(problems))


_shared: dict[str, Dovecot] = {}


def shared_dovecot() -> Dovecot:
    """One dovecot per test process, whichever module asks first; stopped when it exits."""
    if "server" not in _shared or _shared["server"].process.poll() is not None:
        server = _start(ensure_dovecot())
        _shared["server"] = server
        atexit.register(server.stop)
    return _shared["server"]


@pytest.fixture(scope="session", name="dovecot")
def dovecot_server() -> Iterator[Dovecot]:
    server = shared_dovecot()
    yield server
    server.stop()
    _shared.pop("server", None)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=policy.default)  # type: ignore[return-value]


class CapturingHandler:
    """Accepts mail and keeps it; replies queued in ``rcpt_replies``/``data_replies`` are used
    first (e.g. "451 4.7.1 Try again later"), one per RCPT or DATA command."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.rcpt_replies: list[str] = []
        self.data_replies: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_replies:
            return self.rcpt_replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_replies:
            return self.data_replies.pop(0)
        raw = envelope.original_content or envelope.content
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(raw)))
        return "250 2.0.0 Accepted"


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: CapturingHandler


@contextlib.contextmanager
def run_smtp(handler: CapturingHandler | None = None, **smtp_options: Any) -> Iterator[SmtpServer]:
    """An aiosmtpd server on a free loopback port for the duration of the block."""
    handler = handler or CapturingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **smtp_options)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", controller.port, handler)
    finally:
        controller.stop()


@pytest.fixture(name="smtp")
def smtp_capture() -> Iterator[SmtpServer]:
    with run_smtp() as server:
        yield server
