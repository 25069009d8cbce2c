"""Issue 6's acceptance, in two browsers at once over real websockets (uvicorn + Redis layer):
a visitor on a shop page embedding the widget, and an agent in the agent UI.

The agent is online on the inbox (not a chat page) and still hears of the new chat; accepts it;
both write (the agent with a macro), each sees the other typing; the visitor reloads and has
the history; the agent ends the chat. Then nobody is online any more: the widget offers to
leave a message, which becomes an e-mail ticket.
Screenshots: docs/screenshots/chat-acceptance-*.png."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from zabota.chat.constants import ConversationState, Sender
from zabota.chat.models import Conversation, Line, Presence
from zabota.routing.actions import do_set_availability
from zabota.routing.constants import Availability
from zabota.tickets.constants import Channel, Status
from zabota.tickets.models import Macro, MacroText, Ticket
from zabota.web.tests.chat_conftest import *  # noqa: F403 - fixtures
from zabota.web.tests.conftest import close_quietly, login, screenshot, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_browsers(browser, asgi_live_url) -> Iterator[tuple[object, object]]:
    """The agent's page (desktop) and the visitor's (a phone-sized window, another locale)."""
    agent_context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    visitor_context = browser.new_context(
        viewport={"width": 900, "height": 820}, locale="en-GB", reduced_motion="reduce"
    )
    pages = []
    for context in (agent_context, visitor_context):
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.base_url = asgi_live_url  # type: ignore[attr-defined]
        pages.append(page)
    yield pages[0], pages[1]
    close_quietly(visitor_context)
    close_quietly(agent_context)


def w(page, name: str):
    return page.locator(f"[data-zabota={name}]")


def test_visitor_and_agent_chat_then_the_widget_falls_back_to_a_message(
    world, chat_settings, two_browsers
):
    agent, visitor = two_browsers
    macro = Macro.objects.create(store=world.store, name="Parcel left")
    MacroText.objects.create(
        macro=macro,
        language="en",
        body="Hello {{ customer.first_name }}, your parcel left our warehouse today.",
    )
    # The agent is online and works in the inbox: their socket there makes them reachable.
    do_set_availability(world.anna, status=Availability.ONLINE, actor=world.anna)
    login(agent, world.anna)
    agent.goto(agent.base_url + "/")
    wait_for(lambda: Presence.objects.filter(user=world.anna).exists())

    # The visitor opens the widget on the shop's page: live chat is offered.
    visitor.goto(visitor.base_url + "/widget/demo/try/")
    w(visitor, "open").click()
    expect(w(visitor, "status")).to_have_attribute("data-state", "online")
    w(visitor, "prechat").locator("input[name=name]").fill("Maria")
    w(visitor, "input").fill("Hello, where is my parcel?")
    w(visitor, "input").press("Enter")
    wait_for(lambda: Conversation.objects.exists())
    chat = Conversation.objects.get()
    assert chat.state == ConversationState.QUEUED
    assert chat.ticket.channel == Channel.CHAT

    # The agent, still in the inbox, hears it (chime) and sees the badge; accepts from the queue.
    agent.wait_for_function("document.body.dataset.lastChime")
    expect(agent.locator("#chats-nav [data-chats-waiting]")).to_have_text("1")
    agent.goto(agent.base_url + "/chats/")
    agent.locator(f'[data-conversation="{chat.pk}"] button[type=submit]').click()
    agent.wait_for_url(f"**/chats/{chat.pk}/")
    agent.wait_for_selector("#chats-page[data-synced]")
    expect(w(visitor, "status")).to_have_attribute("data-state", "active")

    # Typing indicators both ways, then messages both ways.
    w(visitor, "input").press_sequentially("Order 12", delay=30)
    expect(agent.locator("[data-typing]")).to_be_visible()
    agent.locator("#chat-input").press_sequentially("Let me look", delay=30)
    expect(w(visitor, "typing")).to_be_visible()
    # The agent answers with a macro (rendered for the chat's ticket), as on the ticket page.
    agent.locator("#chat-input").fill("")
    agent.select_option("#chat-macro", label="Parcel left")
    expect(agent.locator("#chat-input")).to_have_value(
        "Hello Maria, your parcel left our warehouse today."
    )
    agent.press("#chat-input", "Enter")
    expect(w(visitor, "messages")).to_contain_text("your parcel left our warehouse today")
    w(visitor, "input").fill("Order 1234 — thank you!")
    w(visitor, "input").press("Enter")
    agent.wait_for_selector(".chat-line-visitor >> text=Order 1234 — thank you!")
    wait_for(lambda: Line.objects.filter(conversation=chat).count() >= 4)
    bodies = list(
        Line.objects.filter(conversation=chat)
        .exclude(sender=Sender.SYSTEM)
        .order_by("seq")
        .values_list("sender", "body")
    )
    assert bodies == [
        ("visitor", "Hello, where is my parcel?"),
        ("agent", "Hello Maria, your parcel left our warehouse today."),
        ("visitor", "Order 1234 — thank you!"),
    ]
    screenshot(agent, "chat-acceptance-agent", docs=True)
    screenshot(visitor, "chat-acceptance-visitor", docs=True)

    # The visitor reloads the page: the same conversation, its whole history.
    visitor.reload()
    expect(w(visitor, "panel")).to_be_visible()
    expect(w(visitor, "messages")).to_contain_text("Hello, where is my parcel?")
    expect(w(visitor, "messages")).to_contain_text("your parcel left our warehouse today")
    expect(w(visitor, "messages")).to_contain_text("Order 1234 — thank you!")
    expect(w(visitor, "messages")).to_contain_text("Anna joined the chat.")
    expect(w(visitor, "messages")).not_to_contain_text("null")

    # The agent ends the chat; the visitor sees it ended, the ticket is solved.
    agent.click("[data-open-dialog=end-dialog]")
    agent.click("#end-dialog [data-action=end]")
    agent.wait_for_selector("text=This chat has ended.")
    expect(w(visitor, "status")).to_have_attribute("data-state", "ended")
    chat.refresh_from_db()
    assert chat.state == ConversationState.ENDED
    assert Ticket.objects.get(pk=chat.ticket_id).status == Status.SOLVED

    # Every agent goes offline: the widget now offers to leave a message.
    do_set_availability(world.anna, status=Availability.OFFLINE, actor=world.anna)
    visitor.reload()
    expect(w(visitor, "status")).to_have_attribute("data-state", "offline")
    w(visitor, "leave-name").fill("Maria")
    w(visitor, "leave-email").fill("maria.new@example.com")
    w(visitor, "leave-message").fill("Can I change the delivery address?")
    screenshot(visitor, "chat-acceptance-offline", docs=True)
    w(visitor, "leave-send").click()
    expect(w(visitor, "leave-thanks")).to_be_visible()
    wait_for(
        lambda: Ticket.objects.filter(
            channel=Channel.EMAIL, messages__body_text="Can I change the delivery address?"
        ).exists()
    )
    ticket = Ticket.objects.get(
        channel=Channel.EMAIL, messages__body_text="Can I change the delivery address?"
    )
    assert ticket.customer.identities.filter(value="maria.new@example.com").exists()
