"""do_notify is idempotent per (recipient, dedupe key) and skips inactive agents; do_mark_read
touches only the user's own notifications."""

import pytest

from zabota.notifications.actions import do_mark_read, do_notify
from zabota.notifications.constants import Kind
from zabota.notifications.models import Notification
from zabota.notifications.queries import recent, unread_count

pytestmark = pytest.mark.django_db


def _notify(world, recipients, key="k1"):
    return do_notify(
        recipients,
        ticket=world.maria_ticket,
        kind=Kind.RULE,
        title="Look at this",
        body="A rule matched.",
        actor_label="rule: VIP first",
        dedupe_key=key,
    )


def test_notifying_twice_with_the_same_key_notifies_once(world):
    """An event delivered twice: Anna and Piotr each have one notification."""
    # when
    first = _notify(world, [world.anna, world.piotr])
    second = _notify(world, [world.anna, world.piotr])
    # then
    assert len(first) == 2
    assert second == []
    assert Notification.objects.filter(recipient=world.anna).count() == 1
    assert Notification.objects.filter(recipient=world.piotr).count() == 1
    assert unread_count(world.anna) == 1


def test_a_new_key_notifies_again_and_a_new_recipient_gets_the_old_key(world):
    # given
    _notify(world, [world.anna])
    # when
    added = _notify(world, [world.anna, world.piotr])
    again = _notify(world, [world.anna], key="k2")
    # then
    assert [n.recipient for n in added] == [world.piotr]
    assert len(again) == 1
    assert unread_count(world.anna) == 2


def test_inactive_agents_get_nothing(world):
    # given
    world.piotr.is_active = False
    world.piotr.save()
    # when
    created = _notify(world, [world.anna, world.piotr])
    # then
    assert [n.recipient for n in created] == [world.anna]
    assert not Notification.objects.filter(recipient=world.piotr).exists()


def test_mark_read_ignores_other_users_notifications(world):
    """Anna marking Piotr's notification's id changes nothing for Piotr."""
    # given
    [anna_n] = _notify(world, [world.anna])
    [piotr_n] = _notify(world, [world.piotr], key="k2")
    # when
    changed = do_mark_read(world.anna, [anna_n.pk, piotr_n.pk])
    # then
    assert changed == 1
    assert unread_count(world.anna) == 0
    assert unread_count(world.piotr) == 1


def test_mark_all_read_and_recent_order(world):
    # given
    _notify(world, [world.anna], key="a")
    newest = _notify(world, [world.anna], key="b")[0]
    # when
    assert recent(world.anna)[0].pk == newest.pk
    changed = do_mark_read(world.anna, "all")
    # then
    assert changed == 2
    assert unread_count(world.anna) == 0
    assert recent(world.anna, unread_only=True) == []


def test_unread_count_is_one_query(world, django_assert_num_queries):
    _notify(world, [world.anna])
    with django_assert_num_queries(1):
        assert unread_count(world.anna) == 1
