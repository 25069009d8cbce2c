"""The call card in a real browser: Anna calls Zofia back, nobody answers, and the card shows
the retry; docs/screenshots/callback-card.png comes from this page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from zabota.callbacks.actions import do_record_outcome, do_request_callback
from zabota.callbacks.constants import CallbackState, CallOutcome
from zabota.callbacks.models import CallbackRequest
from zabota.tickets.constants import Status
from zabota.web.tests.conftest import (  # noqa: F401 - fixtures
    _plain_static_storage,
    login,
    page,
    screenshot,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_records_no_answer_on_the_call_card(world, page):  # noqa: F811
    # given: a request with a window this afternoon, one earlier call went to voicemail
    now = timezone.now()
    callback = do_request_callback(
        world.store,
        phone="+48 601 234 567",
        name="Zofia Wiśniewska",
        topic="Delivery to a parcel locker",
        window_start=now - timedelta(minutes=30),
        window_end=now + timedelta(hours=2),
    )
    do_record_outcome(
        callback, outcome=CallOutcome.NO_ANSWER, note="Went to voicemail.", actor=world.lena
    )
    CallbackRequest.objects.filter(pk=callback.pk).update(
        state=CallbackState.WAITING, next_attempt_at=None
    )
    login(page, world.anna)
    # when
    page.goto(f"{page.base_url}/tickets/{callback.ticket_id}/")
    card = page.locator("#call-card")
    phone = card.locator("a[data-call-phone]")
    assert phone.get_attribute("href") == "tel:+48601234567"
    assert phone.inner_text() == "+48 601 234 567"
    assert card.locator(".call-attempt").count() == 1
    card.locator("textarea[name=note]").fill("Rang twice, no answer.")
    card.get_by_role("button", name="No answer").click()
    # then
    page.locator('#call-card[data-state="retry_scheduled"]').wait_for()
    page.locator("#call-card .call-attempt").nth(1).wait_for()
    assert "Rang twice, no answer." in card.inner_text()
    assert "Next attempt" in card.inner_text()
    page.locator("#ticket-header .pill.status-pending").wait_for()
    callback.refresh_from_db()
    assert callback.state == CallbackState.RETRY_SCHEDULED
    assert callback.attempts == 2
    assert callback.ticket.status == Status.PENDING
    screenshot(page, "callback-card", docs=True)
