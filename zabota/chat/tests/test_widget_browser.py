"""The widget alone in a real browser, on the demo shop page ``/widget/demo/try/`` (whose own
styles are deliberately loud): opened and used by keyboard only, a message left while nobody is
online, a callback asked for, and a chat started whose history survives a reload
(docs/screenshots/chat-widget-*.png). The agent's side is the lead's two-browser test."""

import pytest
from playwright.sync_api import expect

from zabota.callbacks.models import CallbackRequest
from zabota.chat.models import Conversation
from zabota.chat.tests.chat_world import chat_settings, make_present
from zabota.tickets.constants import Channel
from zabota.tickets.models import Ticket
from zabota.web.tests import conftest as browser_fixtures
from zabota.web.tests.conftest import screenshot, wait_for

# The page fixtures live with the other browser tests (zabota/web/tests/conftest.py); the
# browser is the root conftest's, one per test process.
page = browser_fixtures.page
_plain_static_storage = browser_fixtures._plain_static_storage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def focused(page) -> str:
    """The data-zabota name of the focused element inside the widget's shadow root."""
    return page.evaluate(
        """() => {
            const el = document.querySelector('[data-zabota=root]').shadowRoot.activeElement;
            return el ? (el.dataset.zabota || el.tagName) : '';
        }"""
    )


def w(page, name: str):
    return page.locator(f"[data-zabota={name}]")


def open_by_keyboard(page) -> None:
    page.goto(page.base_url + "/widget/demo/try/")
    w(page, "open").wait_for()
    w(page, "open").focus()
    page.keyboard.press("Enter")
    expect(w(page, "panel")).to_be_visible()


def test_offline_visitor_leaves_a_message_by_keyboard(page, world):
    """Nobody online: the widget says so and takes a message, which becomes an e-mail ticket.
    Everything by keyboard: focus moves into the panel, stays there, Esc closes it."""
    # given
    chat_settings(world)
    # when
    open_by_keyboard(page)
    # then
    expect(w(page, "status")).to_have_attribute("data-state", "offline")
    expect(w(page, "promise")).to_contain_text("we will answer by e-mail as soon as we can")
    assert focused(page) == "leave-name"
    # Tab cycles inside the panel: back from the close button lands on the last control.
    w(page, "close").focus()
    page.keyboard.press("Shift+Tab")
    assert focused(page) == "leave-send"
    page.keyboard.press("Tab")
    assert focused(page) == "close"

    # when: sent without an address, the form says what is missing, beside the field
    w(page, "leave-name").focus()
    page.keyboard.type("Ivan Petrov")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("Do you ship to Kazan?")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    # then
    expect(w(page, "leave-email")).to_have_attribute("aria-invalid", "true")
    assert focused(page) == "leave-email"

    # when
    page.keyboard.type("ivan.new@example.ru")
    screenshot(page, "chat-widget-offline", docs=True)
    w(page, "leave-send").focus()
    page.keyboard.press("Enter")
    # then
    expect(w(page, "leave-thanks")).to_be_visible()
    wait_for(lambda: Ticket.objects.filter(channel=Channel.EMAIL, customer__isnull=False).exists())
    ticket = Ticket.objects.get(channel=Channel.EMAIL, messages__body_text="Do you ship to Kazan?")
    assert ticket.customer.identities.filter(value="ivan.new@example.ru").exists()

    # Esc closes and gives the focus back to the bubble.
    page.keyboard.press("Escape")
    expect(w(page, "panel")).to_be_hidden()
    assert focused(page) == "open"


def test_callback_tab_by_arrow_keys(page, world):
    # given
    chat_settings(world)
    open_by_keyboard(page)
    # when
    w(page, "tab-chat").focus()
    page.keyboard.press("ArrowRight")
    # then
    expect(w(page, "tab-callback")).to_have_attribute("aria-selected", "true")
    expect(w(page, "pane-callback")).to_be_visible()
    assert focused(page) == "tab-callback"
    # when
    w(page, "cb-phone").fill("+48 601 234 567")
    w(page, "cb-when").select_option("tomorrow")
    expect(w(page, "cb-from")).to_be_visible()
    w(page, "cb-from").fill("10:00")
    w(page, "cb-to").fill("12:00")
    w(page, "cb-topic").fill("A return")
    screenshot(page, "chat-widget-callback", docs=True)
    w(page, "cb-send").click()
    # then
    expect(w(page, "cb-thanks")).to_be_visible()
    wait_for(lambda: CallbackRequest.objects.exists())
    request = CallbackRequest.objects.get()
    assert (request.phone, request.topic) == ("+48601234567", "A return")
    assert request.window_start is not None


def test_online_chat_starts_and_its_history_survives_a_reload(page, world):
    """Someone is online: the pre-chat fields and the first message start a chat; after a
    reload the panel is still open and shows the conversation (from the signed token kept in
    localStorage). The socket itself is the lead's test: this live server speaks no websocket."""
    # given
    chat_settings(world)
    make_present(world.anna)
    open_by_keyboard(page)
    expect(w(page, "status")).to_have_attribute("data-state", "online")
    assert focused(page) == "name"
    screenshot(page, "chat-widget-start", docs=True)
    # when
    page.keyboard.type("Maria")
    w(page, "input").fill("Hello, where is my parcel?")
    w(page, "input").press("Enter")
    # then
    line = w(page, "messages").locator("[data-zabota=line]")
    expect(line).to_have_count(1)
    expect(line).to_contain_text("Hello, where is my parcel?")
    wait_for(lambda: Conversation.objects.exists())
    conversation = Conversation.objects.get()
    assert conversation.visitor.name == "Maria"
    assert conversation.ticket.channel == Channel.CHAT
    # Not for the docs: without a socket the status says "reconnecting" (the lead's two-browser
    # test takes the chat's pictures).
    screenshot(page, "chat-widget-chat")
    # when
    page.reload()
    # then
    expect(w(page, "panel")).to_be_visible()
    expect(w(page, "messages").locator("[data-zabota=line]")).to_have_count(1)
    expect(w(page, "input")).to_be_visible()
    stored = page.evaluate("() => JSON.parse(localStorage.getItem('zabota.chat.demo'))")
    assert stored["c"] == conversation.pk
    assert stored["s"] == 1
    assert stored["t"]
