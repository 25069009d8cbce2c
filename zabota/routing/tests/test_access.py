"""Who sees the workload and who changes whose availability, per role."""

import pytest

from zabota.routing.access import (
    access_agent_for_availability,
    can_change_availability,
    check_workload_access,
    workload_groups,
)
from zabota.routing.actions import availability_of, check_set_availability
from zabota.routing.constants import Availability
from zabota.routing.error_codes import RoutingError, RoutingErrorCode
from zabota.routing.queries import workload


def test_admin_sees_every_groups_workload(world, desk):
    """Admins see all groups."""
    # when
    names = [row.group.name for row in workload(world.ada)]

    # then
    assert names == ["Desk", "Returns", "Support"]


def test_lead_sees_the_groups_they_lead(world, desk):
    """A lead sees the groups they lead, with each member's status and load."""
    # given: Desk is led by Piotr instead of Lena
    desk.group.lead = world.piotr
    desk.group.save()

    # when
    rows = workload(world.lena)

    # then
    assert [row.group.name for row in rows] == ["Returns", "Support"]
    assert [(a.agent.name, a.status, a.open_tickets) for a in rows[1].agents] == [
        ("Anna Agent", Availability.OFFLINE, 0)
    ]


def test_workload_counts_and_queue(world, desk):
    """The workload shows active tickets against capacity and the group's waiting tickets."""
    # given: Support's Maria ticket waits; Anna takes Ivan's
    from zabota.tickets.actions import do_assign

    do_assign(world.ivan_ticket, assignee=world.anna, group=world.support, actor=world.lena)

    # when
    support = next(row for row in workload(world.ada) if row.group == world.support)

    # then
    assert support.queued == 1  # Maria's ticket
    assert [(a.agent, a.open_tickets, a.capacity) for a in support.agents] == [
        (world.anna, 1, world.anna.capacity)
    ]


def test_agent_may_not_see_the_workload(world):
    """Agents get a refusal, not an empty list."""
    with pytest.raises(RoutingError) as exc:
        check_workload_access(world.anna)
    assert exc.value.code == RoutingErrorCode.WORKLOAD_NOT_ALLOWED
    with pytest.raises(RoutingError):
        workload_groups(world.anna)


@pytest.mark.parametrize(
    ("actor", "agent", "allowed"),
    [
        ("anna", "anna", True),  # oneself
        ("anna", "piotr", False),  # another agent
        ("lena", "anna", True),  # a lead, for a member of a group they lead
        ("ada", "piotr", True),  # an admin, for anyone
    ],
)
def test_who_changes_availability(world, actor, agent, allowed):
    """Agents change their own availability, leads their members', admins anyone's."""
    # given
    actor, agent = getattr(world, actor), getattr(world, agent)

    # then
    assert can_change_availability(actor, agent) is allowed
    if allowed:
        assert access_agent_for_availability(actor, agent.pk) == agent
        check_set_availability(agent, status=Availability.AWAY, actor=actor)
        assert availability_of(agent) == Availability.AWAY
    else:
        with pytest.raises(RoutingError):
            access_agent_for_availability(actor, agent.pk)
        with pytest.raises(RoutingError):
            check_set_availability(agent, status=Availability.AWAY, actor=actor)
        assert availability_of(agent) == Availability.OFFLINE


def test_lead_may_not_change_an_outsiders_availability(world, desk):
    """A lead's reach ends at the groups they lead."""
    # given: Olga is in Desk, which Piotr now leads
    desk.group.lead = world.piotr
    desk.group.save()

    # then
    assert not can_change_availability(world.lena, desk.olga)


def test_unknown_availability_is_refused(world):
    with pytest.raises(RoutingError) as exc:
        check_set_availability(world.anna, status="asleep", actor=world.anna)
    assert exc.value.code == RoutingErrorCode.INVALID_AVAILABILITY
