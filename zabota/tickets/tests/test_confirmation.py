"""Customer-confirmed closing: signed "yes, solved" / "no" links, and closing solved tickets."""

import re
from datetime import timedelta
from email import message_from_bytes, policy

from django.core import signing
from django.utils import timezone

from zabota.channels.email.compose import compose_reply
from zabota.channels.email.models import Mailbox
from zabota.tickets import actions, confirmation
from zabota.tickets.confirmation import Answer, Outcome
from zabota.tickets.constants import EventKind, Status
from zabota.tickets.models import Ticket, TicketEvent

# A confirmation link in a mail: http://localhost:8000/c/<token>/yes/ (the public URL's default).
LINK = re.compile(r"http://localhost:8000/c/([^/\s\"]+)/(yes|no)/")


def _proposed(world) -> Ticket:
    """Anna, assigned to Maria's ticket, proposes a solution in a reply."""
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


def _last_status_event(ticket: Ticket) -> TicketEvent:
    return TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS).latest("version")


def test_yes_link_solves_the_ticket(world):
    """Maria's "yes" solves the ticket, recorded on the timeline as her answer by link."""
    # given
    ticket = _proposed(world)
    token = confirmation.make_token(ticket)
    # when
    checked = confirmation.do_answer(token, Answer.YES)
    # then
    ticket.refresh_from_db()
    assert checked.outcome == Outcome.VALID
    assert ticket.status == Status.SOLVED and ticket.solved_at is not None
    event = _last_status_event(ticket)
    assert event.actor_label == "customer"
    assert event.data["reason"] == confirmation.VIA_LINK
    assert event.data["proposed_at"] == ticket.awaiting_since.isoformat()


def test_no_link_reopens_to_the_same_agent(world):
    """Maria's "no" reopens the ticket for Anna, who proposed the solution."""
    # given
    ticket = _proposed(world)
    # when
    checked = confirmation.do_answer(confirmation.make_token(ticket), Answer.NO)
    # then
    ticket.refresh_from_db()
    assert checked.outcome == Outcome.VALID
    assert ticket.status == Status.OPEN
    assert ticket.assignee == world.anna
    assert ticket.awaiting_since is None
    event = _last_status_event(ticket)
    assert (event.data["old"], event.data["new"]) == (Status.AWAITING_CONFIRMATION, Status.OPEN)
    assert event.data["reason"] == confirmation.VIA_LINK


def test_a_link_works_once(world):
    """The second use of a link changes nothing and says which answer was given."""
    # given
    ticket = _proposed(world)
    token = confirmation.make_token(ticket)
    confirmation.do_answer(token, Answer.NO)
    version = Ticket.objects.get(pk=ticket.pk).version
    # when
    again = confirmation.do_answer(token, Answer.YES)
    # then
    assert (again.outcome, again.answered) == (Outcome.USED, Answer.NO)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.version == version


def test_a_link_of_an_older_proposal_does_not_answer_a_newer_one(world):
    """Maria replied instead; Anna proposed again: the first mail's link is out of date."""
    # given
    ticket = _proposed(world)
    old_token = confirmation.make_token(ticket)
    actions.do_add_customer_message(ticket, body_text="It is not there.")
    ticket = _proposed(world)
    # when
    checked = confirmation.do_answer(old_token, Answer.YES)
    # then
    ticket.refresh_from_db()
    assert checked.outcome == Outcome.NOT_AWAITING
    assert ticket.status == Status.AWAITING_CONFIRMATION


def test_a_reply_instead_of_the_link_reopens(world):
    """Maria may simply reply: the ticket is open again and the link no longer applies."""
    # given
    ticket = _proposed(world)
    token = confirmation.make_token(ticket)
    # when
    actions.do_add_customer_message(ticket, body_text="Still no parcel.")
    # then
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.assignee == world.anna
    assert confirmation.check_token(token).outcome == Outcome.NOT_AWAITING


def test_an_expired_link_is_refused(world):
    """A link older than its lifetime changes nothing."""
    # given
    ticket = _proposed(world)
    token = confirmation.make_token(ticket)
    # when: checked as if it had no lifetime left
    checked = confirmation.check_token(token, max_age=timedelta(seconds=-1))
    # then
    assert checked.outcome == Outcome.EXPIRED
    ticket.refresh_from_db()
    assert ticket.status == Status.AWAITING_CONFIRMATION


def test_a_forged_link_is_refused(world):
    """A token signed with another salt, or altered, does not verify."""
    # given
    ticket = _proposed(world)
    payload = {"t": ticket.pk, "r": 0}
    other_salt = signing.dumps(payload, salt="zabota.something-else")
    token = confirmation.make_token(ticket)
    altered = token[:-2] + ("aa" if not token.endswith("aa") else "bb")
    # then
    for forged in (other_salt, altered, "garbage", ""):
        assert confirmation.do_answer(forged, Answer.YES).outcome == Outcome.FORGED
    ticket.refresh_from_db()
    assert ticket.status == Status.AWAITING_CONFIRMATION


def test_the_proposing_reply_carries_the_links(world):
    """The e-mail of the reply that proposed the solution has both links in text and HTML;
    an ordinary reply has none."""
    # given
    mailbox = Mailbox.objects.create(store=world.store, name="Support", address=world.store.email)
    ordinary = actions.do_add_reply(world.maria_ticket, body_text="Checking.", actor=world.anna)
    ticket = _proposed(world)
    proposing = ticket.messages.latest("created_at")
    # when
    mail = message_from_bytes(compose_reply(proposing, mailbox).raw, policy=policy.default)
    plain = message_from_bytes(compose_reply(ordinary, mailbox).raw, policy=policy.default)
    # then
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for body in (text, html):
        found = LINK.findall(body)
        assert sorted(answer for _token, answer in found) == ["no", "yes"]
        for token, _answer in found:
            checked = confirmation.check_token(token)
            assert (checked.outcome, checked.ticket) == (Outcome.VALID, ticket)
    assert "/c/" not in plain.get_body(("plain",)).get_content()
    assert "/c/" not in plain.get_body(("html",)).get_content()


def test_solved_tickets_close_after_the_store_period(world):
    """Solved tickets are closed ``close_after`` after they were solved, once, with a row
    that says so; a message afterwards starts a follow-up ticket."""
    # given
    ticket = _proposed(world)
    actions.do_confirm_solution(ticket, actor=None, via=confirmation.VIA_LINK)
    now = timezone.now()
    # when
    early = actions.do_close_solved(now=now + timedelta(days=6))
    late = actions.do_close_solved(now=now + timedelta(days=7, minutes=1))
    again = actions.do_close_solved(now=now + timedelta(days=8))
    # then
    ticket.refresh_from_db()
    assert (early, late, again) == (0, 1, 0)
    assert ticket.status == Status.CLOSED and ticket.closed_at is not None
    assert _last_status_event(ticket).data["reason"] == "auto_close"
    follow_up = actions.do_add_customer_message(ticket, body_text="One more thing")
    assert follow_up.ticket_id != ticket.pk
    assert follow_up.channel_meta["follow_up_of"] == ticket.number


def test_close_after_is_per_store(world):
    """A store that keeps solved tickets for a day closes them after a day."""
    # given
    world.store.close_after = timedelta(days=1)
    world.store.save(update_fields=["close_after"])
    ticket = _proposed(world)
    actions.do_confirm_solution(ticket, actor=None, via=confirmation.VIA_LINK)
    # when
    closed = actions.do_close_solved(now=timezone.now() + timedelta(days=1, minutes=1))
    # then
    assert closed == 1
