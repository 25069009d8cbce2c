"""The workload view: each agent's availability and load, per group, and each group's queue."""

from dataclasses import dataclass, field

from django.db.models import Count

from zabota.accounts.models import Group, User
from zabota.routing.access import workload_groups
from zabota.routing.actions import active_loads
from zabota.routing.constants import Availability, Strategy
from zabota.routing.models import AgentStatus
from zabota.tickets.constants import ACTIVE_STATUSES
from zabota.tickets.models import Ticket


@dataclass
class AgentLoad:
    agent: User
    status: str
    open_tickets: int

    @property
    def capacity(self) -> int:
        return self.agent.capacity

    @property
    def is_full(self) -> bool:
        return self.open_tickets >= self.agent.capacity


@dataclass
class GroupLoad:
    group: Group
    strategy: str
    queued: int
    agents: list[AgentLoad] = field(default_factory=list)

    @property
    def strategy_label(self) -> str:
        return str(Strategy(self.strategy).label)


def workload(actor: User) -> list[GroupLoad]:
    """Per visible group: its strategy, its queue (unassigned active tickets) and its members'
    loads. An agent's load counts all their active tickets, in any group, as capacity does."""
    groups = list(workload_groups(actor).select_related("routing").prefetch_related("members"))
    members = {u.pk: u for g in groups for u in g.members.all() if u.is_active}
    loads = active_loads(members)
    statuses = dict(
        AgentStatus.objects.filter(user_id__in=list(members)).values_list("user_id", "status")
    )
    queued = dict(
        Ticket.objects.filter(
            group__in=groups,
            assignee__isnull=True,
            status__in=ACTIVE_STATUSES,
            merged_into__isnull=True,
        )
        .values("group_id")
        .annotate(n=Count("pk"))
        .values_list("group_id", "n")
    )
    result = []
    for group in groups:
        routing = getattr(group, "routing", None)
        row = GroupLoad(
            group=group,
            strategy=routing.strategy if routing else Strategy.MANUAL,
            queued=queued.get(group.pk, 0),
        )
        for user in sorted(group.members.all(), key=lambda u: u.name):
            if user.is_active:
                row.agents.append(
                    AgentLoad(
                        agent=user,
                        status=statuses.get(user.pk, Availability.OFFLINE),
                        open_tickets=loads.get(user.pk, 0),
                    )
                )
        result.append(row)
    return result
