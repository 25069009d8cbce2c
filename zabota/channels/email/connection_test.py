""" "Test connection" of a mailbox: every step of reaching its IMAP and SMTP servers in order, and
exactly which step failed with what the network or the server said.

IMAP: DNS lookup → TCP connection → TLS handshake (SSL/TLS) → greeting → STARTTLS → login →
folder (and the archive folder). SMTP: DNS lookup → TCP connection → TLS handshake (SSL/TLS) →
greeting → EHLO → STARTTLS → AUTH. Steps after a failed one are not tried. The DNS, TCP and TLS
steps are probed on a socket of their own before the protocol client connects, so that "refused",
"timed out" and "certificate not valid" are told apart from the protocol's own errors.
"""

import smtplib
import socket
import ssl
from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from imapclient import IMAPClient
from imapclient.exceptions import CapabilityError, IMAPClientError

from zabota.channels.email.constants import Security
from zabota.channels.email.imap import describe
from zabota.channels.email.models import Mailbox

# Seconds for each step.
TIMEOUT = 10


class StepName(models.TextChoices):
    DNS = "dns", gettext_lazy("DNS lookup")
    CONNECT = "connect", gettext_lazy("TCP connection")
    TLS = "tls", gettext_lazy("TLS handshake")
    GREETING = "greeting", gettext_lazy("Server greeting")
    STARTTLS = "starttls", gettext_lazy("STARTTLS")
    EHLO = "ehlo", gettext_lazy("EHLO")
    LOGIN = "login", gettext_lazy("Authentication")
    FOLDER = "folder", gettext_lazy("Folder")
    ARCHIVE = "archive", gettext_lazy("Archive folder")


@dataclass(frozen=True)
class Step:
    name: StepName
    ok: bool
    # What the network or the server said (their own words), or what was found.
    detail: str = ""

    @property
    def label(self) -> str:
        return str(self.name.label)


@dataclass
class Report:
    protocol: str  # "IMAP" or "SMTP"
    host: str
    port: int
    steps: list[Step] = field(default_factory=list)
    # Why nothing was tried (not configured), else "".
    skipped: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(step.ok for step in self.steps)

    @property
    def failed_step(self) -> Step | None:
        return next((step for step in self.steps if not step.ok), None)

    def add(self, name: StepName, ok: bool, detail: str = "") -> bool:
        self.steps.append(Step(name, ok, detail))
        return ok


def _resolve(report: Report) -> list[str]:
    try:
        infos = socket.getaddrinfo(report.host, report.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
        report.add(
            StepName.DNS, False, _("%(host)s: %(reason)s") % {"host": report.host, "reason": reason}
        )
        return []
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    report.add(StepName.DNS, True, ", ".join(addresses))
    return addresses


def _tcp(report: Report, addresses: list[str]) -> socket.socket | None:
    problems = []
    for address in addresses:
        where = f"{address}:{report.port}"
        try:
            sock = socket.create_connection((address, report.port), timeout=TIMEOUT)
        except ConnectionRefusedError:
            problems.append(_("%(where)s refused the connection") % {"where": where})
        except TimeoutError:
            problems.append(
                _("no answer from %(where)s within %(seconds)s s")
                % {"where": where, "seconds": TIMEOUT}
            )
        except OSError as exc:
            problems.append(f"{where}: {exc.strerror or exc}")
        else:
            report.add(StepName.CONNECT, True, where)
            return sock
    report.add(StepName.CONNECT, False, "; ".join(problems))
    return None


def _tls(report: Report, sock: socket.socket) -> bool:
    context = ssl.create_default_context()
    try:
        with context.wrap_socket(sock, server_hostname=report.host) as secured:
            cipher = secured.cipher()
            detail = ", ".join(filter(None, [secured.version(), cipher[0] if cipher else ""]))
            return report.add(StepName.TLS, True, detail)
    except (ssl.SSLError, OSError) as exc:
        return report.add(StepName.TLS, False, _tls_failure(exc))


def _reach(report: Report, security: str) -> bool:
    """DNS, TCP and (for implicit TLS) the handshake, each reported on its own."""
    addresses = _resolve(report)
    if not addresses:
        return False
    sock = _tcp(report, addresses)
    if sock is None:
        return False
    if security == Security.SSL:
        return _tls(report, sock)
    sock.close()
    return True


def _tls_failure(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return exc.verify_message or str(exc)
    return describe(exc)


def probe_imap(mailbox: Mailbox) -> Report:
    report = Report("IMAP", mailbox.imap_host, mailbox.imap_port)
    if not mailbox.imap_host:
        report.skipped = _("No IMAP host is set.")
        return report
    if not _reach(report, mailbox.imap_security):
        return report
    context = ssl.create_default_context()
    step = StepName.GREETING
    client: IMAPClient | None = None
    try:
        client = IMAPClient(
            mailbox.imap_host,
            port=mailbox.imap_port,
            ssl=mailbox.imap_security == Security.SSL,
            ssl_context=context,
            timeout=TIMEOUT,
        )
        welcome = client.welcome
        text = welcome.decode("utf-8", "replace") if isinstance(welcome, bytes) else str(welcome)
        report.add(step, True, " ".join(text.split()))
        if mailbox.imap_security == Security.STARTTLS:
            step = StepName.STARTTLS
            client.starttls(context)
            report.add(step, True)
        step = StepName.LOGIN
        client.login(mailbox.imap_username, mailbox.imap_password or "")
        report.add(step, True, mailbox.imap_username)
        step = StepName.FOLDER
        _check_folders(report, client, mailbox)
    except CapabilityError:
        report.add(step, False, _("The server does not offer STARTTLS."))
    except ssl.SSLError as exc:
        report.add(step, False, _tls_failure(exc))
    except (IMAPClientError, OSError) as exc:
        report.add(step, False, describe(exc))
    finally:
        if client is not None:
            try:
                client.logout()
            except (IMAPClientError, OSError):
                client.shutdown()
    return report


def _folder_names(client: IMAPClient) -> list[str]:
    return sorted(str(name) for _flags, _delimiter, name in client.list_folders())


def _check_folders(report: Report, client: IMAPClient, mailbox: Mailbox) -> None:
    if not client.folder_exists(mailbox.imap_folder):
        detail = _("“%(folder)s” does not exist. Folders on the server: %(folders)s") % {
            "folder": mailbox.imap_folder,
            "folders": ", ".join(_folder_names(client)),
        }
        report.add(StepName.FOLDER, False, detail)
        return
    selected = client.select_folder(mailbox.imap_folder, readonly=True)
    count = int(selected.get(b"EXISTS", 0))
    report.add(
        StepName.FOLDER,
        True,
        _("“%(folder)s”: %(count)s messages") % {"folder": mailbox.imap_folder, "count": count},
    )
    archive = mailbox.imap_archive_folder
    if not archive:
        return
    if client.folder_exists(archive):
        report.add(StepName.ARCHIVE, True, f"“{archive}”")
    else:
        detail = _("“%(folder)s” does not exist yet; the first poll creates it.") % {
            "folder": archive
        }
        report.add(StepName.ARCHIVE, True, detail)


def _smtp_reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return " ".join(f"{code} {text}".split())


def probe_smtp(mailbox: Mailbox) -> Report:
    report = Report("SMTP", mailbox.smtp_host, mailbox.smtp_port)
    if not mailbox.smtp_host:
        report.skipped = _("No SMTP host is set.")
        return report
    if not _reach(report, mailbox.smtp_security):
        return report
    context = ssl.create_default_context()
    step = StepName.GREETING
    client: smtplib.SMTP | None = None
    try:
        if mailbox.smtp_security == Security.SSL:
            client = smtplib.SMTP_SSL(
                mailbox.smtp_host, mailbox.smtp_port, timeout=TIMEOUT, context=context
            )
        else:
            client = smtplib.SMTP(mailbox.smtp_host, mailbox.smtp_port, timeout=TIMEOUT)
        report.add(step, True)
        step = StepName.EHLO
        code, message = client.ehlo()
        if code != 250:
            raise smtplib.SMTPHeloError(code, message)
        report.add(step, True, _smtp_reply(code, message.splitlines()[0]))
        if mailbox.smtp_security == Security.STARTTLS:
            step = StepName.STARTTLS
            if not client.has_extn("starttls"):
                report.add(step, False, _("The server does not offer STARTTLS."))
                return report
            code, message = client.starttls(context=context)
            report.add(step, True, _smtp_reply(code, message))
            client.ehlo()
        if mailbox.smtp_username:
            step = StepName.LOGIN
            if not client.has_extn("auth"):
                report.add(step, False, _("The server offers no authentication (AUTH)."))
                return report
            code, message = client.login(mailbox.smtp_username, mailbox.smtp_password or "")
            report.add(step, True, _smtp_reply(code, message))
    except smtplib.SMTPResponseException as exc:
        report.add(step, False, _smtp_reply(exc.smtp_code, exc.smtp_error))
    except ssl.SSLError as exc:
        report.add(step, False, _tls_failure(exc))
    except smtplib.SMTPServerDisconnected as exc:
        report.add(step, False, describe(exc) or _("The server closed the connection."))
    except (smtplib.SMTPException, OSError) as exc:
        report.add(step, False, describe(exc))
    finally:
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
    return report


def probe_mailbox(mailbox: Mailbox) -> list[Report]:
    """Both servers of the mailbox, as they are saved."""
    return [probe_imap(mailbox), probe_smtp(mailbox)]
