"""Invitations after a solution the customer confirmed: one e-mail per solved ticket, never a
second one for the same event, and a skip with its reason when the budget says no."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from freezegun import freeze_time

from zabota.core import event_types, events
from zabota.core.models import OutboxEvent
from zabota.surveys import sending
from zabota.surveys.constants import InvitationStatus, Trigger
from zabota.surveys.invitations import do_invite, do_send_test
from zabota.surveys.models import Invitation
from zabota.surveys.tests.distribution import make_survey, solve_by_customer_link
from zabota.tickets import actions
from zabota.tickets.actions import do_create_ticket
from zabota.tickets.constants import Status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _urls_loaded():
    """Load the URLconf (and the API's schemas) before any clock is frozen: pydantic cannot
    build a schema for freezegun's fake datetime class."""
    reverse("ping")


def test_a_solution_confirmed_by_the_customer_sends_one_survey_email(
    world, django_capture_on_commit_callbacks
):
    """ACCEPTANCE. Maria confirms Anna's solution by the link: she gets one survey e-mail, about
    Anna and Support, whose first question can be answered with one click."""
    # given
    survey = make_survey(world.store)
    # when
    solve_by_customer_link(world.maria_ticket, world.anna, django_capture_on_commit_callbacks)
    # then
    [invitation] = Invitation.objects.all()
    assert invitation.survey == survey
    assert invitation.status == InvitationStatus.SENT
    assert invitation.trigger == Trigger.SOLVED
    assert invitation.dedupe_key == f"ticket:{world.maria_ticket.pk}:solved"
    assert (invitation.ticket, invitation.agent, invitation.group) == (
        world.maria_ticket,
        world.anna,
        world.support,
    )
    assert invitation.sent_at is not None
    assert invitation.expires_at is not None
    assert invitation.expires_at - invitation.send_after == timedelta(days=14)
    [message] = mail.outbox
    assert message.to == ["maria@example.pl"]
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert "Demo Store" in message.from_email
    assert message.subject == "Demo Store: How did we do?"
    first = survey.questions.get(position=0)
    for value in range(1, 6):
        assert f"q={first.pk}&v={value}" in message.body
    assert f"q={first.pk}&v=6" not in message.body
    assert isinstance(message, EmailMultiAlternatives)
    html = str(message.alternatives[0][0])
    assert f"q={first.pk}&amp;v=5" in html
    assert "Answer the survey" in html


def test_the_same_event_dispatched_again_sends_nothing_more(
    world, django_capture_on_commit_callbacks
):
    """ACCEPTANCE. A crash after the listener ran: the status event is delivered again."""
    # given
    make_survey(world.store)
    solve_by_customer_link(world.maria_ticket, world.anna, django_capture_on_commit_callbacks)
    event = OutboxEvent.objects.filter(type=event_types.TICKET_STATUS_CHANGED).latest("pk")
    assert event.payload["new"] == Status.SOLVED
    # when
    OutboxEvent.objects.filter(pk=event.pk).update(dispatched_at=None, done_listeners=[])
    with django_capture_on_commit_callbacks(execute=True):
        assert events.dispatch(event.pk)
    # then
    assert Invitation.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_second_solved_ticket_within_the_budget_is_skipped_with_the_reason(
    world, django_capture_on_commit_callbacks
):
    """ACCEPTANCE. Maria's second ticket is solved 12 days after the first was surveyed: no
    e-mail; the skipped invitation says why, and the admin sees it on the invitations page."""
    # given
    make_survey(world.store)
    start = timezone.now()
    with freeze_time(start):
        solve_by_customer_link(world.maria_ticket, world.anna, django_capture_on_commit_callbacks)
    with freeze_time(start + timedelta(days=12)):
        with django_capture_on_commit_callbacks(execute=True):
            second = do_create_ticket(
                store=world.store,
                customer=world.maria,
                subject="The zipper broke again",
                body_text="Sorry to bother you.",
                actor=None,
            )
        # when
        solve_by_customer_link(second, world.anna, django_capture_on_commit_callbacks)
    # then
    assert len(mail.outbox) == 1
    skipped = Invitation.objects.get(ticket=second)
    assert skipped.status == InvitationStatus.SKIPPED
    assert skipped.skip_reason == "surveyed 12 days ago"
    assert skipped.sent_at is None
    admin = Client()
    admin.force_login(world.ada)
    page = admin.get(reverse("web:survey_invitations") + "?status=skipped")
    assert page.status_code == 200
    assert list(page.context["invitations"]) == [skipped]
    assert "surveyed 12 days ago" in page.content.decode()


@pytest.mark.parametrize("via", ["timeout", "agent_on_behalf"])
def test_a_solution_not_confirmed_by_the_customer_sends_no_survey(
    world, via, django_capture_on_commit_callbacks
):
    # given
    make_survey(world.store)
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_add_reply(
            world.maria_ticket,
            body_text="Done.",
            then_status=Status.AWAITING_CONFIRMATION,
            actor=world.anna,
        )
    # when
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_confirm_solution(world.maria_ticket, actor=None, via=via)
    # then
    world.maria_ticket.refresh_from_db()
    assert world.maria_ticket.status == Status.SOLVED
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_no_active_post_resolution_survey_sends_nothing(world, django_capture_on_commit_callbacks):
    # given
    survey = make_survey(world.store)
    survey.is_active = False
    survey.save()
    # when
    solve_by_customer_link(world.maria_ticket, world.anna, django_capture_on_commit_callbacks)
    # then
    assert not Invitation.objects.exists()


def test_the_email_is_in_the_customers_language(world, django_capture_on_commit_callbacks):
    """Ivan speaks Russian and the survey has Russian texts: the e-mail is Russian."""
    # given
    make_survey(world.store)
    world.ivan.language = "ru"
    world.ivan.save()
    # when
    solve_by_customer_link(world.ivan_ticket, world.piotr, django_capture_on_commit_callbacks)
    # then
    invitation = Invitation.objects.get()
    assert invitation.language == "ru"
    [message] = mail.outbox
    assert "Как мы справились?" in message.subject
    assert "Насколько хорошим было решение?" in message.body


def test_a_customer_without_an_email_address_is_skipped(world, django_capture_on_commit_callbacks):
    # given
    survey = make_survey(world.store)
    world.maria.identities.all().delete()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        invitation = do_invite(
            survey, customer=world.maria, trigger=Trigger.MANUAL, dedupe_key="manual:1"
        )
    # then
    assert invitation.status == InvitationStatus.SKIPPED
    assert invitation.skip_reason == "no e-mail address"
    assert mail.outbox == []


def test_a_skip_reason_is_written_in_the_stores_language(world):
    """The store speaks Russian: the reason is stored as its Russian translation (the msgid
    until the translations are written)."""
    # given
    world.store.default_language = "ru"
    world.store.save()
    survey = make_survey(world.store)
    world.maria.identities.all().delete()
    # when
    with translation.override("en"):
        invitation = do_invite(survey, customer=world.maria, trigger=Trigger.MANUAL, dedupe_key="m")
    # then
    with translation.override("ru"):
        assert invitation.skip_reason == translation.gettext("no e-mail address")


def test_a_failed_send_is_retried_after_its_backoff_then_given_up(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    """The mail server is down: the invitation waits 1, 5, 30 minutes, 2 hours, then fails."""
    # given
    monkeypatch.setattr(sending.EmailMultiAlternatives, "send", _refused)
    survey = make_survey(world.store)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = do_invite(survey, customer=world.maria, trigger=Trigger.MANUAL, dedupe_key="x")
    invitation.refresh_from_db()
    assert (invitation.status, invitation.send_attempts) == (InvitationStatus.SENT, 1)
    assert "down" in invitation.send_error
    # when: the housekeeping runs long after each wait
    now = timezone.now()
    for _step in sending.BACKOFF:
        now += timedelta(hours=7)
        assert sending.enqueue_due(now=now) == 1
        # (the queued task runs at the real clock: send it at the job's time instead)
        sending.send_one(invitation.pk, now=now)
    # then
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.FAILED
    assert invitation.send_attempts == len(sending.BACKOFF) + 1
    assert sending.due_ids(now=now + timedelta(days=1)) == []


def _refused(self, fail_silently=False):
    raise ConnectionRefusedError("mail server down")


def test_a_sent_invitation_is_not_sent_again(world, django_capture_on_commit_callbacks):
    """A second worker (or a retried task) finds nothing due."""
    # given
    survey = make_survey(world.store)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = do_invite(survey, customer=world.maria, trigger=Trigger.MANUAL, dedupe_key="y")
    # when
    outcome = sending.send_one(invitation.pk)
    # then
    assert outcome == "not due"
    assert len(mail.outbox) == 1
    assert sending.due_ids(now=timezone.now() + timedelta(hours=1)) == []


def test_a_test_send_goes_to_the_staff_member_and_uses_no_budget(
    world, django_capture_on_commit_callbacks
):
    """Ada sends herself a test in Russian; Maria can still be surveyed right after."""
    # given
    survey = make_survey(world.store)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        test = do_send_test(survey, to_user=world.ada, language="ru")
        real = do_invite(survey, customer=world.maria, trigger=Trigger.MANUAL, dedupe_key="z")
    # then
    assert test.trigger == Trigger.TEST
    assert test.email == "ada@example.com"
    assert real.status == InvitationStatus.SENT
    assert [m.to for m in mail.outbox] == [["ada@example.com"], ["maria@example.pl"]]
    # The whole subject in the test's language, its "test" mark included.
    assert mail.outbox[0].subject.startswith("[Тест]")
    assert "Как мы справились?" in mail.outbox[0].subject


@pytest.mark.django_db(transaction=True)
def test_an_invitation_being_sent_by_one_worker_is_skipped_by_another(world):
    """PostgreSQL: while worker A holds the invitation (sending), worker B finds it not due
    and sends nothing; once A is done, it is sent exactly once."""
    from django.db import connection, connections, transaction

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    import threading

    # given: an invitation due now whose queued task was lost
    survey = make_survey(world.store)
    invitation = do_invite(survey, customer=world.maria, trigger=Trigger.MANUAL, dedupe_key="w")
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=None, send_attempts=0)
    mail.outbox.clear()
    locked, release, outcome = threading.Event(), threading.Event(), {}

    def worker_a() -> None:
        try:
            with transaction.atomic():
                Invitation.objects.select_for_update().get(pk=invitation.pk)
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker_a)
    thread.start()
    assert locked.wait(10)
    # when
    outcome["b"] = sending.send_one(invitation.pk)
    release.set()
    thread.join(10)
    outcome["after"] = sending.send_one(invitation.pk)
    # then
    assert outcome == {"b": "not due", "after": "sent"}
    assert len(mail.outbox) == 1


def test_the_one_click_link_opens_the_answer_page_and_stores_nothing(
    world, django_capture_on_commit_callbacks
):
    """Maria clicks "4" in the e-mail: the answer page opens with 4 chosen; nothing is stored
    until she submits (a mail scanner following the link answers nothing)."""
    # given
    survey = make_survey(world.store)
    solve_by_customer_link(world.maria_ticket, world.anna, django_capture_on_commit_callbacks)
    first = survey.questions.get(position=0)
    [message] = mail.outbox
    [url] = [line.split(": ", 1)[1] for line in str(message.body).splitlines() if "v=4" in line]
    # when
    page = Client().get(url.split("://", 1)[1].split("/", 1)[1].join(["/", ""]))
    # then
    assert page.status_code == 200
    html = " ".join(page.content.decode().split())
    assert f'name="q{first.pk}" value="4" checked' in html
    assert f'name="q{first.pk}" value="3" checked' not in html
    assert not survey.responses.filter(submitted_at__isnull=False).exists()
    assert Invitation.objects.get().answered_at is None
