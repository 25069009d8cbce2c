"""Rules are evaluated on ticket events and by the periodic sweep, once per trigger, and a
rule's own changes never trigger rules."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from zabota.automation.constants import TIME_TRIGGER
from zabota.automation.engine import preview, sweep_time_rules
from zabota.automation.models import Rule, RuleApplication
from zabota.commerce.constants import Segment
from zabota.commerce.models import CustomerSegment, Store
from zabota.core import event_types, events
from zabota.core.models import OutboxEvent
from zabota.tickets.actions import do_change_priority, do_change_status, do_create_ticket
from zabota.tickets.constants import Channel, EventKind, MessageKind, Priority, Status
from zabota.tickets.models import Message, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def _rule(**fields) -> Rule:
    rule = Rule(**fields)
    rule.full_clean()
    rule.save()
    return rule


def _vip_rule(world) -> Rule:
    return _rule(
        store=world.store,
        name="VIP first",
        triggers=[event_types.TICKET_CREATED],
        conditions=[
            {"field": "customer.segment", "op": "has", "value": Segment.VIP},
            {"field": "ticket.channel", "op": "is", "value": Channel.EMAIL},
        ],
        actions=[
            {"type": "add_tag", "params": {"tag": "VIP"}},
            {"type": "set_priority", "params": {"priority": Priority.HIGH}},
            {"type": "assign_group", "params": {"group": world.returns.pk}},
        ],
    )


def _new_ticket(world, capture, customer=None) -> Ticket:
    with capture(execute=True):
        return do_create_ticket(
            store=world.store,
            customer=customer or world.maria,
            subject="My order",
            body_text="Where is it?",
            actor=None,
        )


def test_a_vip_customers_new_email_ticket_gets_tag_priority_and_group(
    world, django_capture_on_commit_callbacks
):
    """Maria is VIP; her new email ticket is tagged VIP, raised to high priority and sent to the
    Returns group, each change on the timeline under the rule's name. Ivan's is left alone."""
    # given
    CustomerSegment.objects.create(store=world.store, customer=world.maria, segment=Segment.VIP)
    _vip_rule(world)
    # when
    ticket = _new_ticket(world, django_capture_on_commit_callbacks)
    other = _new_ticket(world, django_capture_on_commit_callbacks, customer=world.ivan)
    # then
    ticket.refresh_from_db()
    assert list(ticket.tags.values_list("name", flat=True)) == ["vip"]
    assert ticket.priority == Priority.HIGH
    assert ticket.group == world.returns
    labels = set(
        TicketEvent.objects.filter(
            ticket=ticket, kind__in=[EventKind.TAGS, EventKind.PRIORITY, EventKind.ASSIGNED]
        ).values_list("actor_label", flat=True)
    )
    assert labels == {"rule: VIP first"}
    application = RuleApplication.objects.get(ticket=ticket)
    assert [row["type"] for row in application.actions_applied] == [
        "add_tag",
        "set_priority",
        "assign_group",
    ]
    other.refresh_from_db()
    assert other.priority == Priority.NORMAL
    assert not RuleApplication.objects.filter(ticket=other).exists()


def test_a_later_rule_sees_what_an_earlier_one_changed(world, django_capture_on_commit_callbacks):
    """Rules run in order on one event: the second reads the tag the first added (the ticket's
    facts are read again) and the message both look at (kept, as no action changes it)."""
    # given
    CustomerSegment.objects.create(store=world.store, customer=world.maria, segment=Segment.VIP)
    _vip_rule(world)
    second = _rule(
        store=world.store,
        name="VIP asking where",
        order=200,
        triggers=[event_types.TICKET_CREATED],
        conditions=[
            {"field": "ticket.tags", "op": "has", "value": "vip"},
            {"field": "message.body", "op": "contains", "value": "where"},
        ],
        actions=[{"type": "set_priority", "params": {"priority": Priority.URGENT}}],
    )
    # when
    ticket = _new_ticket(world, django_capture_on_commit_callbacks)
    # then
    ticket.refresh_from_db()
    assert ticket.priority == Priority.URGENT
    assert RuleApplication.objects.filter(rule=second, ticket=ticket).count() == 1
    # Ivan has no tag: the second rule does not apply to his ticket.
    other = _new_ticket(world, django_capture_on_commit_callbacks, customer=world.ivan)
    assert not RuleApplication.objects.filter(rule=second, ticket=other).exists()


def test_a_tag_the_ticket_has_already_is_not_an_applied_action(
    world, django_capture_on_commit_callbacks
):
    """Adding a tag that is there changes nothing: no timeline row, nothing in the application."""
    # given
    CustomerSegment.objects.create(store=world.store, customer=world.maria, segment=Segment.VIP)
    rule = _vip_rule(world)
    rule.triggers = [event_types.TICKET_PRIORITY_CHANGED]
    rule.actions = [{"type": "add_tag", "params": {"tag": "VIP"}}]
    rule.save()
    ticket = _new_ticket(world, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        do_change_priority(ticket, priority=Priority.LOW, actor=world.anna)
    ticket.refresh_from_db()
    # when: the priority changes again
    with django_capture_on_commit_callbacks(execute=True):
        do_change_priority(ticket, priority=Priority.HIGH, actor=world.anna)
    # then
    first, second = RuleApplication.objects.filter(rule=rule).order_by("pk")
    assert [row["type"] for row in first.actions_applied] == ["add_tag"]
    assert second.actions_applied == []
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TAGS).count() == 1


def test_an_event_dispatched_twice_applies_the_rule_once(world, django_capture_on_commit_callbacks):
    """A crash after the engine ran but before the dispatcher saved it: the event comes again
    and the rule is not applied a second time."""
    # given
    CustomerSegment.objects.create(store=world.store, customer=world.maria, segment=Segment.VIP)
    rule = _vip_rule(world)
    rule.actions = [{"type": "add_note", "params": {"text": "VIP: answer first."}}]
    rule.save()
    ticket = _new_ticket(world, django_capture_on_commit_callbacks)
    event = OutboxEvent.objects.filter(type=event_types.TICKET_CREATED).latest("pk")
    # when
    OutboxEvent.objects.filter(pk=event.pk).update(dispatched_at=None, done_listeners=[])
    with django_capture_on_commit_callbacks(execute=True):
        assert events.dispatch(event.pk)
    # then
    assert RuleApplication.objects.filter(rule=rule).count() == 1
    assert Message.objects.filter(ticket=ticket, kind=MessageKind.NOTE).count() == 1


def test_a_rules_own_changes_do_not_trigger_rules(world, django_capture_on_commit_callbacks):
    """Rule A raises new tickets to urgent; rule B notes every priority change. A's change does
    not trigger B; Anna's change does."""
    # given
    _rule(
        name="Urgent",
        triggers=[event_types.TICKET_CREATED],
        conditions=[],
        actions=[{"type": "set_priority", "params": {"priority": Priority.URGENT}}],
    )
    noter = _rule(
        name="Note priority",
        triggers=[event_types.TICKET_PRIORITY_CHANGED],
        conditions=[],
        actions=[{"type": "add_note", "params": {"text": "Priority changed."}}],
    )
    # when
    ticket = _new_ticket(world, django_capture_on_commit_callbacks)
    # then
    ticket.refresh_from_db()
    assert ticket.priority == Priority.URGENT
    assert not RuleApplication.objects.filter(rule=noter).exists()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        do_change_priority(ticket, priority=Priority.LOW, actor=world.anna)
    # then
    assert RuleApplication.objects.filter(rule=noter, ticket=ticket).count() == 1


def test_a_time_based_rule_applies_once_per_stay_in_a_status(
    world, django_capture_on_commit_callbacks
):
    """Pending for 48 hours: the sweep tags the ticket once, however often it runs."""
    # given
    rule = _rule(
        name="Stale pending",
        triggers=[TIME_TRIGGER],
        conditions=[
            {"field": "ticket.status", "op": "is", "value": Status.PENDING},
            {"field": "ticket.hours_in_status", "op": "gte", "value": 48},
        ],
        actions=[{"type": "add_tag", "params": {"tag": "stale"}}],
    )
    ticket = world.maria_ticket
    two_days_ago = timezone.now() - timedelta(hours=49)
    with django_capture_on_commit_callbacks(execute=True):
        do_change_status(ticket, status=Status.PENDING, actor=world.anna, at=two_days_ago)
    fresh = world.ivan_ticket
    with django_capture_on_commit_callbacks(execute=True):
        do_change_status(fresh, status=Status.PENDING, actor=world.anna)
    # when
    first = sweep_time_rules()
    second = sweep_time_rules()
    # then
    assert (first, second) == (1, 0)
    assert RuleApplication.objects.filter(rule=rule).get().ticket == ticket
    assert list(ticket.tags.values_list("name", flat=True)) == ["stale"]


def test_preview_lists_matching_tickets_and_changes_nothing(world):
    """The rule's test view: which tickets would match and what would be done to them."""
    # given
    rule = _rule(
        name="Parcel",
        triggers=[event_types.MESSAGE_RECEIVED],
        conditions=[{"field": "message.subject", "op": "contains", "value": "parcel"}],
        actions=[{"type": "set_priority", "params": {"priority": Priority.HIGH}}],
    )
    # when
    found = preview(rule, [world.maria_ticket, world.ivan_ticket])
    # then
    assert [row.ticket for row in found] == [world.maria_ticket]
    assert found[0].would_do == ["set priority High"]
    world.maria_ticket.refresh_from_db()
    assert world.maria_ticket.priority == Priority.NORMAL
    assert not RuleApplication.objects.exists()


@pytest.mark.parametrize(
    ("conditions", "actions", "key", "message"),
    [
        (
            [{"field": "ticket.colour", "op": "is", "value": "red"}],
            None,
            "conditions",
            "Unknown field",
        ),
        (
            [{"field": "ticket.status", "op": "gte", "value": "new"}],
            None,
            "conditions",
            "cannot be used",
        ),
        (
            [{"field": "ticket.status", "op": "is", "value": "lost"}],
            None,
            "conditions",
            "is not a value",
        ),
        (
            [{"field": "customer.order_count", "op": "gte", "value": "many"}],
            None,
            "conditions",
            "needs a number",
        ),
        ([], [{"type": "explode", "params": {}}], "actions", "Unknown action"),
        ([], [{"type": "set_priority", "params": {"priority": 99}}], "actions", "not a valid"),
        ([], [], "actions", "at least one action"),
    ],
)
def test_a_rule_with_a_bad_condition_or_action_is_refused(world, conditions, actions, key, message):
    """Saving validates every row against the registries and says what is wrong."""
    # given
    rule = Rule(
        store=world.store,
        name="Bad",
        triggers=[event_types.TICKET_CREATED],
        conditions=conditions,
        actions=actions if actions is not None else [{"type": "add_tag", "params": {"tag": "x"}}],
    )
    # when
    with pytest.raises(ValidationError) as caught:
        rule.full_clean()
    # then
    assert message in " ".join(caught.value.message_dict[key])


def test_a_group_of_another_store_is_refused(world):
    """A rule of one store cannot send tickets to another store's group."""
    # given
    other = Store.objects.create(slug="other", name="Other", email="help@other.example")
    rule = Rule(
        store=other,
        name="Wrong group",
        triggers=[event_types.TICKET_CREATED],
        actions=[{"type": "assign_group", "params": {"group": world.support.pk}}],
    )
    # when
    with pytest.raises(ValidationError) as caught:
        rule.full_clean()
    # then
    assert "Choose a group of the rule's store." in caught.value.message_dict["actions"][0]


def test_adding_a_tag_that_is_there_reports_nothing_even_from_a_stale_ticket(world):
    """The action reads the tags under the ticket's lock: a ticket object older than the row
    (an agent changed it meanwhile) does not make a no-op look like a change."""
    # given: the tag is there, and the object in hand is from before a later change
    from zabota.automation.actions import ACTIONS
    from zabota.tickets.actions import do_change_tags, get_or_create_tag

    stale = Ticket.objects.select_related("store").get(pk=world.maria_ticket.pk)
    vip = get_or_create_tag(world.store, "vip")
    do_change_tags(world.maria_ticket, add=[vip], actor=world.anna)
    do_change_priority(world.maria_ticket, priority=Priority.HIGH, actor=world.anna)
    stale.refresh_from_db(fields=["status"])  # still the old version number
    # when
    summary = ACTIONS["add_tag"].apply(stale, {"tag": "VIP"}, "rule: test")
    # then
    assert summary == ""
    assert TicketEvent.objects.filter(ticket=stale, kind=EventKind.TAGS).count() == 1
