"""Routing assigns new tickets to online agents with room, keeps a queue when nobody has room,
and works it off, oldest first, as capacity frees up."""

import pytest
from django.db.models import Count

from zabota.customers.actions import do_create_customer
from zabota.routing.actions import do_drain_queue, do_set_availability, drain_all
from zabota.routing.constants import Availability, Strategy
from zabota.routing.models import CustomerManager
from zabota.routing.tests.conftest import new_ticket
from zabota.tickets.actions import do_assign, do_change_status
from zabota.tickets.constants import EventKind, Status
from zabota.tickets.models import Ticket, TicketEvent


@pytest.fixture
def run_events(django_capture_on_commit_callbacks):
    """Commit callbacks (event dispatch, so the listeners) run at the end of the block."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def loads(desk) -> dict[str, int]:
    rows = (
        Ticket.objects.filter(group=desk.group, assignee__isnull=False)
        .values("assignee__name")
        .annotate(n=Count("pk"))
    )
    return {row["assignee__name"]: row["n"] for row in rows}


def queued(desk) -> list[int]:
    return list(
        Ticket.objects.filter(group=desk.group, assignee__isnull=True)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )


def test_ten_tickets_for_three_agents_of_capacity_two(world, desk, run_events):
    """Six tickets are assigned, two per agent; four wait unassigned in the group."""
    # given: Olga, Boris and Vera online with capacity 2
    # when: ten tickets arrive
    with run_events():
        tickets = [new_ticket(world, desk.group, subject=f"Q{i}") for i in range(10)]

    # then
    assert loads(desk) == {"Olga Orlova": 2, "Boris Brown": 2, "Vera Vance": 2}
    assert queued(desk) == [t.pk for t in tickets[6:]]
    # and: the assignments are on the timeline as routing's, without a human actor
    rows = TicketEvent.objects.filter(ticket__group=desk.group, kind=EventKind.ASSIGNED)
    assert rows.count() == 6
    assert set(rows.values_list("actor_label", "actor")) == {("routing", None)}
    assert Ticket.objects.get(pk=tickets[0].pk).status == Status.OPEN


def test_solving_a_ticket_assigns_the_oldest_queued_one(world, desk, run_events):
    """When an agent's ticket is solved or closed, their free slot takes the oldest queued."""
    # given: the six slots are taken and four tickets wait
    with run_events():
        tickets = [new_ticket(world, desk.group, subject=f"Q{i}") for i in range(10)]
    olgas = Ticket.objects.filter(assignee=desk.olga).order_by("pk")
    first = olgas[0]

    # when: one of Olga's tickets is solved, and one of Boris's closed
    with run_events():
        do_change_status(first, status=Status.SOLVED, actor=None)
        do_change_status(
            Ticket.objects.filter(assignee=desk.boris).first(), status=Status.CLOSED, actor=None
        )

    # then: the two oldest queued tickets went to Olga and Boris
    assert Ticket.objects.get(pk=tickets[6].pk).assignee == desk.olga
    assert Ticket.objects.get(pk=tickets[7].pk).assignee == desk.boris
    assert queued(desk) == [tickets[8].pk, tickets[9].pk]


def test_an_away_agent_gets_no_tickets(world, desk, run_events):
    """Away (or offline) agents keep their tickets but get no new ones."""
    # given
    do_set_availability(desk.boris, status=Availability.AWAY, actor=desk.boris)

    # when
    with run_events():
        for i in range(5):
            new_ticket(world, desk.group, subject=f"Q{i}")

    # then
    assert loads(desk) == {"Olga Orlova": 2, "Vera Vance": 2}
    assert len(queued(desk)) == 1


def test_coming_online_takes_queued_tickets(world, desk, run_events):
    """An agent coming back online drains the queues of their groups."""
    # given: everybody away, two tickets queued
    for agent in desk.agents:
        do_set_availability(agent, status=Availability.AWAY, actor=agent)
    with run_events():
        tickets = [new_ticket(world, desk.group, subject=f"Q{i}") for i in range(2)]
    assert queued(desk) == [t.pk for t in tickets]

    # when
    with run_events():
        do_set_availability(desk.vera, status=Availability.ONLINE, actor=desk.vera)

    # then
    assert loads(desk) == {"Vera Vance": 2}
    assert queued(desk) == []


def test_round_robin_takes_turns_in_order(world, desk, run_events):
    """Round robin serves the members in turn, continuing after the last one served."""
    # given: Boris was served last
    desk.routing.last_assigned = desk.boris
    desk.routing.save()

    # when
    with run_events():
        tickets = [new_ticket(world, desk.group, subject=f"Q{i}") for i in range(4)]

    # then
    assignees = [Ticket.objects.get(pk=t.pk).assignee for t in tickets]
    assert assignees == [desk.vera, desk.olga, desk.boris, desk.vera]
    desk.routing.refresh_from_db()
    assert desk.routing.last_assigned == desk.vera


def test_least_loaded_gives_to_the_agent_with_fewest_tickets(world, desk, run_events):
    """Least loaded counts every active ticket of the agent; ties go to the earliest agent."""
    # given: Olga and Boris have a ticket each in another group, Vera none
    desk.routing.strategy = Strategy.LEAST_LOADED
    desk.routing.save()
    for agent, count in [(desk.olga, 1), (desk.boris, 1)]:
        for _ in range(count):
            do_assign(
                new_ticket(world, world.support),
                assignee=agent,
                group=world.support,
                actor=world.lena,
            )

    # when
    with run_events():
        tickets = [new_ticket(world, desk.group, subject=f"Q{i}") for i in range(3)]

    # then: Vera (0), then the tie 1-1-1 goes to Olga, then Boris
    assignees = [Ticket.objects.get(pk=t.pk).assignee for t in tickets]
    assert assignees == [desk.vera, desk.olga, desk.boris]


def test_personal_manager_gets_the_customers_tickets(world, desk, run_events):
    """The customer's personal manager wins over the strategy while online with room, and does
    not move the round robin."""
    # given: Vera is Maria's manager; round robin would pick Olga
    CustomerManager.objects.create(customer=world.maria, store=world.store, user=desk.vera)

    # when
    with run_events():
        first = new_ticket(world, desk.group)
        second = new_ticket(world, desk.group, customer=world.ivan)

    # then
    assert Ticket.objects.get(pk=first.pk).assignee == desk.vera
    assert Ticket.objects.get(pk=second.pk).assignee == desk.olga


def test_personal_manager_away_or_full_falls_back_to_the_strategy(world, desk, run_events):
    """An away or full manager does not hold the customer's tickets back."""
    # given: Vera, Maria's manager, is away
    CustomerManager.objects.create(customer=world.maria, store=world.store, user=desk.vera)
    do_set_availability(desk.vera, status=Availability.AWAY, actor=desk.vera)

    # when
    with run_events():
        away = new_ticket(world, desk.group)

    # then
    assert Ticket.objects.get(pk=away.pk).assignee == desk.olga

    # given: Vera back online but full
    do_set_availability(desk.vera, status=Availability.ONLINE, actor=desk.vera)
    with run_events():
        for _ in range(2):
            new_ticket(world, desk.group)
    assert Ticket.objects.filter(assignee=desk.vera).count() == 2

    # when
    with run_events():
        full = new_ticket(world, desk.group)

    # then
    assert Ticket.objects.get(pk=full.pk).assignee == desk.boris


def test_language_is_a_skill(world, desk, run_events):
    """An agent who lists languages only gets tickets in one of them."""
    # given: Olga and Boris speak only Russian; a Polish customer writes
    for agent in (desk.olga, desk.boris):
        agent.languages = ["ru"]
        agent.save(update_fields=["languages"])
    polish = do_create_customer(
        first_name="Ola", language="pl", identities=[("email", "ola@example.pl")], actor=None
    )

    # when
    with run_events():
        ticket = new_ticket(world, desk.group, customer=polish)

    # then: Vera, who listed no languages, takes it
    assert Ticket.objects.get(pk=ticket.pk).assignee == desk.vera


def test_manual_groups_and_assigned_tickets_are_left_alone(world, desk, run_events):
    """Routing only touches unassigned tickets of groups with an automatic strategy."""
    # given
    desk.routing.strategy = Strategy.MANUAL
    desk.routing.save()

    # when
    with run_events():
        manual = new_ticket(world, desk.group)
        support = new_ticket(world, world.support)

    # then
    assert Ticket.objects.get(pk=manual.pk).assignee is None
    assert Ticket.objects.get(pk=support.pk).assignee is None
    assert do_drain_queue(desk.group) == 0


def test_periodic_drain_assigns_what_events_missed(world, desk, django_assert_max_num_queries):
    """The housekeeping drain assigns queued tickets whose event never ran; a second run
    changes nothing."""
    # given: three tickets created without their events being dispatched
    tickets = [new_ticket(world, desk.group, subject=f"Q{i}") for i in range(3)]
    assert len(queued(desk)) == 3

    # when
    with django_assert_max_num_queries(60):
        assigned = drain_all()

    # then
    assert assigned == 3
    assert {Ticket.objects.get(pk=t.pk).assignee for t in tickets} == set(desk.agents)
    assert drain_all() == 0


def test_manager_outside_the_group_frees_a_slot_for_the_customers_queued_ticket(
    world, desk, run_events
):
    """A personal manager from another group who solves a ticket takes the customer's next one
    waiting in the routed group."""
    # given: Anna (Support, capacity 1) manages Maria; Desk's agents are full
    world.anna.capacity = 1
    world.anna.save(update_fields=["capacity"])
    do_set_availability(world.anna, status=Availability.ONLINE, actor=world.anna)
    CustomerManager.objects.create(customer=world.maria, store=world.store, user=world.anna)
    with run_events():
        for i in range(6):
            new_ticket(world, desk.group, customer=world.ivan, subject=f"Q{i}")
        first = new_ticket(world, desk.group)
        second = new_ticket(world, desk.group)
    assert Ticket.objects.get(pk=first.pk).assignee == world.anna
    assert queued(desk) == [second.pk]

    # when
    with run_events():
        do_change_status(Ticket.objects.get(pk=first.pk), status=Status.SOLVED, actor=None)

    # then
    assert Ticket.objects.get(pk=second.pk).assignee == world.anna
    assert queued(desk) == []
