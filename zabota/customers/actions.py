"""Changes to customers. Merge moves identities and tickets; later domains register what else
moves (orders, survey answers …) with :func:`on_customer_merge`."""

import calendar
from collections.abc import Callable, Iterable
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zabota.accounts.models import User
from zabota.core import event_types
from zabota.core.events import publish_all_on_commit, publish_on_commit
from zabota.core.inserts import insert
from zabota.customers.constants import IdentityKind
from zabota.customers.error_codes import CustomerError, CustomerErrorCode
from zabota.customers.models import Customer, CustomerEvent, Identity, ImportantDate
from zabota.customers.normalize import InvalidIdentity, normalize_identity

MergeHook = Callable[[Customer, Customer, User | None], None]
_merge_hooks: list[MergeHook] = []


def on_customer_merge(fn: MergeHook) -> MergeHook:
    """Register a function that moves a domain's rows from the merged customer to the survivor."""
    if fn not in _merge_hooks:
        _merge_hooks.append(fn)
    return fn


def _audit(customer: Customer, kind: str, *, actor: User | None, **data: object) -> None:
    CustomerEvent.objects.create(customer=customer, kind=kind, actor=actor, data=data)


def do_create_customer(
    *,
    first_name: str = "",
    last_name: str = "",
    display_name: str = "",
    language: str = "",
    identities: Iterable[tuple[str, str]] = (),
    actor: User | None,
) -> Customer:
    """Create a customer with already-normalised, not yet taken identities."""
    with transaction.atomic():
        customer = Customer.objects.create(
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            display_name=display_name.strip() or f"{first_name} {last_name}".strip(),
            language=language,
        )
        for kind, value in identities:
            Identity.objects.create(customer=customer, kind=kind, value=value)
        _audit(customer, "created", actor=actor, identities=[f"{k}:{v}" for k, v in identities])
        publish_on_commit(event_types.CUSTOMER_CREATED, customer_id=customer.pk)
    return customer


def _normalized(identities: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    result = []
    for kind, value in identities:
        try:
            result.append((kind, normalize_identity(kind, value)))
        except InvalidIdentity as exc:
            raise CustomerError(CustomerErrorCode.INVALID_IDENTITY, detail=str(exc)) from exc
    return result


def check_create_customer(
    *,
    first_name: str = "",
    last_name: str = "",
    display_name: str = "",
    language: str = "",
    identities: Iterable[tuple[str, str]] = (),
    actor: User | None,
) -> Customer:
    normalized = _normalized(identities)
    taken = [f"{k}:{v}" for k, v in normalized if Identity.objects.filter(kind=k, value=v).exists()]
    if taken:
        raise CustomerError(CustomerErrorCode.IDENTITY_TAKEN, identity=", ".join(taken))
    try:
        return do_create_customer(
            first_name=first_name,
            last_name=last_name,
            display_name=display_name,
            language=language,
            identities=normalized,
            actor=actor,
        )
    except IntegrityError as exc:  # a concurrent create took the identity first
        raise CustomerError(CustomerErrorCode.IDENTITY_TAKEN, identity="") from exc


def get_or_create_customer_by_identity(
    kind: str, value: str, *, display_name: str = "", language: str = "", actor: User | None
) -> tuple[Customer, bool]:
    """Find the customer behind an identity, creating one if nobody has it yet."""
    [(kind, value)] = _normalized([(kind, value)])
    identity = Identity.objects.select_related("customer").filter(kind=kind, value=value).first()
    if identity is not None:
        return _survivor(identity.customer), False
    first, _sep, last = display_name.strip().partition(" ")
    try:
        # do_create_customer's own atomic block rolls its writes back on a taken identity.
        customer = do_create_customer(
            first_name=first,
            last_name=last,
            display_name=display_name,
            language=language,
            identities=[(kind, value)],
            actor=actor,
        )
        return customer, True
    except IntegrityError:
        identity = Identity.objects.select_related("customer").get(kind=kind, value=value)
        return _survivor(identity.customer), False


def get_or_create_customers_by_identity(
    kind: str, names: dict[str, str], *, actor: User | None
) -> dict[str, Customer]:
    """``get_or_create_customer_by_identity`` for many already-normalised values of one kind at
    once (value → display name): one query finds the known ones, the others are created with
    bulk inserts, each with its identity, audit row and ``customer.created`` event. Returns
    value → customer. Raises ``IntegrityError`` when a concurrent create took one of the
    identities first: the caller's savepoint then rolls the whole set back."""
    known = {
        identity.value: _survivor(identity.customer)
        for identity in Identity.objects.select_related("customer").filter(
            kind=kind, value__in=list(names)
        )
    }
    missing = [value for value in names if value not in known]
    if not missing:
        return known
    customers = []
    for value in missing:
        display_name = names[value].strip()
        first, _sep, last = display_name.partition(" ")
        customers.append(
            Customer(
                first_name=first.strip(),
                last_name=last.strip(),
                display_name=display_name or f"{first} {last}".strip(),
            )
        )
    with transaction.atomic():
        # COPY on PostgreSQL (``core.inserts``): bulk imports create thousands at a time.
        insert(customers)
        insert(
            [
                Identity(customer=customer, kind=kind, value=value)
                for value, customer in zip(missing, customers, strict=True)
            ]
        )
        insert(
            [
                CustomerEvent(
                    customer=customer,
                    kind="created",
                    actor=actor,
                    data={"identities": [f"{kind}:{v}"]},
                )
                for v, customer in zip(missing, customers, strict=True)
            ]
        )
        publish_all_on_commit(
            [(event_types.CUSTOMER_CREATED, {"customer_id": c.pk}) for c in customers]
        )
    return {**known, **dict(zip(missing, customers, strict=True))}


def _survivor(customer: Customer) -> Customer:
    while customer.merged_into_id is not None:
        customer = Customer.objects.get(pk=customer.merged_into_id)
    return customer


def do_add_identity(customer: Customer, *, kind: str, value: str, actor: User | None) -> Identity:
    with transaction.atomic():
        identity = Identity.objects.create(customer=customer, kind=kind, value=value)
        _audit(customer, "identity_added", actor=actor, identity=f"{kind}:{value}")
    return identity


def do_add_identities(
    additions: Iterable[tuple[Customer, str, str]], *, actor: User | None
) -> list[Identity]:
    """``do_add_identity`` for many (customer, kind, value) at once, with two inserts: for bulk
    imports. The values are normalised and not yet taken; a concurrent insert of one of them
    raises ``IntegrityError`` (the caller's transaction then rolls the whole set back)."""
    additions = list(additions)
    if not additions:
        return []
    identities = [
        Identity(customer=customer, kind=kind, value=value) for customer, kind, value in additions
    ]
    with transaction.atomic():
        insert(identities)
        insert(
            [
                CustomerEvent(
                    customer=customer,
                    kind="identity_added",
                    actor=actor,
                    data={"identity": f"{kind}:{value}"},
                )
                for customer, kind, value in additions
            ]
        )
    return identities


def check_add_identity(customer: Customer, *, kind: str, value: str, actor: User) -> Identity:
    [(kind, value)] = _normalized([(kind, value)])
    if Identity.objects.filter(kind=kind, value=value).exists():
        raise CustomerError(CustomerErrorCode.IDENTITY_TAKEN, identity=f"{kind}:{value}")
    return do_add_identity(customer, kind=kind, value=value, actor=actor)


def do_update_customer(customer: Customer, *, actor: User | None, **fields: str) -> Customer:
    allowed = {"first_name", "last_name", "display_name", "language", "notes"}
    changed = {k: v for k, v in fields.items() if k in allowed and getattr(customer, k) != v}
    if not changed:
        return customer
    with transaction.atomic():
        for key, value in changed.items():
            setattr(customer, key, value)
        customer.save(update_fields=[*changed, "updated_at"])
        _audit(customer, "updated", actor=actor, fields=sorted(changed))
    return customer


def do_merge_customers(source: Customer, target: Customer, *, actor: User | None) -> Customer:
    """Move identities, tickets and every registered domain's rows from ``source`` to ``target``."""
    from zabota.tickets.actions import do_move_customer_tickets

    with transaction.atomic():
        identities = list(source.identities.values_list("kind", "value"))
        source.identities.update(customer=target)
        source.dates.update(customer=target)
        tickets = do_move_customer_tickets(source, target, actor=actor)
        for hook in _merge_hooks:
            hook(source, target, actor)
        for field in ("first_name", "last_name", "display_name", "language"):
            if not getattr(target, field) and getattr(source, field):
                setattr(target, field, getattr(source, field))
        if source.notes:
            target.notes = f"{target.notes}\n\n{source.notes}".strip()
        target.save()
        source.merged_into = target
        source.save(update_fields=["merged_into", "updated_at"])
        Customer.objects.filter(merged_into=source).update(merged_into=target)
        moved = [f"{k}:{v}" for k, v in identities]
        _audit(
            target,
            "merged_in",
            actor=actor,
            customer_id=source.pk,
            identities=moved,
            tickets=tickets,
        )
        _audit(source, "merged_into", actor=actor, customer_id=target.pk)
        publish_on_commit(
            event_types.CUSTOMER_MERGED,
            customer_id=source.pk,
            into_customer_id=target.pk,
            actor_id=actor.pk if actor else None,
        )
    return target


def check_merge_customers(source: Customer, target: Customer, *, actor: User) -> Customer:
    from zabota.tickets.access import can_merge_customers

    if not can_merge_customers(actor):
        raise CustomerError(CustomerErrorCode.PERMISSION_DENIED)
    if source.pk == target.pk:
        raise CustomerError(CustomerErrorCode.MERGE_SELF)
    if source.merged_into_id is not None or target.merged_into_id is not None:
        raise CustomerError(CustomerErrorCode.ALREADY_MERGED)
    return do_merge_customers(source, target, actor=actor)


# --- important dates -----------------------------------------------------------------------------


def validate_important_date(*, month: int, day: int, year: int | None, today: date) -> None:
    """Raise ``INVALID_DATE`` unless day.month exists (29.02 only in a leap ``year``, or without
    a year) and the year is between 1900 and this year."""
    if year is not None and not 1900 <= year <= today.year:
        raise CustomerError(
            CustomerErrorCode.INVALID_DATE,
            detail=_("the year must be between 1900 and %(year)s") % {"year": today.year},
        )
    if not 1 <= month <= 12:
        raise CustomerError(CustomerErrorCode.INVALID_DATE, detail=_("no such month"))
    # Without a year, 29 February is allowed: 2000 was a leap year.
    days_in_month = calendar.monthrange(year or 2000, month)[1]
    if not 1 <= day <= days_in_month:
        raise CustomerError(
            CustomerErrorCode.INVALID_DATE,
            detail=_("%(day)s.%(month)02d does not exist") % {"day": day, "month": month}
            if year is None
            else _("%(day)s.%(month)02d.%(year)s does not exist")
            % {"day": day, "month": month, "year": year},
        )


def do_add_important_date(
    customer: Customer,
    *,
    kind: str,
    label: str = "",
    month: int,
    day: int,
    year: int | None = None,
    actor: User | None,
) -> ImportantDate:
    """Store an already-validated date with its audit row."""
    with transaction.atomic():
        item = ImportantDate.objects.create(
            customer=customer, kind=kind, label=label.strip(), month=month, day=day, year=year
        )
        _audit(
            customer,
            "date_added",
            actor=actor,
            date_id=item.pk,
            date_kind=kind,
            label=item.label,
            month=month,
            day=day,
            year=year,
        )
    return item


def check_add_important_date(
    customer: Customer,
    *,
    kind: str,
    label: str = "",
    month: int,
    day: int,
    year: int | None = None,
    actor: User,
) -> ImportantDate:
    if kind not in ImportantDate.Kind.values:
        raise CustomerError(CustomerErrorCode.INVALID_DATE, detail=_("unknown kind of date"))
    validate_important_date(month=month, day=day, year=year, today=timezone.localdate())
    return do_add_important_date(
        customer, kind=kind, label=label, month=month, day=day, year=year, actor=actor
    )


def do_delete_important_date(item: ImportantDate, *, actor: User | None) -> None:
    with transaction.atomic():
        _audit(
            item.customer,
            "date_removed",
            actor=actor,
            date_kind=item.kind,
            label=item.label,
            month=item.month,
            day=item.day,
            year=item.year,
        )
        item.delete()


__all__ = [
    "IdentityKind",
    "check_add_identity",
    "check_add_important_date",
    "check_create_customer",
    "check_merge_customers",
    "do_add_important_date",
    "do_create_customer",
    "do_delete_important_date",
    "do_merge_customers",
    "get_or_create_customer_by_identity",
    "get_or_create_customers_by_identity",
    "on_customer_merge",
]
