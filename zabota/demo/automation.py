"""The demo store's automation: business hours with holidays, SLA policies (chat answered within
minutes, e-mail within the working day, VIP twice as fast), routing per group and a few rules
that show the engine at work. Everything is created through the same validation as the UI."""

from collections.abc import Callable
from datetime import date, time, timedelta

from django.utils.translation import gettext as _

from zabota.accounts.models import Group, User
from zabota.automation.constants import TIME_TRIGGER, Match
from zabota.automation.models import Rule
from zabota.automation.rules import check_save_rule
from zabota.commerce.constants import Segment
from zabota.commerce.models import Store
from zabota.core import event_types
from zabota.core.events import dispatch_all
from zabota.core.models import OutboxEvent
from zabota.routing.constants import Strategy
from zabota.routing.models import GroupRouting
from zabota.sla.actions import (
    PAUSING_STATUSES,
    do_rechoose_policies,
    do_record_replies,
    do_record_statuses,
)
from zabota.sla.models import BusinessCalendar, Holiday, SlaPolicy, TicketSla, WeeklyHours
from zabota.tickets.constants import ACTIVE_STATUSES, Channel, Priority, Status
from zabota.tickets.models import Ticket

# Monday–Friday 9–18, Saturday 10–14 (store time).
WEEKLY_HOURS = [(day, time(9), time(18)) for day in range(5)] + [(5, time(10), time(14))]
# Closed every year on these days (month, day, name).
HOLIDAYS = [(1, 1, "New Year"), (5, 1, "Labour Day"), (12, 25, "Christmas"), (12, 26, "Boxing Day")]


def configure_automation(store: Store, *, admin: User) -> None:
    """Calendar, SLA policies, routing strategies and rules of the store; idempotent by name."""
    calendar, created = BusinessCalendar.objects.get_or_create(
        store=store, name=_("Office hours"), defaults={"is_default": True}
    )
    if created:
        WeeklyHours.objects.bulk_create(
            WeeklyHours(calendar=calendar, weekday=day, opens=opens, closes=closes)
            for day, opens, closes in WEEKLY_HOURS
        )
        Holiday.objects.bulk_create(
            Holiday(calendar=calendar, date=date(2024, month, day), name=name, recurring=True)
            for month, day, name in HOLIDAYS
        )
    vip_half = {Segment.VIP.value: 0.5}
    policies = [
        (_("Chat"), [Channel.CHAT], timedelta(minutes=1), timedelta(minutes=3), timedelta(hours=4)),
        (
            _("E-mail and web form"),
            [Channel.EMAIL, Channel.WEB],
            timedelta(minutes=30),
            timedelta(hours=4),
            timedelta(days=2),
        ),
        (_("Everything else"), [], timedelta(hours=2), timedelta(hours=8), timedelta(days=3)),
    ]
    for position, (name, channels, first, following, resolution) in enumerate(policies):
        SlaPolicy.objects.get_or_create(
            store=store,
            name=name,
            defaults={
                # After the callbacks' policy (position 0, zabota.callbacks.demo).
                "position": position + 1,
                "channels": list(channels),
                "first_reply_within": first,
                "next_reply_within": following,
                "resolution_within": resolution,
                "segment_factors": vip_half,
                "calendar": calendar,
            },
        )
    strategies = {"Support": Strategy.ROUND_ROBIN, "VIP care": Strategy.LEAST_LOADED}
    for group in Group.objects.filter(store=store, name__in=strategies):
        GroupRouting.objects.get_or_create(
            group=group, defaults={"strategy": strategies[group.name]}
        )
    for rule in demo_rules(store):
        if not Rule.objects.filter(store=store, name=rule["name"]).exists():
            check_save_rule(Rule(), store=store, is_active=True, actor=admin, **rule)


def deliver_history(on_progress: Callable[[int, int], None] = lambda done, total: None) -> int:
    """Deliver the events the demo's history published, before its automation exists: rules,
    SLA clocks and routing act on what happens from now on, not on the made-up past (whose
    events were written at build time). Returns how many were delivered."""
    pending = list(
        OutboxEvent.objects.filter(dispatched_at__isnull=True, failed=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(pending), 200):
        dispatch_all(pending[start : start + 200])
        on_progress(min(start + 200, len(pending)), len(pending))
    return len(pending)


def start_demo_clocks(store: Store) -> int:
    """SLA clocks for the demo's active tickets as if the policies had always been there:
    started at the ticket's creation, the first reply recorded when it was given, paused while
    the ticket waits on the customer. Returns how many clocks run."""
    active = Ticket.objects.filter(store=store, status__in=ACTIVE_STATUSES)
    do_rechoose_policies(list(active.values_list("pk", flat=True)))
    replied = active.filter(first_reply_at__isnull=False).values_list("pk", "first_reply_at")
    do_record_replies([(pk, at) for pk, at in replied if at is not None])
    waiting = active.filter(status__in=PAUSING_STATUSES).values_list(
        "pk", "status", "last_activity_at"
    )
    do_record_statuses(list(waiting))
    return TicketSla.objects.filter(ticket__in=active).count()


def demo_rules(store: Store) -> list[dict]:
    vip_group = Group.objects.filter(store=store, name="VIP care").first()
    vip_actions = [
        {"type": "add_tag", "params": {"tag": "vip"}},
        {"type": "set_priority", "params": {"priority": str(Priority.HIGH.value)}},
    ]
    if vip_group is not None:
        vip_actions.append({"type": "assign_group", "params": {"group": str(vip_group.pk)}})
    return [
        {
            "name": _("VIP customers first"),
            "order": 10,
            "triggers": [event_types.TICKET_CREATED],
            "match": Match.ALL,
            "conditions": [{"field": "customer.segment", "op": "has", "value": Segment.VIP}],
            "actions": vip_actions,
        },
        {
            "name": _("Chargebacks are urgent"),
            "order": 20,
            "triggers": [event_types.TICKET_CREATED, event_types.MESSAGE_RECEIVED],
            "match": Match.ANY,
            "conditions": [
                {"field": "message.subject", "op": "contains", "value": "chargeback"},
                {"field": "message.body", "op": "contains", "value": "chargeback"},
            ],
            "actions": [
                {"type": "add_tag", "params": {"tag": "chargeback"}},
                {"type": "set_priority", "params": {"priority": str(Priority.URGENT.value)}},
            ],
        },
        {
            "name": _("Waiting on the customer for five days"),
            "order": 30,
            "triggers": [TIME_TRIGGER],
            "match": Match.ALL,
            "conditions": [
                {"field": "ticket.status", "op": "is", "value": Status.PENDING},
                {"field": "ticket.hours_in_status", "op": "gte", "value": "120"},
            ],
            "actions": [
                {
                    "type": "add_note",
                    "params": {
                        "text": _(
                            "No answer from the customer for five days: a short reminder, or "
                            "solve the ticket."
                        )
                    },
                },
                {"type": "add_tag", "params": {"tag": "follow-up"}},
            ],
        },
    ]
