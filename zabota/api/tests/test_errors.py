"""Authentication and the shape of every error: ``{"code", "message"}`` with a fitting status."""

import pytest
from django.test import Client

from zabota.accounts.actions import do_create_api_token, do_revoke_api_token
from zabota.accounts.models import ApiToken
from zabota.core.ratelimit import API_AUTH_FAILURES_PER_IP


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer zbt_not-a-real-token", "Token zbt_x", "Basic YWRhOnB3"],
)
def test_requests_without_a_valid_token_are_unauthorized(world, header):
    """Missing, malformed and unknown tokens all get 401 `unauthorized` and a Bearer challenge."""
    # given
    client = Client(headers={"Authorization": header} if header else {})
    # when
    response = client.get("/api/v1/tickets")
    # then
    assert_error(response, 401, "unauthorized")
    assert response["WWW-Authenticate"] == "Bearer"


def test_revoked_token_and_deactivated_user_are_unauthorized(world):
    """A token stops working when it is revoked or when its user is deactivated."""
    # given
    revoked = do_create_api_token(world.anna, name="old", actor=world.anna)
    do_revoke_api_token(ApiToken.objects.get(name="old"), actor=world.anna)
    piotr_token = do_create_api_token(world.piotr, name="piotr", actor=world.piotr)
    world.piotr.is_active = False
    world.piotr.save()
    # when
    responses = [
        Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/tickets")
        for token in (revoked, piotr_token)
    ]
    # then
    for response in responses:
        assert_error(response, 401, "unauthorized")


def test_repeated_authentication_failures_are_throttled(world, api_as):
    """After 30 failed attempts in five minutes an address gets 429 `throttled`, even with a
    valid token, until the window ends; other addresses are unaffected."""
    # given
    guesser = Client(headers={"Authorization": "Bearer zbt_guess"})
    for _ in range(API_AUTH_FAILURES_PER_IP.max_hits):
        assert guesser.get("/api/v1/tickets").status_code == 401
    token = do_create_api_token(world.anna, name="real", actor=world.anna)
    # when
    same_address = Client(headers={"Authorization": f"Bearer {token}"})
    other_address = Client(headers={"Authorization": f"Bearer {token}"}, REMOTE_ADDR="198.51.100.7")
    # then
    throttled = same_address.get("/api/v1/tickets")
    assert_error(throttled, 429, "throttled")
    assert 0 < int(throttled["Retry-After"]) <= API_AUTH_FAILURES_PER_IP.window_seconds
    assert other_address.get("/api/v1/tickets").status_code == 200
    assert Client().get("/api/v1/health").status_code == 200  # needs no token


def test_token_acts_as_its_user_and_records_use(world, api_as):
    """A valid token authenticates as its user; the token remembers when it was last used."""
    # given
    client = api_as(world.anna)
    # when
    response = client.get("/api/v1/tickets")
    # then
    assert response.status_code == 200
    assert [t["id"] for t in response.json()["items"]] == [world.maria_ticket.pk]
    assert ApiToken.objects.get(user=world.anna).last_used_at is not None


def test_validation_errors_list_every_problem(world, api_as):
    """Schema violations are 422 `validation_error` with a `details` entry per problem."""
    # when
    response = api_as(world.ada).post(
        "/api/v1/tickets",
        {"priority": "extreme", "channel": "pigeon", "customer_id": world.maria.pk},
        content_type="application/json",
    )
    # then
    body = assert_error(response, 422, "validation_error")
    locations = {tuple(d["loc"]) for d in body["details"]}
    assert ("body", "payload", "priority") in locations
    assert ("body", "payload", "channel") in locations
    assert all({"loc", "msg", "type"} <= d.keys() for d in body["details"])


def test_query_parameters_are_validated(world, api_as):
    """`limit` is bounded to 1..100."""
    client = api_as(world.ada)
    for limit in (0, 101):
        body = assert_error(client.get(f"/api/v1/tickets?limit={limit}"), 422, "validation_error")
        assert body["details"][0]["loc"] == ["query", "limit"]


def test_unparsable_body_is_a_bad_request(world, api_as):
    """A body that is not JSON is 400 `bad_request`, not a server error."""
    response = api_as(world.ada).post(
        "/api/v1/tickets", "{not json", content_type="application/json"
    )
    assert_error(response, 400, "bad_request")


def test_missing_objects_are_not_found(world, api_as):
    """Unknown ids are 404 `not_found`, for tickets, customers, macros and stores alike."""
    client = api_as(world.ada)
    for url in (
        "/api/v1/tickets/999999",
        "/api/v1/customers/999999",
        "/api/v1/macros/999999/render?ticket_id=1",
        "/api/v1/tickets?store=no-such-store",
    ):
        assert_error(client.get(url), 404, "not_found")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        "bm90IGpzb24",
        "WzEsMiwzLDRd",
        "WyJ4IiwgIngiXQ",
        "WyIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwgIngiXQ",
    ],
)
def test_invalid_cursors_are_rejected(world, api_as, cursor):
    """Cursors that are not base64 JSON, or do not fit the list, are 400 `invalid_cursor`."""
    client = api_as(world.ada)
    assert_error(client.get(f"/api/v1/tickets?cursor={cursor}"), 400, "invalid_cursor")
    messages_url = f"/api/v1/tickets/{world.maria_ticket.pk}/messages?cursor={cursor}"
    assert_error(client.get(messages_url), 400, "invalid_cursor")


def test_cursor_of_another_sort_order_is_rejected(world, api_as):
    """A cursor carries its sort key; using it with a different sort is refused, not misread."""
    # given a cursor of the activity-sorted list
    client = api_as(world.ada)
    cursor = client.get("/api/v1/tickets?limit=1").json()["next"]
    # when it is used for the priority sort (whose key has another shape)
    response = client.get(f"/api/v1/tickets?limit=1&sort=priority&cursor={cursor}")
    # then
    assert_error(response, 400, "invalid_cursor")


def test_ticket_rule_violations_keep_their_codes(world, api_as):
    """Domain refusals keep their stable codes: 400 for bad input, 403 for the actor's rights,
    409 for the ticket's state."""
    # given
    anna = api_as(world.anna)
    url = f"/api/v1/tickets/{world.maria_ticket.pk}"
    # then
    assert_error(
        anna.patch(url, {"status": "solved"}, "application/json"), 400, "confirmation_required"
    )
    assert_error(
        anna.patch(url, {"status": "closed"}, "application/json"), 403, "close_not_allowed"
    )
    assert_error(anna.post(f"{url}/confirm"), 409, "not_awaiting_confirmation")
    merge_self = anna.post(f"{url}/merge", {"into": world.maria_ticket.pk}, "application/json")
    assert_error(merge_self, 400, "merge_self")


def test_state_conflicts_are_409(world, api_as):
    """Replying to a ticket that was merged away is a conflict with its state."""
    # given Maria's ticket merged into a newer one
    newer = api_as(world.lena).post(
        "/api/v1/tickets",
        {"customer_id": world.maria.pk, "subject": "Again", "body_text": "Any news?"},
        content_type="application/json",
    )
    merge = api_as(world.lena).post(
        f"/api/v1/tickets/{world.maria_ticket.pk}/merge",
        {"into": newer.json()["id"]},
        content_type="application/json",
    )
    assert merge.status_code == 200
    # when
    response = api_as(world.lena).post(
        f"/api/v1/tickets/{world.maria_ticket.pk}/messages",
        {"kind": "reply", "body_text": "Hello"},
        content_type="application/json",
    )
    # then
    assert_error(response, 409, "merged")
