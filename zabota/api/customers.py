"""Customers: search and look-up, create with identities, merge duplicates."""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status

from zabota.accounts.models import User
from zabota.api.auth import actor_of
from zabota.api.pagination import Keyset, keyset_page
from zabota.api.schemas.common import MergeIn, errors
from zabota.api.schemas.customers import (
    CustomerCreate,
    CustomerDetail,
    CustomerFilters,
    CustomerList,
    IdentityOut,
)
from zabota.customers.access import access_customer_by_id, visible_customers
from zabota.customers.actions import check_create_customer, check_merge_customers
from zabota.customers.constants import IdentityKind
from zabota.customers.models import Customer
from zabota.customers.normalize import InvalidIdentity, normalize_identity
from zabota.tickets.access import visible_tickets
from zabota.tickets.search import MAX_IDS, search_customers

router = Router(tags=["customers"])

CUSTOMER_KEYSET = Keyset(("display_name", "id"))


@router.get("", response={200: CustomerList, **errors(400)})
def list_customers(request: HttpRequest, filters: Query[CustomerFilters]) -> dict[str, object]:
    """Customers the token's user can see, by name. `q` searches names (and identities when it
    looks like an e-mail or a phone number); `email` finds the one customer with that e-mail."""
    actor = actor_of(request)
    customers = visible_customers(actor)
    if filters.q.strip():
        customers = customers.filter(pk__in=search_customers(actor, filters.q, limit=MAX_IDS))
    if filters.email:
        customers = _with_email(customers, filters.email)
    items, next_cursor = keyset_page(
        customers.prefetch_related("identities"),
        CUSTOMER_KEYSET,
        cursor=filters.cursor,
        limit=filters.limit,
    )
    return {"items": items, "next": next_cursor}


def _with_email(customers: QuerySet[Customer], email: str) -> QuerySet[Customer]:
    try:
        value = normalize_identity(IdentityKind.EMAIL, email)
    except InvalidIdentity:
        return customers.none()  # no identity is stored in a form that does not parse
    return customers.filter(identities__kind=IdentityKind.EMAIL, identities__value=value)


@router.get("/{customer_id}", response={200: CustomerDetail, **errors(404)})
def get_customer(request: HttpRequest, customer_id: int) -> CustomerDetail:
    actor = actor_of(request)
    return _detail(actor, access_customer_by_id(actor, customer_id))


@router.post("", response={201: CustomerDetail, **errors(400, 409)})
def create_customer(request: HttpRequest, payload: CustomerCreate) -> Status:
    """Identities are normalised (e-mail case-folded, phone E.164) and must not belong to
    anybody yet (`identity_taken`: merge instead)."""
    actor = actor_of(request)
    customer = check_create_customer(
        first_name=payload.first_name,
        last_name=payload.last_name,
        display_name=payload.display_name,
        language=payload.language,
        identities=[(identity.kind, identity.value) for identity in payload.identities],
        actor=actor,
    )
    return Status(201, _detail(actor, customer))


@router.post("/{customer_id}/merge", response={200: CustomerDetail, **errors(400, 403, 404, 409)})
def merge_customer(request: HttpRequest, customer_id: int, payload: MergeIn) -> CustomerDetail:
    """Merge this customer away into customer `into`: identities, tickets and history move
    there. Leads and admins only. Returns the surviving customer."""
    actor = actor_of(request)
    source = access_customer_by_id(actor, customer_id)
    target = access_customer_by_id(actor, payload.into)
    survivor = check_merge_customers(source, target, actor=actor)
    # Read again: the identities moved in after ``target`` was fetched with its own.
    return _detail(actor, access_customer_by_id(actor, survivor.pk))


def _detail(actor: User, customer: Customer) -> CustomerDetail:
    ticket_count = (
        visible_tickets(actor).filter(customer=customer, merged_into__isnull=True).count()
    )
    return CustomerDetail(
        id=customer.pk,
        name=customer.name,
        first_name=customer.first_name,
        last_name=customer.last_name,
        display_name=customer.display_name,
        language=customer.language,
        notes=customer.notes,
        identities=[
            IdentityOut(kind=IdentityKind(i.kind), value=i.value, verified=i.verified)
            for i in customer.identities.all()
        ],
        created_at=customer.created_at,
        ticket_count=ticket_count,
    )
