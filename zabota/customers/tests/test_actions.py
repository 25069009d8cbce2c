import pytest

from zabota.core.models import OutboxEvent
from zabota.customers import actions
from zabota.customers.error_codes import CustomerError, CustomerErrorCode
from zabota.customers.models import CustomerEvent, Identity
from zabota.customers.normalize import InvalidIdentity, normalize_email, normalize_phone
from zabota.tickets.models import TicketEvent


def test_normalisation():
    assert normalize_email("  Maria.K@Example.PL ") == "maria.k@example.pl"
    assert normalize_phone("+48 601-234-567") == "+48601234567"
    assert normalize_phone("0048 601 234 567") == "+48601234567"
    assert normalize_phone("06 20 123 4567", region="HU") == "+36201234567"
    assert normalize_phone("8 (912) 345-67-89", region="RU") == "+79123456789"
    with pytest.raises(InvalidIdentity):
        normalize_phone("12345")
    with pytest.raises(InvalidIdentity):
        normalize_phone("601 234 567")  # no country: refuse rather than guess
    with pytest.raises(InvalidIdentity):
        normalize_email("not-an-address")


def test_identity_is_found_case_insensitively(world):
    """The same address in other case is the same customer, not a new one."""
    customer, created = actions.get_or_create_customer_by_identity(
        "email", "MARIA@Example.PL", actor=None
    )
    assert (customer, created) == (world.maria, False)


def test_identity_unique_across_customers(world):
    with pytest.raises(CustomerError) as exc:
        actions.check_create_customer(
            first_name="M", identities=[("email", "maria@example.pl")], actor=world.ada
        )
    assert exc.value.code == CustomerErrorCode.IDENTITY_TAKEN
    with pytest.raises(CustomerError) as exc:
        actions.check_add_identity(
            world.ivan, kind="email", value="Maria@example.pl", actor=world.ada
        )
    assert exc.value.code == CustomerErrorCode.IDENTITY_TAKEN


def test_merge_moves_identities_tickets_and_records_audit(world):
    """Merging a duplicate moves its identities and tickets; both sides get an audit row."""
    # given a duplicate of Maria writing from her phone
    dup = actions.check_create_customer(
        display_name="Maria K.", identities=[("phone", "+48 601 234 567")], actor=world.lena
    )
    from zabota.tickets.actions import do_create_ticket

    dup_ticket = do_create_ticket(
        store=world.store, customer=dup, subject="Call me", body_text="Pls", actor=None
    )
    # when
    actions.check_merge_customers(dup, world.maria, actor=world.lena)
    # then
    dup.refresh_from_db()
    dup_ticket.refresh_from_db()
    assert dup.merged_into == world.maria
    assert dup_ticket.customer == world.maria
    assert Identity.objects.get(kind="phone").customer == world.maria
    assert TicketEvent.objects.filter(ticket=dup_ticket, kind="customer").exists()
    assert CustomerEvent.objects.filter(customer=world.maria, kind="merged_in").exists()
    assert OutboxEvent.objects.filter(type="customer.merged", payload__customer_id=dup.pk).exists()
    # and the merged customer's identity leads to the survivor
    found, _ = actions.get_or_create_customer_by_identity("phone", "+48601234567", actor=None)
    assert found == world.maria


def test_merge_hooks_run_for_later_domains(world):
    calls = []

    def move_orders(source, target, actor):
        calls.append((source.pk, target.pk))

    actions.on_customer_merge(move_orders)
    try:
        actions.check_merge_customers(world.ivan, world.maria, actor=world.ada)
    finally:
        actions._merge_hooks.remove(move_orders)
    assert calls == [(world.ivan.pk, world.maria.pk)]


def test_only_leads_and_admins_merge(world):
    with pytest.raises(CustomerError) as exc:
        actions.check_merge_customers(world.ivan, world.maria, actor=world.anna)
    assert exc.value.code == CustomerErrorCode.PERMISSION_DENIED
    with pytest.raises(CustomerError) as exc:
        actions.check_merge_customers(world.maria, world.maria, actor=world.ada)
    assert exc.value.code == CustomerErrorCode.MERGE_SELF
