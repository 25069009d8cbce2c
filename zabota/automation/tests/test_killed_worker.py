"""A worker killed while a rule runs: after the restart the rule has been applied exactly once
in effect, whether the worker died inside an action (nothing of the rule was committed) or
after the rule's transaction committed but before the dispatch recorded it (the event comes
again and the rule's application record turns it away)."""

import dataclasses

import pytest

from zabota.automation import actions
from zabota.automation.models import Rule, RuleApplication
from zabota.core import event_types, events
from zabota.core.models import OutboxEvent
from zabota.core.tasks import dispatch_events
from zabota.tickets.actions import do_create_ticket
from zabota.tickets.constants import EventKind, Priority
from zabota.tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


class WorkerKilled(BaseException):
    """What SIGKILL does to the task: everything after it never runs (not an Exception, so no
    handler of the dispatcher catches it)."""


@pytest.fixture
def rule(world):
    rule = Rule(
        store=world.store,
        name="Refunds first",
        triggers=[event_types.TICKET_CREATED],
        conditions=[{"field": "message.subject", "op": "contains", "value": "refund"}],
        actions=[
            {"type": "add_tag", "params": {"tag": "refund"}},
            {"type": "set_priority", "params": {"priority": Priority.HIGH}},
            {"type": "add_note", "params": {"text": "Check the payment first."}},
        ],
    )
    rule.full_clean()
    rule.save()
    return rule


def _ticket_with_undispatched_event(world, capture) -> tuple[Ticket, list[int]]:
    """The ticket is created and committed; its event waits for a worker (not dispatched)."""
    with capture(execute=False):
        ticket = do_create_ticket(
            store=world.store,
            customer=world.maria,
            subject="Refund for order 1042",
            body_text="Please refund.",
            actor=None,
        )
    ids = list(OutboxEvent.objects.filter(dispatched_at__isnull=True).values_list("pk", flat=True))
    return ticket, ids


def _assert_applied_once(ticket: Ticket, rule: Rule, event_ids: list[int]) -> None:
    ticket.refresh_from_db()
    assert RuleApplication.objects.filter(rule=rule, ticket=ticket).count() == 1
    assert list(ticket.tags.values_list("name", flat=True)) == ["refund"]
    assert ticket.priority == Priority.HIGH
    by_rule = TicketEvent.objects.filter(ticket=ticket, actor_label="rule: Refunds first")
    assert sorted(by_rule.values_list("kind", flat=True)) == [
        EventKind.NOTE,
        EventKind.PRIORITY,
        EventKind.TAGS,
    ]
    notes = ticket.messages.filter(body_text="Check the payment first.")
    assert notes.count() == 1
    assert not OutboxEvent.objects.filter(pk__in=event_ids, dispatched_at__isnull=True).exists()


def test_killed_inside_an_action_the_restart_applies_the_rule_once(
    world, rule, django_capture_on_commit_callbacks, monkeypatch
):
    """The tag is written, then the worker dies inside the priority action: the rule's
    transaction never commits (no tag, no application), and the restart applies all of it."""
    # given
    ticket, event_ids = _ticket_with_undispatched_event(world, django_capture_on_commit_callbacks)

    def die(ticket, params, label):
        raise WorkerKilled

    priority = actions.ACTIONS["set_priority"]
    monkeypatch.setitem(actions.ACTIONS, "set_priority", dataclasses.replace(priority, apply=die))
    # when: the worker runs the dispatch task and is killed
    with pytest.raises(WorkerKilled):
        dispatch_events.call(event_ids)
    # then: nothing of the rule is left
    ticket.refresh_from_db()
    assert not RuleApplication.objects.exists()
    assert not ticket.tags.exists()
    # when: restarted, the outbox sweep delivers the event again
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        failed = events.dispatch_all(event_ids)
    # then
    assert failed == []
    _assert_applied_once(ticket, rule, event_ids)


def test_killed_after_the_rule_committed_the_redelivered_event_applies_nothing_more(
    world, rule, django_capture_on_commit_callbacks, monkeypatch
):
    """The rule's transaction committed, then the worker died before the dispatch recorded
    the event as handled: it is delivered again and the rule's application turns it away."""
    # given
    ticket, event_ids = _ticket_with_undispatched_event(world, django_capture_on_commit_callbacks)

    def die(event):
        raise WorkerKilled

    monkeypatch.setattr(events, "_run_listeners", die)
    # when
    with pytest.raises(WorkerKilled):
        dispatch_events.call(event_ids)
    monkeypatch.undo()
    # then: applied, but the event is still waiting
    assert RuleApplication.objects.count() == 1
    assert OutboxEvent.objects.filter(pk__in=event_ids, dispatched_at__isnull=True).exists()
    # when: redelivered, twice
    with django_capture_on_commit_callbacks(execute=True):
        events.dispatch_all(event_ids)
        events.dispatch_all(event_ids)
    # then
    _assert_applied_once(ticket, rule, event_ids)
