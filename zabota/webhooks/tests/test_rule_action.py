"""The rule action "call webhook": a rule sends the ticket to a chosen subscription, once per
trigger, after its transaction commits, with the delivery machinery's retries — and a worker
killed mid-delivery still has the call take effect exactly once."""

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from zabota.automation.actions import ACTIONS
from zabota.automation.models import Rule, RuleApplication
from zabota.commerce.models import Store
from zabota.core import event_types, events
from zabota.core.housekeeping import send_outgoing_webhooks
from zabota.core.models import OutboxEvent
from zabota.tickets.actions import do_change_tags, do_create_ticket, get_or_create_tag
from zabota.tickets.constants import Priority
from zabota.tickets.models import Ticket
from zabota.webhooks import delivery as delivery_module
from zabota.webhooks import transport
from zabota.webhooks.constants import RULE_EVENT, DeliveryStatus
from zabota.webhooks.models import Delivery, Subscription

pytestmark = pytest.mark.django_db


def _rule(world, subscription, **fields) -> Rule:
    """ "Tell the shop": on every new ticket of the demo store, call the subscription. The
    subscription itself takes order events only, so the receiver sees the rule's calls alone."""
    subscription.event_types = [event_types.ORDER_CREATED]
    subscription.save()
    values = {
        "store": world.store,
        "name": "Tell the shop",
        "triggers": [event_types.TICKET_CREATED],
        "conditions": [],
        "actions": [{"type": "call_webhook", "params": {"subscription": subscription.name}}],
    }
    values.update(fields)
    rule = Rule(**values)
    rule.full_clean()
    rule.save()
    return rule


def _new_ticket(world, capture, *, execute: bool = True) -> Ticket:
    with capture(execute=execute):
        return do_create_ticket(
            store=world.store,
            customer=world.maria,
            subject="Where is my order?",
            body_text="It has been a week.",
            actor=None,
        )


def _queued_rule_delivery(world, subscription, capture) -> Delivery:
    """The ticket created and the rule applied, the delivery's task not run yet."""
    _rule(world, subscription)
    _new_ticket(world, capture, execute=False)
    event = OutboxEvent.objects.filter(type=event_types.TICKET_CREATED).latest("pk")
    with capture(execute=False):
        assert events.dispatch(event.pk)
    delivery = Delivery.objects.get(event_type=RULE_EVENT)
    assert delivery.attempts == 0
    return delivery


def test_a_rule_posts_the_ticket_to_the_chosen_subscription(
    world, receiver, subscription, django_capture_on_commit_callbacks
):
    """The body carries the ticket and the rule's name; the subscription's own event-type list
    (here: orders only) does not filter a rule's call."""
    # given
    rule = _rule(world, subscription)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        tag = get_or_create_tag(world.store, "late")
        ticket = do_create_ticket(
            store=world.store,
            customer=world.maria,
            subject="Where is my order?",
            body_text="It has been a week.",
            actor=None,
            group=world.support,
        )
        do_change_tags(ticket, add=[tag], actor=world.anna)
    # then
    [delivery] = Delivery.objects.filter(event_type=RULE_EVENT)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.subscription == subscription
    assert delivery.event is None
    [request] = [r for r in receiver.requests if r.headers["X-Zabota-Event"] == RULE_EVENT]
    body = json.loads(request.body)
    assert body["type"] == "rule.webhook"
    assert body["store_id"] == world.store.pk
    assert body["data"]["rule"] == "Tell the shop"
    ticket.refresh_from_db()
    assert body["data"]["ticket"] == {
        "id": ticket.pk,
        "number": ticket.number,
        "subject": "Where is my order?",
        "status": ticket.status,
        "priority": ticket.priority,
        "store_id": world.store.pk,
        "store": world.store.slug,
        "customer_id": world.maria.pk,
        "customer_email": world.maria.primary_email,
        "assignee_id": None,
        "assignee_email": None,
        "group_id": world.support.pk,
        "group": "Support",
        # events are dispatched after commit: the rule sees the ticket as the transaction left it
        "tags": ["late"],
    }
    assert world.maria.primary_email
    application = RuleApplication.objects.get(rule=rule, ticket=ticket)
    assert application.actions_applied == [
        {"type": "call_webhook", "summary": f"webhook Shop backend (delivery {delivery.pk})"}
    ]


def test_the_delivery_is_queued_only_after_the_rules_transaction_commits(
    world, receiver, subscription, django_capture_on_commit_callbacks
):
    # given
    _rule(world, subscription)
    _new_ticket(world, django_capture_on_commit_callbacks, execute=False)
    event = OutboxEvent.objects.filter(type=event_types.TICKET_CREATED).latest("pk")
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert events.dispatch(event.pk)
    # then: the row exists, nothing was sent while the transaction was open
    delivery = Delivery.objects.get(event_type=RULE_EVENT)
    assert receiver.requests == []
    assert delivery.status == DeliveryStatus.PENDING
    # when the transaction's callbacks run (the commit)
    for callback in callbacks:
        callback()
    # then
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert len(receiver.requests) == 1


def test_an_event_dispatched_twice_calls_the_webhook_once(
    world, receiver, subscription, django_capture_on_commit_callbacks
):
    """A crash after the engine ran but before the dispatcher saved it: the RuleApplication
    keeps the second run from creating a second delivery."""
    # given
    _rule(world, subscription)
    _new_ticket(world, django_capture_on_commit_callbacks)
    event = OutboxEvent.objects.filter(type=event_types.TICKET_CREATED).latest("pk")
    # when
    OutboxEvent.objects.filter(pk=event.pk).update(dispatched_at=None, done_listeners=[])
    with django_capture_on_commit_callbacks(execute=True):
        assert events.dispatch(event.pk)
    # then
    assert Delivery.objects.filter(event_type=RULE_EVENT).count() == 1
    assert len(receiver.requests) == 1


def test_a_rule_that_fails_after_the_call_leaves_no_delivery(
    world, receiver, subscription, django_capture_on_commit_callbacks, monkeypatch
):
    """An action after the call fails: the rule's transaction rolls back with the delivery
    and its queued task, and the event's next dispatch applies the rule (and calls) once."""
    # given
    _rule(
        world,
        subscription,
        actions=[
            {"type": "call_webhook", "params": {"subscription": subscription.name}},
            {"type": "set_priority", "params": {"priority": Priority.HIGH}},
        ],
    )

    def broken(*args):
        raise RuntimeError("database went away")

    monkeypatch.setitem(ACTIONS, "set_priority", replace(ACTIONS["set_priority"], apply=broken))
    # when
    _new_ticket(world, django_capture_on_commit_callbacks)
    # then
    assert not Delivery.objects.exists()
    assert not RuleApplication.objects.exists()
    assert receiver.requests == []
    # when the cause is gone and the event is dispatched again
    monkeypatch.undo()
    event = OutboxEvent.objects.filter(type=event_types.TICKET_CREATED).latest("pk")
    with django_capture_on_commit_callbacks(execute=True):
        assert events.dispatch(event.pk)
    # then
    assert Delivery.objects.filter(event_type=RULE_EVENT).count() == 1
    assert len(receiver.requests) == 1


def test_a_worker_killed_during_the_rule_call_completes_it_once_in_effect(
    world, receiver, subscription, django_capture_on_commit_callbacks, monkeypatch
):
    """Acceptance (issue 5): the worker dies after the receiver got the POST but before the
    outcome was saved. After the lease runs out the housekeeping job sends it again — the same
    delivery id and the same bytes, so the receiver's deduplication on X-Zabota-Delivery makes
    it one effect — and then it is never sent again."""
    # given
    delivery = _queued_rule_delivery(world, subscription, django_capture_on_commit_callbacks)
    real_post = transport.post

    def post_then_die(*args, **kwargs):
        real_post(*args, **kwargs)
        raise SystemExit("worker killed")

    monkeypatch.setattr(transport, "post", post_then_die)
    # when: the worker is killed mid-delivery
    with pytest.raises(SystemExit):
        delivery_module.deliver(delivery.pk)
    monkeypatch.undo()
    # then: leased, so the restarted worker's housekeeping leaves it alone for now
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert send_outgoing_webhooks() == 0
    # when the lease has run out
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    send_outgoing_webhooks()
    send_outgoing_webhooks()
    # then
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 2
    assert Delivery.objects.count() == 1
    assert len(receiver.requests) == 2
    assert {r.headers["X-Zabota-Delivery"] for r in receiver.requests} == {str(delivery.pk)}
    assert len({r.body for r in receiver.requests}) == 1
    # and a later sweep or a late task run sends nothing more
    Delivery.objects.filter(pk=delivery.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert send_outgoing_webhooks() == 0
    delivery_module.deliver(delivery.pk)
    assert len(receiver.requests) == 2


def test_a_worker_killed_before_the_rule_call_was_sent_sends_it_once(
    world, receiver, subscription, django_capture_on_commit_callbacks
):
    """The task was lost (the worker died before picking it up): the housekeeping job sends the
    delivery once it counts as lost, and only once."""
    # given
    delivery = _queued_rule_delivery(world, subscription, django_capture_on_commit_callbacks)
    # when
    assert send_outgoing_webhooks() == 0  # too new to count as lost
    Delivery.objects.filter(pk=delivery.pk).update(created_at=timezone.now() - timedelta(hours=1))
    send_outgoing_webhooks()
    send_outgoing_webhooks()
    # then
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 1)
    assert len(receiver.requests) == 1


def test_a_failing_receiver_gets_the_rule_call_retried(
    world, receiver, subscription, django_capture_on_commit_callbacks
):
    # given
    receiver.statuses = [503]
    _rule(world, subscription)
    # when
    _new_ticket(world, django_capture_on_commit_callbacks)
    # then
    delivery = Delivery.objects.get(event_type=RULE_EVENT)
    assert (delivery.status, delivery.error) == (DeliveryStatus.PENDING, "HTTP 503")
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    send_outgoing_webhooks()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)


def test_the_rule_form_offers_and_accepts_only_usable_subscriptions(world, subscription):
    """A rule of the demo store may call the store's and the all-stores subscriptions, active
    ones only; a rule of every store only the all-stores ones."""
    # given
    everywhere = Subscription.objects.create(name="CRM", url="https://crm.example.com/hook")
    Subscription.objects.create(name="Paused", url="https://x.example.com/", is_active=False)
    other = Store.objects.create(slug="other", name="Other", email="help@other.example")
    Subscription.objects.create(name="Other shop", store=other, url="https://o.example.com/")
    action = ACTIONS["call_webhook"]
    # then
    assert action.param == "subscription"
    assert action.options is not None
    assert action.options(world.store) == [
        (str(everywhere.pk), "CRM"),
        (str(subscription.pk), "Shop backend"),
    ]
    assert action.options(None) == [(str(everywhere.pk), "CRM")]
    assert action.validate({"subscription": "shop BACKEND"}, world.store) == {
        "subscription": subscription.pk
    }
    assert action.validate({"subscription": str(everywhere.pk)}, None) == {
        "subscription": everywhere.pk
    }
    for value, store in [
        ("Paused", world.store),
        ("Other shop", world.store),
        ("Shop backend", None),
        ("", world.store),
    ]:
        with pytest.raises(ValueError, match="active webhook subscription"):
            action.validate({"subscription": value}, store)


def test_a_rule_naming_an_unusable_subscription_is_refused(world, subscription):
    subscription.is_active = False
    subscription.save()
    with pytest.raises(ValidationError):
        _rule(world, subscription)


def test_a_subscription_deactivated_after_the_rule_was_saved_is_not_called(
    world, receiver, subscription, django_capture_on_commit_callbacks
):
    """Stored with the subscription's id; apply checks again (the engine validates the stored
    params first, so this guards the window between the two)."""
    # given
    rule = _rule(world, subscription)
    action = ACTIONS["call_webhook"]
    params = action.validate(rule.actions[0]["params"], world.store)
    subscription.is_active = False
    subscription.save()
    # when
    summary = action.apply(world.maria_ticket, params, rule.actor_label)
    # then
    assert summary == ""
    assert not Delivery.objects.exists()
    assert action.describe(world.maria_ticket, params) == "call webhook Shop backend"


def test_a_rule_calling_a_paused_subscription_sends_nothing(
    world, receiver, subscription, django_capture_on_commit_callbacks
):
    """Paused after the rule was saved: the stored action no longer validates, so the engine
    skips it (recorded on the rule's application) and nothing is sent."""
    # given
    rule = _rule(world, subscription)
    subscription.is_active = False
    subscription.save()
    # when
    _new_ticket(world, django_capture_on_commit_callbacks)
    # then
    assert not Delivery.objects.exists()
    [application] = RuleApplication.objects.filter(rule=rule)
    [skipped] = application.actions_applied
    assert skipped["type"] == "call_webhook" and skipped["skipped"]
    assert receiver.requests == []
