"""The chat pages per role: who sees the queue and a conversation, who may accept, transfer,
end and block. Chats are started and changed through the real chat actions.

Personas (zabota/conftest.py): Anna answers Support's chats (the chat group), Piotr is in
Returns, Lena leads both groups, Ada is the admin; Bob is a second Support agent here.
"""

import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zabota.chat.actions import check_accept, do_mark, do_post_line
from zabota.chat.constants import ConversationState, Sender
from zabota.chat.models import AgentChatLimit, Conversation
from zabota.conftest import make_user
from zabota.web.tests.chat_conftest import *  # noqa: F403 - fixtures
from zabota.web.tests.chat_conftest import client_for, csrf_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob(world):
    """A second agent of Support: sees Support's chats, holds none of them."""
    user = make_user("bob@example.com", "Bob Second")
    world.support.members.add(user)
    return user


def test_queue_lists_waiting_chats_for_the_chat_groups_agents(world, start_chat):
    """Anna (Support) sees the waiting chat with name, e-mail, page and first message; Piotr
    (Returns) does not; the lead and the admin do."""
    # given
    start_chat("Where is parcel 123?")

    # when
    pages = {user.name: client_for(user).get("/chats/") for user in (world.anna, world.piotr)}
    lead, admin = (client_for(u).get("/chats/") for u in (world.lena, world.ada))

    # then
    anna = pages["Anna Agent"].content.decode()
    assert pages["Anna Agent"].status_code == 200
    assert "Olga Visitor" in anna
    assert "olga@example.com" in anna
    assert "https://shop.example/cart" in anna
    assert "Where is parcel 123?" in anna
    assert 'data-waiting="1"' in anna
    assert 'data-waiting="0"' in pages["Piotr Nowak"].content.decode()
    assert "Olga Visitor" not in pages["Piotr Nowak"].content.decode()
    assert "Olga Visitor" in lead.content.decode()
    assert "Olga Visitor" in admin.content.decode()


def test_queue_is_oldest_first(world, start_chat):
    # given
    start_chat("first", name="First Visitor", email="first@example.com")
    start_chat("second", name="Second Visitor", email="second@example.com")

    # when
    html = client_for(world.anna).get("/chats/queue/").content.decode()

    # then
    assert html.index("First Visitor") < html.index("Second Visitor")


def test_chat_pages_are_missing_for_users_who_answer_no_chats(world, start_chat):
    # given
    loner = make_user("zoe@example.com", "Zoe Nogroup")
    conversation = start_chat()
    client = client_for(loner)

    # when / then
    assert client.get("/chats/").status_code == 404
    assert client.get(f"/chats/{conversation.pk}/").status_code == 404
    assert client.get("/chats/nav/").content == b""


def test_nav_link_counts_waiting_chats(world, start_chat):
    # given
    start_chat()
    start_chat(name="Another", email="another@example.com")

    # when
    anna = client_for(world.anna).get("/chats/nav/?section=inbox").content.decode()
    piotr = client_for(world.piotr).get("/chats/nav/").content.decode()

    # then
    assert re.search(r"data-chats-waiting[^>]*>2<", anna)
    assert re.search(r"data-chats-waiting[^>]*>0<", piotr)
    assert 'href="/chats/"' in anna


def test_sidebar_loads_the_chats_link(world):
    html = client_for(world.anna).get("/").content.decode()
    assert 'hx-get="/chats/nav/' in html


def test_conversation_page_per_role(world, start_chat):
    """Group members, the lead and the admin open the chat; another group's agent gets 404."""
    # given
    conversation = start_chat("I need help with a return")
    url = f"/chats/{conversation.pk}/"

    # when
    statuses = {
        user.name: client_for(user).get(url).status_code
        for user in (world.anna, world.piotr, world.lena, world.ada)
    }

    # then
    assert statuses == {"Anna Agent": 200, "Piotr Nowak": 404, "Lena Lead": 200, "Ada Admin": 200}
    html = client_for(world.anna).get(url).content.decode()
    assert "I need help with a return" in html
    assert f'href="/tickets/{conversation.ticket_id}/"' in html
    assert f"Open ticket #{conversation.ticket.number}" in html
    assert f'href="/customers/{conversation.visitor.customer_id}/"' in html
    assert 'data-action="accept"' in html
    # Nobody holds it yet: no composer.
    assert 'id="chat-composer"' not in html


def test_accept_needs_the_csrf_token(world, start_chat):
    # given
    conversation = start_chat()
    client = client_for(world.anna)

    # when
    response = client.post(f"/chats/{conversation.pk}/accept/")

    # then
    assert response.status_code == 403
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.QUEUED


def test_agent_accepts_a_waiting_chat(world, start_chat):
    # given
    conversation = start_chat()
    client = client_for(world.anna)

    # when
    response = csrf_post(client, "/chats/", f"/chats/{conversation.pk}/accept/")

    # then
    assert response.status_code == 302
    assert response["Location"] == f"/chats/{conversation.pk}/"
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.ACTIVE
    assert conversation.agent == world.anna
    page = client.get(f"/chats/{conversation.pk}/").content.decode()
    assert 'id="chat-composer"' in page
    assert 'data-mine="1"' in page


def test_accept_at_capacity_is_refused_with_a_message(world, start_chat):
    """Anna's limit is 1 and she holds a chat: the second is refused and stays waiting."""
    # given
    AgentChatLimit.objects.create(user=world.anna, max_chats=1)
    held = start_chat(name="Held", email="held@example.com")
    check_accept(held, actor=world.anna)
    waiting = start_chat(name="Waiting", email="waiting@example.com")
    client = client_for(world.anna)

    # when
    response = csrf_post(client, "/chats/", f"/chats/{waiting.pk}/accept/")

    # then
    assert response.status_code == 302
    assert response["Location"] == "/chats/"
    page = client.get("/chats/").content.decode()
    assert "as many chats as your limit allows" in page
    assert "1 of 1 chats" in page
    waiting.refresh_from_db()
    assert waiting.state == ConversationState.QUEUED


def test_another_groups_agent_can_not_accept(world, start_chat):
    # given
    conversation = start_chat()
    client = client_for(world.piotr)

    # when
    response = csrf_post(client, "/chats/", f"/chats/{conversation.pk}/accept/")

    # then
    assert response.status_code == 404
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.QUEUED


def test_my_active_chats_show_unread_counts(world, start_chat):
    """Unread: the visitor's lines after the agent side's read watermark."""
    # given
    conversation = start_chat()
    check_accept(conversation, actor=world.anna)
    do_mark(conversation, side=Sender.AGENT, read_seq=conversation.last_seq)
    do_post_line(conversation, sender=Sender.VISITOR, body="Are you there?", client_id="v-1")
    do_post_line(conversation, sender=Sender.VISITOR, body="Hello?", client_id="v-2")

    # when
    html = client_for(world.anna).get("/chats/").content.decode()

    # then
    assert re.search(rf'data-unread="{conversation.pk}"[^>]*>2<', html)
    assert "1 of 3 chats" in html


def test_transfer_to_a_group_puts_the_chat_back_in_its_queue(world, start_chat):
    # given
    conversation = start_chat()
    check_accept(conversation, actor=world.anna)
    client = client_for(world.anna)
    page = f"/chats/{conversation.pk}/"

    # when
    response = csrf_post(
        client, page, f"/chats/{conversation.pk}/transfer/", {"to_group": world.returns.pk}
    )

    # then
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.QUEUED
    assert conversation.group == world.returns
    assert conversation.agent is None
    assert "Olga Visitor" in client_for(world.piotr).get("/chats/").content.decode()


def test_transfer_to_an_agent(world, start_chat, bob):
    # given
    conversation = start_chat()
    check_accept(conversation, actor=world.anna)

    # when
    response = csrf_post(
        client_for(world.anna),
        f"/chats/{conversation.pk}/",
        f"/chats/{conversation.pk}/transfer/",
        {"to_user": bob.pk},
    )

    # then
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.agent == bob
    assert conversation.state == ConversationState.ACTIVE


def test_transfer_needs_a_target(world, start_chat):
    # given
    conversation = start_chat()
    check_accept(conversation, actor=world.anna)
    client = client_for(world.anna)

    # when
    csrf_post(client, f"/chats/{conversation.pk}/", f"/chats/{conversation.pk}/transfer/")

    # then
    conversation.refresh_from_db()
    assert conversation.agent == world.anna
    assert "Choose an agent or a group" in client.get(f"/chats/{conversation.pk}/").content.decode()


def test_only_the_holder_or_a_supervisor_transfers_ends_and_blocks(world, start_chat, bob):
    """Bob sees Anna's chat (same group) but may not change it: 403 for each control; the
    buttons are not shown to him; Lena (lead) may."""
    # given
    conversation = start_chat()
    check_accept(conversation, actor=world.anna)
    client = client_for(bob)
    page = f"/chats/{conversation.pk}/"

    # when
    html = client.get(page).content.decode()
    responses = [
        csrf_post(client, page, f"/chats/{conversation.pk}/transfer/", {"to_user": bob.pk}),
        csrf_post(client, page, f"/chats/{conversation.pk}/end/"),
        csrf_post(client, page, f"/chats/{conversation.pk}/block/"),
    ]

    # then
    assert [r.status_code for r in responses] == [403, 403, 403]
    assert "transfer-dialog" not in html
    assert "end-dialog" not in html
    conversation.refresh_from_db()
    assert conversation.agent == world.anna
    assert conversation.state == ConversationState.ACTIVE
    lead_html = client_for(world.lena).get(page).content.decode()
    assert "transfer-dialog" in lead_html and "end-dialog" in lead_html


def test_end_chat_with_transcript(world, start_chat, django_capture_on_commit_callbacks):
    # given
    conversation = start_chat()
    check_accept(conversation, actor=world.anna)
    client = client_for(world.anna)
    mail.outbox.clear()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = csrf_post(
            client,
            f"/chats/{conversation.pk}/",
            f"/chats/{conversation.pk}/end/",
            {"transcript": "1"},
        )

    # then
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.ENDED
    assert [m.to for m in mail.outbox] == [["olga@example.com"]]
    html = client.get(f"/chats/{conversation.pk}/").content.decode()
    assert "This chat has ended." in html
    assert "end-dialog" not in html


def test_lead_blocks_the_visitor(world, start_chat):
    # given
    conversation = start_chat()
    client = client_for(world.lena)

    # when
    response = csrf_post(client, f"/chats/{conversation.pk}/", f"/chats/{conversation.pk}/block/")

    # then
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.visitor.blocked_at is not None
    assert conversation.visitor.blocked_by == world.lena
    assert conversation.state == ConversationState.ENDED
    assert Conversation.objects.filter(state=ConversationState.QUEUED).count() == 0


def test_visitor_text_is_escaped(world, start_chat):
    # given
    conversation = start_chat("<script>alert(1)</script>", name="<b>Eve</b>")

    # when
    html = client_for(world.anna).get(f"/chats/{conversation.pk}/").content.decode()
    queue = client_for(world.anna).get("/chats/").content.decode()

    # then
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>Eve</b>" not in queue


def test_queue_page_queries_do_not_grow_with_the_chats(world, start_chat):
    """One waiting chat or four, one active chat or two: the same number of queries."""
    # given
    client = client_for(world.anna)
    check_accept(start_chat(name="Held one", email="h1@example.com"), actor=world.anna)
    start_chat(name="Waiting one", email="w1@example.com")
    client.get("/chats/queue/")  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        client.get("/chats/queue/")
    check_accept(start_chat(name="Held two", email="h2@example.com"), actor=world.anna)
    for n in range(3):
        start_chat(name=f"Waiting {n}", email=f"w{n}@example.com")

    # when
    with CaptureQueriesContext(connection) as many:
        html = client.get("/chats/queue/").content.decode()

    # then
    assert 'data-waiting="4"' in html
    assert len(many.captured_queries) == len(few.captured_queries)
