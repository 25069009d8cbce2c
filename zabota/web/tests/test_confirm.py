"""The public pages behind the "yes, solved" / "no" links: no sign-in, nothing changes on GET,
a clear page for every link that no longer works, a limit per address."""

from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from zabota.core import ratelimit
from zabota.tickets import actions, confirmation
from zabota.tickets.constants import Status
from zabota.tickets.models import Ticket


def _proposed(world) -> Ticket:
    """Anna, assigned to Maria's ticket, proposes a solution."""
    ticket = actions.do_assign(
        world.maria_ticket, group=world.support, assignee=world.anna, actor=None
    )
    actions.do_add_reply(
        ticket,
        body_text="Your parcel is at the pick-up point.",
        then_status=Status.AWAITING_CONFIRMATION,
        actor=world.anna,
    )
    ticket.refresh_from_db()
    return ticket


def _url(token: str, answer: str = "yes") -> str:
    return reverse(f"web:confirm_{answer}", kwargs={"token": token})


@pytest.fixture
def customer() -> Client:
    """Maria's browser: not signed in, CSRF checked like a real one."""
    return Client(enforce_csrf_checks=True)


def _post(client: Client, url: str):
    """Open the page, then press its button (the form posts back with the CSRF token)."""
    client.get(url)
    return _press(client, url)


def _press(client: Client, url: str):
    """Press the button of a page opened earlier (with the CSRF cookie it set)."""
    cookie = client.cookies.get("csrftoken")
    return client.post(url, HTTP_X_CSRFTOKEN=cookie.value if cookie else "")


def test_get_shows_the_question_and_changes_nothing(world, customer):
    """Mail scanners follow links: GET only asks, the ticket still awaits Maria's answer."""
    # given
    ticket = _proposed(world)
    version = ticket.version
    # when
    response = customer.get(_url(confirmation.make_token(ticket), "yes"))
    # then
    assert response.status_code == 200
    assert b"Is your request solved?" in response.content
    assert b'method="post"' in response.content and b"csrfmiddlewaretoken" in response.content
    ticket.refresh_from_db()
    assert ticket.status == Status.AWAITING_CONFIRMATION and ticket.version == version


def test_posting_yes_solves(world, customer):
    """Maria presses "Yes, it is solved": the ticket is solved and she is thanked."""
    # given
    ticket = _proposed(world)
    # when
    response = _post(customer, _url(confirmation.make_token(ticket), "yes"))
    # then
    assert response.status_code == 200
    assert b"Your request is solved" in response.content
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED


def test_posting_no_reopens_to_the_same_agent(world, customer):
    """Maria presses "No": the ticket is open again, still Anna's."""
    # given
    ticket = _proposed(world)
    # when
    response = _post(customer, _url(confirmation.make_token(ticket), "no"))
    # then
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.assignee == world.anna


def test_post_without_csrf_token_is_refused(world, customer):
    """A cross-site form cannot answer for Maria."""
    # given
    ticket = _proposed(world)
    # when
    response = customer.post(_url(confirmation.make_token(ticket), "yes"))
    # then
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == Status.AWAITING_CONFIRMATION


def test_a_used_link_shows_what_was_answered(world, customer):
    """The second press of a link is answered 410 with a page that says it was already used."""
    # given
    ticket = _proposed(world)
    url = _url(confirmation.make_token(ticket), "yes")
    _post(customer, url)
    # when
    again = _post(customer, _url(url.split("/")[2], "no"))
    # then
    assert again.status_code == 410
    assert b"You have already answered" in again.content
    assert b"reply to our e-mail" in again.content
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED


def test_a_forged_link_gets_400_and_a_clear_page(world, customer):
    """A made-up token: 400, and the page says to use the e-mail's link or reply."""
    # given
    _proposed(world)
    forged = signing.dumps({"t": world.maria_ticket.pk, "r": 1}, salt="not-ours")
    # when
    response = customer.get(_url(forged))
    # then
    assert response.status_code == 400
    assert b"This link does not work" in response.content


def test_an_expired_link_gets_410(world, customer):
    """A link past its lifetime: 410 and an "expired" page; the ticket still awaits."""
    # given
    ticket = _proposed(world)
    token = confirmation.make_token(ticket)
    customer.get(_url(token))
    # when: Maria presses the button of the page she opened long ago
    later = timezone.now() + confirmation.LINK_LIFETIME + timedelta(minutes=1)
    with freeze_time(later):
        response = _press(customer, _url(token))
    # then
    assert response.status_code == 410
    assert b"This link has expired" in response.content
    ticket.refresh_from_db()
    assert ticket.status == Status.AWAITING_CONFIRMATION


def test_a_link_after_a_reply_says_the_question_is_closed(world, customer):
    """Maria replied instead of clicking: the link then explains it no longer applies."""
    # given
    ticket = _proposed(world)
    token = confirmation.make_token(ticket)
    actions.do_add_customer_message(ticket, body_text="Still nothing.")
    # when
    response = customer.get(_url(token))
    # then
    assert response.status_code == 410
    assert b"This question is no longer open" in response.content


def test_the_page_speaks_the_ticket_language(world, customer):
    """Maria's ticket is in Polish: the page is in Polish, whatever her browser asks for."""
    # given
    ticket = _proposed(world)
    Ticket.objects.filter(pk=ticket.pk).update(language="pl")
    # when
    response = customer.get(_url(confirmation.make_token(ticket)), HTTP_ACCEPT_LANGUAGE="en")
    # then
    assert response.status_code == 200
    assert response["Content-Language"] == "pl"
    assert b'lang="pl"' in response.content


def test_too_many_attempts_from_one_address_are_refused(world, customer):
    """Someone trying tokens from one address gets 429 once over the limit."""
    # given
    limit = ratelimit.CONFIRM_LINK_PER_IP
    for _ in range(limit.max_hits):
        ratelimit.hit(limit, "127.0.0.1")
    # when
    response = customer.get(_url("anything"))
    # then
    assert response.status_code == 429
    assert "Retry-After" in response


def test_the_agent_sees_the_answers_on_the_timeline(world, customer):
    """Anna's ticket page says Maria rejected the solution by link, and later that the ticket
    was closed automatically."""
    # given
    ticket = _proposed(world)
    _post(customer, _url(confirmation.make_token(ticket), "no"))
    ticket = _proposed(world)
    _post(Client(enforce_csrf_checks=True), _url(confirmation.make_token(ticket), "yes"))
    actions.do_close_solved(now=timezone.now() + world.store.close_after + timedelta(minutes=1))
    agent = Client()
    agent.force_login(world.anna)
    # when
    response = agent.get(reverse("web:ticket", args=[ticket.pk]))
    # then
    page = response.content.decode()
    assert "The customer said the problem is not solved" in page
    assert "The customer confirmed the solution" in page
    assert "Closed automatically" in page
