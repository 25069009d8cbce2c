"""Chat settings page: admins only; the widget form validates and saves, the snippet is shown,
agents' concurrent-chat limits are set per agent."""

import pytest
from django.contrib.admin.models import LogEntry
from django.test import override_settings

from zabota.chat.models import AgentChatLimit, ChatSettings
from zabota.commerce.models import Store
from zabota.web.tests.chat_conftest import *  # noqa: F403 - fixtures
from zabota.web.tests.chat_conftest import client_for, csrf_post

pytestmark = pytest.mark.django_db

PAGE = "/chats/settings/demo/"


def widget_data(world, **changes) -> dict:
    data = {
        "action": "widget",
        "widget_key": "demo",
        "is_enabled": "on",
        "group": world.support.pk,
        "ask_name": "optional",
        "ask_email": "required",
        "ask_order": "off",
        "language": "pl",
        "color": "#112233",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@override_settings(ZABOTA_PUBLIC_URL="https://help.example.com")
def test_admin_sees_the_settings_and_the_snippet(world, chat_settings):
    # given
    client = client_for(world.ada)

    # when
    home = client.get("/chats/settings/")
    page = client.get(PAGE)

    # then
    assert home.status_code == 302
    assert home["Location"] == PAGE
    html = page.content.decode()
    assert page.status_code == 200
    assert (
        "&lt;script src=&quot;https://help.example.com/widget/demo.js&quot; async&gt;"
        "&lt;/script&gt;"
    ) in html
    assert 'href="/widget/demo/try/"' in html
    # Every agent of the store's groups has a row with the default limit.
    for person in (world.anna, world.piotr, world.lena):
        assert f'data-agent="{person.pk}"' in html


def test_settings_are_admin_only(world, chat_settings):
    for user in (world.lena, world.anna):
        client = client_for(user)
        assert client.get("/chats/settings/").status_code == 404
        assert client.get(PAGE).status_code == 404


def test_lead_can_not_post_settings(world, chat_settings):
    # given: the lead posts with a token taken from a page they may open
    client = client_for(world.lena)

    # when
    response = csrf_post(client, "/chats/", PAGE, widget_data(world, color="#000000"))

    # then
    assert response.status_code == 404
    chat_settings.refresh_from_db()
    assert chat_settings.color != "#000000"


def test_admin_saves_the_widget(world, chat_settings):
    # given
    client = client_for(world.ada)

    # when
    response = csrf_post(client, PAGE, PAGE, widget_data(world, group=world.returns.pk))

    # then
    assert response.status_code == 302
    chat_settings.refresh_from_db()
    assert chat_settings.group == world.returns
    assert chat_settings.ask_email == "required"
    assert chat_settings.language == "pl"
    assert chat_settings.color == "#112233"
    assert LogEntry.objects.filter(object_id=str(chat_settings.pk)).count() == 1


def test_invalid_widget_input_is_shown_and_not_saved(world, chat_settings):
    # given
    client = client_for(world.ada)

    # when
    response = csrf_post(client, PAGE, PAGE, widget_data(world, color="red", widget_key=""))

    # then
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a colour as #rrggbb." in html
    assert "This field is required." in html
    chat_settings.refresh_from_db()
    assert chat_settings.color == "#2563eb"


def test_group_of_another_store_is_refused(world, chat_settings):
    # given
    other = Store.objects.create(slug="other", name="Other Store", email="help@other.example")
    foreign = other.groups.create(name="Elsewhere")
    client = client_for(world.ada)

    # when
    response = csrf_post(client, PAGE, PAGE, widget_data(world, group=foreign.pk))

    # then
    assert response.status_code == 400
    chat_settings.refresh_from_db()
    assert chat_settings.group == world.support


def test_widget_key_must_be_unique(world, chat_settings):
    # given
    other = Store.objects.create(slug="other", name="Other Store", email="help@other.example")
    client = client_for(world.ada)

    # when
    response = csrf_post(
        client, "/chats/settings/other/", "/chats/settings/other/", widget_data(world, group="")
    )

    # then
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert not ChatSettings.objects.filter(store=other).exists()


def test_a_store_without_chat_settings_gets_them_on_save(world):
    # given
    client = client_for(world.ada)
    assert "Not set up yet" in client.get(PAGE).content.decode()

    # when
    response = csrf_post(client, PAGE, PAGE, widget_data(world, widget_key="demo-shop"))

    # then
    assert response.status_code == 302
    saved = ChatSettings.objects.get(store=world.store)
    assert saved.widget_key == "demo-shop"
    assert "/widget/demo-shop.js" in client.get(PAGE).content.decode()


def test_admin_sets_an_agents_chat_limit(world, chat_settings):
    # given
    client = client_for(world.ada)

    # when
    ok = csrf_post(
        client, PAGE, PAGE, {"action": "limit", "agent": world.anna.pk, "max_chats": "5"}
    )
    too_many = csrf_post(
        client, PAGE, PAGE, {"action": "limit", "agent": world.anna.pk, "max_chats": "99"}
    )

    # then
    assert ok.status_code == 302
    assert too_many.status_code == 400
    assert "less than or equal to 20" in too_many.content.decode()
    assert AgentChatLimit.objects.get(user=world.anna).max_chats == 5


def test_limit_of_someone_outside_the_store_is_refused(world, chat_settings):
    """Ada (admin) is in none of the demo store's groups: no limit row is set for her there."""
    # given
    client = client_for(world.ada)

    # when
    response = csrf_post(
        client, PAGE, PAGE, {"action": "limit", "agent": world.ada.pk, "max_chats": "2"}
    )

    # then
    assert response.status_code == 400
    assert not AgentChatLimit.objects.filter(user=world.ada).exists()
