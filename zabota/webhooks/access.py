"""Who may manage webhook subscriptions and read their delivery logs: admins only."""

from zabota.accounts.models import User
from zabota.webhooks.error_codes import WebhookError, WebhookErrorCode
from zabota.webhooks.models import Delivery, Subscription


def can_manage_webhooks(actor: User) -> bool:
    return actor.is_active and actor.is_admin


def check_webhooks_access(actor: User) -> None:
    if not can_manage_webhooks(actor):
        raise WebhookError(WebhookErrorCode.NOT_ALLOWED)


def access_subscription_by_id(actor: User, subscription_id: int) -> Subscription:
    """Raises WebhookError for non-admins and Subscription.DoesNotExist for an unknown id."""
    check_webhooks_access(actor)
    return Subscription.objects.select_related("store").get(pk=subscription_id)


def access_delivery_by_id(actor: User, subscription: Subscription, delivery_id: int) -> Delivery:
    """A delivery of the subscription; raises Delivery.DoesNotExist for one of another."""
    check_webhooks_access(actor)
    return Delivery.objects.select_related("subscription").get(
        pk=delivery_id, subscription=subscription
    )
