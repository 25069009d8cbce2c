"""Requesting a callback opens a ticket with channel callback for the customer behind the phone
number, and the request's due time follows the callback SLA or the customer's window."""

from datetime import timedelta

import pytest
from freezegun import freeze_time

from zabota.callbacks.actions import do_request_callback
from zabota.callbacks.constants import CallbackState
from zabota.callbacks.errors import CallbackError
from zabota.callbacks.models import CallbackRequest
from zabota.callbacks.tests.conftest import utc
from zabota.chat.models import Visitor
from zabota.core import event_types
from zabota.core.models import OutboxEvent
from zabota.customers.models import Identity
from zabota.sla.models import TicketSla
from zabota.tickets.constants import Channel, MessageKind, Status
from zabota.tickets.models import Ticket

pytestmark = pytest.mark.django_db

MONDAY_10 = utc(2026, 11, 16, 9)  # Monday 16 November 2026, 10:00 CET


def test_request_opens_a_callback_ticket_due_within_the_callback_sla(
    world, callback_policy, capture
):
    """Monday 10:00: the callback policy gives 15 business minutes, so the call is due 10:15,
    and the ticket's own SLA clock agrees."""
    # given / when
    with freeze_time(MONDAY_10):
        callback = capture(
            do_request_callback,
            world.store,
            phone="+48 601 234 567",
            name="Zofia Wiśniewska",
            topic="Delivery to a parcel locker",
        )
    # then
    ticket = Ticket.objects.get(pk=callback.ticket_id)
    assert ticket.channel == Channel.CALLBACK
    assert ticket.status == Status.NEW
    assert ticket.subject == "Callback request: Delivery to a parcel locker"
    assert ticket.group == world.support  # routed like any other ticket
    first = ticket.messages.get()
    assert first.kind == MessageKind.CUSTOMER
    assert "+48601234567" in first.body_text and "as soon as possible" in first.body_text
    assert callback.phone == "+48601234567"
    assert callback.state == CallbackState.WAITING
    assert callback.attempts == 0
    assert callback.due_at == MONDAY_10 + timedelta(minutes=15)
    assert TicketSla.objects.get(pk=ticket.pk).first_reply_due == callback.due_at
    assert OutboxEvent.objects.filter(
        type=event_types.TICKET_CREATED, payload__ticket_id=ticket.pk
    ).exists()
    # The customer is found by the phone identity.
    customer = ticket.customer
    assert customer.display_name == "Zofia Wiśniewska"
    assert Identity.objects.get(kind="phone", value="+48601234567").customer == customer


def test_outside_business_hours_the_call_is_due_after_the_next_opening(world, callback_policy):
    """Friday 16:50 CET: ten minutes that day, the other five on Monday from 09:00."""
    with freeze_time(utc(2026, 11, 13, 15, 50)):
        callback = do_request_callback(world.store, phone="+48601234567")
    assert callback.due_at == utc(2026, 11, 16, 8, 5)


def test_a_window_ahead_makes_the_call_due_when_it_opens(world, callback_policy):
    with freeze_time(MONDAY_10):
        callback = do_request_callback(
            world.store,
            phone="+48601234567",
            window_start=utc(2026, 11, 16, 13),
            window_end=utc(2026, 11, 16, 15),
        )
    assert callback.due_at == utc(2026, 11, 16, 13)
    assert (callback.window_start, callback.window_end) == (
        utc(2026, 11, 16, 13),
        utc(2026, 11, 16, 15),
    )
    body = Ticket.objects.get(pk=callback.ticket_id).messages.get().body_text
    assert "When: 2026-11-16 14:00 – 16:00 (Europe/Warsaw)" in body


def test_a_window_closing_before_the_sla_target_makes_its_end_the_due_time(world, callback_policy):
    """The window is open already and closes in five minutes: calling within 15 is too late."""
    with freeze_time(MONDAY_10):
        callback = do_request_callback(
            world.store,
            phone="+48601234567",
            window_start=MONDAY_10 - timedelta(hours=1),
            window_end=MONDAY_10 + timedelta(minutes=5),
        )
    assert callback.due_at == MONDAY_10 + timedelta(minutes=5)


def test_without_a_callback_policy_the_call_is_due_in_15_minutes(world):
    with freeze_time(MONDAY_10):
        callback = do_request_callback(world.store, phone="+48601234567")
    assert callback.due_at == MONDAY_10 + timedelta(minutes=15)


def test_a_policy_for_other_channels_does_not_set_the_callback_due_time(world, callback_policy):
    callback_policy.channels = ["email"]
    callback_policy.first_reply_within = timedelta(hours=8)
    callback_policy.save()
    with freeze_time(MONDAY_10):
        callback = do_request_callback(world.store, phone="+48601234567")
    assert callback.due_at == MONDAY_10 + timedelta(minutes=15)


def test_a_known_email_brings_the_existing_customer_who_gets_the_phone(world):
    callback = do_request_callback(
        world.store, phone="+48 601 234 567", email="Maria@Example.PL", name="Maria"
    )
    assert callback.ticket.customer == world.maria
    assert set(world.maria.identities.values_list("kind", "value")) == {
        ("email", "maria@example.pl"),
        ("phone", "+48601234567"),
    }


def test_a_known_phone_brings_its_customer_and_a_new_email_is_added(world):
    first = do_request_callback(world.store, phone="+48601234567")
    second = do_request_callback(world.store, phone="0048 601 234 567", email="zofia@example.pl")
    assert second.ticket.customer == first.ticket.customer
    assert Identity.objects.get(value="zofia@example.pl").customer == first.ticket.customer
    assert second.ticket_id != first.ticket_id


def test_a_visitors_language_reads_a_national_number(world):
    # given
    visitor = Visitor.objects.create(
        store=world.store,
        key="v" * 32,
        language="pl",
        email="zofia@example.pl",
        created_at=utc(2026, 11, 16, 9),
        last_seen_at=utc(2026, 11, 16, 9),
    )
    # when
    callback = do_request_callback(world.store, phone="601 234 567", visitor=visitor)
    # then
    assert callback.phone == "+48601234567"
    assert callback.visitor == visitor
    assert callback.email == "zofia@example.pl"
    visitor.refresh_from_db()
    assert visitor.customer == callback.ticket.customer


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"phone": "601 234 567"}, "phone"),  # national, English gives no country
        ({"phone": "+48601234567", "email": "not-an-address"}, "email"),
        (
            {
                "phone": "+48601234567",
                "window_start": utc(2026, 11, 16, 14),
                "window_end": utc(2026, 11, 16, 13),
            },
            "window_end",
        ),
        ({"phone": "+48601234567", "window_end": utc(2026, 11, 16, 8)}, "window_end"),
        ({"phone": "+48601234567", "window_start": utc(2027, 6, 1, 8)}, "window_start"),
    ],
)
def test_bad_input_is_refused_per_field_and_opens_no_ticket(world, fields, field):
    tickets_before = Ticket.objects.count()
    with freeze_time(MONDAY_10), pytest.raises(CallbackError) as caught:
        do_request_callback(world.store, language="en", **fields)
    assert field in caught.value.errors
    assert Ticket.objects.count() == tickets_before
    assert not CallbackRequest.objects.exists()
