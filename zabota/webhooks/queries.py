"""Finders for the webhook listener (who wants an event, which store it belongs to, which
outbox row it is) and for the subscription pages."""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from zabota.core.models import OutboxEvent
from zabota.webhooks.constants import FAILURE_WINDOW_HOURS
from zabota.webhooks.models import Delivery, Subscription


def subscriptions_for(event_type: str) -> list[Subscription]:
    """Active subscriptions to this event type, of any store (one query; there are few).

    Only what matching needs is loaded: every event runs this, and the secret is decrypted on
    loading."""
    return [s for s in active_subscriptions() if s.wants(event_type)]


def active_subscriptions() -> list[Subscription]:
    """Every active subscription with what matching needs (one query; there are few)."""
    return list(Subscription.objects.filter(is_active=True).only("pk", "store", "event_types"))


def event_store_id(payload: dict[str, Any]) -> int | None:
    """The store an event concerns: named in the payload, else its ticket's or order's store;
    None for events of no store (customer.created)."""
    if payload.get("store_id") is not None:
        return int(payload["store_id"])
    if payload.get("ticket_id") is not None:
        from zabota.tickets.models import Ticket

        return (
            Ticket.objects.filter(pk=payload["ticket_id"])
            .values_list("store_id", flat=True)
            .first()
        )
    if payload.get("order_id") is not None:
        from zabota.commerce.models import Order

        return (
            Order.objects.filter(pk=payload["order_id"]).values_list("store_id", flat=True).first()
        )
    return None


def undelivered_event(
    event_type: str, payload: dict[str, Any], subscriptions: list[Subscription]
) -> OutboxEvent | None:
    """The outbox row being dispatched with this type and payload that has no delivery to these
    subscriptions yet.

    Listeners receive the payload, not the row; events alike in type and payload are
    interchangeable for the receiver, so taking the oldest undispatched one without deliveries
    gives each of them its deliveries once — also when a crash makes the dispatcher run this
    listener again for an event that already has them (then there is none, or the next one's
    deliveries are created early and its own dispatch finds nothing left)."""
    candidates = list(
        OutboxEvent.objects.filter(
            type=event_type, payload=payload, dispatched_at__isnull=True
        ).order_by("pk")[:50]
    )
    delivered = set(
        Delivery.objects.filter(event__in=candidates, subscription__in=subscriptions).values_list(
            "event_id", flat=True
        )
    )
    return next((event for event in candidates if event.pk not in delivered), None)


def subscription_list(*, now: datetime | None = None) -> QuerySet[Subscription]:
    """Every subscription with ``last_status`` (its newest delivery's status) and
    ``recent_failures``: deliveries whose latest attempt failed within the failure window
    (still being retried, or given up). Two subqueries, one query."""
    since = (now or timezone.now()) - timedelta(hours=FAILURE_WINDOW_HOURS)
    newest = Delivery.objects.filter(subscription=OuterRef("pk")).order_by("-created_at", "-pk")
    return (
        Subscription.objects.select_related("store")
        .annotate(
            last_status=Subquery(newest.values("status")[:1]),
            last_delivery_at=Subquery(newest.values("created_at")[:1]),
            recent_failures=Count(
                "deliveries",
                filter=Q(deliveries__updated_at__gte=since) & ~Q(deliveries__error=""),
            ),
        )
        .order_by("name", "pk")
    )


def deliveries_of(subscription: Subscription, *, status: str = "") -> QuerySet[Delivery]:
    """The subscription's log, newest first, optionally of one status."""
    deliveries = Delivery.objects.filter(subscription=subscription)
    if status:
        deliveries = deliveries.filter(status=status)
    return deliveries.order_by("-created_at", "-pk")
