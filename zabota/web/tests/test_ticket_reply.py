"""The reply box: replies, notes, macros, preview, attachments and collision detection."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from zabota.commerce.models import Store
from zabota.tickets import actions
from zabota.tickets.constants import MessageKind, Status
from zabota.tickets.models import Attachment, Macro, MacroText, Message, Ticket

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, ticket):
    return reverse(f"web:{name}", args=[ticket.pk])


def fresh(ticket):
    return Ticket.objects.get(pk=ticket.pk)


def agent_messages(ticket):
    return list(
        Message.objects.filter(ticket=ticket)
        .exclude(kind=MessageKind.CUSTOMER)
        .order_by("created_at", "id")
        .values_list("author_user__name", "kind", "body_text")
    )


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def reply_data(ticket, body="Your parcel left our warehouse today.", **extra):
    return {"body": body, "seen_version": ticket.version, "then_status": "pending", **extra}


def test_reply_is_sent_and_box_comes_back_empty(client, world):
    """A reply is posted, the ticket waits on the customer, and htmx gets a fresh reply box
    with the new version plus the updated timeline."""
    # given
    ticket = world.maria_ticket
    client.force_login(world.anna)
    # when
    response = client.post(url("ticket_reply", ticket), reply_data(ticket), **HTMX)
    # then
    assert response.status_code == 200
    ticket = fresh(ticket)
    assert agent_messages(ticket) == [
        ("Anna Agent", "agent", "Your parcel left our warehouse today.")
    ]
    assert ticket.status == Status.PENDING
    html = response.content.decode()
    assert f'id="ticket-version" value="{ticket.version}"' in html
    assert '<textarea name="body" id="reply-body"' in html
    assert 'id="ticket-timeline" hx-swap-oob="true"' in html


def test_reply_can_propose_the_solution(client, world):
    """Sending with "awaiting confirmation" proposes the solution to the customer."""
    ticket = world.maria_ticket
    client.force_login(world.anna)
    client.post(
        url("ticket_reply", ticket),
        reply_data(ticket, then_status="awaiting_confirmation"),
        **HTMX,
    )
    assert fresh(ticket).status == Status.AWAITING_CONFIRMATION


def test_reply_cannot_solve_directly(client, world):
    """Only statuses an agent may reply into are accepted."""
    ticket = world.maria_ticket
    client.force_login(world.anna)
    response = client.post(
        url("ticket_reply", ticket), reply_data(ticket, then_status="solved"), **HTMX
    )
    assert agent_messages(ticket) == []
    assert "alert-error" in response.content.decode()


def test_empty_reply_is_refused_in_place(client, world):
    """An empty reply posts nothing; htmx swaps only the alert so files stay selected."""
    ticket = world.maria_ticket
    client.force_login(world.anna)
    response = client.post(url("ticket_reply", ticket), reply_data(ticket, body="  "), **HTMX)
    assert agent_messages(ticket) == []
    assert response["HX-Retarget"] == "#reply-alert"
    assert "Write something first." in response.content.decode()


def test_note_is_internal(client, world):
    """A note is stored as a note, keeps the status, and is labelled in the timeline."""
    # given
    ticket = world.maria_ticket
    client.force_login(world.lena)
    # when
    response = client.post(
        url("ticket_note", ticket), {"body": "Check the carrier first.", "mode": "note"}, **HTMX
    )
    # then
    assert agent_messages(ticket) == [("Lena Lead", "note", "Check the carrier first.")]
    assert fresh(ticket).status == Status.NEW
    html = response.content.decode()
    assert "Internal note" in html
    assert 'value="note" checked' in html  # the fresh box stays on the note tab


def test_stale_version_shows_changes_and_posts_nothing(client, world):
    """Anna replied while Lena was writing: Lena's reply is held, she sees what changed,
    and her text is still in the form."""
    # given Lena opened the ticket
    ticket = world.maria_ticket
    seen = ticket.version
    # and Anna replied meanwhile
    actions.do_add_reply(ticket, body_text="Hello from Anna.", actor=world.anna)
    client.force_login(world.lena)
    # when Lena sends with the version she saw
    data = {"body": "Hello from Lena.", "seen_version": seen, "then_status": "pending"}
    response = client.post(url("ticket_reply", ticket), data)
    # then
    assert response.status_code == 409
    assert agent_messages(ticket) == [("Anna Agent", "agent", "Hello from Anna.")]
    html = response.content.decode()
    assert "The ticket changed while you were writing" in html
    assert "Anna Agent replied" in html
    assert "Anna Agent changed status: New → Pending" in html
    assert "Hello from Lena.</textarea>" in html
    assert f'name="confirm_version" value="{fresh(ticket).version}"' in html
    assert "Send anyway" in html


def test_collision_over_htmx_keeps_the_draft_in_the_browser(client, world):
    """With htmx only the alert is replaced (the draft and files stay put) and the
    conversation is refreshed so that the new reply is visible at once."""
    # given
    ticket = world.maria_ticket
    seen = ticket.version
    actions.do_add_reply(ticket, body_text="Hello from Anna.", actor=world.anna)
    client.force_login(world.lena)
    # when
    data = {"body": "Hello from Lena.", "seen_version": seen, "then_status": "pending"}
    response = client.post(url("ticket_reply", ticket), data, **HTMX)
    # then
    assert response["HX-Retarget"] == "#reply-alert"
    html = response.content.decode()
    assert "Anna Agent replied" in html and "Hello from Anna." in html
    # the form's version is not advanced: only "Send anyway" acknowledges the changes
    assert 'id="ticket-version"' not in html
    assert agent_messages(ticket) == [("Anna Agent", "agent", "Hello from Anna.")]


def test_send_anyway_posts_and_both_replies_survive(client, world):
    """Two agents replying at once: after confirming, both messages are in the ticket."""
    # given
    ticket = world.maria_ticket
    seen = ticket.version
    actions.do_add_reply(ticket, body_text="Hello from Anna.", actor=world.anna)
    client.force_login(world.lena)
    data = {"body": "Hello from Lena.", "seen_version": seen, "then_status": "pending"}
    client.post(url("ticket_reply", ticket), data, **HTMX)
    # when
    confirmed = {**data, "confirm": "1", "confirm_version": fresh(ticket).version}
    response = client.post(url("ticket_reply", ticket), confirmed, **HTMX)
    # then
    assert response.status_code == 200 and "HX-Retarget" not in response
    assert agent_messages(ticket) == [
        ("Anna Agent", "agent", "Hello from Anna."),
        ("Lena Lead", "agent", "Hello from Lena."),
    ]


def test_send_anyway_warns_again_about_later_changes(client, world):
    """Confirming covers the changes that were shown, not ones that happened afterwards."""
    # given
    ticket = world.maria_ticket
    seen = ticket.version
    actions.do_add_reply(ticket, body_text="Hello from Anna.", actor=world.anna)
    shown = fresh(ticket).version
    actions.do_add_customer_message(ticket, body_text="Any update?")
    client.force_login(world.lena)
    # when
    data = {
        "body": "Hello from Lena.",
        "seen_version": seen,
        "then_status": "pending",
        "confirm": "1",
        "confirm_version": shown,
    }
    response = client.post(url("ticket_reply", ticket), data, **HTMX)
    # then
    html = response.content.decode()
    assert "Maria Kowalska wrote" in html and "Anna Agent replied" not in html
    assert [m[2] for m in agent_messages(ticket)] == ["Hello from Anna."]


def test_notes_are_not_held_by_collisions(client, world):
    """A note never reaches the customer, so a newer ticket version does not hold it back."""
    ticket = world.maria_ticket
    seen = ticket.version
    actions.do_add_reply(ticket, body_text="Hello from Anna.", actor=world.anna)
    client.force_login(world.lena)
    client.post(url("ticket_note", ticket), {"body": "FYI", "seen_version": seen}, **HTMX)
    assert ("Lena Lead", "note", "FYI") in agent_messages(ticket)


@pytest.fixture
def shipping_macro(world):
    macro = Macro.objects.create(store=world.store, name="Shipping delay")
    MacroText.objects.create(
        macro=macro,
        language="en",
        body="Hello {{ customer.first_name }}, ticket #{{ ticket.number }} is delayed.",
    )
    return macro


def test_macro_is_rendered_for_the_ticket(client, world, shipping_macro):
    """The macro endpoint fills in the customer's first name and the ticket number."""
    client.force_login(world.anna)
    response = client.get(
        url("ticket_macro", world.maria_ticket), {"macro_id": shipping_macro.pk}, **HTMX
    )
    assert response.status_code == 200
    assert response.json() == {
        "macro_id": shipping_macro.pk,
        "text": f"Hello Maria, ticket #{world.maria_ticket.number} is delayed.",
        "set_status": "",
    }


def test_reply_remembers_the_macro(client, world, shipping_macro):
    ticket = world.maria_ticket
    client.force_login(world.anna)
    client.post(url("ticket_reply", ticket), reply_data(ticket, macro_id=shipping_macro.pk))
    message = Message.objects.get(ticket=ticket, kind=MessageKind.AGENT)
    assert message.channel_meta == {"macro_id": shipping_macro.pk}


def test_macro_of_another_store_is_not_offered(client, world, shipping_macro):
    """A macro the agent cannot see (another store) is a 404 and not in the picker."""
    # given
    other = Store.objects.create(slug="other", name="Other", email="o@example.com")
    foreign = Macro.objects.create(store=other, name="Foreign macro")
    client.force_login(world.anna)
    # when
    response = client.get(url("ticket_macro", world.maria_ticket), {"macro_id": foreign.pk})
    page = client.get(url("ticket", world.maria_ticket)).content.decode()
    # then
    assert response.status_code == 404
    assert "Shipping delay" in page and "Foreign macro" not in page


def test_preview_shows_the_text_as_sent(client, world):
    """Plain text becomes escaped paragraphs, exactly as the reply will be stored."""
    client.force_login(world.anna)
    response = client.post(
        url("ticket_preview", world.maria_ticket),
        {"body": "Hello <b>Maria</b>\n\nSecond paragraph"},
        **HTMX,
    )
    html = response.content.decode()
    assert "<p>Hello &lt;b&gt;Maria&lt;/b&gt;</p><p>Second paragraph</p>" in html


def test_reply_with_attachment_links_the_download(client, world):
    """An attached file is stored with the reply and offered as a download link."""
    # given
    ticket = world.maria_ticket
    client.force_login(world.anna)
    upload = SimpleUploadedFile("label.pdf", b"%PDF-1.4 label", content_type="application/pdf")
    # when
    client.post(url("ticket_reply", ticket), reply_data(ticket, attachments=[upload]))
    # then
    attachment = Attachment.objects.get(message__ticket=ticket)
    assert (attachment.filename, attachment.size) == ("label.pdf", 14)
    page = client.get(url("ticket", ticket)).content.decode()
    assert f'href="{reverse("web:attachment", args=[attachment.pk])}" download' in page


def test_attachment_over_the_limit_is_refused(client, world, settings):
    """A file over ZABOTA_MAX_ATTACHMENT_BYTES stops the reply; nothing is stored."""
    # given
    settings.ZABOTA_MAX_ATTACHMENT_BYTES = 10
    ticket = world.maria_ticket
    client.force_login(world.anna)
    upload = SimpleUploadedFile("huge.bin", b"x" * 11, content_type="application/octet-stream")
    # when
    response = client.post(
        url("ticket_reply", ticket), reply_data(ticket, attachments=[upload]), **HTMX
    )
    # then
    assert agent_messages(ticket) == []
    assert not Attachment.objects.exists()
    assert "“huge.bin” is larger than the limit of 10 bytes." in response.content.decode()


def test_note_attachment_over_the_limit_is_refused(client, world, settings):
    settings.ZABOTA_MAX_ATTACHMENT_BYTES = 10
    client.force_login(world.anna)
    upload = SimpleUploadedFile("huge.bin", b"x" * 50)
    client.post(
        url("ticket_note", world.maria_ticket), {"body": "see file", "attachments": [upload]}
    )
    assert agent_messages(world.maria_ticket) == []


@pytest.mark.parametrize(
    "name", ["ticket_reply", "ticket_note", "ticket_status", "ticket_presence", "ticket_leave"]
)
def test_csrf_is_enforced(world, name):
    """Every state-changing endpoint refuses a POST without the CSRF token."""
    # given
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.anna)
    ticket = world.maria_ticket
    # when
    response = client.post(url(name, ticket), reply_data(ticket, status="pending"))
    # then
    assert response.status_code == 403
    assert fresh(ticket).version == ticket.version
