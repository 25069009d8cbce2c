"""The call card on a callback ticket's page and its outcome buttons."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from zabota.callbacks.actions import do_request_callback
from zabota.callbacks.constants import CallbackState
from zabota.callbacks.models import CallAttempt, CallbackRequest
from zabota.tickets.constants import Status

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def callback(world):
    return do_request_callback(
        world.store, phone="+48 601 234 567", name="Zofia", topic="Parcel locker"
    )


def test_the_ticket_page_shows_the_call_card(world, client, callback):
    client.force_login(world.anna)
    page = client.get(reverse("web:ticket", args=[callback.ticket_id])).content.decode()
    assert 'id="call-card"' in page
    assert 'href="tel:+48601234567"' in page
    assert "Parcel locker" in page
    assert reverse("callbacks:outcome", args=[callback.pk]) in page
    assert 'value="no_answer"' in page


def test_other_tickets_have_no_call_card(world, client):
    client.force_login(world.anna)
    page = client.get(reverse("web:ticket", args=[world.maria_ticket.pk])).content.decode()
    assert 'id="call-card"' not in page


def test_recording_no_answer_over_htmx_returns_panels_and_the_card(world, client, callback):
    # given
    client.force_login(world.anna)
    # when
    response = client.post(
        reverse("callbacks:outcome", args=[callback.pk]),
        {"outcome": "no_answer", "note": "Voicemail."},
        **HTMX,
    )
    # then
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="call-card" hx-swap-oob="true"' in body
    assert 'id="ticket-header" hx-swap-oob="true"' in body
    assert "Voicemail." in body
    callback.refresh_from_db()
    assert callback.state == CallbackState.RETRY_SCHEDULED
    assert callback.ticket.status == Status.PENDING


def test_a_plain_form_post_redirects_to_the_ticket(world, client, callback):
    client.force_login(world.lena)
    response = client.post(
        reverse("callbacks:outcome", args=[callback.pk]), {"outcome": "reached", "note": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:ticket", args=[callback.ticket_id])
    callback.refresh_from_db()
    assert callback.state == CallbackState.REACHED


def test_a_refused_outcome_comes_back_as_an_error_toast(world, client, callback):
    client.force_login(world.anna)
    response = client.post(
        reverse("callbacks:outcome", args=[callback.pk]), {"outcome": "busy"}, **HTMX
    )
    assert response.status_code == 200
    assert "toast-error" in response.content.decode()
    assert not CallAttempt.objects.exists()


def test_an_agent_who_cannot_see_the_ticket_gets_404(world, client, callback):
    client.force_login(world.piotr)
    response = client.post(
        reverse("callbacks:outcome", args=[callback.pk]), {"outcome": "reached"}, **HTMX
    )
    assert response.status_code == 404
    assert not CallAttempt.objects.exists()


def test_the_outcome_needs_a_csrf_token(world, callback):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.anna)
    response = client.post(reverse("callbacks:outcome", args=[callback.pk]), {"outcome": "reached"})
    assert response.status_code == 403
    assert not CallAttempt.objects.exists()


def test_an_overdue_call_says_so_on_the_card(world, client, callback):
    CallbackRequest.objects.filter(pk=callback.pk).update(
        due_at=timezone.now() - timedelta(minutes=20)
    )
    client.force_login(world.anna)
    page = client.get(reverse("web:ticket", args=[callback.ticket_id])).content.decode()
    assert "call-overdue" in page
    assert "Overdue by 20" in page
