"""The notifications page: newest first with the unread highlighted, opening one marks it read
and goes to its ticket, "mark all read", the e-mail preference, the bell."""

import pytest
from django.test import Client
from django.urls import reverse

from zabota.notifications.actions import do_notify
from zabota.notifications.constants import Kind
from zabota.notifications.context import unread_notifications
from zabota.notifications.models import Notification
from zabota.notifications.queries import unread_count, wants_email

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _notify(world, user, key: str, title: str) -> Notification:
    [notification] = do_notify(
        [user], ticket=world.maria_ticket, kind=Kind.SLA_BREACHED, title=title, dedupe_key=key
    )
    return notification


def test_the_page_lists_newest_first_with_unread_marked(world):
    # given
    old = _notify(world, world.anna, "a", "Older one")
    new = _notify(world, world.anna, "b", "Newer one")
    Notification.objects.filter(pk=old.pk).update(created_at=new.created_at.replace(year=2020))
    _notify(world, world.piotr, "c", "Piotr's own")
    Notification.objects.filter(pk=old.pk).update(read_at=new.created_at)
    # when
    response = _client(world.anna).get(reverse("web:notifications"))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Newer one") < html.index("Older one")
    assert "Piotr&#x27;s own" not in html and "Piotr's own" not in html
    assert f'class="ntf is-unread" data-notification="{new.pk}"' in html
    assert f'class="ntf" data-notification="{old.pk}"' in html
    assert 'data-unread="1"' in html


def test_opening_a_notification_marks_it_read_and_goes_to_the_ticket(world):
    # given
    notification = _notify(world, world.anna, "a", "Look")
    # when
    response = _client(world.anna).post(reverse("web:notification_open", args=[notification.pk]))
    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("web:ticket", args=[world.maria_ticket.pk])
    assert unread_count(world.anna) == 0


def test_opening_needs_a_post(world):
    notification = _notify(world, world.anna, "a", "Look")
    response = _client(world.anna).get(reverse("web:notification_open", args=[notification.pk]))
    assert response.status_code == 405
    assert unread_count(world.anna) == 1


def test_mark_all_read(world):
    # given
    _notify(world, world.anna, "a", "One")
    _notify(world, world.anna, "b", "Two")
    _notify(world, world.piotr, "c", "Piotr's")
    # when
    response = _client(world.anna).post(reverse("web:notifications"), {"action": "mark_all_read"})
    # then
    assert response.status_code == 302
    assert unread_count(world.anna) == 0
    assert unread_count(world.piotr) == 1


def test_mark_all_read_needs_the_csrf_token(world):
    _notify(world, world.anna, "a", "One")
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.anna)
    response = client.post(reverse("web:notifications"), {"action": "mark_all_read"})
    assert response.status_code == 403
    assert unread_count(world.anna) == 1


def test_the_email_preference_is_toggled(world):
    client = _client(world.anna)
    client.post(reverse("web:notifications"), {"action": "email", "email": "on"})
    assert wants_email(world.anna)
    assert "checked" in client.get(reverse("web:notifications")).content.decode()
    client.post(reverse("web:notifications"), {"action": "email"})
    assert not wants_email(world.anna)


def test_the_bell_and_the_context_processor_count_unread(world, rf):
    # given
    _notify(world, world.anna, "a", "One")
    _notify(world, world.anna, "b", "Two")
    # when
    response = _client(world.anna).get(reverse("web:notifications_bell"))
    request = rf.get("/")
    request.user = world.anna
    # then
    assert 'data-unread="2"' in response.content.decode()
    assert unread_notifications(request) == {"unread_notifications": 2}


def test_the_context_processor_in_settings(world, settings):
    # given
    _notify(world, world.anna, "a", "One")
    template = settings.TEMPLATES[0]
    settings.TEMPLATES = [
        {
            **template,
            "OPTIONS": {
                **template["OPTIONS"],
                "context_processors": [
                    *template["OPTIONS"]["context_processors"],
                    "zabota.notifications.context.unread_notifications",
                ],
            },
        }
    ]
    # when
    response = _client(world.anna).get(reverse("web:notifications"))
    # then
    assert response.context["unread_notifications"] == 1
