"""Surveys through the API: the list and the detail per role, a till submitting answers
(idempotent by its submission key, linking a known customer, never for an anonymous survey),
answers refused as 422s, the responses list with its filters and pages, the metrics of a
period, and the endpoints in the OpenAPI document."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from zabota.accounts.constants import Role
from zabota.accounts.models import Group
from zabota.commerce.models import Store
from zabota.conftest import make_user
from zabota.surveys.constants import SurveyChannel
from zabota.surveys.models import Response, ScoreDay, Survey
from zabota.surveys.tests.answering import every_kind_survey
from zabota.surveys.tests.reporting import answer, make_report_survey

JSON = "application/json"


@pytest.fixture
def till(world):
    """The demo store's service survey (NPS, CSAT, CES, speed, quality, a comment), answered
    at the till; ``till.q`` names its questions."""
    survey = make_report_survey(world.store, name="Till check")
    survey.q = dict(  # type: ignore[attr-defined]
        zip(
            ("nps", "csat", "ces", "speed", "quality", "comment"),
            survey.questions.order_by("position"),
            strict=True,
        )
    )
    return survey


@pytest.fixture
def nord(world):
    """A second store with its own lead Olaf, and a survey of it."""
    store = Store.objects.create(slug="nord", name="Nord", email="help@nord.example")
    olaf = make_user("olaf@example.com", "Olaf Lead", Role.LEAD)
    Group.objects.create(store=store, name="Nord support", lead=olaf)
    survey = make_report_survey(store, name="Nord NPS")
    return store, olaf, survey


def post(client: Client, survey: Survey, body: dict):
    return client.post(f"/api/v1/surveys/{survey.pk}/responses", body, content_type=JSON)


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["items"]]


# --- the surveys -------------------------------------------------------------------------------


def test_surveys_list_per_role(world, api_as, till, nord):
    """Ada sees every store's surveys, Lena the demo store's including the inactive one, Anna
    only the active ones (those she may submit to); each with its public link."""
    # given
    off = make_report_survey(world.store, name="Old survey")
    Survey.objects.filter(pk=off.pk).update(is_active=False)
    # when
    admin = api_as(world.ada).get("/api/v1/surveys")
    lead = api_as(world.lena).get("/api/v1/surveys")
    agent = api_as(world.anna).get("/api/v1/surveys")
    # then
    assert names(admin) == ["Old survey", "Till check", "Nord NPS"]
    assert names(lead) == ["Old survey", "Till check"]
    assert names(agent) == ["Till check"]
    item = agent.json()["items"][0]
    assert item["id"] == till.pk and item["store"] == "demo"
    assert item["purpose"] == "post_resolution" and item["active"] is True
    assert item["anonymous"] is False and item["languages"] == ["en", "ru"]
    assert item["public_link"].endswith(f"/s/{till.public_key}/")
    assert lead.json()["items"][0]["active"] is False


def test_survey_detail_has_questions_with_texts_per_language(world, api_as, till, nord):
    """The questions in order with their kind, scale and texts in every language; a survey of
    another store is a 404 (as if it did not exist)."""
    # when
    response = api_as(world.anna).get(f"/api/v1/surveys/{till.pk}")
    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["texts"]["ru"]["title"] == "Как мы справились?"
    questions = body["questions"]
    assert [q["kind"] for q in questions] == ["nps", "rating", "ces", "rating", "rating", "text"]
    nps = questions[0]
    assert nps["id"] == till.q["nps"].pk
    assert (nps["scale_min"], nps["scale_max"], nps["metric"]) == (0, 10, "nps")
    assert questions[4]["scale_max"] == 10 and questions[4]["metric"] == "quality"
    assert questions[5]["scale_min"] is None
    assert questions[1]["texts"] == {
        "en": {"text": "How satisfied are you?"},
        "ru": {"text": "RU How satisfied are you?"},
    }
    # when: Lena asks for the survey of a store she does not work in
    other = api_as(world.lena).get(f"/api/v1/surveys/{nord[2].pk}")
    # then
    assert other.status_code == 404 and other.json()["code"] == "not_found"


def test_no_token_is_401(world, till):
    response = Client().get("/api/v1/surveys")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


# --- submitting --------------------------------------------------------------------------------


def test_a_till_submits_answers_once_whatever_the_retries(world, api_as, till):
    """The first submission is 201 and stores the response with its scores, linked to Maria
    (named by e-mail in another case); the retry with the same key is 200 with the same
    response — one response, counted once in the day's scores."""
    # given
    client = api_as(world.anna)
    body = {
        "submission_key": "till-3:2026-11-22:0042",
        "channel": "kiosk",
        "customer_email": "MARIA@example.pl",
        "source": "till-3",
        "answers": {
            str(till.q["nps"].pk): 9,
            str(till.q["csat"].pk): 4,
            str(till.q["comment"].pk): "Quick and kind.",
        },
    }
    # when
    first = post(client, till, body)
    again = post(client, till, {**body, "answers": {str(till.q["nps"].pk): 2}})
    # a retry whose answers would not even be valid is still the stored response
    garbled = post(client, till, {**body, "answers": {str(till.q["nps"].pk): 99, "0": 1}})
    # then
    assert first.status_code == 201, first.content
    assert again.status_code == 200, again.content
    assert first.json() == again.json()
    assert garbled.status_code == 200 and garbled.json() == first.json()
    data = first.json()
    assert data["channel"] == "kiosk" and data["source"] == "till-3"
    assert data["customer"] == {"id": world.maria.pk, "name": world.maria.name}
    assert data["scores"]["nps"] == 9 and data["scores"]["csat"] == 4
    assert data["scores"]["csat_max"] == 5 and data["scores"]["ces"] is None
    assert {a["question"]: a["text"] or a["number"] for a in data["answers"]} == {
        till.q["nps"].pk: 9,
        till.q["csat"].pk: 4,
        till.q["comment"].pk: "Quick and kind.",
    }
    stored = Response.objects.get()
    assert stored.pk == data["id"] and stored.customer == world.maria
    assert stored.submitted_at is not None and not stored.is_paper
    assert ScoreDay.objects.get().responses == 1


def test_a_paper_card_typed_in_at_the_till_is_marked_with_who_typed_it(world, api_as, till):
    # when
    response = post(
        api_as(world.lena),
        till,
        {"submission_key": "card-1", "channel": "paper", "answers": {till.q["nps"].pk: 10}},
    )
    # then
    assert response.status_code == 201, response.content
    assert response.json()["is_paper"] is True
    stored = Response.objects.get()
    assert stored.channel == SurveyChannel.PAPER and stored.entered_by == world.lena


def test_the_default_channel_is_the_public_link_and_an_unknown_email_links_nobody(
    world, api_as, till
):
    # when
    response = post(
        api_as(world.anna),
        till,
        {
            "submission_key": "k1",
            "customer_email": "nobody@example.com",
            "answers": {till.q["nps"].pk: 8},
        },
    )
    # then
    assert response.status_code == 201, response.content
    assert response.json()["channel"] == "link"
    assert response.json()["customer"] is None
    assert Response.objects.get().customer is None


def test_an_anonymous_survey_never_links_the_customer(world, api_as):
    """Even named by e-mail, Maria is not linked: the response carries no customer, in the
    answer and in the database, and the list shows none either."""
    # given
    survey = make_report_survey(world.store, name="Anonymous", anonymous=True)
    nps = survey.questions.order_by("position")[0]
    # when
    response = post(
        api_as(world.anna),
        survey,
        {
            "submission_key": "anon-1",
            "customer_email": "maria@example.pl",
            "answers": {nps.pk: 3},
        },
    )
    listed = api_as(world.lena).get("/api/v1/surveys/responses")
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["anonymous"] is True
    assert body["customer"] is None and body["ticket"] is None
    stored = Response.objects.get()
    assert stored.customer_id is None and stored.ticket_id is None and stored.anonymous
    item = listed.json()["items"][0]
    assert item["id"] == stored.pk and item["customer"] is None and item["ticket"] is None


def test_an_agent_may_not_link_a_customer_they_do_not_see(world, api_as, till):
    """Anna (Support) names Ivan, who only wrote to Returns: she may not see him, so he is not
    linked (the address does not tell her whether he is a customer either)."""
    # when
    response = post(
        api_as(world.anna),
        till,
        {
            "submission_key": "i-1",
            "customer_email": "ivan@example.ru",
            "answers": {till.q["nps"].pk: 9},
        },
    )
    # then
    assert response.status_code == 201, response.content
    assert response.json()["customer"] is None
    assert Response.objects.get().customer is None


@pytest.mark.parametrize(
    ("answers", "question", "words"),
    [
        ({"nps": 11}, "nps", "from 0 to 10"),
        ({"nps": "very"}, "nps", "from 0 to 10"),
        ({"csat": 0}, "csat", "from 1 to 5"),
        ({"comment": 5}, "comment", "as text"),
    ],
    ids=["nps out of range", "nps not a number", "csat 0", "text as number"],
)
def test_bad_answers_are_422_per_question_and_store_nothing(
    world, api_as, till, answers, question, words
):
    # when
    response = post(
        api_as(world.anna),
        till,
        {"submission_key": "bad", "answers": {till.q[k].pk: v for k, v in answers.items()}},
    )
    # then
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "validation_error"
    assert [d["loc"] for d in body["details"]] == [
        ["body", "payload", "answers", str(till.q[question].pk)]
    ]
    assert words in body["details"][0]["msg"]
    assert not Response.objects.exists() and not ScoreDay.objects.exists()


def test_a_required_question_left_out_and_an_unknown_question_are_422(world, api_as):
    # given
    survey = every_kind_survey(world.store)
    client = api_as(world.anna)
    # when: the required speed question is not answered
    missing = post(client, survey, {"submission_key": "m", "answers": {survey.q["nps"].pk: 9}})
    # then
    assert missing.status_code == 422
    assert missing.json()["details"][0]["loc"][-1] == str(survey.q["speed"].pk)
    assert "answer this question" in missing.json()["details"][0]["msg"]
    # when: an id of no question of the survey
    unknown = post(
        client,
        survey,
        {"submission_key": "u", "answers": {survey.q["speed"].pk: 5, "999999": 1}},
    )
    # then
    assert unknown.status_code == 422
    assert unknown.json()["details"][0]["loc"][-1] == "999999"
    assert unknown.json()["details"][0]["type"] == "unknown_question"
    assert not Response.objects.exists()


def test_every_kind_of_answer_and_the_schema_422s(world, api_as):
    """Yes/no as true, a choice by position, several by positions; a bad channel or key is the
    schema's 422."""
    # given
    survey = every_kind_survey(world.store)
    q = survey.q
    client = api_as(world.anna)
    answers = {
        q["speed"].pk: 5,
        q["nps"].pk: 10,
        q["again"].pk: True,
        q["where"].pk: 1,
        q["what"].pk: [0, 2],
        q["comment"].pk: "Great shoes",
    }
    # when
    response = post(client, survey, {"submission_key": "all", "answers": answers})
    bad_channel = post(
        client, survey, {"submission_key": "x", "channel": "email", "answers": answers}
    )
    bad_key = post(client, survey, {"submission_key": "no spaces", "answers": answers})
    # then
    assert response.status_code == 201, response.content
    by_question = {a["question"]: a for a in response.json()["answers"]}
    assert by_question[q["again"].pk]["number"] == 1
    assert by_question[q["where"].pk]["choices"] == [1]
    assert by_question[q["what"].pk]["choices"] == [0, 2]
    assert bad_channel.status_code == 422
    assert bad_channel.json()["details"][0]["loc"] == ["body", "payload", "channel"]
    assert bad_key.status_code == 422
    assert Response.objects.count() == 1


def test_an_inactive_survey_takes_no_answers(world, api_as, till):
    """A lead sees the switched-off survey but gets 409; the agent does not see it (404)."""
    # given
    Survey.objects.filter(pk=till.pk).update(is_active=False)
    body = {"submission_key": "k", "answers": {till.q["nps"].pk: 9}}
    # when
    lead = post(api_as(world.lena), till, body)
    agent = post(api_as(world.anna), till, body)
    # then
    assert lead.status_code == 409 and lead.json()["code"] == "survey_inactive"
    assert agent.status_code == 404
    assert not Response.objects.exists()


def test_a_survey_of_another_store_is_404(world, api_as, nord):
    survey = nord[2]
    nps = survey.questions.order_by("position")[0]
    response = post(api_as(world.anna), survey, {"submission_key": "k", "answers": {nps.pk: 9}})
    assert response.status_code == 404
    assert not Response.objects.exists()


# --- responses and the report ------------------------------------------------------------------


def test_responses_per_role_filters_and_pages(world, api_as, till, nord):
    """Lena lists the demo store's responses newest first and pages through them; filters by
    survey, channel, days, a written answer, customer, NPS band and a score range; Anna (an
    agent) is refused."""
    # given
    now = timezone.now()
    old = answer(till, nps=2, csat=1, comment="Too slow", at=now - timedelta(days=10))
    mid = answer(till, nps=8, channel=SurveyChannel.QR, at=now - timedelta(days=5))
    new = answer(till, nps=10, csat=5, customer=world.maria, at=now - timedelta(hours=1))
    answer(nord[2], nps=9, at=now)
    client = api_as(world.lena)

    def ids(**params) -> list[int]:
        response = client.get("/api/v1/surveys/responses", params)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    # then
    assert ids() == [new.pk, mid.pk, old.pk]
    first = client.get("/api/v1/surveys/responses", {"limit": 2}).json()
    assert [i["id"] for i in first["items"]] == [new.pk, mid.pk]
    second = client.get("/api/v1/surveys/responses", {"limit": 2, "cursor": first["next"]}).json()
    assert [i["id"] for i in second["items"]] == [old.pk] and second["next"] is None
    assert ids(survey=till.pk) == [new.pk, mid.pk, old.pk]
    assert ids(channel="qr") == [mid.pk]
    since = (now - timedelta(days=7)).date().isoformat()
    assert ids(since=since) == [new.pk, mid.pk]
    assert ids(until=(now - timedelta(days=8)).date().isoformat()) == [old.pk]
    assert ids(has_text=True) == [old.pk]
    assert ids(customer=world.maria.pk) == [new.pk]
    assert ids(band="detractor") == [old.pk]
    assert ids(band="low") == [old.pk]
    assert ids(metric="nps", min_score=7, max_score=9) == [mid.pk]
    assert ids(metric="csat") == [new.pk, old.pk]
    # and the response carries its scores and text
    item = client.get("/api/v1/surveys/responses", {"has_text": True}).json()["items"][0]
    assert item["scores"]["nps"] == 2 and item["answers"][-1]["text"] == "Too slow"
    # the admin sees the other store's too
    admin = api_as(world.ada).get("/api/v1/surveys/responses").json()
    assert len(admin["items"]) == 4
    # refusals
    range_alone = client.get("/api/v1/surveys/responses", {"min_score": 3})
    assert range_alone.status_code == 400 and range_alone.json()["code"] == "bad_request"
    foreign = client.get("/api/v1/surveys/responses", {"survey": nord[2].pk})
    assert foreign.status_code == 404
    agent = api_as(world.anna).get("/api/v1/surveys/responses")
    assert agent.status_code == 403 and agent.json()["code"] == "permission_denied"


def test_responses_list_costs_the_same_queries_for_many_responses(world, api_as, till):
    # given
    client = api_as(world.lena)
    answer(till, nps=9, comment="one")
    client.get("/api/v1/surveys/responses")  # the token is cached after its first use
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/surveys/responses")
    for n in range(6):
        answer(till, nps=n, comment=f"text {n}", customer=world.maria)
    # when
    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/v1/surveys/responses")
    # then
    assert len(response.json()["items"]) == 7
    assert len(many) == len(few)


def test_report_totals_and_channels_per_role(world, api_as, till, nord):
    """Hand-computed: NPS of 10, 9, 8, 3 = (2 − 1) / 4 = 25; CSAT of 5, 4, 2 = 2 of 3 top box
    ≈ 66.7 %; CES 6 and 3: mean 4.5, 50 % agree. Per channel: e-mail 3, kiosk 1."""
    # given
    answer(till, nps=10, csat=5, ces=6)
    answer(till, nps=9, csat=4)
    answer(till, nps=8, csat=2, ces=3)
    answer(till, nps=3, channel=SurveyChannel.KIOSK)
    answer(nord[2], nps=0)
    # when
    response = api_as(world.lena).get("/api/v1/surveys/report")
    # then
    assert response.status_code == 200, response.content
    body = response.json()
    totals = body["totals"]
    assert totals["responses"] == 4
    assert totals["nps"] == 25.0 and totals["nps_answers"] == 4
    assert (totals["nps_promoters"], totals["nps_passives"], totals["nps_detractors"]) == (2, 1, 1)
    assert round(totals["csat"], 1) == 66.7 and totals["csat_answers"] == 3
    assert totals["ces"] == 4.5 and totals["ces_agree"] == 50.0 and totals["ces_answers"] == 2
    assert totals["speed"] is None and totals["speed_answers"] == 0
    assert [(c["channel"], c["responses"]) for c in body["channels"]] == [
        ("email", 3),
        ("kiosk", 1),
    ]
    assert body["until"] == timezone.localdate().isoformat()
    # filters
    kiosk = api_as(world.lena).get("/api/v1/surveys/report", {"channel": "kiosk"}).json()
    assert kiosk["totals"]["nps"] == -100.0
    admin = api_as(world.ada).get("/api/v1/surveys/report", {"store": "nord"}).json()
    assert admin["totals"]["responses"] == 1
    past = api_as(world.ada).get(
        "/api/v1/surveys/report", {"since": "2020-01-01", "until": "2020-03-31"}
    )
    assert past.json()["totals"] == {**past.json()["totals"], "responses": 0, "nps": None}
    # refusals
    assert api_as(world.anna).get("/api/v1/surveys/report").status_code == 403
    assert api_as(world.lena).get("/api/v1/surveys/report", {"store": "nord"}).status_code == 404


def test_openapi_document_has_the_survey_endpoints(db):
    spec = Client().get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    assert {
        "/api/v1/surveys",
        "/api/v1/surveys/{survey_id}",
        "/api/v1/surveys/responses",
        "/api/v1/surveys/{survey_id}/responses",
        "/api/v1/surveys/report",
    } <= set(paths)
    submit = paths["/api/v1/surveys/{survey_id}/responses"]["post"]
    assert {"200", "201", "404", "409", "422"} <= set(submit["responses"])
    assert "security" in submit
    channel = spec["components"]["schemas"]["SubmitChannel"]["enum"]
    assert "link" in channel and "email" not in channel
