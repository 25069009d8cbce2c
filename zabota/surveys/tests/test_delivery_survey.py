"""The survey after a delivery (sent days later, by the housekeeping job) and the exit survey
after a cancellation."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from zabota.commerce.constants import ShipmentStatus
from zabota.commerce.order_data import ShipmentData
from zabota.commerce.sync import do_cancel_order, do_upsert_order, do_upsert_shipment
from zabota.commerce.tests.factories import order_data
from zabota.core.housekeeping import Housekeeper, send_survey_invitations
from zabota.surveys.constants import InvitationStatus, Purpose, SurveyChannel, Trigger
from zabota.surveys.models import Invitation, SurveySettings
from zabota.surveys.tests.distribution import make_survey

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _urls_loaded():
    """Load the URLconf (and the API's schemas) before any clock is frozen: pydantic cannot
    build a schema for freezegun's fake datetime class."""
    reverse("ping")


def _delivered(world, capture, *, at, external_id="f1", order=None):
    """Maria's order is delivered at ``at``; the events are dispatched."""
    with capture(execute=True):
        if order is None:
            order = do_upsert_order(world.store, order_data(email="maria@example.pl")).order
        do_upsert_shipment(
            order,
            ShipmentData(
                external_id=external_id,
                status=ShipmentStatus.DELIVERED,
                carrier="InPost",
                delivered_at=at,
                updated_at=at,
            ),
        )
    return order


def test_the_delivery_survey_goes_the_configured_days_after_delivery(
    world, django_capture_on_commit_callbacks
):
    """Delivered on day 0, five days set: nothing goes on day 4; the housekeeping sends it on
    day 5, once."""
    # given
    SurveySettings.objects.create(store=world.store, after_delivery_days=5)
    survey = make_survey(world.store, purpose=Purpose.AFTER_DELIVERY)
    start = timezone.now()
    with freeze_time(start):
        order = _delivered(world, django_capture_on_commit_callbacks, at=start)
    [invitation] = Invitation.objects.all()
    assert invitation.survey == survey
    assert invitation.trigger == Trigger.DELIVERED
    assert invitation.order == order
    assert invitation.dedupe_key == f"order:{order.pk}:delivered"
    assert invitation.send_after == start + timedelta(days=5)
    assert invitation.expires_at == start + timedelta(days=5 + 14)
    assert mail.outbox == []
    # when: the job runs on day 4, then on day 5
    with freeze_time(start + timedelta(days=4)):
        assert send_survey_invitations() == 0
    with freeze_time(start + timedelta(days=5, minutes=1)):
        assert send_survey_invitations() == 1
        assert send_survey_invitations() == 0
    # then
    [message] = mail.outbox
    assert message.to == ["maria@example.pl"]
    invitation.refresh_from_db()
    assert invitation.sent_at == start + timedelta(days=5, minutes=1)


def test_a_second_parcel_or_a_repeated_event_sends_no_second_survey(
    world, django_capture_on_commit_callbacks
):
    # given
    make_survey(world.store, purpose=Purpose.AFTER_DELIVERY)
    now = timezone.now()
    order = _delivered(world, django_capture_on_commit_callbacks, at=now)
    # when
    _delivered(world, django_capture_on_commit_callbacks, at=now, external_id="f2", order=order)
    # then
    assert Invitation.objects.count() == 1


def test_a_late_delivery_report_sends_at_once(world, django_capture_on_commit_callbacks):
    """The platform reports a delivery ten days late: the survey's day has passed, it goes."""
    # given
    make_survey(world.store, purpose=Purpose.AFTER_DELIVERY)
    # when
    _delivered(world, django_capture_on_commit_callbacks, at=timezone.now() - timedelta(days=10))
    # then
    invitation = Invitation.objects.get()
    assert invitation.sent_at is not None
    assert len(mail.outbox) == 1


def test_a_shipment_in_transit_sends_nothing(world, django_capture_on_commit_callbacks):
    # given
    make_survey(world.store, purpose=Purpose.AFTER_DELIVERY)
    order = do_upsert_order(world.store, order_data(email="maria@example.pl")).order
    # when
    with django_capture_on_commit_callbacks(execute=True):
        do_upsert_shipment(order, ShipmentData(external_id="f1", status=ShipmentStatus.IN_TRANSIT))
    # then
    assert not Invitation.objects.exists()


def test_without_a_delivery_survey_nothing_is_recorded(world, django_capture_on_commit_callbacks):
    # given: only a post-resolution survey
    make_survey(world.store)
    # when
    _delivered(world, django_capture_on_commit_callbacks, at=timezone.now())
    # then
    assert not Invitation.objects.exists()


def test_a_cancelled_order_gets_the_exit_survey_link(world, django_capture_on_commit_callbacks):
    # given
    survey = make_survey(world.store, purpose=Purpose.EXIT)
    order = do_upsert_order(world.store, order_data(email="maria@example.pl")).order
    # when
    with django_capture_on_commit_callbacks(execute=True):
        do_cancel_order(order, cancelled_at=timezone.now(), reason="customer")
    # then
    invitation = Invitation.objects.get()
    assert invitation.survey == survey
    assert (invitation.channel, invitation.trigger) == (SurveyChannel.EXIT, Trigger.CANCELLED)
    assert invitation.status == InvitationStatus.SENT
    assert invitation.dedupe_key == f"order:{order.pk}:cancelled"
    assert [m.to for m in mail.outbox] == [["maria@example.pl"]]


def test_the_housekeeping_schedules_the_survey_job():
    names = {job.name: job for job in Housekeeper.periodic_jobs()}
    assert names["survey invitations"].run is send_survey_invitations
