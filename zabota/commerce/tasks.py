from django.tasks import task

from zabota.commerce.actions import do_refresh_customers, store_customer_ids
from zabota.commerce.models import Store


@task()
def refresh_store_customers(store_id: int) -> int:
    """Recompute figures and segments of every customer of the store (after its thresholds or
    exchange rates changed). Idempotent: a rerun recomputes the same values. Returns how many
    customers were recomputed; a store deleted meanwhile is nothing to do."""
    store = Store.objects.filter(pk=store_id).first()
    if store is None:
        return 0
    return do_refresh_customers(store, store_customer_ids(store))
