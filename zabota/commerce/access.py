"""Permission-checked fetches of stores, orders and customer figures: admins work in every store,
everybody else in the stores of the groups they lead or belong to. A store (or an order) the user
does not work in is reported as missing."""

from django.db.models import Prefetch, QuerySet

from zabota.accounts.models import User
from zabota.commerce.error_codes import CommerceError, CommerceErrorCode
from zabota.commerce.models import (
    CustomerSegment,
    CustomerStats,
    Order,
    OrderLine,
    Refund,
    Return,
    Shipment,
    Store,
)
from zabota.tickets.access import store_ids_for


def visible_stores(user: User) -> QuerySet[Store]:
    ids = store_ids_for(user)
    return Store.objects.all() if ids is None else Store.objects.filter(pk__in=ids)


def access_store(user: User, slug_or_id: str) -> Store:
    """The store named by its slug (or, failing that, by its id). Raises ``Store.DoesNotExist``
    if there is none the user works in."""
    stores = visible_stores(user)
    store = stores.filter(slug=slug_or_id).first()
    if store is None and slug_or_id.isdigit():
        store = stores.filter(pk=int(slug_or_id)).first()
    if store is None:
        raise Store.DoesNotExist(slug_or_id)
    return store


def default_store_for(user: User) -> Store | None:
    """The store a user works in when they do not say which: their first one."""
    return visible_stores(user).order_by("pk").first()


# --- store settings (segment thresholds, exchange rates) ---------------------------------------
# Admins change them; leads read them for the stores they work in (to understand why a customer
# is a VIP or at risk); agents do not see the page at all.


def can_view_store_settings(user: User) -> bool:
    return user.is_admin or user.is_lead


def can_change_store_settings(user: User) -> bool:
    return user.is_admin


def settings_stores(user: User) -> QuerySet[Store]:
    """The stores whose settings page the user may open, by name."""
    if not can_view_store_settings(user):
        return Store.objects.none()
    return visible_stores(user).order_by("name", "pk")


def access_store_settings(user: User, slug_or_id: str) -> Store:
    """A store whose settings the user may read. Raises ``Store.DoesNotExist`` otherwise."""
    if not can_view_store_settings(user):
        raise Store.DoesNotExist(slug_or_id)
    return access_store(user, slug_or_id)


# --- orders and customer figures ---------------------------------------------------------------
# Orders are seen in the stores a user works in (admins: all); pushing orders through the API is
# for admins and leads. An order of another store is reported as missing.


def visible_orders(user: User) -> QuerySet[Order]:
    ids = store_ids_for(user)
    return Order.objects.all() if ids is None else Order.objects.filter(store_id__in=ids)


def access_order_by_id(user: User, order_id: int) -> Order:
    """The order with its store, customer, lines, shipments, refunds and returns (with their
    lines). Raises ``CommerceError(not_found)`` if the user does not work in its store."""
    order = (
        visible_orders(user)
        .select_related("store", "customer")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("pk")),
            Prefetch("shipments", queryset=Shipment.objects.order_by("pk")),
            Prefetch("refunds", queryset=Refund.objects.order_by("refunded_at", "pk")),
            Prefetch(
                "returns",
                queryset=Return.objects.order_by("requested_at", "pk").prefetch_related("lines"),
            ),
        )
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise CommerceError(CommerceErrorCode.NOT_FOUND)
    return order


def can_push_orders(user: User) -> bool:
    return user.is_admin or user.is_lead


def access_store_for_orders(user: User, slug_or_id: str) -> Store:
    """A store the user may push orders into. Raises ``Store.DoesNotExist`` for a store they do
    not work in, ``CommerceError(permission_denied)`` for an agent."""
    store = access_store(user, slug_or_id)
    if not can_push_orders(user):
        raise CommerceError(CommerceErrorCode.PERMISSION_DENIED)
    return store


def visible_customer_stats(user: User) -> QuerySet[CustomerStats]:
    """Customers' figures in the stores the user works in."""
    ids = store_ids_for(user)
    qs = CustomerStats.objects.select_related("store")
    return qs if ids is None else qs.filter(store_id__in=ids)


def visible_customer_segments(user: User) -> QuerySet[CustomerSegment]:
    """Customers' segments in the stores the user works in."""
    ids = store_ids_for(user)
    qs = CustomerSegment.objects.select_related("store")
    return qs if ids is None else qs.filter(store_id__in=ids)
