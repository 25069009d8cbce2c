"""Full-text search works on both databases: SQLite FTS5 and PostgreSQL GIN."""

from zabota.customers.actions import do_create_customer
from zabota.tickets import actions, search


def test_finds_by_subject_and_message_words_with_prefixes(world):
    actions.do_add_customer_message(
        world.ivan_ticket, body_text="Куртка слишком маленькая, хочу обмен"
    )
    # then: a Cyrillic word prefix in a message, a subject word
    assert list(search.search_tickets(world.ada, "куртк")) == [world.ivan_ticket]
    assert list(search.search_tickets(world.ada, "parcel")) == [world.maria_ticket]
    assert list(search.search_tickets(world.ada, "parcel jacket")) == []


def test_search_respects_visibility(world):
    assert list(search.search_tickets(world.anna, "jacket")) == []
    assert list(search.search_tickets(world.lena, "jacket")) == [world.ivan_ticket]


def test_finds_ticket_by_number(world):
    assert list(search.search_tickets(world.ada, f"#{world.ivan_ticket.number}")) == [
        world.ivan_ticket
    ]


def test_merged_messages_are_found_in_the_survivor(world):
    dup = actions.do_create_ticket(
        store=world.store,
        customer=world.maria,
        subject="Again",
        body_text="Przesyłka zaginęła",
        actor=None,
    )
    actions.do_merge_tickets(dup, world.maria_ticket, actor=world.lena)
    found = list(search.search_tickets(world.ada, "przesyłka"))
    assert world.maria_ticket in found


def test_customer_search_by_name_and_email(world):
    kovacs = do_create_customer(
        first_name="Anna",
        last_name="Kovács",
        display_name="Kovács Anna",
        identities=[("email", "kovacs.anna@example.hu")],
        actor=None,
    )
    assert list(search.search_customers(world.ada, "kovács")) == [kovacs]
    assert list(search.search_customers(world.ada, "kovacs.anna@")) == [kovacs]
    assert list(search.search_customers(world.ada, "kowalska")) == [world.maria]


def test_finds_numbers_written_after_a_hyphen(world):
    """Order numbers like BW-1000703 and dates are found by their digits on both databases."""
    actions.do_add_customer_message(world.ivan_ticket, body_text="Order BW-1000703 from 2026-11-02")
    assert list(search.search_tickets(world.ada, "1000703")) == [world.ivan_ticket]
    assert list(search.search_tickets(world.ada, "bw 1000703")) == [world.ivan_ticket]
