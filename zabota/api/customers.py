"""Customers: search and look-up, create with identities, merge duplicates, their orders.

Every customer comes with their figures (lifetime value, order count, segments) in one chosen
store — the `store` parameter, else the token user's first store — and per store in `stores`
(the stores the user works in). Two queries per page, whatever its length."""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status

from zabota.accounts.models import User
from zabota.api.auth import actor_of
from zabota.api.orders import order_page
from zabota.api.pagination import Keyset, keyset_page
from zabota.api.schemas.common import MergeIn, PageParams, errors
from zabota.api.schemas.customers import (
    CustomerCreate,
    CustomerDetail,
    CustomerFilters,
    CustomerList,
    CustomerOut,
    CustomerStoreParams,
    IdentityOut,
    StoreFiguresOut,
)
from zabota.api.schemas.orders import OrderList
from zabota.commerce.access import (
    access_store,
    default_store_for,
    visible_customer_segments,
    visible_customer_stats,
    visible_orders,
)
from zabota.commerce.constants import Segment
from zabota.commerce.models import CustomerStats, Store
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
    store = _chosen_store(actor, filters.store)
    items, next_cursor = keyset_page(
        customers.prefetch_related("identities"),
        CUSTOMER_KEYSET,
        cursor=filters.cursor,
        limit=filters.limit,
    )
    figures = _figures(actor, [customer.pk for customer in items])
    return {
        "items": [_out(customer, figures[customer.pk], store) for customer in items],
        "next": next_cursor,
    }


def _with_email(customers: QuerySet[Customer], email: str) -> QuerySet[Customer]:
    try:
        value = normalize_identity(IdentityKind.EMAIL, email)
    except InvalidIdentity:
        return customers.none()  # no identity is stored in a form that does not parse
    return customers.filter(identities__kind=IdentityKind.EMAIL, identities__value=value)


@router.get("/{customer_id}", response={200: CustomerDetail, **errors(404)})
def get_customer(
    request: HttpRequest, customer_id: int, params: Query[CustomerStoreParams]
) -> CustomerDetail:
    actor = actor_of(request)
    store = _chosen_store(actor, params.store)
    return _detail(actor, access_customer_by_id(actor, customer_id), store)


@router.get("/{customer_id}/orders", response={200: OrderList, **errors(400, 404)})
def customer_orders(
    request: HttpRequest, customer_id: int, page: Query[PageParams]
) -> dict[str, object]:
    """The customer's orders in the stores the token's user works in, newest first."""
    actor = actor_of(request)
    customer = access_customer_by_id(actor, customer_id)
    orders = visible_orders(actor).filter(customer=customer)
    return order_page(orders, cursor=page.cursor, limit=page.limit)


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
    return Status(201, _detail(actor, customer, default_store_for(actor)))


@router.post("/{customer_id}/merge", response={200: CustomerDetail, **errors(400, 403, 404, 409)})
def merge_customer(request: HttpRequest, customer_id: int, payload: MergeIn) -> CustomerDetail:
    """Merge this customer away into customer `into`: identities, tickets and history move
    there. Leads and admins only. Returns the surviving customer."""
    actor = actor_of(request)
    source = access_customer_by_id(actor, customer_id)
    target = access_customer_by_id(actor, payload.into)
    survivor = check_merge_customers(source, target, actor=actor)
    # Read again: the identities moved in after ``target`` was fetched with its own.
    survivor = access_customer_by_id(actor, survivor.pk)
    return _detail(actor, survivor, default_store_for(actor))


def _detail(actor: User, customer: Customer, store: Store | None) -> CustomerDetail:
    ticket_count = (
        visible_tickets(actor).filter(customer=customer, merged_into__isnull=True).count()
    )
    out = _out(customer, _figures(actor, [customer.pk])[customer.pk], store)
    return CustomerDetail(**out.model_dump(), notes=customer.notes, ticket_count=ticket_count)


def _chosen_store(actor: User, slug_or_id: str | None) -> Store | None:
    """The store whose figures a customer shows: the named one (404 if the user does not work
    there), else the user's first store."""
    return access_store(actor, slug_or_id) if slug_or_id else default_store_for(actor)


_SEGMENT_RANK = {segment: rank for rank, segment in enumerate(Segment)}
ZERO = Decimal("0.00")


def _figures(actor: User, customer_ids: Iterable[int]) -> dict[int, list[StoreFiguresOut]]:
    """Per customer, their figures in each store the user works in (two queries)."""
    ids = list(customer_ids)
    segments: dict[tuple[int, int], list[str]] = defaultdict(list)
    stores: dict[int, Store] = {}
    for segment in visible_customer_segments(actor).filter(customer_id__in=ids):
        segments[segment.customer_id, segment.store_id].append(segment.segment)
        stores[segment.store_id] = segment.store
    stats: dict[tuple[int, int], CustomerStats] = {}
    for row in visible_customer_stats(actor).filter(customer_id__in=ids):
        stats[row.customer_id, row.store_id] = row
        stores[row.store_id] = row.store
    result: dict[int, list[StoreFiguresOut]] = defaultdict(list)
    keys = sorted(set(stats) | set(segments), key=lambda key: (key[0], stores[key[1]].slug))
    for customer_id, store_id in keys:
        store, found = stores[store_id], stats.get((customer_id, store_id))
        codes = sorted(map(Segment, segments[customer_id, store_id]), key=_SEGMENT_RANK.__getitem__)
        if found is None:  # segments without orders (engagement, a complaint): zeros
            found = CustomerStats(store=store, lifetime_value=ZERO, average_order_value=ZERO)
        result[customer_id].append(
            StoreFiguresOut(
                store=store.slug,
                currency=store.currency,
                lifetime_value=found.lifetime_value,
                order_count=found.order_count,
                average_order_value=found.average_order_value,
                first_order_at=found.first_order_at,
                last_order_at=found.last_order_at,
                return_rate=found.return_rate,
                segments=codes,
            )
        )
    return result


def _out(customer: Customer, figures: list[StoreFiguresOut], store: Store | None) -> CustomerOut:
    chosen = next((f for f in figures if store is not None and f.store == store.slug), None)
    return CustomerOut(
        id=customer.pk,
        name=customer.name,
        first_name=customer.first_name,
        last_name=customer.last_name,
        display_name=customer.display_name,
        language=customer.language,
        identities=[
            IdentityOut(kind=IdentityKind(i.kind), value=i.value, verified=i.verified)
            for i in customer.identities.all()
        ],
        created_at=customer.created_at,
        lifetime_value=chosen.lifetime_value if chosen else ZERO,
        order_count=chosen.order_count if chosen else 0,
        segments=chosen.segments if chosen else [],
        stores=figures,
    )
