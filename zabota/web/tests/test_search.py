"""The search page: tickets by subject and message words in any language, ticket numbers,
customers by name and identity, highlighted terms, and only what the agent may see."""

from django.test import Client
from django.urls import reverse

from zabota.customers.actions import do_create_customer
from zabota.tickets.actions import do_add_customer_message, do_create_ticket
from zabota.web.templatetags.web_ui import highlight


def _search(user, query: str):
    client = Client()
    client.force_login(user)
    return client.get(reverse("web:search"), {"q": query})


def _ticket_ids(response) -> list[int]:
    return [ticket.pk for ticket in response.context["tickets"]]


def test_cyrillic_words_in_messages_are_found_and_highlighted(world):
    """A Russian word prefix from a later message finds the ticket and is marked in the text."""
    # given
    olga = do_create_customer(
        first_name="Ольга", last_name="Смирнова", identities=[], language="ru", actor=None
    )
    ticket = do_create_ticket(
        store=world.store,
        customer=olga,
        subject="Посылка повреждена",
        body_text="Коробка была смята.",
        actor=None,
    )
    do_add_customer_message(ticket, body_text="Ваза внутри разбита, прошу замену.")
    # when
    by_message = _search(world.anna, "разбит")
    by_subject = _search(world.anna, "ПОСЫЛКА")
    # then
    assert _ticket_ids(by_message) == [ticket.pk]
    assert _ticket_ids(by_subject) == [ticket.pk]
    assert "<mark>Посылка</mark> повреждена" in by_subject.content.decode()


def test_polish_words_with_diacritics_are_found(world):
    """Polish words with ą, ę, ł, ż match in subjects and messages."""
    # given
    ticket = do_create_ticket(
        store=world.store,
        customer=world.maria,
        subject="Uszkodzona przesyłka",
        body_text="Dwie donice pękły, zdjęcia w załączniku.",
        actor=None,
    )
    # when
    by_subject = _search(world.anna, "przesyłka")
    by_message = _search(world.anna, "załącznik")
    both_words = _search(world.anna, "pękły zdjęcia")
    # then
    assert _ticket_ids(by_subject) == [ticket.pk]
    assert _ticket_ids(by_message) == [ticket.pk]
    assert _ticket_ids(both_words) == [ticket.pk]
    assert "<mark>przesyłka</mark>" in by_subject.content.decode()


def test_ticket_number_with_or_without_hash(world):
    """ "#1002" and "1002" both find ticket 1002."""
    # when
    with_hash = _search(world.lena, f"#{world.ivan_ticket.number}")
    bare = _search(world.lena, str(world.ivan_ticket.number))
    # then
    assert _ticket_ids(with_hash) == [world.ivan_ticket.pk]
    assert _ticket_ids(bare) == [world.ivan_ticket.pk]


def test_search_shows_only_what_the_agent_may_see(world):
    """Anna finds neither Ivan's Returns ticket nor Ivan himself; Lena finds both."""
    # when
    anna = _search(world.anna, "jacket")
    anna_people = _search(world.anna, "Petrov")
    lena = _search(world.lena, "Petrov")
    # then
    assert _ticket_ids(anna) == []
    assert list(anna_people.context["customers"]) == []
    assert [c.pk for c in lena.context["customers"]] == [world.ivan.pk]


def test_customers_by_name_and_email(world):
    """Customers are found by a Hungarian name with accents and by an e-mail prefix."""
    # given
    kovacs = do_create_customer(
        first_name="Anna",
        last_name="Kovács",
        display_name="Kovács Anna",
        identities=[("email", "kovacs.anna@example.hu")],
        actor=None,
    )
    # when
    by_name = _search(world.ada, "Kovács")
    by_email = _search(world.ada, "kovacs.anna@")
    # then
    assert [c.pk for c in by_name.context["customers"]] == [kovacs.pk]
    assert [c.pk for c in by_email.context["customers"]] == [kovacs.pk]
    assert "<mark>Kovács</mark> Anna" in by_name.content.decode()


def test_empty_query_shows_the_prompt(world):
    """Without a query nothing is searched and the page explains what can be found."""
    # when
    response = _search(world.anna, "   ")
    # then
    assert response.status_code == 200
    assert response.context["tickets"] == []
    assert "Search tickets and customers" in response.content.decode()


def test_query_is_escaped_in_the_page(world):
    """Markup typed into the search box is shown as text, never as HTML."""
    # when
    response = _search(world.anna, '<img src=x onerror="alert(1)">')
    # then
    html = response.content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


def test_highlight_escapes_and_folds_accents():
    """The highlighter escapes the text and matches word beginnings without case or accents."""
    # when
    marked = highlight("Żółw <b>zolwik</b> i ŻÓŁW", "zol")
    # then: ł is a letter of its own, so only the unaccented "zolwik" starts with "zol"…
    assert marked == "Żółw &lt;b&gt;<mark>zolwik</mark>&lt;/b&gt; i ŻÓŁW"
    # …while "zół" matches the accented words whatever their case
    assert highlight("Żółw i ŻÓŁW", "zół") == "<mark>Żółw</mark> i <mark>ŻÓŁW</mark>"
    assert highlight("Kovács Anna", "kovacs") == "<mark>Kovács</mark> Anna"
