"""The demo's callback data: the callback SLA ahead of the other policies and two requests."""

from datetime import timedelta

import pytest

from zabota.callbacks.constants import CallbackState
from zabota.callbacks.demo import POLICY_NAME, ensure_demo_callbacks
from zabota.callbacks.models import CallbackRequest
from zabota.sla.models import SlaPolicy

pytestmark = pytest.mark.django_db


def test_demo_callbacks_are_created_once_under_the_callback_policy(world):
    # given: a catch-all policy the store already has
    SlaPolicy.objects.create(
        store=world.store, name="Standard", first_reply_within=timedelta(hours=4)
    )
    # when
    first, second = ensure_demo_callbacks(world.store)
    again = ensure_demo_callbacks(world.store)
    # then
    policies = list(SlaPolicy.objects.filter(store=world.store).order_by("position", "pk"))
    assert [p.name for p in policies] == [POLICY_NAME, "Standard"]
    assert policies[0].channels == ["callback"]
    assert policies[0].first_reply_within == timedelta(minutes=15)
    assert [c.pk for c in again] == [first.pk, second.pk]
    assert CallbackRequest.objects.count() == 2
    assert first.state == CallbackState.WAITING  # the instance from before the call
    first.refresh_from_db()
    assert (first.state, first.attempts) == (CallbackState.RETRY_SCHEDULED, 1)
    assert second.window_start is not None and second.due_at == second.window_start
