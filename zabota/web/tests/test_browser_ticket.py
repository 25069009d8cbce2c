"""The ticket page in a real browser: Lena answers a late-parcel ticket end to end.

Also produces docs/screenshots/ticket.png from a believable conversation.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from zabota.customers.actions import do_add_identity, do_update_customer
from zabota.tickets.actions import (
    NewAttachment,
    do_add_customer_message,
    do_add_reply,
    do_change_priority,
    do_change_tags,
    do_confirm_solution,
    do_create_ticket,
    do_touch_viewer,
    get_or_create_tag,
)
from zabota.tickets.constants import Channel, EventKind, MessageKind, Priority, Status
from zabota.tickets.models import Macro, MacroText, Message, Ticket, TicketEvent
from zabota.web.tests.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUBJECT = "Parcel stuck in Poznań since Monday — order #48213"
MACRO_TEXT = (
    "Hi {{ customer.first_name }},\n\n"
    "I'm sorry your parcel is taking longer than it should. I've asked the carrier to "
    "prioritise it and I'll write again as soon as they confirm the delivery date.\n\n"
    "{{ agent.first_name }}, {{ store.name }}"
)


def _late_parcel(world) -> Ticket:
    """Maria's new ticket from this morning, a follow-up from her, and an older solved one."""
    now = timezone.now()
    do_update_customer(world.maria, language="en", actor=None)
    do_add_identity(world.maria, kind="phone", value="+48601234567", actor=None)
    older = do_create_ticket(
        store=world.store,
        customer=world.maria,
        subject="Invoice for order #47102",
        body_text="Could you send me a VAT invoice?",
        actor=None,
        at=now - timedelta(days=21),
    )
    do_add_reply(
        older,
        body_text="Here it is!",
        then_status=Status.AWAITING_CONFIRMATION,
        actor=world.anna,
        at=now - timedelta(days=21, minutes=-40),
    )
    do_confirm_solution(older, actor=None, via="reply")

    ticket = do_create_ticket(
        store=world.store,
        customer=world.maria,
        subject=SUBJECT,
        body_text="",
        body_html=(
            "<p>Hello,</p><p>I ordered the <strong>ceramic planter set</strong> last Monday. "
            "Tracking has said <em>“In transit — Poznań sorting centre”</em> since Tuesday "
            "and nothing has moved since.</p><p>It is a birthday present for Saturday — "
            "could you check what is going on?</p><p>Thanks,<br>Maria</p>"
        ),
        channel=Channel.EMAIL,
        attachments=[
            NewAttachment("tracking-screenshot.png", "image/png", b"\x89PNG\r\n\x1a\n" * 5000)
        ],
        actor=None,
        at=now - timedelta(hours=3, minutes=12),
    )
    do_change_priority(ticket, priority=Priority.HIGH, actor=world.lena)
    tag = get_or_create_tag(world.store, "late-delivery")
    tag.color = "#3e63dd"
    tag.save(update_fields=["color"])
    gift = get_or_create_tag(world.store, "gift")
    gift.color = "#d6409f"
    gift.save(update_fields=["color"])
    do_change_tags(ticket, add=[tag, gift], actor=world.lena)
    do_add_customer_message(
        ticket,
        body_text=(
            "PS: if it is easier, it can also go to my office — ul. Półwiejska 42, Poznań. "
            "I'm there every day until 17:00."
        ),
        at=now - timedelta(hours=1, minutes=47),
    )
    return ticket


def test_lead_answers_with_macro_note_assignment_and_proposed_solution(page, world):
    """Lena filters the inbox, opens Maria's ticket, replies with a macro, leaves a note,
    hands the ticket to Anna and proposes the solution; the timeline shows every step."""
    # given
    ticket = _late_parcel(world)
    macro = Macro.objects.create(store=world.store, name="Shipping delay")
    MacroText.objects.create(macro=macro, language="en", body=MACRO_TEXT)
    Macro.objects.create(store=world.store, name="Refund approved")
    login(page, world.lena)

    # when: she narrows the inbox to new tickets and opens Maria's
    page.wait_for_selector(".ticket-row")
    page.select_option("select[name=status]", "new")
    page.wait_for_url("**status=new**")
    page.click(f".ticket-row a.ticket-subject:has-text('{SUBJECT}')")
    page.wait_for_url(f"**/tickets/{ticket.pk}/")
    # then: the conversation so far is there
    assert page.locator(".msg-customer").count() == 2
    assert "tracking-screenshot.png" in page.locator(".msg-files").inner_text()

    # when: she inserts the macro and sends it
    page.select_option("#macro-picker", label="Shipping delay")
    page.wait_for_function("document.getElementById('reply-body').value.includes('Hi Maria,')")
    body = page.input_value("#reply-body")
    assert "Lena, Demo Store" in body and "{{" not in body
    page.click("[data-submit=reply]")
    # then
    page.wait_for_selector(".msg-agent:has-text('asked the carrier to prioritise it')")
    assert page.input_value("#reply-body") == ""

    # when: she leaves an internal note
    page.click("label.composer-tab-note")
    page.fill("#reply-body", "Opened a claim with DPD (ref. DPD-55210). They promise Friday.")
    page.click("[data-submit=note]")
    # then
    page.wait_for_selector(".msg-note:has-text('DPD-55210')")
    assert "Internal note" in page.locator(".msg-note").inner_text()

    # when: she assigns the ticket to Anna
    page.select_option("select[name=target]", f"{world.support.pk}:{world.anna.pk}")
    # then
    page.wait_for_selector(".ev:has-text('Lena Lead assigned to Anna Agent')")

    # when: she proposes the solution
    page.click(".tk-actions button[value=awaiting_confirmation]")
    # then
    page.wait_for_selector(".tk-meta .pill.status-awaiting_confirmation")
    timeline = page.locator("#ticket-timeline").inner_text()
    assert "I've asked the carrier to prioritise it" in timeline
    assert "DPD-55210" in timeline
    assert "Lena Lead assigned to Anna Agent (Support)" in timeline
    assert "Lena Lead changed status: Pending → Awaiting confirmation" in timeline
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Status.AWAITING_CONFIRMATION, world.anna)
    reply = Message.objects.get(ticket=ticket, kind=MessageKind.AGENT)
    assert reply.channel_meta == {"macro_id": macro.pk}
    assert reply.body_text.startswith("Hi Maria,")
    kinds = list(
        TicketEvent.objects.filter(ticket=ticket, actor=world.lena)
        .order_by("version")
        .values_list("kind", flat=True)
    )
    assert kinds[-5:] == [
        EventKind.REPLY,
        EventKind.STATUS,
        EventKind.NOTE,
        EventKind.ASSIGNED,
        EventKind.STATUS,
    ]

    # when: Anna opens the ticket too, and the docs screenshot is taken
    do_touch_viewer(ticket, user=world.anna, typing=True)
    page.reload()
    page.wait_for_selector("#presence .presence-person")
    page.wait_for_timeout(300)
    path = screenshot(page, "ticket", docs=True)
    # then
    assert path.stat().st_size > 10_000
