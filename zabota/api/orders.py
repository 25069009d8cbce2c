"""Orders: push one (create or update by external id), list, read with lines, shipments, refunds
and returns. Customer orders are listed under ``/customers/{id}/orders`` (``api/customers.py``)."""

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status

from zabota.api.auth import actor_of
from zabota.api.pagination import Keyset, keyset_page
from zabota.api.schemas.common import errors
from zabota.api.schemas.orders import OrderDetail, OrderFilters, OrderIn, OrderList
from zabota.commerce.access import (
    access_order_by_id,
    access_store,
    access_store_for_orders,
    visible_orders,
)
from zabota.commerce.models import Order
from zabota.commerce.sync import do_upsert_order

router = Router(tags=["orders"])

# Newest first.
ORDER_KEYSET = Keyset(("placed_at", "id"), descending=True)


@router.post("", response={200: OrderDetail, 201: OrderDetail, **errors(400, 403, 404)})
def push_order(request: HttpRequest, payload: OrderIn) -> Status:
    """Create or update one order of a store (admins, and leads of the store). Idempotent by
    (store, source, external_id): 201 when created, 200 when it existed (changed or not). The
    customer is matched by e-mail, then phone, or created; their lifetime value, order count
    and segments are current when the answer arrives."""
    actor = actor_of(request)
    store = access_store_for_orders(actor, payload.store)
    result = do_upsert_order(store, payload.data(), actor=actor)
    order = access_order_by_id(actor, result.order.pk)
    return Status(201 if result.created else 200, order)


@router.get("", response={200: OrderList, **errors(400, 404)})
def list_orders(request: HttpRequest, filters: Query[OrderFilters]) -> dict[str, object]:
    """Orders of the stores the token's user works in, newest first."""
    actor = actor_of(request)
    orders = visible_orders(actor)
    if filters.store:
        orders = orders.filter(store=access_store(actor, filters.store))
    if filters.customer is not None:
        orders = orders.filter(customer_id=filters.customer)
    if filters.status:
        orders = orders.filter(status=filters.status)
    if filters.number.strip():
        orders = with_number(orders, filters.number)
    return order_page(orders, cursor=filters.cursor, limit=filters.limit)


@router.get("/{order_id}", response={200: OrderDetail, **errors(404)})
def get_order(request: HttpRequest, order_id: int) -> Order:
    return access_order_by_id(actor_of(request), order_id)


def with_number(orders: QuerySet[Order], number: str) -> QuerySet[Order]:
    """Shopify numbers carry a "#" ("#1001"), others do not: either form finds the order."""
    bare = number.strip().lstrip("#")
    return orders.filter(Q(number=bare) | Q(number=f"#{bare}"))


def order_page(orders: QuerySet[Order], *, cursor: str, limit: int) -> dict[str, object]:
    items, next_cursor = keyset_page(
        orders.select_related("store", "customer"), ORDER_KEYSET, cursor=cursor, limit=limit
    )
    return {"items": items, "next": next_cursor}
