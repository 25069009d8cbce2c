"""Canonical forms of identity values, so that one person is one identity."""

import re

import phonenumbers

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


def normalize_phone(value: str, region: str = "") -> str:
    """E.164 (+48601234567). ``00`` means ``+``; a national number needs the region (``"HU"``),
    whose trunk prefix (06 in Hungary, 8 in Russia) is dropped by libphonenumber's rules."""
    raw = _PHONE_JUNK.sub("", value.strip())
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    if not raw.startswith("+") and not region:
        raise InvalidIdentity(f"Phone number needs a country code: {value!r}")
    try:
        parsed = phonenumbers.parse(raw, region.upper() or None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidIdentity(f"Not a phone number: {value!r}") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidIdentity(f"Not a phone number: {value!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


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
