"""Automatic away: requests record an agent's activity (at most one write a minute), and the
housekeeping job makes online agents idle for ZABOTA_AUTO_AWAY_MINUTES away."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from zabota.accounts.actions import do_create_api_token
from zabota.core.housekeeping import Housekeeper
from zabota.routing.actions import availability_of, do_auto_away, do_set_availability
from zabota.routing.constants import Availability
from zabota.routing.models import AgentStatus

MIDDLEWARE = "zabota.routing.middleware.AgentActivityMiddleware"
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def activity(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]
    settings.ZABOTA_AUTO_AWAY_MINUTES = 15


def _seen(user) -> datetime | None:
    return AgentStatus.objects.get(user=user).last_seen_at


def _online(world, *users, at=T0) -> None:
    for user in users:
        do_set_availability(user, status=Availability.ONLINE, actor=user, at=at)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_requests_record_activity_at_most_once_a_minute(world, activity, settings):
    """Anna's first request writes last_seen_at; the next ones within a minute cost no query
    more than without the middleware; a minute later she is seen again."""
    # given
    _online(world, world.anna)
    client = _client(world.anna)
    url = reverse("web:availability")

    # when / then: the first request writes
    with freeze_time(T0 + timedelta(seconds=5)):
        first = _queries(client, url)
    assert _seen(world.anna) == T0 + timedelta(seconds=5)

    # when / then: within the minute nothing is written, and the query count is that of a
    # request without the middleware
    with freeze_time(T0 + timedelta(seconds=40)):
        later = [_queries(client, url) for _ in range(3)]
    assert _seen(world.anna) == T0 + timedelta(seconds=5)
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]
    with freeze_time(T0 + timedelta(seconds=45)):
        baseline = _queries(client, url)
    assert later == [baseline] * 3
    assert first == baseline + 1

    # when / then: after the minute, written again
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]
    with freeze_time(T0 + timedelta(seconds=70)):
        _queries(client, url)
    assert _seen(world.anna) == T0 + timedelta(seconds=70)


def test_api_requests_count_as_activity(world, activity):
    """A request with Anna's API token (no session) records her activity too."""
    # given
    _online(world, world.anna)
    token = do_create_api_token(world.anna, name="tests", actor=world.anna)
    client = Client(headers={"Authorization": f"Bearer {token}"})

    # when
    with freeze_time(T0 + timedelta(minutes=3)):
        response = client.get("/api/v1/tickets")

    # then
    assert response.status_code == 200
    assert _seen(world.anna) == T0 + timedelta(minutes=3)


def test_anonymous_requests_record_nothing(world, activity):
    _online(world, world.anna)
    Client().get(reverse("web:login"))
    assert _seen(world.anna) is None


def test_job_makes_only_stale_online_agents_away(world, activity, desk):
    """At 9:20 with 15 minutes: Olga (last seen 9:02) and Boris (online at 9:00, never seen)
    become away; Vera (seen 9:10) stays online; Anna, away already, and Piotr, offline, stay."""
    # given
    for agent in desk.agents:
        do_set_availability(agent, status=Availability.ONLINE, actor=agent, at=T0)
    AgentStatus.objects.filter(user=desk.olga).update(last_seen_at=T0 + timedelta(minutes=2))
    AgentStatus.objects.filter(user=desk.vera).update(last_seen_at=T0 + timedelta(minutes=10))
    do_set_availability(world.anna, status=Availability.AWAY, actor=world.anna, at=T0)
    do_set_availability(world.piotr, status=Availability.OFFLINE, actor=world.piotr, at=T0)

    # when
    flipped = do_auto_away(at=T0 + timedelta(minutes=20))

    # then
    assert flipped == 2
    assert {u.email: availability_of(u) for u in [*desk.agents, world.anna, world.piotr]} == {
        "olga@example.com": Availability.AWAY,
        "boris@example.com": Availability.AWAY,
        "vera@example.com": Availability.ONLINE,
        "anna@example.com": Availability.AWAY,
        "piotr@example.com": Availability.OFFLINE,
    }
    assert AgentStatus.objects.get(user=desk.olga).changed_at == T0 + timedelta(minutes=20)
    # Running again changes nothing.
    assert do_auto_away(at=T0 + timedelta(minutes=21)) == 0


def test_going_online_by_hand_restarts_the_clock(world, activity):
    """Anna, last seen an hour ago, is set online by Lena at 9:00: not away before 9:15."""
    # given
    _online(world, world.anna, at=T0 - timedelta(hours=2))
    AgentStatus.objects.filter(user=world.anna).update(last_seen_at=T0 - timedelta(hours=1))
    do_set_availability(
        world.anna, status=Availability.AWAY, actor=None, at=T0 - timedelta(hours=1)
    )
    do_set_availability(world.anna, status=Availability.ONLINE, actor=world.lena, at=T0)

    # then
    assert do_auto_away(at=T0 + timedelta(minutes=10)) == 0
    assert do_auto_away(at=T0 + timedelta(minutes=16)) == 1


def test_away_agents_come_back_only_by_hand(world, activity):
    """Activity after the automatic away does not bring Anna back online."""
    # given
    _online(world, world.anna)
    do_auto_away(at=T0 + timedelta(minutes=30))

    # when
    with freeze_time(T0 + timedelta(minutes=31)):
        _client(world.anna).get(reverse("web:availability"))

    # then
    assert availability_of(world.anna) == Availability.AWAY
    assert _seen(world.anna) == T0 + timedelta(minutes=31)


def test_zero_minutes_disables_auto_away(world, activity, settings):
    settings.ZABOTA_AUTO_AWAY_MINUTES = 0
    _online(world, world.anna)
    assert do_auto_away(at=T0 + timedelta(days=1)) == 0
    assert availability_of(world.anna) == Availability.ONLINE


def test_without_the_middleware_nobody_is_made_away(world, settings):
    """No activity is recorded without the middleware, so the job must not judge anyone idle."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]
    _online(world, world.anna)
    assert do_auto_away(at=T0 + timedelta(days=1)) == 0
    assert availability_of(world.anna) == Availability.ONLINE


def test_housekeeping_runs_the_job(world, activity):
    """The "auto away" job is among the periodic jobs and flips a stale agent."""
    # given
    _online(world, world.anna, at=datetime.now(UTC) - timedelta(hours=1))
    jobs = {job.name: job for job in Housekeeper.periodic_jobs()}

    # when
    jobs["auto away"].run()

    # then
    assert availability_of(world.anna) == Availability.AWAY
