"""A routed group "Desk" in the demo store: agents Olga, Boris and Vera (capacity 2, online)."""

from dataclasses import dataclass

import pytest

from zabota.accounts.models import Group, User
from zabota.conftest import make_user
from zabota.routing.actions import do_set_availability
from zabota.routing.constants import Availability, Strategy
from zabota.routing.models import GroupRouting
from zabota.tickets.actions import do_create_ticket
from zabota.tickets.models import Ticket


@dataclass
class Desk:
    group: Group
    routing: GroupRouting
    olga: User
    boris: User
    vera: User

    @property
    def agents(self) -> list[User]:
        return [self.olga, self.boris, self.vera]


@pytest.fixture
def desk(world) -> Desk:
    group = Group.objects.create(store=world.store, name="Desk", lead=world.lena)
    agents = []
    for email, name in [
        ("olga@example.com", "Olga Orlova"),
        ("boris@example.com", "Boris Brown"),
        ("vera@example.com", "Vera Vance"),
    ]:
        agent = make_user(email, name)
        agent.capacity = 2
        agent.languages = []
        agent.save(update_fields=["capacity", "languages"])
        group.members.add(agent)
        do_set_availability(agent, status=Availability.ONLINE, actor=agent)
        agents.append(agent)
    routing = GroupRouting.objects.create(group=group, strategy=Strategy.ROUND_ROBIN)
    return Desk(group, routing, *agents)


def new_ticket(world, group: Group, *, customer=None, subject="Help", **fields) -> Ticket:
    """A customer's new ticket in ``group``, opened through the real action."""
    return do_create_ticket(
        store=world.store,
        customer=customer or world.maria,
        subject=subject,
        body_text=f"{subject}, please.",
        group=group,
        actor=None,
        **fields,
    )
