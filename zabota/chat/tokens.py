"""The visitor token: the browser's proof that it is a given visitor of a given store.

It is the visitor's random key signed with the project's secret, bound to the store: a token
copied to another store's widget, or altered, is worth nothing. It never expires, so that a
conversation survives page loads, tabs and days; blocking is done on the visitor, not the token.
"""

from django.core import signing

from zabota.chat.models import Visitor
from zabota.commerce.models import Store

_SALT = "zabota.chat.visitor"


def sign_visitor(visitor: Visitor) -> str:
    return signing.Signer(salt=_SALT).sign(f"{visitor.store_id}.{visitor.key}")


def visitor_from_token(token: str, store: Store) -> Visitor | None:
    """The visitor the token names, if it is genuine and belongs to ``store``; else None."""
    if not token or len(token) > 200:
        return None
    try:
        value = signing.Signer(salt=_SALT).unsign(token)
    except signing.BadSignature:
        return None
    store_id, _dot, key = value.partition(".")
    if store_id != str(store.pk) or not key:
        return None
    return Visitor.objects.filter(store=store, key=key).first()


_FILE_SALT = "zabota.chat.file"


def sign_file(attachment_id: int) -> str:
    """A chat file's link token: the two sides of the chat get it in the line, nobody can guess
    another file's (the attachment view of the agent UI needs a sign-in, a visitor has none)."""
    return signing.Signer(salt=_FILE_SALT).sign(str(attachment_id))


def file_from_token(token: str) -> int | None:
    if not token or len(token) > 100:
        return None
    try:
        value = signing.Signer(salt=_FILE_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None
