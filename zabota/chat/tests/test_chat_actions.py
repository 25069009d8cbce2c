"""Chat actions: a conversation is a ticket with channel chat; lines are numbered once; accept,
transfer, end and block keep the ticket in step."""

import pytest
from django.core import mail

from zabota.channels.email.models import Mailbox, OutboundEmail
from zabota.chat import broadcast
from zabota.chat.actions import (
    check_accept,
    check_block_visitor,
    check_end,
    check_post_line,
    check_transfer,
    current_conversation,
    do_accept,
    do_end,
    do_get_or_create_visitor,
    do_leave_message,
    do_mark,
    do_post_line,
    do_start_conversation,
    line_payload,
    lines_after,
)
from zabota.chat.constants import ConversationState, PrechatField, Sender
from zabota.chat.errors import ChatError, ChatErrorCode
from zabota.chat.models import AgentChatLimit, Line
from zabota.chat.tests.chat_world import chat_settings, new_visitor, reload, start
from zabota.chat.tokens import sign_file
from zabota.customers.constants import IdentityKind
from zabota.tickets.actions import NewAttachment, do_add_reply
from zabota.tickets.constants import Channel, EventKind, MessageKind, Status
from zabota.tickets.models import Message, TicketEvent


@pytest.fixture
def chat(world):
    return chat_settings(world)


@pytest.fixture
def mailbox(world):
    """A mailbox that sends by SMTP: replies of e-mail tickets would be queued through it."""
    return Mailbox.objects.create(
        store=world.store,
        name="Support",
        address="support@store.example",
        smtp_enabled=True,
        smtp_host="127.0.0.1",
    )


def test_start_opens_chat_ticket_in_chat_group(world, chat, django_capture_on_commit_callbacks):
    """The first message opens a ticket (channel chat) for the customer with that e-mail."""
    # given
    visitor, _token = new_visitor(chat)
    # when
    with broadcast.collected() as frames, django_capture_on_commit_callbacks(execute=True):
        conversation = start(visitor, name="Maria", email="MARIA@example.pl", client_id="c1")
    # then
    conversation = reload(conversation)
    ticket = conversation.ticket
    assert conversation.state == ConversationState.QUEUED
    assert (ticket.channel, ticket.group, ticket.customer) == (
        Channel.CHAT,
        world.support,
        world.maria,
    )
    message = ticket.messages.get()
    assert (message.kind, message.channel) == (MessageKind.CUSTOMER, Channel.CHAT)
    assert message.body_text == "Hello, is my parcel on its way?"
    [line] = Line.objects.filter(conversation=conversation)
    assert (line.seq, line.sender, line.client_id, line.message) == (1, "visitor", "c1", message)
    groups = [group for group, _frame in frames]
    assert f"chat.c.{conversation.pk}" in groups
    queue = next(frame for group, frame in frames if group == f"chat.q.{world.store.pk}")
    assert queue["type"] == "queue"
    assert queue["waiting"] == 1
    assert queue["conversation"]["id"] == conversation.pk


def test_start_without_email_makes_a_chat_customer(world, chat):
    visitor, _token = new_visitor(chat)
    conversation = start(visitor)
    customer = reload(conversation).ticket.customer
    assert customer.name == "Chat visitor"
    assert customer.identities.get().kind == IdentityKind.CHAT
    # The next chat of the same visitor finds the same customer.
    do_end(conversation, actor=None)
    again = start(visitor, body="Me again")
    assert reload(again).ticket.customer == customer
    assert again.pk != conversation.pk


def test_start_refuses_missing_required_fields_and_blank_body(world):
    chat = chat_settings(world, ask_email=PrechatField.REQUIRED, ask_order=PrechatField.REQUIRED)
    visitor, _token = new_visitor(chat)
    with pytest.raises(ChatError) as caught:
        start(visitor, body="  ")
    assert set(caught.value.errors) == {"body"}
    with pytest.raises(ChatError) as caught:
        start(visitor, email="not an address")
    assert set(caught.value.errors) == {"email", "order_number"}
    with pytest.raises(ChatError) as caught:
        start(visitor, body="x" * 5001, email="a@example.com", order_number="1")
    assert set(caught.value.errors) == {"body"}
    assert current_conversation(visitor) is None


def test_lines_are_numbered_and_a_resend_is_stored_once(world, chat):
    # given
    visitor, _token = new_visitor(chat)
    conversation = start(visitor, client_id="c1")
    # when
    second, created_second = do_post_line(
        conversation, sender=Sender.VISITOR, body="Order 1001", client_id="c2"
    )
    again, created_again = do_post_line(
        conversation, sender=Sender.VISITOR, body="Order 1001", client_id="c2"
    )
    third, _created = do_post_line(conversation, sender=Sender.VISITOR, body="Thanks")
    # then
    assert (second.seq, created_second) == (2, True)
    assert (again.pk, again.seq, created_again) == (second.pk, 2, False)
    assert third.seq == 3
    conversation = reload(conversation)
    assert conversation.last_seq == 3
    assert conversation.ticket.message_count == 3
    assert [line.seq for line in lines_after(conversation, 1)] == [2, 3]
    assert line_payload(second)["body"] == "Order 1001"


def test_agent_reply_is_a_chat_reply_and_not_emailed(
    world, chat, mailbox, django_capture_on_commit_callbacks
):
    """Replies of chat tickets stay in the chat; the same reply to an e-mail ticket is queued
    as an e-mail (so the check below can fail)."""
    # given
    visitor, _token = new_visitor(chat)
    conversation = start(visitor, email="maria@example.pl")
    check_accept(conversation, actor=world.anna)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        line, _created = check_post_line(
            reload(conversation), body="It left the warehouse today.", actor=world.anna
        )
    with django_capture_on_commit_callbacks(execute=True):
        do_add_reply(world.maria_ticket, body_text="By e-mail.", actor=world.anna)
    # then
    message = line.message
    assert (message.kind, message.channel, message.author_user) == (
        MessageKind.AGENT,
        Channel.CHAT,
        world.anna,
    )
    assert reload(conversation).ticket.status == Status.OPEN
    assert not OutboundEmail.objects.filter(ticket=conversation.ticket).exists()
    assert OutboundEmail.objects.filter(ticket=world.maria_ticket).count() == 1


def test_only_the_holding_agent_writes(world, chat):
    visitor, _token = new_visitor(chat)
    conversation = start(visitor)
    with pytest.raises(ChatError) as caught:
        check_post_line(conversation, body="Hi", actor=world.anna)
    assert caught.value.code == ChatErrorCode.NOT_ALLOWED
    check_accept(conversation, actor=world.anna)
    with pytest.raises(ChatError):
        check_post_line(reload(conversation), body="Hi", actor=world.lena)


def test_accept_respects_capacity_group_and_state(world, chat):
    # given: Anna holds one chat at most
    AgentChatLimit.objects.create(user=world.anna, max_chats=1)
    first = start(new_visitor(chat)[0])
    second = start(new_visitor(chat)[0])
    # when
    accepted = check_accept(first, actor=world.anna)
    # then
    accepted = reload(accepted)
    assert (accepted.state, accepted.agent) == (ConversationState.ACTIVE, world.anna)
    assert accepted.ticket.assignee == world.anna
    assert accepted.accepted_at is not None
    system = Line.objects.get(conversation=accepted, sender=Sender.SYSTEM)
    assert system.body == "Anna joined the chat."
    with pytest.raises(ChatError) as caught:
        check_accept(second, actor=world.anna)
    assert caught.value.code == ChatErrorCode.AT_CAPACITY
    with pytest.raises(ChatError) as caught:
        check_accept(second, actor=world.piotr)  # Returns: not his chat
    assert caught.value.code == ChatErrorCode.NOT_FOUND
    with pytest.raises(ChatError) as caught:
        check_accept(first, actor=world.lena)
    assert caught.value.code == ChatErrorCode.NOT_WAITING
    assert reload(check_accept(second, actor=world.lena)).agent == world.lena


def test_transfer_to_group_queues_again_and_to_agent_keeps_it_active(world, chat):
    # given
    conversation = start(new_visitor(chat)[0])
    check_accept(conversation, actor=world.anna)
    # when
    check_transfer(reload(conversation), actor=world.anna, to_group=world.returns)
    # then
    queued = reload(conversation)
    assert (queued.state, queued.agent, queued.group) == (
        ConversationState.QUEUED,
        None,
        world.returns,
    )
    assert (queued.ticket.group, queued.ticket.assignee) == (world.returns, None)
    # Anna no longer reaches it; Piotr (Returns) takes it, then Lena gives it back to Anna.
    with pytest.raises(ChatError):
        check_transfer(queued, actor=world.anna, to_user=world.anna)
    check_accept(queued, actor=world.piotr)
    check_transfer(reload(conversation), actor=world.lena, to_user=world.anna)
    active = reload(conversation)
    assert (active.state, active.agent, active.group) == (
        ConversationState.ACTIVE,
        world.anna,
        world.support,
    )
    assert active.ticket.assignee == world.anna
    bodies = list(
        Line.objects.filter(conversation=conversation, sender=Sender.SYSTEM).values_list(
            "body", flat=True
        )
    )
    assert bodies == [
        "Anna joined the chat.",
        "The chat was transferred to Returns.",
        "Piotr joined the chat.",
        "The chat was transferred to Anna.",
    ]


def test_transfer_refuses_an_agent_at_capacity(world, chat):
    AgentChatLimit.objects.create(user=world.piotr, max_chats=1)
    check_accept(start(new_visitor(chat)[0]), actor=world.lena)
    busy = start(new_visitor(chat)[0])
    busy.group = world.returns
    busy.save()
    check_accept(busy, actor=world.piotr)
    conversation = start(new_visitor(chat)[0])
    check_accept(conversation, actor=world.anna)
    with pytest.raises(ChatError) as caught:
        check_transfer(reload(conversation), actor=world.anna, to_user=world.piotr)
    assert caught.value.code == ChatErrorCode.TARGET_AT_CAPACITY


def test_end_solves_the_ticket_and_emails_the_transcript(
    world, chat, mailbox, django_capture_on_commit_callbacks
):
    # given
    visitor, _token = new_visitor(chat)
    conversation = start(visitor, name="Maria", email="maria@example.pl")
    check_accept(conversation, actor=world.anna)
    check_post_line(reload(conversation), body="It arrives tomorrow.", actor=world.anna)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        check_end(reload(conversation), actor=world.anna, transcript_to="maria@example.pl")
    # then
    ended = reload(conversation)
    assert ended.state == ConversationState.ENDED
    assert ended.ended_at is not None
    assert ended.ticket.status == Status.SOLVED
    event = TicketEvent.objects.filter(ticket=ended.ticket, kind=EventKind.STATUS).last()
    assert event.data["new"] == Status.SOLVED
    assert event.data["reason"] == "chat_ended"
    [sent] = mail.outbox
    assert sent.to == ["maria@example.pl"]
    assert sent.from_email == "support@store.example"
    assert f"[#{ended.ticket.number}]" in sent.subject
    assert "Maria: Hello, is my parcel on its way?" in sent.body
    assert "Anna: It arrives tomorrow." in sent.body
    assert "Anna ended the chat." in sent.body
    # An ended chat takes no more lines; the visitor's next message starts a new chat.
    with pytest.raises(ChatError) as caught:
        do_post_line(ended, sender=Sender.VISITOR, body="One more thing")
    assert caught.value.code == ChatErrorCode.ENDED
    assert current_conversation(visitor) is None


def test_end_by_the_visitor_with_a_bad_address_changes_nothing(world, chat):
    conversation = start(new_visitor(chat)[0])
    with pytest.raises(ChatError) as caught:
        do_end(conversation, actor=None, transcript_to="not-an-address")
    assert set(caught.value.errors) == {"email"}
    assert reload(conversation).state == ConversationState.QUEUED
    do_end(conversation, actor=None)
    ended = reload(conversation)
    assert (ended.state, ended.ticket.status) == (ConversationState.ENDED, Status.SOLVED)
    assert lines_after(ended, 1)[-1].body == "The visitor ended the chat."


def test_end_refused_for_agent_of_another_group(world, chat):
    conversation = start(new_visitor(chat)[0])
    with pytest.raises(ChatError):
        check_end(conversation, actor=world.piotr)
    check_end(conversation, actor=world.lena)
    assert reload(conversation).state == ConversationState.ENDED


def test_block_ends_the_chat_and_stops_the_visitor(world, chat):
    # given
    visitor, _token = new_visitor(chat)
    conversation = start(visitor)
    check_accept(conversation, actor=world.anna)
    # when
    check_block_visitor(reload(conversation), actor=world.anna)
    # then
    visitor.refresh_from_db()
    assert visitor.blocked_at is not None
    assert visitor.blocked_by == world.anna
    assert reload(conversation).state == ConversationState.ENDED
    with pytest.raises(ChatError) as caught:
        start(visitor, body="Let me in")
    assert caught.value.code == ChatErrorCode.BLOCKED
    with pytest.raises(ChatError) as caught:
        do_leave_message(chat, visitor, name="", email="x@example.com", body="Hello")
    assert caught.value.code == ChatErrorCode.BLOCKED


def test_block_refused_for_agent_of_another_group(world, chat):
    conversation = start(new_visitor(chat)[0])
    with pytest.raises(ChatError):
        check_block_visitor(conversation, actor=world.piotr)


def test_leave_message_becomes_an_email_ticket(world, chat):
    visitor, _token = new_visitor(chat)
    with pytest.raises(ChatError) as caught:
        do_leave_message(chat, visitor, name="Ola", email="", body="")
    assert set(caught.value.errors) == {"email", "body"}
    ticket = do_leave_message(
        chat, visitor, name="Ola Nowak", email="ola@example.com", body="Do you ship to Hungary?"
    )
    assert ticket.channel == Channel.EMAIL
    assert ticket.customer.identities.get().value == "ola@example.com"
    message = Message.objects.get(ticket=ticket)
    assert message.channel == Channel.EMAIL
    assert message.channel_meta["from"] == "Ola Nowak <ola@example.com>"
    visitor.refresh_from_db()
    assert (visitor.name, visitor.email) == ("Ola Nowak", "ola@example.com")


def test_marks_move_forward_only(world, chat, django_capture_on_commit_callbacks):
    conversation = start(new_visitor(chat)[0])
    do_post_line(conversation, sender=Sender.VISITOR, body="Two")
    with broadcast.collected() as frames, django_capture_on_commit_callbacks(execute=True):
        assert do_mark(conversation, side=Sender.AGENT, read_seq=2) == {"delivered": 2, "read": 2}
    assert [frame["type"] for _group, frame in frames] == ["read"]
    assert do_mark(conversation, side=Sender.AGENT, read_seq=1) == {}
    assert do_mark(conversation, side=Sender.AGENT, delivered_seq=9) == {}  # past the last line
    conversation = reload(conversation)
    assert (conversation.agent_delivered_seq, conversation.agent_read_seq) == (2, 2)
    assert conversation.visitor_read_seq == 0


def test_visitor_token_round_trip(world, chat):
    visitor, token = new_visitor(chat)
    again, same_token = do_get_or_create_visitor(chat, token, language="pl")
    assert again.pk == visitor.pk
    assert same_token == token
    assert again.language == "pl"
    other, other_token = do_get_or_create_visitor(chat, token[:-2] + "xx")
    assert other.pk != visitor.pk
    assert other_token != token


def test_a_second_start_writes_into_the_open_chat(world, chat):
    visitor, _token = new_visitor(chat)
    first = start(visitor)
    second = do_start_conversation(visitor, body="Are you there?")
    assert second.pk == first.pk
    assert reload(first).last_seq == 2


def test_line_with_a_file_carries_its_attachment(world, chat, django_capture_on_commit_callbacks):
    conversation = start(new_visitor(chat)[0])
    with broadcast.collected() as frames, django_capture_on_commit_callbacks(execute=True):
        line, _created = do_post_line(
            conversation,
            sender=Sender.VISITOR,
            body="",
            attachments=[NewAttachment("label.pdf", "application/pdf", b"%PDF-1.4 x")],
        )
    [attachment] = line_payload(Line.objects.get(pk=line.pk))["attachments"]
    assert (attachment["name"], attachment["size"]) == ("label.pdf", 10)
    # A signed link: the visitor has no sign-in for the agent UI's attachment view.
    assert attachment["url"] == f"/widget/files/{sign_file(line.message.attachments.get().pk)}"
    assert line_payload(Line.objects.get(conversation=conversation, seq=1))["attachments"] == []
    [(_group, frame)] = frames
    assert frame["line"]["attachments"] == [attachment]


def test_a_reply_written_on_the_ticket_page_is_a_line_of_the_open_chat(
    world, chat, django_capture_on_commit_callbacks
):
    """The ticket page, the API and rules reply through do_add_reply: the visitor must see it."""
    conversation = start(new_visitor(chat)[0])
    with broadcast.collected() as frames, django_capture_on_commit_callbacks(execute=True):
        message = do_add_reply(
            conversation.ticket, body_text="Your parcel is on its way.", actor=world.anna
        )
    line = Line.objects.get(conversation=conversation, message=message)
    assert (line.seq, line.sender, line.author_user) == (2, Sender.AGENT, world.anna)
    assert line.body == "Your parcel is on its way."
    sent = [frame for _group, frame in frames if frame["type"] == "message"]
    assert [frame["line"]["body"] for frame in sent] == ["Your parcel is on its way."]
    # The chat page's own line is not doubled by the hook.
    do_accept(conversation, actor=world.anna)
    do_post_line(conversation, sender=Sender.AGENT, body="Anything else?", actor=world.anna)
    assert Line.objects.filter(conversation=conversation, body="Anything else?").count() == 1
    # An ended chat takes no more lines.
    do_end(conversation, actor=world.anna)
    do_add_reply(conversation.ticket, body_text="PS: tracking number 123.", actor=world.anna)
    assert not Line.objects.filter(body="PS: tracking number 123.").exists()
