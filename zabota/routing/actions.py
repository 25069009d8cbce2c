"""Assignment of a group's unassigned tickets to the agents able to take them.

An agent can take a ticket when they are active, online, below their capacity (active tickets
assigned to them) and speak the ticket's language (if both are known). A customer's personal
manager in the store gets the ticket when able; otherwise the group's strategy picks among its
members. Tickets nobody can take stay unassigned in their group — the queue — and are assigned
oldest first as capacity frees up.
"""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from zabota.accounts.models import Group, User
from zabota.routing.constants import Availability, Strategy
from zabota.routing.error_codes import RoutingError, RoutingErrorCode
from zabota.routing.models import AgentStatus, CustomerManager, GroupRouting
from zabota.tickets.actions import do_assign
from zabota.tickets.constants import ACTIVE_STATUSES
from zabota.tickets.models import Ticket

ROUTING_LABEL = "routing"
# Tickets looked at per drain: a queue longer than this is worked off by the next drains.
QUEUE_SCAN_LIMIT = 500


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
    return sum(do_drain_queue(g) for g in _routed_groups().filter(members=user))


def drain_all() -> int:
    """Drain every routed group: the periodic safety net for drains an event missed."""
    return sum(do_drain_queue(g) for g in _routed_groups())


def _routed_groups() -> QuerySet[Group]:
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
