"""Routing settings in the agent UI: a group's strategy, an agent's capacity and languages, a
customer's personal manager — per role, with the drain a change sets off."""

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse

from zabota.commerce.models import Store
from zabota.routing.access import can_change_routing, can_edit_agent_profile, can_set_manager
from zabota.routing.actions import (
    check_set_agent_profile,
    check_set_customer_manager,
    check_set_strategy,
    do_set_availability,
    parse_languages,
)
from zabota.routing.constants import Availability, Strategy
from zabota.routing.error_codes import RoutingError, RoutingErrorCode
from zabota.routing.models import CustomerManager, GroupRouting
from zabota.routing.queries import customer_managers, key_clients
from zabota.routing.tests.conftest import new_ticket


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _htmx(user) -> Client:
    client = _client(user)
    client.defaults["HTTP_HX_REQUEST"] = "true"
    return client


# --- strategy ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "allowed"), [("ada", True), ("lena", True), ("anna", False), ("piotr", False)]
)
def test_who_changes_a_groups_strategy(world, actor, allowed):
    """The group's lead and admins; agents not."""
    assert can_change_routing(getattr(world, actor), world.support) is allowed


def test_a_lead_may_not_change_a_group_led_by_someone_else(world, desk):
    # given: Desk is led by Piotr (made a lead)
    world.piotr.role = "lead"
    world.piotr.save(update_fields=["role"])
    desk.group.lead = world.piotr
    desk.group.save(update_fields=["lead"])

    # when
    response = _client(world.lena).post(
        reverse("web:group_strategy", args=[desk.group.pk]), {"strategy": "manual"}
    )

    # then
    assert response.status_code == 403
    desk.routing.refresh_from_db()
    assert desk.routing.strategy == Strategy.ROUND_ROBIN


def test_agent_gets_403_on_strategy(world):
    response = _client(world.anna).post(
        reverse("web:group_strategy", args=[world.support.pk]), {"strategy": "least_loaded"}
    )
    assert response.status_code == 403
    assert not GroupRouting.objects.filter(group=world.support).exists()


def test_switching_to_automatic_routing_assigns_the_queue_at_once(
    world, django_capture_on_commit_callbacks
):
    """Lena switches Support from manual to least loaded: Maria's waiting ticket goes to
    Anna, who is online, in the same request; the change is in the admin's history."""
    # given
    do_set_availability(world.anna, status=Availability.ONLINE, actor=world.anna)
    assert world.maria_ticket.assignee is None

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = _htmx(world.lena).post(
            reverse("web:group_strategy", args=[world.support.pk]), {"strategy": "least_loaded"}
        )

    # then
    assert response.status_code == 200
    assert GroupRouting.objects.get(group=world.support).strategy == Strategy.LEAST_LOADED
    world.maria_ticket.refresh_from_db()
    assert world.maria_ticket.assignee == world.anna
    html = response.content.decode()
    assert 'data-queued="0"' in html
    assert '<option value="least_loaded" selected>' in html
    assert LogEntry.objects.filter(
        user=world.lena, change_message__contains="least_loaded"
    ).exists()


def test_unknown_strategy_is_refused(world):
    with pytest.raises(RoutingError) as exc:
        check_set_strategy(world.support, strategy="random", actor=world.ada)
    assert exc.value.code == RoutingErrorCode.INVALID_STRATEGY
    response = _client(world.ada).post(
        reverse("web:group_strategy", args=[world.support.pk]), {"strategy": "random"}
    )
    assert response.status_code == 400
    assert not GroupRouting.objects.filter(group=world.support).exists()


# --- capacity and languages ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "agent", "allowed"),
    [
        ("ada", "piotr", True),  # an admin, anyone
        ("lena", "anna", True),  # a lead, a member of a group they lead
        ("anna", "anna", False),  # agents do not set their own capacity
        ("anna", "piotr", False),
    ],
)
def test_who_edits_an_agents_profile(world, actor, agent, allowed):
    assert can_edit_agent_profile(getattr(world, actor), getattr(world, agent)) is allowed


def test_a_lead_may_not_edit_someone_outside_their_groups(world, desk):
    # given: Olga is in Desk, led by Ada instead of Lena
    desk.group.lead = world.ada
    desk.group.save(update_fields=["lead"])

    # when
    response = _client(world.lena).post(
        reverse("web:agent_profile", args=[desk.olga.pk]), {"capacity": "9", "languages": ""}
    )

    # then
    assert response.status_code == 403
    desk.olga.refresh_from_db()
    assert desk.olga.capacity == 2


def test_agent_gets_403_on_profile(world):
    response = _client(world.anna).post(
        reverse("web:agent_profile", args=[world.anna.pk]), {"capacity": "50", "languages": ""}
    )
    assert response.status_code == 403
    world.anna.refresh_from_db()
    assert world.anna.capacity == 5


def test_raising_capacity_assigns_waiting_tickets(world, desk, django_capture_on_commit_callbacks):
    """Desk's three agents are full (2 each); two more tickets wait. Lena raises Olga's
    capacity to 4 and both go to her at once."""
    # given
    for agent in (desk.boris, desk.vera):
        do_set_availability(agent, status=Availability.AWAY, actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        tickets = [new_ticket(world, desk.group, subject=f"Q{i}") for i in range(4)]
    for t in tickets:
        t.refresh_from_db()
    assert [t.assignee for t in tickets] == [desk.olga, desk.olga, None, None]

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = _htmx(world.lena).post(
            reverse("web:agent_profile", args=[desk.olga.pk]),
            {"capacity": "4", "languages": "EN, ru"},
        )

    # then
    assert response.status_code == 200
    desk.olga.refresh_from_db()
    assert (desk.olga.capacity, desk.olga.languages) == (4, ["en", "ru"])
    for t in tickets:
        t.refresh_from_db()
    assert [t.assignee for t in tickets] == [desk.olga] * 4
    assert 'data-load="4/4"' in response.content.decode()


@pytest.mark.parametrize(
    ("capacity", "languages", "code"),
    [
        ("-1", "", RoutingErrorCode.INVALID_CAPACITY),
        ("101", "", RoutingErrorCode.INVALID_CAPACITY),
        ("many", "", RoutingErrorCode.INVALID_CAPACITY),
        ("3", "english", RoutingErrorCode.INVALID_LANGUAGE),
        ("3", "e", RoutingErrorCode.INVALID_LANGUAGE),
        ("3", "en-US", RoutingErrorCode.INVALID_LANGUAGE),
    ],
)
def test_invalid_profile_is_refused(world, capacity, languages, code):
    """Capacity 0..100, languages 2–3 letter codes; nothing is saved otherwise."""
    with pytest.raises(RoutingError) as exc:
        check_set_agent_profile(world.anna, capacity=capacity, languages=languages, actor=world.ada)
    assert exc.value.code == code
    world.anna.refresh_from_db()
    assert (world.anna.capacity, world.anna.languages) == (5, ["en"])


def test_invalid_profile_shows_the_error_in_the_htmx_answer(world):
    """htmx only swaps 2xx: the refusal comes back as 200 with the message in the row."""
    response = _htmx(world.lena).post(
        reverse("web:agent_profile", args=[world.anna.pk]),
        {"capacity": "3", "languages": "english"},
    )
    assert response.status_code == 200
    assert "is not a language code" in response.content.decode()
    world.anna.refresh_from_db()
    assert world.anna.capacity == 5


def test_languages_are_normalised():
    assert parse_languages(" EN, ru ru,yue ") == ["en", "ru", "yue"]
    assert parse_languages("") == []


# --- personal managers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "allowed"), [("ada", True), ("lena", True), ("anna", False), ("piotr", False)]
)
def test_who_sets_personal_managers(world, actor, allowed):
    assert can_set_manager(getattr(world, actor), world.store) is allowed


def test_lead_sets_changes_and_removes_a_manager(world):
    """Lena makes Anna Maria's manager, then Piotr, then none; each change is audited."""
    url = reverse("web:customer_managers", args=[world.maria.pk])
    client = _htmx(world.lena)

    # when / then: set
    response = client.post(url, {"store": world.store.pk, "manager": world.anna.pk})
    assert response.status_code == 200
    assert CustomerManager.objects.get(customer=world.maria, store=world.store).user == world.anna
    assert f'<option value="{world.anna.pk}" selected>' in response.content.decode()

    # when / then: change
    client.post(url, {"store": world.store.pk, "manager": world.piotr.pk})
    assert CustomerManager.objects.get(customer=world.maria).user == world.piotr

    # when / then: remove
    response = client.post(url, {"store": world.store.pk, "manager": ""})
    assert response.status_code == 200
    assert not CustomerManager.objects.filter(customer=world.maria).exists()
    assert LogEntry.objects.filter(user=world.lena).count() == 3


def test_agent_sees_the_manager_read_only_and_may_not_set_it(world):
    """Anna (who sees Maria through her ticket) sees Maria's manager without a select;
    her POST gets 403."""
    # given
    CustomerManager.objects.create(customer=world.maria, store=world.store, user=world.lena)
    url = reverse("web:customer_managers", args=[world.maria.pk])

    # when
    page = _client(world.anna).get(url)
    post = _client(world.anna).post(url, {"store": world.store.pk, "manager": world.anna.pk})

    # then
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-manager="lena@example.com"' in html
    assert "<select" not in html
    assert post.status_code == 403
    assert CustomerManager.objects.get(customer=world.maria).user == world.lena


def test_manager_must_work_in_the_store(world):
    """Only the store's leads and group members can be managers."""
    # given: another store and its agent
    from zabota.accounts.models import Group
    from zabota.conftest import make_user

    other = Store.objects.create(name="Other", slug="other", email="help@other.example")
    outsider = make_user("oleg@example.com", "Oleg Other")
    Group.objects.create(store=other, name="Desk").members.add(outsider)

    # when
    with pytest.raises(RoutingError) as exc:
        check_set_customer_manager(
            world.maria, world.store, manager_id=outsider.pk, actor=world.ada
        )

    # then
    assert exc.value.code == RoutingErrorCode.INVALID_MANAGER
    assert not CustomerManager.objects.exists()
    response = _client(world.ada).post(
        reverse("web:customer_managers", args=[world.maria.pk]),
        {"store": world.store.pk, "manager": outsider.pk},
    )
    assert response.status_code == 400


def test_manager_card_lists_the_stores_the_actor_may_edit(world):
    rows = customer_managers(world.lena, world.maria)
    assert [(r.store, r.manager, r.can_edit) for r in rows] == [(world.store, None, True)]
    assert set(rows[0].choices) == {world.lena, world.anna, world.piotr}
    assert customer_managers(world.anna, world.maria) == []


def test_workload_lists_each_managers_key_clients(world):
    """Lena sees Anna with her two key clients, linked to their pages."""
    # given
    for customer in (world.maria, world.ivan):
        CustomerManager.objects.create(customer=customer, store=world.store, user=world.anna)

    # when
    entries = key_clients(world.lena)
    html = _client(world.lena).get(reverse("web:workload")).content.decode()

    # then
    assert [(e.manager, e.count) for e in entries] == [(world.anna, 2)]
    assert 'data-key-clients="2"' in html
    assert reverse("web:customer", args=[world.ivan.pk]) in html
