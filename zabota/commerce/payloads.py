"""Reading values out of platform JSON (Shopify, WooCommerce) defensively: the platforms send
money as strings or as JSON numbers, ids as numbers, absent values as null, and datetimes with
or without an offset. A value that cannot be read raises :class:`PayloadError` naming the field,
which the webhook pipeline records on the delivery."""

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.dateparse import parse_datetime

Payload = dict[str, Any]


class PayloadError(ValueError):
    """The payload lacks a value we need, or has one we cannot read."""


def obj(payload: Payload, key: str) -> Payload:
    """A nested object; {} when absent or null."""
    value = payload.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PayloadError(f"{key}: expected an object")
    return value


def items(payload: Payload, key: str) -> list[Payload]:
    """A list of objects; [] when absent or null. Entries that are not objects are skipped."""
    value = payload.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{key}: expected a list")
    return [entry for entry in value if isinstance(entry, dict)]


def text(payload: Payload, key: str) -> str:
    """A string value, stripped; "" for null or absent. Numbers (ids) are turned into text."""
    value = payload.get(key)
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, (str, int)):
        return str(value).strip()
    if isinstance(value, float):
        return repr(value)
    raise PayloadError(f"{key}: expected a string")


def first_text(payload: Payload, key: str) -> str:
    """The first entry of a list of strings (Shopify's ``tracking_numbers``); "" if none."""
    value = payload.get(key)
    if isinstance(value, list) and value and isinstance(value[0], (str, int)):
        return str(value[0]).strip()
    return ""


def required_id(payload: Payload, key: str = "id") -> str:
    value = text(payload, key)
    if not value:
        raise PayloadError(f"{key}: missing")
    return value


def money(payload: Payload, key: str, default: Decimal | None = Decimal(0)) -> Decimal:
    """A Decimal from "12.50", 12.5 or 12; ``default`` for null or absent. A JSON number goes
    through its shortest text form (12.1 stays 12.1, never 12.0999…)."""
    value = payload.get(key)
    if value is None or value == "":
        if default is None:
            raise PayloadError(f"{key}: missing")
        return default
    return to_decimal(value, key)


def optional_money(payload: Payload, key: str) -> Decimal | None:
    """A Decimal, or None for null or absent (a value the importer then derives)."""
    value = payload.get(key)
    return None if value is None or value == "" else to_decimal(value, key)


def to_decimal(value: object, key: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise PayloadError(f"{key}: not an amount")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise PayloadError(f"{key}: not an amount: {value!r}") from exc
    if not result.is_finite():
        raise PayloadError(f"{key}: not an amount: {value!r}")
    return result


def when(payload: Payload, key: str) -> datetime | None:
    """An aware datetime; a value without an offset is UTC (WooCommerce's ``*_gmt`` fields)."""
    value = payload.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{key}: not a date")
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise PayloadError(f"{key}: not a date: {value!r}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def required_when(payload: Payload, key: str) -> datetime:
    value = when(payload, key)
    if value is None:
        raise PayloadError(f"{key}: missing")
    return value


def quantity(payload: Payload, key: str = "quantity") -> int:
    value = payload.get(key, 1)
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise PayloadError(f"{key}: not a quantity")
    try:
        number = int(Decimal(str(value)))
    except InvalidOperation as exc:
        raise PayloadError(f"{key}: not a quantity: {value!r}") from exc
    return max(number, 0)


def address(payload: Payload, fields: tuple[str, ...]) -> dict[str, str]:
    """The named fields of an address object that hold text (null and empty ones left out)."""
    result: dict[str, str] = {}
    for name in fields:
        value = payload.get(name)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            result[name] = str(value).strip()
    return result
