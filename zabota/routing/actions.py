"""Assignment of a group's unassigned tickets to the agents able to take them.

An agent can take a ticket when they are active, online, below their capacity (active tickets
assigned to them) and speak the ticket's language (if both are known). A customer's personal
manager in the store gets the ticket when able; otherwise the group's strategy picks among its
members. Tickets nobody can take stay unassigned in their group — the queue — and are assigned
oldest first as capacity frees up.
"""

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from zabota.accounts.models import Group, User
from zabota.commerce.models import Store
from zabota.customers.models import Customer
from zabota.routing.constants import Availability, Strategy
from zabota.routing.error_codes import RoutingError, RoutingErrorCode
from zabota.routing.models import AgentStatus, CustomerManager, GroupRouting
from zabota.tickets.actions import do_assign
from zabota.tickets.constants import ACTIVE_STATUSES
from zabota.tickets.models import Ticket

ROUTING_LABEL = "routing"
# Tickets looked at per drain: a queue longer than this is worked off by the next drains.
QUEUE_SCAN_LIMIT = 500
# The most active tickets an agent may be given at once through the UI.
MAX_CAPACITY = 100
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
# Minutes without a request after which an online agent becomes away (0: never).
DEFAULT_AUTO_AWAY_MINUTES = 15
ACTIVITY_MIDDLEWARE = "zabota.routing.middleware.AgentActivityMiddleware"


def active_loads(user_ids: Iterable[int]) -> dict[int, int]:
    """Active (not solved or closed) tickets assigned to each of these users."""
    rows = (
        Ticket.objects.filter(
            assignee_id__in=list(user_ids), status__in=ACTIVE_STATUSES, merged_into__isnull=True
        )
        .values("assignee_id")
        .annotate(n=Count("pk"))
    )
    return {row["assignee_id"]: row["n"] for row in rows}


def online_ids(user_ids: Iterable[int]) -> set[int]:
    return set(
        AgentStatus.objects.filter(
            user_id__in=list(user_ids), status=Availability.ONLINE
        ).values_list("user_id", flat=True)
    )


class _Pool:
    """The agents a drain may assign to, with their loads kept current as it assigns."""

    def __init__(self, members: list[User], extra: Iterable[User] = ()) -> None:
        self.members = sorted(members, key=lambda u: u.pk)
        self.users = {u.pk: u for u in [*members, *extra]}
        self.online = online_ids(self.users)
        self.loads = active_loads(self.users)

    def add(self, user: User) -> None:
        if user.pk not in self.users:
            self.users[user.pk] = user
            self.online |= online_ids([user.pk])
            self.loads.update(active_loads([user.pk]))

    def can_take(self, user: User, ticket: Ticket) -> bool:
        if not user.is_active or user.pk not in self.online:
            return False
        if self.loads.get(user.pk, 0) >= user.capacity:
            return False
        # Skills: an agent who listed languages only takes tickets in one of them.
        return not ticket.language or not user.languages or ticket.language in user.languages

    def took(self, user: User) -> None:
        self.loads[user.pk] = self.loads.get(user.pk, 0) + 1


def _by_strategy(routing: GroupRouting, pool: _Pool, ticket: Ticket) -> User | None:
    able = [u for u in pool.members if pool.can_take(u, ticket)]
    if not able:
        return None
    if routing.strategy == Strategy.LEAST_LOADED:
        return min(able, key=lambda u: (pool.loads.get(u.pk, 0), u.pk))
    # Round robin: the next member after the last one served, wrapping around.
    last = routing.last_assigned_id or 0
    return next((u for u in able if u.pk > last), able[0])


def do_drain_queue(group: Group, *, at: datetime | None = None) -> int:
    """Assign the group's queued tickets, oldest first, while someone can take them; returns
    how many were assigned. Does nothing for a group without routing or with manual routing.

    The group's routing row is locked while choosing, so two drains of a group (a new ticket and
    a solved one at the same moment) do not both give the last free slot away."""
    with transaction.atomic():
        routing = GroupRouting.objects.select_for_update().filter(group=group).first()
        if routing is None or routing.strategy == Strategy.MANUAL:
            return 0
        queue = list(
            Ticket.objects.filter(
                group=group,
                assignee__isnull=True,
                status__in=ACTIVE_STATUSES,
                merged_into__isnull=True,
            ).order_by("created_at", "pk")[:QUEUE_SCAN_LIMIT]
        )
        if not queue:
            return 0
        managers = {
            m.customer_id: m.user
            for m in CustomerManager.objects.filter(
                store_id=group.store_id, customer_id__in={t.customer_id for t in queue}
            ).select_related("user")
        }
        pool = _Pool(list(group.members.all()), managers.values())
        assigned = 0
        for ticket in queue:
            manager = managers.get(ticket.customer_id)
            if manager is not None and pool.can_take(manager, ticket):
                agent: User | None = manager
            else:
                agent = _by_strategy(routing, pool, ticket)
                if agent is not None:
                    routing.last_assigned = agent
            if agent is None:
                continue
            do_assign(
                ticket, assignee=agent, group=group, actor=None, actor_label=ROUTING_LABEL, at=at
            )
            pool.took(agent)
            assigned += 1
        routing.save(update_fields=["last_assigned"])
    return assigned


def drain_groups_of(user: User) -> int:
    """Drain the routed groups this agent belongs to (they came online or freed a slot)."""
    return sum(do_drain_queue(g) for g in routed_groups().filter(members=user))


def drain_all() -> int:
    """Drain every routed group: the periodic safety net for drains an event missed."""
    return sum(do_drain_queue(g) for g in routed_groups())


def routed_groups() -> QuerySet[Group]:
    return Group.objects.filter(routing__isnull=False).exclude(routing__strategy=Strategy.MANUAL)


def do_set_availability(
    user: User, *, status: str, actor: User | None, at: datetime | None = None
) -> AgentStatus:
    """Record the agent's availability; coming online drains the queues of their groups."""
    with transaction.atomic():
        row, created = AgentStatus.objects.select_for_update().get_or_create(
            user=user, defaults={"status": status, "changed_at": at or timezone.now()}
        )
        if not created and row.status == status:
            return row
        old = Availability.OFFLINE if created else row.status
        row.status = status
        row.changed_at = at or timezone.now()
        row.save(update_fields=["status", "changed_at"])
        if status == Availability.ONLINE and old != Availability.ONLINE:
            drain_groups_of(user)
    return row


def availability_of(user: User) -> str:
    row = AgentStatus.objects.filter(user=user).only("status").first()
    return row.status if row else Availability.OFFLINE


def check_set_availability(agent: User, *, status: str, actor: User) -> AgentStatus:
    """The status must be an Availability; the actor the agent, their lead or an admin."""
    from zabota.routing.access import can_change_availability

    if status not in Availability.values:
        raise RoutingError(RoutingErrorCode.INVALID_AVAILABILITY, status=status)
    if not can_change_availability(actor, agent):
        raise RoutingError(RoutingErrorCode.AVAILABILITY_NOT_ALLOWED)
    return do_set_availability(agent, status=status, actor=actor)


# --- settings changed in the agent UI (audited in the admin's change history) ------------------


def _log(actor: User | None, obj: Any, message: str, flag: int = CHANGE) -> None:
    if actor is not None:
        LogEntry.objects.log_actions(
            user_id=actor.pk,
            queryset=[obj],
            action_flag=flag,
            change_message=message,
            single_object=True,
        )


def do_set_strategy(group: Group, *, strategy: str, actor: User | None) -> GroupRouting:
    """Set the group's strategy; an automatic one drains the queue at once (same request)."""
    with transaction.atomic():
        routing, created = GroupRouting.objects.select_for_update().get_or_create(
            group=group, defaults={"strategy": strategy}
        )
        if not created and routing.strategy == strategy:
            return routing
        old = Strategy.MANUAL if created else routing.strategy
        routing.strategy = strategy
        routing.save(update_fields=["strategy"])
        _log(actor, routing, f"strategy: {old} → {strategy}")
    do_drain_queue(group)
    return routing


def check_set_strategy(group: Group, *, strategy: str, actor: User) -> GroupRouting:
    from zabota.routing.access import can_change_routing

    if strategy not in Strategy.values:
        raise RoutingError(RoutingErrorCode.INVALID_STRATEGY, strategy=strategy)
    if not can_change_routing(actor, group):
        raise RoutingError(RoutingErrorCode.ROUTING_NOT_ALLOWED)
    return do_set_strategy(group, strategy=strategy, actor=actor)


def parse_languages(text: str) -> list[str]:
    """Comma- (or space-) separated 2–3 letter codes, lower-cased, without duplicates."""
    codes: list[str] = []
    for part in re.split(r"[,\s]+", text.strip()):
        code = part.strip().lower()
        if not code:
            continue
        if not LANGUAGE_CODE.match(code):
            raise RoutingError(RoutingErrorCode.INVALID_LANGUAGE, language=part[:20])
        if code not in codes:
            codes.append(code)
    return codes


def do_set_agent_profile(
    agent: User, *, capacity: int, languages: list[str], actor: User | None
) -> User:
    """Store validated capacity and languages. More capacity or other languages may let the
    agent take queued tickets: their routed groups are drained at once."""
    old_capacity, old_languages = agent.capacity, list(agent.languages)
    if capacity == old_capacity and languages == old_languages:
        return agent
    with transaction.atomic():
        agent.capacity = capacity
        agent.languages = languages
        agent.save(update_fields=["capacity", "languages"])
        _log(
            actor,
            agent,
            f"capacity: {old_capacity} → {capacity}; "
            f"languages: {', '.join(old_languages) or '-'} → {', '.join(languages) or '-'}",
        )
    if capacity > old_capacity or languages != old_languages:
        drain_groups_of(agent)
    return agent


def check_set_agent_profile(
    agent: User, *, capacity: str | int, languages: str, actor: User
) -> User:
    """``capacity`` a whole number 0..MAX_CAPACITY, ``languages`` comma-separated codes; the
    actor an admin or the lead of one of the agent's groups."""
    from zabota.routing.access import can_edit_agent_profile

    if not can_edit_agent_profile(actor, agent):
        raise RoutingError(RoutingErrorCode.PROFILE_NOT_ALLOWED)
    try:
        value = int(str(capacity).strip())
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_CAPACITY:
        raise RoutingError(RoutingErrorCode.INVALID_CAPACITY, max=MAX_CAPACITY)
    return do_set_agent_profile(
        agent, capacity=value, languages=parse_languages(languages), actor=actor
    )


def do_set_customer_manager(
    customer: Customer, store: Store, *, manager: User | None, actor: User | None
) -> CustomerManager | None:
    """Make ``manager`` the customer's personal manager in the store, or remove it (None)."""
    with transaction.atomic():
        row = CustomerManager.objects.select_for_update().filter(customer=customer, store=store)
        current = row.first()
        if manager is None:
            if current is not None:
                _log(actor, current, f"removed: {current.user}", DELETION)
                current.delete()
            return None
        if current is None:
            current = CustomerManager.objects.create(customer=customer, store=store, user=manager)
            _log(actor, current, f"manager: {manager}", ADDITION)
        elif current.user_id != manager.pk:
            old = current.user
            current.user = manager
            current.save(update_fields=["user"])
            _log(actor, current, f"manager: {old} → {manager}")
    return current


def check_set_customer_manager(
    customer: Customer, store: Store, *, manager_id: int | None, actor: User
) -> CustomerManager | None:
    """The actor an admin or a lead in the store; the manager one of the store's staff."""
    from zabota.routing.access import can_set_manager, store_staff

    if not can_set_manager(actor, store):
        raise RoutingError(RoutingErrorCode.MANAGER_NOT_ALLOWED)
    manager = None
    if manager_id is not None:
        manager = store_staff(store).filter(pk=manager_id).first()
        if manager is None:
            raise RoutingError(RoutingErrorCode.INVALID_MANAGER)
    return do_set_customer_manager(customer, store, manager=manager, actor=actor)


# --- automatic away ------------------------------------------------------------------------------


def auto_away_minutes() -> int:
    return int(getattr(settings, "ZABOTA_AUTO_AWAY_MINUTES", DEFAULT_AUTO_AWAY_MINUTES))


def _idle_online(cutoff: datetime) -> QuerySet[AgentStatus]:
    """Online agents neither seen nor switched online since ``cutoff``."""
    return AgentStatus.objects.filter(status=Availability.ONLINE, changed_at__lt=cutoff).filter(
        Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=cutoff)
    )


def do_auto_away(*, at: datetime | None = None) -> int:
    """Online agents idle for ZABOTA_AUTO_AWAY_MINUTES become away; returns how many. Coming
    back online is left to the agent. Each row is re-checked under its lock, so a request
    seen between the selection and the change keeps the agent online."""
    minutes = auto_away_minutes()
    # Without the middleware nobody's activity is recorded: everyone would look idle.
    if minutes <= 0 or ACTIVITY_MIDDLEWARE not in settings.MIDDLEWARE:
        return 0
    now = at or timezone.now()
    cutoff = now - timedelta(minutes=minutes)
    flipped = 0
    for status_id in list(_idle_online(cutoff).values_list("pk", flat=True)):
        with transaction.atomic():
            row = _idle_online(cutoff).select_for_update().filter(pk=status_id).first()
            if row is None:
                continue
            do_set_availability(row.user, status=Availability.AWAY, actor=None, at=now)
            flipped += 1
    return flipped


def do_record_activity(user_id: int, *, at: datetime | None = None) -> None:
    """The agent made a request: the auto-away clock restarts."""
    AgentStatus.objects.filter(user_id=user_id).update(last_seen_at=at or timezone.now())
