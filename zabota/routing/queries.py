"""The workload view: each agent's availability and load, per group, and each group's queue;
the personal managers' key clients; a customer's personal managers per store."""

from dataclasses import dataclass, field

from django.db.models import Count

from zabota.accounts.models import Group, User
from zabota.commerce.access import visible_stores
from zabota.commerce.models import Store
from zabota.customers.models import Customer
from zabota.routing.access import can_set_manager, store_staff, workload_groups
from zabota.routing.actions import active_loads
from zabota.routing.constants import Availability, Strategy
from zabota.routing.models import AgentStatus, CustomerManager
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


# Key clients listed per manager on the workload page; the count covers all of them.
KEY_CLIENTS_SHOWN = 50


@dataclass
class KeyClients:
    manager: User
    count: int
    customers: list[tuple[Customer, Store]] = field(default_factory=list)


def key_clients(actor: User) -> list[KeyClients]:
    """Personal managers in the stores of the actor's workload groups, with their customers."""
    stores = workload_groups(actor).values("store_id")
    rows = (
        CustomerManager.objects.filter(store_id__in=stores, customer__merged_into__isnull=True)
        .select_related("user", "customer", "store")
        .order_by("user__name", "user_id", "customer__display_name", "customer_id")
    )
    result: dict[int, KeyClients] = {}
    for row in rows:
        entry = result.setdefault(row.user_id, KeyClients(manager=row.user, count=0))
        entry.count += 1
        if len(entry.customers) < KEY_CLIENTS_SHOWN:
            entry.customers.append((row.customer, row.store))
    return list(result.values())


@dataclass
class StoreManager:
    store: Store
    manager: User | None
    can_edit: bool
    # Whom the actor may choose from (empty when they may not edit).
    choices: list[User] = field(default_factory=list)


def customer_managers(actor: User, customer: Customer) -> list[StoreManager]:
    """Per store the actor works in: the customer's personal manager, and whether (and to
    whom) the actor may change it. Stores with no manager that the actor may not edit are left
    out. ``customer`` must come from a permission-checked fetch."""
    current = {
        m.store_id: m.user
        for m in CustomerManager.objects.filter(customer=customer).select_related("user")
    }
    result = []
    for store in visible_stores(actor).order_by("name"):
        can_edit = can_set_manager(actor, store)
        if not can_edit and store.pk not in current:
            continue
        result.append(
            StoreManager(
                store=store,
                manager=current.get(store.pk),
                can_edit=can_edit,
                choices=list(store_staff(store)) if can_edit else [],
            )
        )
    return result
