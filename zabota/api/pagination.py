"""Keyset pagination for API lists other than the inbox (which has its own in tickets.queries).

A cursor is the sort key of the last row of a page, base64-encoded JSON. Keysets never skip or
repeat rows when rows are added between requests, and every page costs the same however deep it
is. The last field of every keyset is the primary key, which makes the order total.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

from zabota.tickets.queries import InvalidCursor

# Bounds of the ``limit`` query parameter of every list.
DEFAULT_LIMIT = 50
MAX_LIMIT = 100


@dataclass(frozen=True)
class Keyset:
    """Sort fields of a list, ending with ``id``; all ascending or all descending."""

    fields: tuple[str, ...]
    descending: bool = False

    def ordering(self) -> list[str]:
        prefix = "-" if self.descending else ""
        return [prefix + name for name in self.fields]


def encode_cursor(row: models.Model, keyset: Keyset) -> str:
    values = [_json_value(getattr(row, name)) for name in keyset.fields]
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def decode_cursor(cursor: str, keyset: Keyset, model: type[models.Model]) -> list[Any]:
    """The cursor's values, each checked against the type of its model field."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error) as exc:
        raise InvalidCursor(cursor) from exc
    if not isinstance(values, list) or len(values) != len(keyset.fields):
        raise InvalidCursor(cursor)
    return [
        _typed(model._meta.get_field(name), value, cursor)
        for name, value in zip(keyset.fields, values, strict=True)
    ]


def _typed(field: Any, value: Any, cursor: str) -> Any:
    if isinstance(field, models.DateTimeField):
        parsed = parse_datetime(value) if isinstance(value, str) else None
        if parsed is None:
            raise InvalidCursor(cursor)
        return parsed
    if isinstance(field, (models.IntegerField, models.AutoField)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidCursor(cursor)
        return value
    if not isinstance(value, str):
        raise InvalidCursor(cursor)
    return value


def _after(keyset: Keyset, values: list[Any]) -> Q:
    """Rows strictly after ``values``: (a > x) or (a = x and b > y) or …"""
    op = "lt" if keyset.descending else "gt"
    condition = Q()
    for i, name in enumerate(keyset.fields):
        step = Q(**{f"{name}__{op}": values[i]})
        for prev in range(i):
            step &= Q(**{keyset.fields[prev]: values[prev]})
        condition |= step
    return condition


def keyset_page[M: models.Model](
    qs: QuerySet[M], keyset: Keyset, *, cursor: str = "", limit: int = DEFAULT_LIMIT
) -> tuple[list[M], str | None]:
    """One page of ``qs`` in keyset order and the cursor of the next page (None on the last)."""
    if cursor:
        qs = qs.filter(_after(keyset, decode_cursor(cursor, keyset, qs.model)))
    rows = list(qs.order_by(*keyset.ordering())[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1], keyset)
