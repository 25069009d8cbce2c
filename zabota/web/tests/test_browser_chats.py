"""Browser test of the agent's chat pages over a real websocket (uvicorn + Redis layer): the
queue updates live when a visitor starts a chat, the agent accepts, sends a message, sees the
visitor's line and typing arrive live, sees the read ticks, loses the connection and gets the
missed line on reconnect (none duplicated), and ends the chat."""

import re
from collections.abc import Iterator

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from zabota.chat.actions import do_mark, do_post_line
from zabota.chat.constants import ConversationState, Sender
from zabota.chat.models import Conversation, Line
from zabota.web.tests.chat_conftest import *  # noqa: F403 - fixtures
from zabota.web.tests.chat_conftest import in_thread
from zabota.web.tests.conftest import close_quietly, login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def chat_page(browser, asgi_live_url) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.base_url = asgi_live_url  # type: ignore[attr-defined]
    yield page
    close_quietly(context)


def visitor_typing(conversation_id: int) -> None:
    """What the visitor's socket sends to the chat's group while they type."""
    async_to_sync(get_channel_layer().group_send)(
        f"chat.c.{conversation_id}",
        {
            "type": "chat.frame",
            "frame": {
                "type": "typing",
                "conversation": conversation_id,
                "sender": "visitor",
                "on": True,
            },
        },
    )


def test_agent_takes_a_chat_live(world, chat_page, start_chat):
    page = chat_page
    first = in_thread(start_chat, "Hello, where is my parcel?")
    login(page, world.anna)

    # The queue: the waiting chat, then a new one arrives live (with the chime and the badge).
    page.goto(page.base_url + "/chats/")
    page.wait_for_selector("[data-connection].is-online")
    assert page.locator(f'[data-conversation="{first.pk}"]').is_visible()
    assert page.locator("#chats-nav [data-chats-waiting]").inner_text() == "1"
    second = in_thread(start_chat, "Do you ship to Hungary?", name="Gábor", email="g@example.hu")
    page.wait_for_selector(f'[data-conversation="{second.pk}"]')
    page.wait_for_function(
        "document.querySelector('#chats-nav [data-chats-waiting]').textContent.trim() === '2'"
    )
    assert page.locator("#chats-page").get_attribute("data-last-chime")
    assert "Do you ship to Hungary?" in page.locator("#chat-queue").inner_text()
    screenshot(page, "chat-agent-queue", docs=True)

    # Accept the first chat: the conversation page, connected.
    page.locator(f'[data-conversation="{first.pk}"] button[type=submit]').click()
    page.wait_for_url(f"**/chats/{first.pk}/")
    page.wait_for_selector("[data-connection].is-online")
    first.refresh_from_db()
    assert first.state == ConversationState.ACTIVE
    assert first.agent == world.anna

    # The agent writes (Enter sends): stored once, acked with its number.
    page.fill("#chat-input", "Hello Olga, let me check.")
    page.press("#chat-input", "Enter")
    page.wait_for_selector(".chat-line-agent:not(.is-pending)[data-seq] >> text=let me check")
    agent_line = Line.objects.get(conversation=first, body="Hello Olga, let me check.")
    assert agent_line.sender == Sender.AGENT
    assert agent_line.author_user == world.anna

    # The visitor types, then writes: both arrive live.
    in_thread(visitor_typing, first.pk)
    page.wait_for_selector("[data-typing]:not([hidden])")
    in_thread(
        do_post_line, first, sender=Sender.VISITOR, body="Order 1234, thanks!", client_id="v-1"
    )
    page.wait_for_selector(".chat-line-visitor >> text=Order 1234, thanks!")
    assert page.locator("[data-typing]").is_hidden()

    # The visitor's side reads the agent's line: the ticks turn to "read".
    in_thread(do_mark, first, side=Sender.VISITOR, read_seq=agent_line.seq)
    page.wait_for_selector(f'[data-seq="{agent_line.seq}"] .chat-ticks.is-read')
    # The page read the visitor's line: the agent side's watermark moved.
    page.wait_for_function("Number(document.getElementById('chats-page').dataset.lastSeq) >= 1")
    screenshot(page, "chat-agent-conversation", docs=True)

    # The connection drops; a line posted meanwhile and one typed meanwhile are neither lost
    # nor duplicated once the page reconnects and syncs.
    page.evaluate("document.getElementById('chats-page').chatSocket.close()")
    in_thread(do_post_line, first, sender=Sender.VISITOR, body="Still there?", client_id="v-2")
    page.fill("#chat-input", "Yes, one moment.")
    page.press("#chat-input", "Enter")
    page.wait_for_selector(".chat-line-visitor >> text=Still there?")
    page.wait_for_selector(".chat-line-agent:not(.is-pending) >> text=Yes, one moment.")
    assert page.locator(".chat-line >> text=Still there?").count() == 1
    assert page.locator(".chat-line >> text=Yes, one moment.").count() == 1
    assert Line.objects.filter(conversation=first, body="Yes, one moment.").count() == 1
    seqs = [
        int(s)
        for s in page.locator("#chat-lines [data-seq]").evaluate_all(
            "nodes => nodes.map(n => n.dataset.seq)"
        )
    ]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
    assert seqs[-1] == Conversation.objects.get(pk=first.pk).last_seq

    # End the chat with the transcript: the page says so, the chat has ended.
    page.click("[data-open-dialog=end-dialog]")
    page.check("#end-dialog input[name=transcript]")
    page.click("#end-dialog [data-action=end]")
    page.wait_for_selector("text=This chat has ended.")
    first.refresh_from_db()
    assert first.state == ConversationState.ENDED
    assert re.search(r"Chat ended", page.locator("#toasts").inner_text())


def test_admin_edits_the_chat_settings(world, page, chat_settings):
    """The admin changes the pre-chat fields and an agent's limit; the snippet is shown."""
    login(page, world.ada)
    page.goto(page.base_url + "/chats/settings/")
    assert "/widget/demo.js" in page.locator("#chat-snippet").inner_text()

    page.select_option("select[name=ask_email]", "required")
    page.fill("input[name=widget_key]", "demo")
    page.click("form:has(input[value=widget]) button[type=submit]")
    page.wait_for_selector("text=Chat settings saved.")
    chat_settings.refresh_from_db()
    assert chat_settings.ask_email == "required"

    row = page.locator(f'tr[data-agent="{world.anna.pk}"]')
    row.locator("input[name=max_chats]").fill("2")
    row.locator("button[type=submit]").click()
    page.wait_for_selector("text=now holds up to 2 chats at once")
    assert world.anna.chat_limit.max_chats == 2
    screenshot(page, "chat-agent-settings", docs=True)
