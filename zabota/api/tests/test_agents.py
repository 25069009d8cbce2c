"""PUT /api/v1/agents/me/availability sets the token user's availability for routing."""

from zabota.routing.actions import availability_of
from zabota.routing.constants import Availability


def test_agent_sets_own_availability(world, api_as):
    """The answer carries the stored status; routing then treats the agent as online."""
    # when
    response = api_as(world.anna).put(
        "/api/v1/agents/me/availability", {"status": "online"}, content_type="application/json"
    )

    # then
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "online"
    assert availability_of(world.anna) == Availability.ONLINE


def test_unknown_availability_is_a_validation_error(world, api_as):
    # when
    response = api_as(world.anna).put(
        "/api/v1/agents/me/availability", {"status": "asleep"}, content_type="application/json"
    )

    # then
    assert response.status_code == 422
    assert availability_of(world.anna) == Availability.OFFLINE
