from datetime import timedelta

import pytest
from django.utils import timezone

from zabota.core.models import OutboxEvent
from zabota.tickets import actions
from zabota.tickets.constants import EventKind, MessageKind, Priority, Status
from zabota.tickets.error_codes import TicketError, TicketErrorCode
from zabota.tickets.models import Message, TicketEvent


def events_of(ticket, kind=None):
    qs = TicketEvent.objects.filter(ticket=ticket).order_by("version")
    return list(qs.filter(kind=kind) if kind else qs)


def test_ticket_numbers_are_per_store_and_sequential(world):
    """Each store numbers its tickets on its own, counting up from where it stands."""
    # given the two tickets the world created
    # then
    assert world.ivan_ticket.number == world.maria_ticket.number + 1
    assert world.maria_ticket.status == Status.NEW
    assert world.maria_ticket.group == world.support  # the store's default group


def test_create_ticket_writes_timeline_and_outbox(world):
    """Creation records a 'created' row and publishes ticket.created and message.received."""
    # given
    ticket = world.maria_ticket
    # then
    assert [e.kind for e in events_of(ticket)] == [EventKind.CREATED]
    types = list(
        OutboxEvent.objects.filter(payload__ticket_id=ticket.pk).values_list("type", flat=True)
    )
    assert sorted(types) == ["message.received", "ticket.created"]


def test_outbox_events_are_dispatched_after_commit(world, django_capture_on_commit_callbacks):
    """Events stay undispatched until the transaction commits, then the listeners run."""
    # given
    seen = []
    from zabota.core.events import listener, unregister

    @listener("message.sent")
    def remember(event_type, payload):
        seen.append(payload["message_id"])

    try:
        # when
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            msg = actions.do_add_reply(world.maria_ticket, body_text="On its way", actor=world.anna)
            pending = OutboxEvent.objects.get(type="message.sent")
            assert pending.dispatched_at is None and seen == []
        # then
        # message.sent and ticket.status_changed, dispatched by one task
        assert len(callbacks) == 1
        assert seen == [msg.pk]
        assert OutboxEvent.objects.get(type="message.sent").dispatched_at is not None
    finally:
        unregister(remember)


def test_reply_sets_first_reply_and_pending(world):
    """An agent's reply counts as first reply and waits on the customer by default."""
    # when
    msg = actions.do_add_reply(
        world.maria_ticket, body_text="It left our warehouse.", actor=world.anna
    )
    # then
    ticket = msg.ticket
    ticket.refresh_from_db()
    assert msg.kind == MessageKind.AGENT
    assert ticket.status == Status.PENDING
    assert ticket.first_reply_at == msg.created_at
    assert [e.kind for e in events_of(ticket)] == [
        EventKind.CREATED,
        EventKind.REPLY,
        EventKind.STATUS,
    ]
    assert ticket.version == 3


@pytest.mark.parametrize("status", [Status.PENDING, Status.AWAITING_CONFIRMATION, Status.SOLVED])
def test_customer_reply_reopens(world, status):
    """A customer writing again to a pending, awaiting or solved ticket reopens it."""
    # given
    ticket = actions.do_change_status(world.maria_ticket, status=status, actor=world.anna)
    # when
    actions.do_add_customer_message(ticket, body_text="Still nothing arrived.")
    # then
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.solved_at is None
    assert events_of(ticket, EventKind.MESSAGE)[-1].data["reopened_from"] == status


def test_customer_message_to_closed_ticket_starts_follow_up(world):
    """Nothing lands in a closed ticket: a new ticket is opened, pointing to the old number."""
    # given
    closed = actions.do_change_status(world.maria_ticket, status=Status.CLOSED, actor=world.lena)
    # when
    msg = actions.do_add_customer_message(closed, body_text="One more question")
    # then
    assert msg.ticket_id != closed.pk
    assert msg.ticket.status == Status.NEW
    assert msg.channel_meta["follow_up_of"] == closed.number


def test_agent_cannot_solve_directly(world):
    """Solved means the customer agreed: agents propose, customers confirm."""
    with pytest.raises(TicketError) as exc:
        actions.check_change_status(world.maria_ticket, status=Status.SOLVED, actor=world.anna)
    assert exc.value.code == TicketErrorCode.CONFIRMATION_REQUIRED


def test_agent_cannot_close_unsolved_but_lead_can(world):
    with pytest.raises(TicketError) as exc:
        actions.check_change_status(world.maria_ticket, status=Status.CLOSED, actor=world.anna)
    assert exc.value.code == TicketErrorCode.CLOSE_NOT_ALLOWED
    ticket = actions.check_change_status(world.maria_ticket, status=Status.CLOSED, actor=world.lena)
    assert ticket.status == Status.CLOSED and ticket.closed_at is not None


def test_confirmation_timeout_solves(world):
    """A proposal the customer leaves unanswered past the store's timeout counts as accepted."""
    # given
    ticket = actions.do_change_status(
        world.maria_ticket, status=Status.AWAITING_CONFIRMATION, actor=world.anna
    )
    # when: just before the timeout, then after it
    early = actions.do_confirm_overdue_solutions(now=timezone.now() + timedelta(days=2))
    late = actions.do_confirm_overdue_solutions(now=timezone.now() + timedelta(days=3, minutes=1))
    # then
    ticket.refresh_from_db()
    assert (early, late) == (0, 1)
    assert ticket.status == Status.SOLVED
    assert events_of(ticket, EventKind.STATUS)[-1].data["reason"] == "timeout"


def test_assign_checks_membership(world):
    """An agent cannot be assigned within a group they are not in."""
    with pytest.raises(TicketError) as exc:
        actions.check_assign(
            world.maria_ticket, assignee=world.piotr, group=world.support, actor=world.lena
        )
    assert exc.value.code == TicketErrorCode.ASSIGNEE_NOT_IN_GROUP
    ticket = actions.check_assign(
        world.maria_ticket, assignee=world.anna, group=None, actor=world.lena
    )
    assert (ticket.assignee, ticket.group, ticket.status) == (
        world.anna,
        world.support,
        Status.OPEN,
    )


def test_priority_and_tags(world):
    tag = actions.get_or_create_tag(world.store, "  Late  Delivery ")
    actions.check_change_priority(world.maria_ticket, priority=Priority.URGENT, actor=world.anna)
    ticket = actions.check_change_tags(world.maria_ticket, add=[tag], actor=world.anna)
    assert tag.name == "late delivery"
    assert list(ticket.tags.all()) == [tag]
    assert events_of(ticket, EventKind.TAGS)[0].data == {"added": ["late delivery"], "removed": []}
    with pytest.raises(TicketError):
        actions.check_change_priority(ticket, priority=99, actor=world.anna)


def test_merge_moves_messages_and_points_to_survivor(world):
    """Merging moves every message; the merged ticket is closed and points to the survivor."""
    # given
    duplicate = actions.do_create_ticket(
        store=world.store, customer=world.maria, subject="Parcel??", body_text="Hello?", actor=None
    )
    # when
    target = actions.check_merge_tickets(duplicate, world.maria_ticket, actor=world.anna)
    # then
    duplicate.refresh_from_db()
    assert duplicate.merged_into == target and duplicate.status == Status.CLOSED
    assert Message.objects.filter(ticket=duplicate).count() == 0
    assert target.messages.count() == 2
    moved = target.messages.get(body_text="Hello?")
    assert moved.original_ticket_number == duplicate.number
    with pytest.raises(TicketError):
        actions.check_merge_tickets(duplicate, target, actor=world.anna)


def test_html_is_sanitised_on_the_way_in(world):
    msg = actions.do_add_customer_message(
        world.maria_ticket,
        body_text="",
        body_html=(
            '<p onclick="x()">Hi<script>alert(1)</script><a href="javascript:alert(1)">x</a></p>'
        ),
    )
    assert "script" not in msg.body_html and "onclick" not in msg.body_html
    assert "javascript" not in msg.body_html
    assert msg.body_text == "Hix"


def test_saving_a_stale_store_does_not_rewind_numbering(world):
    """An admin saving the store form must not reuse ticket numbers."""
    stale = type(world.store).objects.get(pk=world.store.pk)
    actions.do_create_ticket(
        store=world.store, customer=world.maria, subject="A", body_text="a", actor=None
    )
    stale.name = "Renamed"
    stale.save()
    third = actions.do_create_ticket(
        store=world.store, customer=world.maria, subject="B", body_text="b", actor=None
    )
    assert third.number == world.ivan_ticket.number + 2


def test_back_dated_ticket_keeps_its_time(world):
    """Imports and the demo pass the real time of creation; it must be kept."""
    from datetime import UTC, datetime

    at = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    ticket = actions.do_create_ticket(
        store=world.store, customer=world.ivan, subject="Old", body_text="x", actor=None, at=at
    )
    ticket.refresh_from_db()
    assert ticket.created_at == at == ticket.last_activity_at
    assert ticket.messages.get().created_at == at
