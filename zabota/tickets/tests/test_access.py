"""Who sees which ticket, per role. Invisible objects are missing (404), never forbidden."""

import pytest

from zabota.tickets import access, actions
from zabota.tickets.error_codes import TicketError, TicketErrorCode


def visible_numbers(user):
    return set(access.visible_tickets(user).values_list("number", flat=True))


def test_admin_sees_everything(world):
    assert visible_numbers(world.ada) == {world.maria_ticket.number, world.ivan_ticket.number}


def test_lead_sees_all_tickets_of_led_groups(world):
    """Lena leads both groups and so sees unassigned Returns tickets that Piotr may not."""
    assert visible_numbers(world.lena) == {world.maria_ticket.number, world.ivan_ticket.number}


def test_agent_sees_unassigned_only_where_group_allows(world):
    # Support lets members see unassigned tickets; Returns does not.
    assert visible_numbers(world.anna) == {world.maria_ticket.number}
    assert visible_numbers(world.piotr) == set()


def test_agent_sees_group_ticket_once_assigned(world):
    # when the lead assigns Ivan's ticket to Piotr
    actions.check_assign(
        world.ivan_ticket, assignee=world.piotr, group=world.returns, actor=world.lena
    )
    # then Piotr sees it, Anna (other group) still does not
    assert visible_numbers(world.piotr) == {world.ivan_ticket.number}
    assert world.ivan_ticket.number not in visible_numbers(world.anna)


def test_access_by_id_reports_not_found(world):
    with pytest.raises(TicketError) as exc:
        access.access_ticket_by_id(world.anna, world.ivan_ticket.pk)
    assert exc.value.code == TicketErrorCode.NOT_FOUND
    assert access.access_ticket_by_id(world.anna, world.maria_ticket.pk) == world.maria_ticket


def test_ticket_without_group_is_triage_for_leads(world):
    """A ticket nobody routed yet is seen by admins and the store's leads, not by agents."""
    world.store.default_group = None
    world.store.save()
    orphan = actions.do_create_ticket(
        store=world.store, customer=world.maria, subject="Hello", body_text="?", actor=None
    )
    assert orphan.group is None
    assert orphan.number in visible_numbers(world.lena)
    assert orphan.number in visible_numbers(world.ada)
    assert orphan.number not in visible_numbers(world.anna)


def test_agent_assigns_only_within_own_groups(world):
    """Anna may take Support tickets but cannot move one into Returns."""
    with pytest.raises(TicketError) as exc:
        actions.check_assign(
            world.maria_ticket, assignee=None, group=world.returns, actor=world.anna
        )
    assert exc.value.code == TicketErrorCode.ASSIGN_NOT_ALLOWED
    ticket = actions.check_assign(
        world.maria_ticket, assignee=world.anna, group=None, actor=world.anna
    )
    assert ticket.assignee == world.anna


def test_customer_visibility_follows_tickets(world):
    from zabota.customers.access import visible_customers

    assert set(visible_customers(world.anna)) == {world.maria}
    assert set(visible_customers(world.lena)) == {world.maria, world.ivan}
