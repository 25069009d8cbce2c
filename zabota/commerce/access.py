"""Permission-checked store fetches: admins work in every store, everybody else in the stores of
the groups they lead or belong to. A store the user does not work in is reported as missing."""

from django.db.models import QuerySet

from zabota.accounts.models import User
from zabota.commerce.models import Store
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
