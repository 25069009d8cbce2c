"""Paper comment cards typed in a real browser, and the invitations log an admin reads
(docs/screenshots/surveys-paper.png and surveys-invitations.png)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from zabota.commerce.constants import ShipmentStatus
from zabota.commerce.order_data import ShipmentData
from zabota.commerce.sync import do_upsert_order, do_upsert_shipment
from zabota.commerce.tests.factories import order_data
from zabota.surveys.constants import InvitationStatus, Purpose, SurveyChannel, Trigger
from zabota.surveys.invitations import do_invite
from zabota.surveys.models import Response
from zabota.surveys.tests.distribution import make_survey
from zabota.tickets.actions import do_create_ticket
from zabota.web.tests.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_enters_a_paper_card(page, world):
    """Anna types in Maria's card from yesterday — quality 4 of 5, NPS 9 and a comment — and
    sees it listed as paper."""
    # given
    survey = make_survey(world.store, name="In-store comment card")
    quality, nps, comment = survey.questions.order_by("position")
    login(page, world.anna)
    # when
    page.goto(page.base_url + "/surveys/paper/")
    page.fill("input[name=customer_email]", "maria@example.pl")
    yesterday = timezone.localdate() - timedelta(days=1)
    page.fill("input[name=card_date]", yesterday.isoformat())
    page.click(f"#sv-q{quality.pk} label:has(input[value='4'])")
    page.click(f"#sv-q{nps.pk} label:has(input[value='9'])")
    page.fill(f"textarea[name=q{comment.pk}]", "Friendly staff, but the fitting rooms were full.")
    page.click("#save-card")
    page.wait_for_selector("#paper-cards .paper-card-row.is-new")
    # then
    [card] = Response.objects.all()
    assert (card.channel, card.is_paper, card.entered_by_id) == (
        SurveyChannel.PAPER,
        True,
        world.anna.pk,
    )
    assert (card.customer_id, card.quality, card.nps) == (world.maria.pk, 4, 9)
    assert timezone.localtime(card.submitted_at).date() == yesterday
    row = page.locator(f"#paper-cards [data-card='{card.pk}']")
    assert "paper" in row.inner_text()
    assert "Maria Kowalska" in row.inner_text()
    assert page.locator(".toast, .alert-success").first.is_visible()
    screenshot(page, "surveys-paper", docs=True)


def test_an_admin_sees_why_a_survey_was_skipped(page, world):
    """Invitations went to Maria and Ivan; Maria's second was skipped by the budget, and so was
    the delivery survey of Ivan, surveyed the same day."""
    # given
    post = make_survey(world.store, name="After a solved request")
    delivery = make_survey(world.store, purpose=Purpose.AFTER_DELIVERY, name="After delivery")
    do_invite(
        post,
        customer=world.maria,
        trigger=Trigger.SOLVED,
        dedupe_key="ticket:1:solved",
        ticket=world.maria_ticket,
    )
    second = do_create_ticket(
        store=world.store,
        customer=world.maria,
        subject="Zip broke again",
        body_text="Again.",
        actor=None,
    )
    skipped = do_invite(
        post, customer=world.maria, trigger=Trigger.SOLVED, dedupe_key="t2", ticket=second
    )
    do_invite(
        post,
        customer=world.ivan,
        trigger=Trigger.SOLVED,
        dedupe_key="t3",
        ticket=world.ivan_ticket,
    )
    order = do_upsert_order(world.store, order_data(email="ivan@example.ru")).order
    do_upsert_shipment(order, ShipmentData(external_id="f1", status=ShipmentStatus.IN_TRANSIT))
    do_invite(
        delivery,
        customer=world.ivan,
        trigger=Trigger.DELIVERED,
        dedupe_key="order",
        order=order,
        send_after=timezone.now() + timedelta(days=3),
    )
    assert skipped.status == InvitationStatus.SKIPPED
    login(page, world.ada)
    # when
    page.goto(page.base_url + "/surveys/invitations/")
    # then
    rows = page.locator("#invitations tbody tr")
    assert rows.count() == 4
    reason = page.locator(f"[data-invitation='{skipped.pk}'] [data-reason]")
    assert reason.inner_text() == "surveyed earlier today"
    screenshot(page, "surveys-invitations", docs=True)
    page.click("[data-filter=skipped]")
    page.wait_for_url("**status=skipped**")
    assert page.locator("#invitations tbody tr").count() == 2
