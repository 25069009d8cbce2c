"""Canonical forms of identity values, so that one person is one identity."""

import re

from zabota.customers.constants import IdentityKind

_PHONE_JUNK = re.compile(r"[\s().\-/]")


class InvalidIdentity(ValueError):
    pass


def normalize_email(value: str) -> str:
    value = value.strip().casefold()
    local, sep, domain = value.rpartition("@")
    if not sep or not local or "." not in domain or " " in value:
        raise InvalidIdentity(f"Not an e-mail address: {value!r}")
    return f"{local}@{domain.encode('idna').decode('ascii')}"


def normalize_phone(value: str, default_country_code: str = "") -> str:
    """E.164: a plus and 8–15 digits. ``00`` becomes ``+``; a national number needs a country code."""
    digits = _PHONE_JUNK.sub("", value.strip())
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not digits.startswith("+"):
        if not default_country_code:
            raise InvalidIdentity(f"Phone number needs a country code: {value!r}")
        digits = "+" + default_country_code.lstrip("+") + digits.lstrip("0")
    if not re.fullmatch(r"\+[1-9]\d{7,14}", digits):
        raise InvalidIdentity(f"Not a phone number: {value!r}")
    return digits


def normalize_identity(kind: str, value: str) -> str:
    if kind == IdentityKind.EMAIL:
        return normalize_email(value)
    if kind == IdentityKind.PHONE:
        return normalize_phone(value)
    if kind == IdentityKind.SOCIAL:
        network, sep, handle = value.strip().partition(":")
        if not sep or not network or not handle:
            raise InvalidIdentity(f"Social handle must look like network:handle, got {value!r}")
        return f"{network.casefold()}:{handle.strip().lstrip('@').casefold()}"
    if kind == IdentityKind.CHAT:
        if not value.strip():
            raise InvalidIdentity("Empty chat visitor id")
        return value.strip()
    raise InvalidIdentity(f"Unknown identity kind {kind!r}")
