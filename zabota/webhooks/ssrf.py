"""Guard against server-side request forgery: a webhook URL must reach a public address.

An admin's URL could otherwise make the server call its own loopback services, the private
network, or the cloud provider's metadata endpoint (credentials). The URL is checked when a
subscription is saved and again before every attempt, because DNS answers can change; the
connection then goes to the address that was checked (``Target.address``), never to a fresh
lookup, while the Host header and TLS name stay the URL's host.

``allow_private_network`` (an admin's setting per subscription) lifts the address rules for
receivers on the installation's own network; metadata addresses stay refused regardless.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = {"http": 80, "https": 443}
# Cloud instance metadata: AWS/GCP/Azure/OpenStack, AWS over IPv6, Alibaba.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "metadata"})


class UnsafeURL(Exception):
    """The URL may not be called; ``message`` says why, for the admin."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as in the URL: the Host header and the TLS server name
    port: int
    path: str  # path and query, at least "/"
    address: str  # the checked IP address to connect to


def refusal(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why a connection to ``address`` is refused, or None if it is allowed."""
    if address in METADATA_ADDRESSES:
        return _("%(address)s is a cloud metadata address.") % {"address": address}
    if isinstance(address, ipaddress.IPv6Address):
        # ::ffff:127.0.0.1 and friends reach the IPv4 address they embed.
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is not None:
            return refusal(embedded, allow_private=allow_private)
    if allow_private:
        return None
    checks = [
        (address.is_unspecified, _("an unspecified address")),
        (address.is_loopback, _("a loopback address")),
        (address.is_link_local, _("a link-local address")),
        (address.is_multicast, _("a multicast address")),
        (address.is_private, _("a private network address")),
        (address.is_reserved, _("a reserved address")),
        (not address.is_global, _("not a public address")),
    ]
    for refused, what in checks:
        if refused:
            return _("%(address)s is %(what)s.") % {"address": address, "what": what}
    return None


def split_url(url: str) -> tuple[str, str, int, str]:
    """Scheme, host, port and path of an http(s) URL without credentials."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(_("The URL is not valid.")) from exc
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise UnsafeURL(_("Only http and https URLs can receive webhooks."))
    if parts.username or parts.password:
        raise UnsafeURL(_("Credentials in the URL are not allowed: receivers check the signature."))
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeURL(_("The URL has no host."))
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return scheme, host, port or ALLOWED_SCHEMES[scheme], path


def check_url(url: str, *, allow_private: bool) -> Target:
    """Resolve the URL's host and return where to connect; raises UnsafeURL if any address the
    name resolves to is refused (a name with one bad address could be steered to it)."""
    scheme, host, port, path = split_url(url)
    if host.lower() in METADATA_HOSTS:
        raise UnsafeURL(_("%(host)s is a cloud metadata address.") % {"host": host})
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeURL(_("The host %(host)s could not be resolved.") % {"host": host}) from exc
    addresses = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
    if not addresses:
        raise UnsafeURL(_("The host %(host)s could not be resolved.") % {"host": host})
    for address in addresses:
        reason = refusal(ipaddress.ip_address(address), allow_private=allow_private)
        if reason is not None:
            raise UnsafeURL(_("Refused: %(reason)s") % {"reason": reason})
    return Target(scheme=scheme, host=host, port=port, path=path, address=addresses[0])
