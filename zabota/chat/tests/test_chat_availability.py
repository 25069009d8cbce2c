"""Honest availability: online only with a present, online agent of the chat group who has a
free chat place; the offline promise comes from the store's SLA policy for e-mail."""

from datetime import time, timedelta

import pytest

from zabota.chat.actions import check_accept, do_forget_stale_presence
from zabota.chat.availability import (
    agent_can_take,
    chat_settings_for_key,
    is_online,
    offline_promise,
    online_agents,
    promise_text,
)
from zabota.chat.models import AgentChatLimit, Presence
from zabota.chat.tests.chat_world import chat_settings, make_present, new_visitor, start
from zabota.routing.actions import do_set_availability
from zabota.routing.constants import Availability
from zabota.sla.models import BusinessCalendar, SlaPolicy, WeeklyHours


@pytest.fixture
def chat(world):
    return chat_settings(world)


def test_offline_without_anyone_present(world, chat):
    do_set_availability(world.anna, status=Availability.ONLINE, actor=world.anna)
    assert not is_online(chat)  # online for routing, but no agent socket open


def test_online_with_fresh_presence_and_free_capacity(world, chat, settings):
    # given
    settings.ZABOTA_CHAT_PRESENCE_SECONDS = 90
    make_present(world.anna)
    # then
    assert online_agents(chat) == [world.anna]
    assert is_online(chat)


def test_stale_presence_does_not_count(world, chat):
    make_present(world.anna, age=timedelta(minutes=5))
    assert not is_online(chat)


def test_away_agent_does_not_count(world, chat):
    make_present(world.anna)
    do_set_availability(world.anna, status=Availability.AWAY, actor=world.anna)
    assert not is_online(chat)


def test_agent_of_another_group_does_not_count(world, chat):
    make_present(world.piotr)  # Returns; the widget is answered by Support
    assert not is_online(chat)


def test_full_agent_does_not_count(world, chat):
    # given: Anna holds one chat at most and takes one
    AgentChatLimit.objects.create(user=world.anna, max_chats=1)
    make_present(world.anna)
    assert agent_can_take(world.anna)
    check_accept(start(new_visitor(chat)[0]), actor=world.anna)
    # then
    assert not agent_can_take(world.anna)
    assert not is_online(chat)


def test_disabled_widget_is_not_found(world, chat):
    assert chat_settings_for_key("demo") == chat
    chat.is_enabled = False
    chat.save()
    assert chat_settings_for_key("demo") is None


def _calendar(world) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.create(store=world.store, name="Office", is_default=True)
    for weekday in range(5):
        WeeklyHours.objects.create(
            calendar=calendar, weekday=weekday, opens=time(9), closes=time(17)
        )
    return calendar


def test_promise_from_the_email_policy_in_business_hours(world):
    # given: a chat policy first (ignored: the message becomes an e-mail ticket)
    SlaPolicy.objects.create(
        store=world.store,
        name="Chat",
        position=0,
        channels=["chat"],
        first_reply_within=timedelta(seconds=60),
    )
    SlaPolicy.objects.create(
        store=world.store,
        name="E-mail",
        position=1,
        channels=["email"],
        first_reply_within=timedelta(hours=4),
        calendar=_calendar(world),
    )
    # then
    assert offline_promise(world.store) == timedelta(hours=4)
    assert promise_text(world.store, "en") == "within 4 business hours"


def test_promise_in_minutes_and_days_around_the_clock(world):
    policy = SlaPolicy.objects.create(
        store=world.store, name="All", first_reply_within=timedelta(minutes=30)
    )
    assert promise_text(world.store, "en") == "within 30 minutes"
    policy.first_reply_within = timedelta(days=1)
    policy.save()
    assert promise_text(world.store, "en") == "within 1 day"
    policy.first_reply_within = timedelta(hours=1)
    policy.save()
    assert promise_text(world.store, "en") == "within 1 hour"


def test_promise_without_a_policy(world):
    assert offline_promise(world.store) is None
    assert promise_text(world.store, "en") == "as soon as we can"


def test_stale_presence_rows_are_forgotten(world):
    fresh = make_present(world.anna)
    make_present(world.lena, age=timedelta(minutes=10))
    assert do_forget_stale_presence() == 1
    assert list(Presence.objects.all()) == [fresh]
