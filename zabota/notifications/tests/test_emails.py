"""Agents who asked for it get each notification by e-mail once, with a link to the ticket."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from zabota.notifications import emails
from zabota.notifications.actions import do_notify, do_set_email_preference
from zabota.notifications.constants import MAX_EMAIL_ATTEMPTS, Kind
from zabota.notifications.models import Notification
from zabota.notifications.tasks import send_notification_emails

pytestmark = pytest.mark.django_db


def _notify(world, capture, recipients, key="k1"):
    with capture(execute=True):
        return do_notify(
            recipients,
            ticket=world.maria_ticket,
            kind=Kind.RULE,
            title="VIP first: ticket needs you",
            body="A rule matched.",
            actor_label="rule: VIP first",
            dedupe_key=key,
        )


@override_settings(ZABOTA_PUBLIC_URL="https://help.example.com")
def test_an_agent_who_wants_email_gets_one_with_a_link(world, django_capture_on_commit_callbacks):
    """Anna asked for e-mail, Piotr did not: only Anna gets a message, linking the ticket."""
    # given
    do_set_email_preference(world.anna, email=True)
    # when
    _notify(world, django_capture_on_commit_callbacks, [world.anna, world.piotr])
    # then
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["anna@example.com"]
    assert "VIP first: ticket needs you" in message.subject
    assert f"https://help.example.com/tickets/{world.maria_ticket.pk}/" in message.body
    anna_n = Notification.objects.get(recipient=world.anna)
    assert anna_n.emailed_at is not None
    assert Notification.objects.get(recipient=world.piotr).emailed_at is None


def test_the_task_run_twice_sends_once(world, django_capture_on_commit_callbacks):
    # given
    do_set_email_preference(world.anna, email=True)
    [notification] = _notify(world, django_capture_on_commit_callbacks, [world.anna])
    # when
    sent_again = send_notification_emails.call([notification.pk])
    # then
    assert sent_again == 0
    assert len(mail.outbox) == 1


def test_an_agent_deactivated_before_sending_gets_nothing(
    world, django_capture_on_commit_callbacks
):
    # given: the task is lost, then Anna leaves
    do_set_email_preference(world.anna, email=True)
    with django_capture_on_commit_callbacks(execute=False):
        [notification] = do_notify(
            [world.anna], ticket=None, kind=Kind.RULE, title="Hi", dedupe_key="x"
        )
    world.anna.is_active = False
    world.anna.save()
    # when
    assert emails.send_one(notification.pk) == "skipped"
    # then
    assert mail.outbox == []
    assert emails.due_ids(now=timezone.now() + timedelta(hours=1)) == []


def test_a_failed_send_is_retried_by_housekeeping_then_given_up(
    world, django_capture_on_commit_callbacks
):
    # given: the mail server refuses
    do_set_email_preference(world.anna, email=True)
    refused = ConnectionRefusedError("refused")
    with mock.patch("zabota.notifications.emails.send_mail", side_effect=refused):
        [notification] = _notify(world, django_capture_on_commit_callbacks, [world.anna])
        notification.refresh_from_db()
        assert (notification.emailed_at, notification.email_attempts) == (None, 1)
        assert "refused" in notification.email_error
        Notification.objects.filter(pk=notification.pk).update(
            created_at=timezone.now() - timedelta(hours=1)
        )
        # when: housekeeping retries until the limit
        for _attempt in range(MAX_EMAIL_ATTEMPTS + 2):
            emails.enqueue_due()
    # then
    notification.refresh_from_db()
    assert notification.email_attempts == MAX_EMAIL_ATTEMPTS
    assert emails.due_ids() == []
    # when: the server is back, a lost task is queued by housekeeping
    Notification.objects.filter(pk=notification.pk).update(email_attempts=1)
    assert emails.enqueue_due() == 1
    assert len(mail.outbox) == 1
