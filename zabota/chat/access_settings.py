"""Who may change a store's chat settings (widget, pre-chat fields, agents' chat limits): admins
only. Leads and agents get a 404 for the page, like the store settings."""

from django.db.models import Q, QuerySet

from zabota.accounts.models import User
from zabota.commerce.models import Store


def can_manage_chat_settings(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.is_admin


def chat_settings_stores(user: User) -> QuerySet[Store]:
    """The stores whose chat settings ``user`` may change, by name."""
    if not can_manage_chat_settings(user):
        return Store.objects.none()
    return Store.objects.order_by("name", "pk")


def access_store_for_chat_settings(user: User, slug: str) -> Store:
    """Raises ``Store.DoesNotExist`` for a store the user may not configure (or none)."""
    return chat_settings_stores(user).get(slug=slug)


def chat_limit_agents(store: Store) -> QuerySet[User]:
    """Active members and leads of the store's groups: whose concurrent-chat limit is set here."""
    return (
        User.objects.filter(is_active=True)
        .filter(Q(support_groups__store=store) | Q(led_groups__store=store))
        .distinct()
        .order_by("name", "pk")
    )
