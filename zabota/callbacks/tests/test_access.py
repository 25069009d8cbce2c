"""Who sees a callback and may record its calls: whoever sees its ticket.

Support (lead Lena, agent Anna; members see unassigned tickets), Returns (lead Lena, agent
Piotr; only the lead sees unassigned ones), admin Ada everywhere.
"""

import pytest

from zabota.callbacks.access import access_callback_by_id, visible_callbacks
from zabota.callbacks.actions import do_request_callback
from zabota.tickets.actions import do_assign
from zabota.tickets.error_codes import TicketError

pytestmark = pytest.mark.django_db


@pytest.fixture
def support_call(world):
    """Lands in the store's default group, Support, unassigned."""
    return do_request_callback(world.store, phone="+48601234567")


@pytest.fixture
def returns_call(world):
    callback = do_request_callback(world.store, phone="+48601234568")
    do_assign(callback.ticket, assignee=None, group=world.returns, actor=world.lena)
    return callback


@pytest.mark.parametrize(
    ("persona", "sees_support", "sees_returns"),
    [
        ("ada", True, True),  # admin
        ("lena", True, True),  # lead of both groups
        ("anna", True, False),  # Support member: unassigned Support tickets, no Returns ones
        ("piotr", False, False),  # Returns member: unassigned Returns tickets are the lead's
    ],
)
def test_visibility_follows_the_ticket(
    world, support_call, returns_call, persona, sees_support, sees_returns
):
    user = getattr(world, persona)
    visible = set(visible_callbacks(user).values_list("pk", flat=True))
    assert (support_call.pk in visible) is sees_support
    assert (returns_call.pk in visible) is sees_returns
    for callback, sees in ((support_call, sees_support), (returns_call, sees_returns)):
        if sees:
            assert access_callback_by_id(user, callback.pk).pk == callback.pk
        else:
            with pytest.raises(TicketError) as caught:
                access_callback_by_id(user, callback.pk)
            assert caught.value.code == "not_found"


def test_an_agent_sees_the_callback_once_it_is_assigned_to_them(world, returns_call):
    with pytest.raises(TicketError):
        access_callback_by_id(world.piotr, returns_call.pk)
    do_assign(returns_call.ticket, assignee=world.piotr, group=world.returns, actor=world.lena)
    assert access_callback_by_id(world.piotr, returns_call.pk).pk == returns_call.pk
