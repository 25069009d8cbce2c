"""Which store an address belongs to: mailbox addresses, their aliases and plus-addresses.

A store's own support address (``Store.email``) works without configuration: the first mail to
it creates the store's Mailbox row, which an admin can later give IMAP/SMTP settings.
"""

import hashlib
import hmac

from django.db import IntegrityError, transaction

from zabota.channels.email import tokens
from zabota.channels.email.models import Mailbox
from zabota.commerce.models import Store

SIGNATURE_PREFIX = "sha256="


def _find(address: str) -> Mailbox | None:
    mailbox = Mailbox.objects.filter(address__iexact=address).select_related("store").first()
    if mailbox is not None:
        return mailbox
    # Aliases are a short JSON list per mailbox; JSON containment is not portable to SQLite.
    for candidate in Mailbox.objects.exclude(aliases=[]).select_related("store"):
        if address in candidate.all_addresses:
            return candidate
    return None


def _from_store_address(address: str) -> Mailbox | None:
    store = Store.objects.filter(email__iexact=address).first()
    if store is None:
        return None
    try:
        with transaction.atomic():
            return Mailbox.objects.create(
                store=store, name=store.name, address=store.email.casefold(), from_name=store.name
            )
    except IntegrityError:  # created concurrently by another delivery
        return Mailbox.objects.select_related("store").get(address__iexact=address)


def mailbox_for_address(address: str) -> Mailbox | None:
    """The active mailbox receiving at ``address`` (case-insensitive; ``support+x@`` is
    ``support@``), or None when the address is not one of ours."""
    address = address.strip().strip("<>").casefold()
    if "@" not in address:
        return None
    candidates = [address]
    base = tokens.base_address(address)
    if base != address:
        candidates.append(base)
    for candidate in candidates:
        mailbox = _find(candidate) or _from_store_address(candidate)
        if mailbox is not None:
            return mailbox if mailbox.is_active else None
    return None


def own_addresses() -> set[str]:
    """Every address we receive or send at (mailboxes, aliases, store addresses), case-folded.
    Mail from these is our own coming back; they are never a ticket's participants."""
    addresses = {
        a.casefold() for a in Store.objects.exclude(email="").values_list("email", flat=True)
    }
    for address, aliases in Mailbox.objects.values_list("address", "aliases"):
        addresses.add(address.casefold())
        addresses.update(a.casefold() for a in aliases)
    return addresses


def is_own_address(address: str, own: set[str]) -> bool:
    return address.casefold() in own or tokens.base_address(address) in own


class AddressBook:
    """Our mailboxes and addresses as one processing run sees them, each read at most once.

    A run is one mail or one batch of mails in one transaction: the batch then costs one query
    per distinct mailbox or address instead of several per mail. Kept that short on purpose, so
    a mailbox an admin adds or deactivates counts from the next run on. A run whose transaction
    (or savepoint) rolled back must start a new book: a mailbox created for a store address
    (``mailbox_for_address``) may have been rolled back with it.
    """

    def __init__(self) -> None:
        self._own: set[str] | None = None
        self._by_id: dict[int, Mailbox | None] = {}
        self._by_address: dict[str, Mailbox | None] = {}

    @property
    def own(self) -> set[str]:
        """``own_addresses()``."""
        if self._own is None:
            self._own = own_addresses()
        return self._own

    def mailbox(self, mailbox_id: int) -> Mailbox | None:
        """The mailbox with its store (None if it was deleted meanwhile)."""
        if mailbox_id not in self._by_id:
            self._by_id[mailbox_id] = (
                Mailbox.objects.select_related("store").filter(pk=mailbox_id).first()
            )
        return self._by_id[mailbox_id]

    def mailbox_for_address(self, address: str) -> Mailbox | None:
        """``mailbox_for_address(address)``."""
        key = address.strip().strip("<>").casefold()
        if key not in self._by_address:
            self._by_address[key] = mailbox_for_address(key)
        return self._by_address[key]


def webhook_signature(secret: str, body: bytes) -> str:
    """The ``X-Zabota-Signature`` value for ``body``: ``sha256=<hex HMAC-SHA256>``."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# Compared against when the named mailbox does not exist, so that the answer takes the same
# time whether or not an address is one of ours.
_UNKNOWN_MAILBOX_KEY = "zabota-no-such-mailbox"


def verify_webhook(mailbox_address: str, body: bytes, signature: str) -> Mailbox | None:
    """The active mailbox named by the webhook if ``signature`` is its secret's HMAC of ``body``
    (constant-time comparison), else None."""
    mailbox = (
        Mailbox.objects.filter(address__iexact=mailbox_address.strip(), is_active=True)
        .select_related("store")
        .first()
        if mailbox_address.strip()
        else None
    )
    expected = webhook_signature(mailbox.webhook_secret if mailbox else _UNKNOWN_MAILBOX_KEY, body)
    valid = hmac.compare_digest(expected.encode(), signature.strip().lower().encode())
    return mailbox if valid and mailbox is not None else None
