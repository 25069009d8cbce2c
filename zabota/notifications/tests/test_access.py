"""Every role sees and marks only their own notifications — an admin included."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from zabota.notifications.access import access_notification_by_id, own_notifications
from zabota.notifications.actions import do_notify
from zabota.notifications.constants import Kind
from zabota.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _one_each(world) -> dict[str, Notification]:
    people = {"ada": world.ada, "lena": world.lena, "anna": world.anna, "piotr": world.piotr}
    do_notify(
        list(people.values()), ticket=world.maria_ticket, kind=Kind.RULE, title="T", dedupe_key="k"
    )
    return {name: Notification.objects.get(recipient=user) for name, user in people.items()}


@pytest.mark.parametrize("role", ["ada", "lena", "anna"])
def test_each_role_sees_only_their_own(world, role):
    # given
    mine = _one_each(world)
    actor = getattr(world, role)
    # then
    assert list(own_notifications(actor)) == [mine[role]]
    assert access_notification_by_id(actor, mine[role].pk) == mine[role]
    with pytest.raises(Notification.DoesNotExist):
        access_notification_by_id(actor, mine["piotr"].pk)


@pytest.mark.parametrize("role", ["ada", "lena", "anna"])
def test_opening_anothers_notification_is_not_found_and_leaves_it_unread(world, role):
    # given
    mine = _one_each(world)
    client = Client()
    client.force_login(getattr(world, role))
    # when
    response = client.post(reverse("web:notification_open", args=[mine["piotr"].pk]))
    # then
    assert response.status_code == 404
    mine["piotr"].refresh_from_db()
    assert mine["piotr"].read_at is None


def test_an_inactive_user_has_no_notifications(world):
    world.anna.is_active = False
    world.anna.save()
    with pytest.raises(PermissionDenied):
        own_notifications(world.anna)
