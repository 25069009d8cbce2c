"""The widget's public HTTP endpoints (docs/chat.md): a visitor known only by the signed token in
``X-Zabota-Visitor``, from another site (CORS, no CSRF, no cookies), rate-limited per address
and per token, every field cleaned and every refusal a JSON answer."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from zabota.callbacks.models import CallbackRequest
from zabota.channels.email.models import Mailbox
from zabota.chat.actions import do_block_visitor, do_post_line
from zabota.chat.constants import ConversationState, PrechatField, Sender
from zabota.chat.models import ChatSettings, Conversation, Line, Visitor
from zabota.chat.tests.chat_world import chat_settings, make_present, new_visitor
from zabota.chat.tokens import sign_visitor
from zabota.commerce.models import Store
from zabota.core import ratelimit
from zabota.tickets.constants import Channel, Status
from zabota.tickets.models import Attachment, Ticket

TOKEN = "HTTP_X_ZABOTA_VISITOR"


@pytest.fixture
def chat(world) -> ChatSettings:
    return chat_settings(world)


@pytest.fixture
def online(world, chat) -> None:
    """Anna (Support, the chat group) is online with an agent socket open."""
    make_present(world.anna)


@pytest.fixture
def client() -> Client:
    # As a store's page calls: no cookies, CSRF checks on (the endpoints are exempt).
    return Client(enforce_csrf_checks=True)


def url(name: str, key: str = "demo") -> str:
    return reverse(f"chat_widget:{name}", kwargs={"key": key})


def post(client: Client, name: str, data: dict, token: str = "", **extra):
    headers = {TOKEN: token} if token else {}
    return client.post(url(name), data, content_type="application/json", **headers, **extra)


def get_state(client: Client, token: str = ""):
    return client.get(url("state"), **({TOKEN: token} if token else {}))


def start_chat(client: Client, body: str = "Hello, where is my parcel?", **fields):
    return post(
        client,
        "conversations",
        {
            "body": body,
            "client_id": "first-1",
            "page_url": "https://shop.example/p/1?x=y",
            **fields,
        },
    )


# --- state ----------------------------------------------------------------------------------


def test_state_without_a_token_says_offline_with_the_promise_and_makes_no_visitor(
    client, world, chat
):
    """Nobody present: the widget offers to leave a message; looking does not create visitors."""
    # when
    response = get_state(client)
    # then
    assert response.status_code == 200
    data = response.json()
    assert data["online"] is False
    assert data["promise"]  # "we answer by e-mail within …"
    assert data["conversation"] is None
    assert data["prechat"] == {"name": "optional", "email": "optional", "order": "off"}
    assert Visitor.objects.count() == 0
    assert response["Cache-Control"] == "no-store"


def test_state_is_online_when_an_agent_of_the_chat_group_is_present(client, online):
    # when
    data = get_state(client).json()
    # then
    assert data["online"] is True
    assert data["promise"] == ""


def test_unknown_or_disabled_widget_is_a_json_404(client, world, chat):
    # given
    ChatSettings.objects.filter(pk=chat.pk).update(is_enabled=False)
    # when
    disabled = get_state(client)
    unknown = client.get(url("state", "nope"))
    # then
    assert disabled.status_code == unknown.status_code == 404
    assert disabled.json()["error"] == "not_found"
    assert unknown["Access-Control-Allow-Origin"] == "*"


# --- starting a chat and reloading ------------------------------------------------------------


def test_start_opens_a_chat_ticket_and_a_reload_shows_the_history(client, world, chat, online):
    """The first message makes the visitor, the conversation and its ticket (channel chat); the
    token it returns brings the conversation back with every line, as after a page reload."""
    # when
    response = start_chat(client, name="Maria", email="Maria@Example.pl")
    # then
    assert response.status_code == 201
    data = response.json()
    token = data["token"]
    conversation = Conversation.objects.get(pk=data["conversation"]["id"])
    assert conversation.state == ConversationState.QUEUED
    assert conversation.ticket.channel == Channel.CHAT
    assert conversation.visitor.email == "maria@example.pl"
    # The query string may carry personal data: only the page itself is kept.
    assert conversation.page_url == "https://shop.example/p/1"
    [line] = data["conversation"]["lines"]
    assert (line["seq"], line["sender"], line["client_id"]) == (1, "visitor", "first-1")
    assert line["body"] == "Hello, where is my parcel?"

    # given the agent answered
    do_post_line(conversation, sender=Sender.AGENT, body="It left today.", actor=world.anna)
    # when the page is reloaded
    state = get_state(client, token).json()
    # then
    assert state["conversation"]["id"] == conversation.pk
    assert [(x["seq"], x["sender"], x["body"]) for x in state["conversation"]["lines"]] == [
        (1, "visitor", "Hello, where is my parcel?"),
        (2, "agent", "It left today."),
    ]
    assert state["conversation"]["last_seq"] == 2
    assert state["visitor"] == {"name": "Maria", "email": "maria@example.pl"}


def test_a_second_start_with_the_same_token_writes_into_the_open_chat(client, chat, online):
    """Two tabs that both start a chat end up in one conversation; a resend is stored once."""
    # given
    first = start_chat(client).json()
    # when
    again = post(
        client,
        "conversations",
        {"body": "Are you there?", "client_id": "second-1"},
        token=first["token"],
    )
    resend = post(
        client,
        "conversations",
        {"body": "Are you there?", "client_id": "second-1"},
        token=first["token"],
    )
    # then
    assert again.status_code == resend.status_code == 200
    assert again.json()["conversation"]["id"] == first["conversation"]["id"]
    assert Conversation.objects.count() == 1
    assert list(Line.objects.order_by("seq").values_list("body", flat=True)) == [
        "Hello, where is my parcel?",
        "Are you there?",
    ]


def test_start_while_nobody_is_online_is_refused_with_the_promise(client, chat):
    """The widget is honest: no chat is queued when nobody can answer now."""
    # when
    response = start_chat(client)
    # then
    assert response.status_code == 409
    assert response.json()["error"] == "offline"
    assert response.json()["promise"]
    assert Conversation.objects.count() == Visitor.objects.count() == 0


def test_required_prechat_fields_and_bad_input_are_refused_per_field(client, world, chat, online):
    # given
    ChatSettings.objects.filter(pk=chat.pk).update(
        ask_email=PrechatField.REQUIRED, ask_order=PrechatField.REQUIRED
    )
    # when
    missing = start_chat(client, body="   ")
    bad_email = start_chat(client, email="not-an-address", order_number="A-1")
    too_long = start_chat(client, body="x" * 5001, email="a@b.example", order_number="A-1")
    # then
    assert missing.status_code == 400
    assert set(missing.json()["errors"]) == {"body", "email", "order_number"}
    assert set(bad_email.json()["errors"]) == {"email"}
    assert set(too_long.json()["errors"]) == {"body"}
    assert Conversation.objects.count() == 0


def test_text_is_stored_plain_without_control_or_direction_override_characters(
    client, chat, online
):
    # when
    response = start_chat(
        client,
        body="Hi\u202e txt.exe\x00\r\n\r\n\r\n\r\n<b>bold</b>",
        name="  Ma\u0007ria \n Kowalska ",
    )
    # then
    assert response.status_code == 201
    line = Line.objects.get()
    # Markup stays text (escaped wherever it is shown), paragraphs stay.
    assert line.body == "Hi txt.exe\n\n<b>bold</b>"
    assert Visitor.objects.get().name == "Maria Kowalska"


def test_a_malformed_body_is_a_json_400(client, chat, online):
    # when
    response = client.post(url("conversations"), "[1, 2", content_type="application/json")
    # then
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"


# --- tokens and blocking ----------------------------------------------------------------------


def test_a_forged_or_foreign_token_is_refused(client, world, chat, online):
    """A token that was altered, or made for another store's widget, names nobody here."""
    # given
    _visitor, token = new_visitor(chat)
    other_store = Store.objects.create(slug="other", name="Other", email="help@other.example")
    ChatSettings.objects.create(store=other_store, widget_key="other")
    _foreign, foreign_token = new_visitor(ChatSettings.objects.get(widget_key="other"))
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    # when
    answers = [
        get_state(client, forged),
        get_state(client, foreign_token),
        start_chat_with(client, forged),
        post(client, "message", {"email": "x@y.example", "body": "Hi"}, token=foreign_token),
    ]
    # then
    for response in answers:
        assert response.status_code == 403
        assert response.json()["error"] == "invalid_token"
    assert Conversation.objects.count() == 0
    assert Ticket.objects.filter(channel=Channel.EMAIL, subject__icontains="Hi").count() == 0
    assert get_state(client, token).status_code == 200


def start_chat_with(client: Client, token: str):
    return post(client, "conversations", {"body": "Hello"}, token=token)


def test_a_blocked_visitor_can_neither_chat_nor_leave_a_message_nor_ask_for_a_call(
    client, world, chat, online
):
    # given
    started = start_chat(client).json()
    visitor = Visitor.objects.get()
    do_block_visitor(visitor, actor=world.lena)
    token = started["token"]
    # when
    answers = [
        start_chat_with(client, token),
        post(client, "message", {"email": "m@example.pl", "body": "Hi"}, token=token),
        post(client, "callback", {"phone": "+48 601 234 567"}, token=token),
    ]
    state = get_state(client, token).json()
    # then
    for response in answers:
        assert response.status_code == 403
        assert response.json()["error"] == "blocked"
    assert state["blocked"] is True
    assert state["conversation"] is None
    assert Conversation.objects.get().state == ConversationState.ENDED
    assert CallbackRequest.objects.count() == 0


# --- leaving a message ------------------------------------------------------------------------


def test_offline_message_becomes_an_email_ticket_from_the_visitors_address(client, world, chat):
    """Nobody online: the message is an e-mail ticket, so the answer goes out by e-mail."""
    # when
    response = post(
        client,
        "message",
        {"name": "Ivan", "email": "Ivan.New@Example.ru", "body": "Do you ship to Kazan?"},
    )
    # then
    assert response.status_code == 201
    assert response.json()["token"]
    ticket = Ticket.objects.exclude(pk__in=[world.maria_ticket.pk, world.ivan_ticket.pk]).get()
    assert ticket.channel == Channel.EMAIL
    assert ticket.status == Status.NEW
    assert ticket.customer.identities.filter(value="ivan.new@example.ru").exists()
    assert ticket.messages.get().body_text == "Do you ship to Kazan?"
    assert Visitor.objects.get().email == "ivan.new@example.ru"


def test_offline_message_needs_an_email_and_a_message(client, world, chat):
    # when
    response = post(client, "message", {"name": "Ivan", "email": "", "body": ""})
    bad = post(client, "message", {"email": "ivan@", "body": "Hi"})
    # then
    assert response.status_code == bad.status_code == 400
    assert set(response.json()["errors"]) == {"email", "body"}
    assert set(bad.json()["errors"]) == {"email"}
    assert Ticket.objects.count() == 2  # the world's


# --- uploads ----------------------------------------------------------------------------------


def upload(client: Client, token: str, data: bytes, name: str = "label.pdf"):
    return client.post(
        url("upload"),
        {"file": SimpleUploadedFile(name, data, "application/pdf"), "client_id": "up-1"},
        **{TOKEN: token},
    )


def test_upload_adds_a_file_line_to_the_current_chat(client, chat, online):
    # given
    token = start_chat(client).json()["token"]
    # when
    response = upload(client, token, b"%PDF-1.4 label", "label\u202e.pdf")
    # then
    assert response.status_code == 200
    line = response.json()["line"]
    assert line["seq"] == 2
    assert line["client_id"] == "up-1"
    assert [(a["name"], a["size"]) for a in line["attachments"]] == [("label.pdf", 14)]
    assert Attachment.objects.get().filename == "label.pdf"


def test_a_chat_file_downloads_by_its_signed_link_and_not_by_a_forged_one(client, chat, online):
    # given a file the visitor sent (the agent's line carries the same kind of link)
    token = start_chat(client).json()["token"]
    link = upload(client, token, b"%PDF-1.4 label").json()["line"]["attachments"][0]["url"]
    # when the visitor, who has no sign-in, opens it
    response = client.get(link)
    # then it is a download, never rendered
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 label"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    # and another id under the same signature, or an e-mail file, is not found
    attachment_id = Attachment.objects.get().pk
    forged = link.replace(f"/files/{attachment_id}:", f"/files/{attachment_id + 1}:")
    assert forged != link
    assert client.get(forged).status_code == 404


@override_settings(ZABOTA_MAX_ATTACHMENT_BYTES=1000)
def test_upload_over_the_attachment_limit_is_refused(client, chat, online):
    # given
    token = start_chat(client).json()["token"]
    # when
    response = upload(client, token, b"x" * 1001)
    # then
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"
    assert "1000" in response.json()["message"].replace("\xa0", " ").replace(",", "")
    assert Attachment.objects.count() == 0
    assert Line.objects.count() == 1


def test_upload_without_an_open_chat_is_refused(client, chat):
    # given
    _visitor, token = new_visitor(chat)
    # when
    response = upload(client, token, b"data")
    no_token = upload(client, "", b"data")
    # then
    assert response.status_code == no_token.status_code == 409
    assert response.json()["error"] == "no_conversation"
    assert Attachment.objects.count() == 0


# --- ending -----------------------------------------------------------------------------------


def test_the_visitor_ends_the_chat_and_gets_the_transcript(
    client, world, chat, online, django_capture_on_commit_callbacks
):
    # given
    Mailbox.objects.create(
        store=world.store, name="Support", address="support@store.example", smtp_enabled=True
    )
    token = start_chat(client, email="maria@example.pl").json()["token"]
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, "end", {"transcript": True}, token=token)
    again = post(client, "end", {}, token=token)
    # then
    assert response.status_code == 200
    assert response.json() == {"state": "ended", "transcript": True}
    assert again.json() == {"state": "ended", "transcript": False}
    conversation = Conversation.objects.get()
    assert conversation.state == ConversationState.ENDED
    assert conversation.ticket.status == Status.SOLVED
    assert [m.to for m in mail.outbox] == [["maria@example.pl"]]
    assert get_state(client, token).json()["conversation"] is None


def test_a_transcript_needs_an_address(client, chat, online):
    # given
    token = start_chat(client).json()["token"]
    # when
    response = post(client, "end", {"transcript": True, "email": "nope"}, token=token)
    # then
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"email"}
    assert Conversation.objects.get().state == ConversationState.QUEUED


# --- callbacks --------------------------------------------------------------------------------


def test_callback_request_opens_a_callback_ticket_for_the_visitor(client, world, chat):
    # when
    response = post(
        client,
        "callback",
        {"phone": "+48 601 234 567", "name": "Maria", "topic": "Return", "when": "asap"},
    )
    # then
    assert response.status_code == 201
    request = CallbackRequest.objects.get()
    assert request.phone == "+48601234567"
    assert request.topic == "Return"
    assert request.visitor == Visitor.objects.get()
    assert request.window_start is None
    assert request.ticket.channel == Channel.CALLBACK


def test_callback_window_tomorrow_is_read_in_the_stores_time(client, world, chat):
    # when
    response = post(
        client,
        "callback",
        {"phone": "+48 601 234 567", "when": "tomorrow", "from": "10:00", "to": "12:30"},
    )
    # then
    assert response.status_code == 201
    request = CallbackRequest.objects.get()
    zone = ZoneInfo(world.store.time_zone)
    start = timezone.localtime(request.window_start, zone)
    end = timezone.localtime(request.window_end, zone)
    assert (start.hour, start.minute, end.hour, end.minute) == (10, 0, 12, 30)
    assert start.date() == (timezone.localtime(timezone.now(), zone) + timedelta(days=1)).date()


def test_bad_callback_input_is_refused_per_field(client, world, chat):
    # when
    no_phone = post(client, "callback", {"phone": "", "when": "asap"})
    bad_window = post(
        client, "callback", {"phone": "+48601234567", "when": "today", "from": "12:00", "to": "9"}
    )
    unreadable = post(client, "callback", {"phone": "12", "when": "asap"})
    # then
    assert no_phone.status_code == bad_window.status_code == unreadable.status_code == 400
    assert set(no_phone.json()["errors"]) == {"phone"}
    assert set(bad_window.json()["errors"]) == {"to"}
    assert set(unreadable.json()["errors"]) == {"phone"}
    assert CallbackRequest.objects.count() == 0


# --- rate limits ------------------------------------------------------------------------------


def test_offline_messages_over_the_per_address_limit_get_a_friendly_429(client, world, chat):
    # given
    limit = ratelimit.CHAT_OFFLINE_MESSAGE_PER_IP.max_hits
    for n in range(limit):
        ok = post(client, "message", {"email": f"v{n}@example.pl", "body": "Hello"})
        assert ok.status_code == 201
    # when
    response = post(client, "message", {"email": "late@example.pl", "body": "Hello"})
    # then
    assert response.status_code == 429
    data = response.json()
    assert data["error"] == "rate_limited"
    assert "too fast" in data["message"]
    assert 0 < data["retry_after"] <= 600
    assert int(response["Retry-After"]) == data["retry_after"]
    assert response["Access-Control-Allow-Origin"] == "*"
    assert Visitor.objects.count() == limit  # the refused one made none


def test_one_visitor_over_the_per_token_limit_is_stopped_before_the_address_limit(
    client, chat, online
):
    """Per token: one visitor cannot use up what a shared office's address may send."""
    # given
    token = start_chat(client).json()["token"]
    per_visitor = ratelimit.CHAT_START_PER_VISITOR.max_hits
    assert per_visitor + 1 < ratelimit.CHAT_START_PER_IP.max_hits
    answers = [
        post(client, "conversations", {"body": f"again {n}"}, token=token)
        for n in range(per_visitor + 1)
    ]
    # then
    assert [r.status_code for r in answers[:per_visitor]] == [200] * per_visitor
    assert answers[-1].status_code == 429
    # another visitor from the same address still starts a chat
    assert start_chat(client).status_code == 201


# --- CORS and CSRF ----------------------------------------------------------------------------


def test_preflight_allows_any_origin_and_the_token_header(client, chat):
    # when
    response = client.options(
        url("conversations"),
        HTTP_ORIGIN="https://shop.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type,x-zabota-visitor",
    )
    # then
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response["Access-Control-Allow-Methods"]
    allowed = {h.strip().lower() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"content-type", "x-zabota-visitor"} <= allowed


def test_answers_carry_cors_and_need_no_csrf_token_or_cookie(client, chat, online):
    # when
    started = start_chat(client, HTTP_ORIGIN="https://shop.example")
    refused = post(client, "message", {}, HTTP_ORIGIN="https://shop.example")
    wrong_method = client.get(url("conversations"))
    # then
    assert started.status_code == 201
    assert refused.status_code == 400
    assert wrong_method.status_code == 405
    for response in (started, refused, wrong_method):
        assert response["Access-Control-Allow-Origin"] == "*"
        assert not response.cookies


def test_the_token_works_only_for_its_visitor(client, chat, online):
    """A token signs exactly one visitor: the state shows that visitor's chat, nobody else's."""
    # given
    maria = start_chat(client, name="Maria").json()
    ivan_visitor, _ = new_visitor(chat)
    # when
    ivan_state = get_state(client, sign_visitor(ivan_visitor)).json()
    # then
    assert maria["conversation"]["id"]
    assert ivan_state["conversation"] is None
