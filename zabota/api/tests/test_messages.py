"""The conversation of a ticket: listing with attachments, replies, notes, macros, collisions."""

from django.test import override_settings

from zabota.tickets.actions import NewAttachment, do_add_customer_message, get_or_create_tag
from zabota.tickets.constants import MessageKind, Status
from zabota.tickets.models import Macro, MacroText, Ticket

JSON = "application/json"


def messages_url(ticket):
    return f"/api/v1/tickets/{ticket.pk}/messages"


def test_messages_list_the_conversation_with_attachments(world, api_as, tmp_path):
    """Messages come oldest first with their author, and attachments with a download URL."""
    # given
    with override_settings(MEDIA_ROOT=tmp_path):
        follow_up = do_add_customer_message(
            world.maria_ticket,
            body_text="Here is the receipt.",
            attachments=[NewAttachment("receipt.pdf", "application/pdf", b"%PDF-1.4 ...")],
        )
    attachment = follow_up.attachments.get()
    # when
    response = api_as(world.anna).get(messages_url(world.maria_ticket))
    # then
    assert response.status_code == 200
    first, second = response.json()["items"]
    assert first["kind"] == "customer"
    assert first["author"] == {"type": "customer", "id": world.maria.pk, "name": "Maria Kowalska"}
    assert first["body_text"] == "Ordered a week ago."
    assert first["attachments"] == []
    assert first["original_ticket_number"] == world.maria_ticket.number
    assert second["id"] == follow_up.pk
    assert second["attachments"] == [
        {
            "id": attachment.pk,
            "filename": "receipt.pdf",
            "content_type": "application/pdf",
            "size": 12,
            "url": f"/attachments/{attachment.pk}/",
        }
    ]
    assert response.json()["next"] is None


def test_messages_paginate_without_gaps_or_repeats(world, api_as):
    """Following `next` through a long conversation yields each message once, in order."""
    # given 7 messages in all
    for i in range(6):
        do_add_customer_message(world.maria_ticket, body_text=f"Message {i}")
    client = api_as(world.anna)
    # when
    seen, cursor = [], ""
    while True:
        body = client.get(f"{messages_url(world.maria_ticket)}?limit=3&cursor={cursor}").json()
        seen += [m["body_text"] for m in body["items"]]
        if not body["next"]:
            break
        cursor = body["next"]
    # then
    assert seen == ["Ordered a week ago."] + [f"Message {i}" for i in range(6)]


def test_reply_is_sent_and_leaves_the_ticket_pending(world, api_as):
    """A reply is an agent message; by default the ticket then waits on the customer."""
    # when
    response = api_as(world.anna).post(
        messages_url(world.maria_ticket),
        {
            "kind": "reply",
            "body_text": "It ships tomorrow.",
            "body_html": "<p>It ships <b>tomorrow</b>.</p>",
        },
        JSON,
    )
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == MessageKind.AGENT
    assert body["author"] == {"type": "agent", "id": world.anna.pk, "name": "Anna Agent"}
    assert body["body_html"] == "<p>It ships <b>tomorrow</b>.</p>"
    ticket = Ticket.objects.get(pk=world.maria_ticket.pk)
    assert ticket.status == Status.PENDING
    assert ticket.first_reply_at is not None


def test_reply_proposing_a_solution(world, api_as):
    """`then_status: awaiting_confirmation` proposes the solution; `solved` is refused."""
    client = api_as(world.anna)
    refused = client.post(
        messages_url(world.maria_ticket),
        {"kind": "reply", "body_text": "Done!", "then_status": "solved"},
        JSON,
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_status"
    proposed = client.post(
        messages_url(world.maria_ticket),
        {"kind": "reply", "body_text": "Refund sent.", "then_status": "awaiting_confirmation"},
        JSON,
    )
    assert proposed.status_code == 201
    ticket = Ticket.objects.get(pk=world.maria_ticket.pk)
    assert ticket.status == Status.AWAITING_CONFIRMATION
    assert ticket.message_count == 2  # the refused reply was not stored


def test_note_stays_internal(world, api_as):
    """A note is recorded for the team and changes neither status nor the customer-facing count."""
    # when
    response = api_as(world.anna).post(
        messages_url(world.maria_ticket), {"kind": "note", "body_text": "VIP, be quick"}, JSON
    )
    # then
    assert response.status_code == 201
    assert response.json()["kind"] == "note"
    ticket = Ticket.objects.get(pk=world.maria_ticket.pk)
    assert ticket.status == Status.NEW
    assert ticket.message_count == 1
    # and notes take no reply options
    invalid = api_as(world.anna).post(
        messages_url(world.maria_ticket),
        {"kind": "note", "body_text": "x", "then_status": "open"},
        JSON,
    )
    assert invalid.status_code == 422


def test_reply_written_against_an_old_version_collides(world, api_as):
    """With `seen_version`, a reply to a ticket that changed since is refused with 409."""
    # given Anna read version 1, then a colleague replied
    seen = world.maria_ticket.version
    api_as(world.lena).post(
        messages_url(world.maria_ticket), {"kind": "reply", "body_text": "On it."}, JSON
    )
    # when
    response = api_as(world.anna).post(
        messages_url(world.maria_ticket),
        {"kind": "reply", "body_text": "Me too.", "seen_version": seen},
        JSON,
    )
    # then
    assert response.status_code == 409
    assert response.json()["code"] == "collision"
    assert Ticket.objects.get(pk=world.maria_ticket.pk).message_count == 2


def test_reply_from_a_macro_applies_its_status_and_tags(world, api_as):
    """A macro's "then" status and tags apply to the reply sent with it."""
    # given
    macro = Macro.objects.create(
        store=world.store, name="Refund sent", set_status=Status.AWAITING_CONFIRMATION
    )
    macro.add_tags.add(get_or_create_tag(world.store, "refund"))
    MacroText.objects.create(macro=macro, language="en", body="Refund sent.")
    # when
    response = api_as(world.anna).post(
        messages_url(world.maria_ticket),
        {"kind": "reply", "body_text": "Refund sent.", "macro_id": macro.pk},
        JSON,
    )
    # then
    assert response.status_code == 201, response.content
    ticket = api_as(world.anna).get(f"/api/v1/tickets/{world.maria_ticket.pk}").json()
    assert ticket["status"] == "awaiting_confirmation"
    assert ticket["tags"] == ["refund"]
