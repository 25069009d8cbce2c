"""Full-text search over ticket subjects, message bodies and customers.

PostgreSQL: GIN indexes on ``to_tsvector('simple', …)`` expressions (migration 0002); the
'simple' configuration because one inbox mixes English, Russian, Polish and Hungarian.
SQLite: FTS5 tables kept in sync by triggers (same migration), unicode61 with diacritics removed.
Both match every word of the query as a prefix.
"""

import re

from django.db import connection
from django.db.models import Q, QuerySet

from zabota.accounts.models import User
from zabota.customers.access import visible_customers
from zabota.customers.models import Customer
from zabota.tickets.access import visible_tickets
from zabota.tickets.models import Ticket

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_IDS = 2000


def _words(query: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(query)][:8]


def _pg_query(words: list[str]) -> str:
    # PostgreSQL's parser reads the digits after a hyphen ("BW-1000703", "2026-11-22") as a
    # negative number, so a number also matches its signed form.
    return " & ".join(f"({w}:* | -{w}:*)" if w.isdigit() else f"{w}:*" for w in words)


def _fts5_query(words: list[str]) -> str:
    return " AND ".join(f'"{w}"*' for w in words)


def _ids(sql: str, param: str) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql + " LIMIT %s", [param, MAX_IDS])
        return [row[0] for row in cursor.fetchall()]


def matching_ticket_ids(query: str) -> list[int]:
    """Ids of tickets whose subject or any message matches every word (at most MAX_IDS)."""
    words = _words(query)
    if not words:
        return []
    if connection.vendor == "postgresql":
        q = _pg_query(words)
        subject = _ids(
            "SELECT id FROM tickets_ticket WHERE to_tsvector('simple', subject) "
            "@@ to_tsquery('simple', %s)",
            q,
        )
        bodies = _ids(
            "SELECT DISTINCT ticket_id FROM tickets_message WHERE to_tsvector('simple', body_text) "
            "@@ to_tsquery('simple', %s)",
            q,
        )
    else:
        q = _fts5_query(words)
        subject = _ids(
            "SELECT rowid FROM tickets_ticket_fts WHERE tickets_ticket_fts MATCH %s",
            q,
        )
        bodies = _ids(
            "SELECT DISTINCT m.ticket_id FROM tickets_message_fts f JOIN tickets_message m "
            "ON m.id = f.rowid WHERE tickets_message_fts MATCH %s",
            q,
        )
    return list(dict.fromkeys([*subject, *bodies]))


def matching_customer_ids(query: str) -> list[int]:
    words = _words(query)
    if not words:
        return []
    if connection.vendor == "postgresql":
        return _ids(
            "SELECT id FROM customers_customer WHERE to_tsvector('simple', display_name) "
            "@@ to_tsquery('simple', %s)",
            _pg_query(words),
        )
    return _ids(
        "SELECT rowid FROM customers_customer_fts WHERE customers_customer_fts MATCH %s",
        _fts5_query(words),
    )


def search_tickets(user: User, query: str, *, limit: int = 50) -> QuerySet[Ticket]:
    query = query.strip()
    condition = Q(pk__in=matching_ticket_ids(query))
    number = query.lstrip("#")
    if number.isdigit():
        condition |= Q(number=int(number))
    return (
        visible_tickets(user)
        .filter(condition)
        .select_related("customer", "assignee", "store")
        .prefetch_related("tags")
        .order_by("-last_activity_at", "-id")[:limit]
    )


def search_customers(user: User, query: str, *, limit: int = 20) -> QuerySet[Customer]:
    query = query.strip()
    condition = Q(pk__in=matching_customer_ids(query))
    if "@" in query or query.startswith("+") or query.replace(" ", "").isdigit():
        condition |= Q(identities__value__startswith=query.casefold().replace(" ", ""))
    return (
        visible_customers(user)
        .filter(condition)
        .prefetch_related("identities")
        .distinct()
        .order_by("display_name", "id")[:limit]
    )
