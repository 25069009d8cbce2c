"""do_submit_response: every channel's answers are validated per kind, branched, stored once per
submission key (partial first if need be), counted in the day's ScoreDay row as the module's
docstring says, and published as survey.answered. Runs on SQLite and PostgreSQL."""

from datetime import UTC, date, datetime

import pytest

from zabota.core import event_types
from zabota.core.models import OutboxEvent
from zabota.surveys import respond
from zabota.surveys.constants import InvitationStatus, SurveyChannel
from zabota.surveys.models import Answer, Response, ScoreDay
from zabota.surveys.respond import AlreadyAnswered, SurveyError, do_submit_response
from zabota.surveys.tests.answering import every_kind_survey, invite

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)


@pytest.fixture
def survey(world):
    return every_kind_survey(world.store)


def submit(survey, key="k1", *, final=True, channel=SurveyChannel.PUBLIC_LINK, at=AT, **answers):
    """Answers by the question's name in ``survey.q``."""
    return do_submit_response(
        survey,
        answers={survey.q[name].pk: value for name, value in answers.items()},
        channel=channel,
        submission_key=key,
        language="en",
        final=final,
        at=at,
    )


def answered_events():
    return list(OutboxEvent.objects.filter(type=event_types.SURVEY_ANSWERED).order_by("pk"))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("speed", 6),
        ("speed", 0),
        ("speed", "fast"),
        ("quality", 11),
        ("csat", 4),
        ("nps", 11),
        ("nps", -1),
        ("ces", 0),
        ("ces", 8),
        ("again", 2),
        ("where", 3),
        ("where", [0]),
        ("what", [0, 5]),
        ("what", ["x"]),
        ("comment", 5),
        ("comment", "x" * 5001),
    ],
)
def test_a_bad_answer_is_refused_with_a_message_for_its_question(survey, name, value):
    # when
    with pytest.raises(SurveyError) as refused:
        submit(survey, **{"speed": 4, name: value})
    # then
    assert list(refused.value.errors) == [survey.q[name].pk]
    assert refused.value.errors[survey.q[name].pk]
    assert not Response.objects.exists()
    assert not ScoreDay.objects.exists()


def test_a_missing_required_answer_is_refused_but_optional_ones_may_be_left(survey):
    with pytest.raises(SurveyError) as refused:
        submit(survey, nps=9)
    assert refused.value.errors == {survey.q["speed"].pk: "Please answer this question."}
    # an empty text and an empty choice list are no answers
    response = submit(survey, speed=3, comment="  ", what=[])
    assert [a.question_id for a in response.answers.all()] == [survey.q["speed"].pk]


def test_every_kind_is_stored_in_its_column(survey):
    # when
    response = submit(
        survey,
        speed="4",
        quality=7,
        csat=3,
        nps=10,
        ces=6,
        again=0,
        where=2,
        what=[2, 0, 2],
        comment="  Lovely shoes  ",
    )
    # then
    stored = {a.question_id: (a.number, a.choices, a.text) for a in response.answers.all()}
    q = survey.q
    assert stored == {
        q["speed"].pk: (4, [], ""),
        q["quality"].pk: (7, [], ""),
        q["csat"].pk: (3, [], ""),
        q["nps"].pk: (10, [], ""),
        q["ces"].pk: (6, [], ""),
        q["again"].pk: (0, [], ""),
        q["where"].pk: (None, [2], ""),
        q["what"].pk: (None, [0, 2], ""),
        q["comment"].pk: (None, [], "Lovely shoes"),
    }
    assert (response.speed, response.speed_max, response.quality, response.quality_max) == (
        4,
        5,
        7,
        10,
    )
    assert (response.csat, response.csat_max, response.nps, response.ces) == (3, 3, 10, 6)
    assert response.submitted_at == AT


def test_a_question_hidden_by_branching_is_neither_required_nor_stored(survey):
    # given NPS 9: "what should we do better" (for 0–6) is hidden
    response = submit(survey, "k1", speed=5, nps=9, why="sneaked in")
    assert survey.q["why"].pk not in {a.question_id for a in response.answers.all()}
    # when NPS 6 shows it, it is required
    with pytest.raises(SurveyError) as refused:
        submit(survey, "k2", speed=5, nps=6)
    assert list(refused.value.errors) == [survey.q["why"].pk]
    # and stored once answered
    response = submit(survey, "k3", speed=5, nps=6, why="Faster replies")
    assert response.answers.get(question=survey.q["why"]).text == "Faster replies"


def test_a_bad_answer_to_a_hidden_question_does_not_refuse_the_response(survey):
    response = submit(survey, speed=5, nps=10, why=12345)
    assert response.submitted_at is not None


def test_the_same_submission_key_twice_stores_one_response_counted_once(survey):
    # when the form is sent twice (a double click, a retry after a lost reply)
    first = submit(survey, "same", speed=4, nps=10)
    second = submit(survey, "same", speed=1, nps=0, why="changed my mind")
    # then
    assert second.pk == first.pk
    assert Response.objects.count() == 1
    assert Answer.objects.get(question=survey.q["speed"]).number == 4
    assert ScoreDay.objects.get().responses == 1
    assert len(answered_events()) == 1


def test_a_partial_response_is_kept_and_completed_later_under_the_same_key(survey):
    # when the respondent answered NPS only (the required speed is still missing)
    partial = submit(survey, "p1", final=False, nps=10)
    # then it is kept, but not counted nor published
    assert partial.submitted_at is None
    assert list(partial.answers.values_list("number", flat=True)) == [10]
    assert not ScoreDay.objects.exists()
    assert answered_events() == []
    # when they finish
    done = submit(survey, "p1", speed=2, nps=9)
    # then the same response is completed with the final answers
    assert done.pk == partial.pk
    assert Response.objects.count() == 1
    assert sorted(done.answers.values_list("number", flat=True)) == [2, 9]
    assert (done.speed, done.nps, done.submitted_at) == (2, 9, AT)
    assert ScoreDay.objects.get().responses == 1
    assert len(answered_events()) == 1


def test_day_rows_sum_as_documented(survey):
    """Hand-computed: three responses on one day and channel."""
    # given
    submit(survey, "r1", speed=4, quality=7, csat=3, nps=10, ces=6)
    submit(survey, "r2", speed=2, quality=10, csat=2, nps=6, why="Slow", ces=4)
    submit(survey, "r3", speed=5, nps=8)
    # then
    row = ScoreDay.objects.get()
    assert (row.day, row.channel, row.agent_key, row.group_key) == (
        date(2026, 3, 2),
        SurveyChannel.PUBLIC_LINK,
        0,
        0,
    )
    assert row.responses == 3
    # NPS: promoters 10; passives 8; detractors 6
    assert (row.nps_n, row.nps_promoters, row.nps_detractors) == (3, 1, 1)
    # CSAT on 1–3: the top 1 point (3) counts; 0–100: 3 → 100, 2 → 50
    assert (row.csat_n, row.csat_top, row.csat_sum) == (2, 1, 150)
    # CES: 6 + 4, agree 5–7: one
    assert (row.ces_n, row.ces_sum, row.ces_agree) == (2, 10, 1)
    # speed on 1–5 ×100: 400 + 200 + 500
    assert (row.speed_n, row.speed_sum) == (3, 1100)
    # quality 7 of 10 → 1 + 6×4/9 = 3.667 → 367; 10 of 10 → 500
    assert (row.quality_n, row.quality_sum) == (2, 867)


def test_a_day_is_the_stores_day_and_agents_and_groups_get_their_own_rows(world, survey):
    # given the store is in Warsaw (UTC+1 in March): 23:30 UTC is the next day there
    late = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    anna_asked = invite(survey, world.maria, agent=world.anna, group=world.support)
    # when
    do_submit_response(
        survey,
        answers={survey.q["speed"].pk: 5},
        channel=SurveyChannel.EMAIL,
        submission_key="inv",
        language="en",
        invitation=anna_asked,
        at=late,
    )
    submit(survey, "walk-in", speed=3, channel=SurveyChannel.KIOSK, at=late)
    # then
    rows = set(
        ScoreDay.objects.values_list("day", "channel", "agent_key", "group_key", "speed_sum")
    )
    assert rows == {
        (date(2026, 3, 3), SurveyChannel.EMAIL, world.anna.pk, world.support.pk, 500),
        (date(2026, 3, 3), SurveyChannel.KIOSK, 0, 0, 300),
    }


@pytest.mark.parametrize(
    ("points", "answers", "top"),
    [(3, [3, 2, 1], 1), (5, [5, 4, 3, 1], 2), (10, [10, 7, 6, 1], 2)],
)
def test_csat_counts_the_top_boxes_of_each_scale(world, points, answers, top):
    """Top 2 of 1–5 (4–5), top 1 of 1–3, top 4 of 1–10 (7–10)."""
    # given
    survey = every_kind_survey(world.store)
    survey.q["csat"].scale_max = points
    survey.q["csat"].save()
    # when
    for n, value in enumerate(answers):
        submit(survey, f"c{n}", speed=3, csat=value)
    # then
    row = ScoreDay.objects.get()
    assert (row.csat_n, row.csat_top) == (len(answers), top)


def test_an_answer_is_published_with_its_scores_and_the_lowest_rating_on_1_to_5(world, survey):
    # given
    invitation = invite(survey, world.maria, ticket=world.maria_ticket, agent=world.anna)
    # when quality 7 of 10 is 3.67 → 4 on 1–5, speed 4, happiness 3 of 3 → 5
    response = do_submit_response(
        survey,
        answers={
            survey.q["speed"].pk: 4,
            survey.q["quality"].pk: 7,
            survey.q["csat"].pk: 3,
            survey.q["nps"].pk: 10,
        },
        channel=SurveyChannel.EMAIL,
        submission_key="e1",
        language="en",
        invitation=invitation,
    )
    # then
    [event] = answered_events()
    assert event.payload == {
        "response_id": response.pk,
        "survey_id": survey.pk,
        "store_id": world.store.pk,
        "ticket_id": world.maria_ticket.pk,
        "scores": {"nps": 10, "csat": 3, "speed": 4, "quality": 7},
        "lowest": 4,
    }
    assert (response.customer, response.ticket, response.agent) == (
        world.maria,
        world.maria_ticket,
        world.anna,
    )
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ANSWERED
    assert invitation.answered_at == response.submitted_at


def test_no_rating_publishes_lowest_none(survey):
    survey.q["speed"].required = False
    survey.q["speed"].save()
    submit(survey, nps=10)
    assert answered_events()[0].payload["lowest"] is None


def test_an_invitation_answered_from_a_second_tab_keeps_one_response(world, survey):
    invitation = invite(survey, world.maria)
    answers = {survey.q["speed"].pk: 5}
    first = do_submit_response(
        survey,
        answers=answers,
        channel="email",
        submission_key="tab1",
        language="en",
        invitation=invitation,
    )
    second = do_submit_response(
        survey,
        answers=answers,
        channel="email",
        submission_key="tab2",
        language="en",
        invitation=invitation,
    )
    assert second.pk == first.pk
    assert Response.objects.count() == 1


def test_an_anonymous_survey_keeps_no_link_to_the_person(world):
    # given
    survey = every_kind_survey(world.store, anonymous=True)
    invitation = invite(
        survey, world.maria, ticket=world.maria_ticket, agent=world.anna, group=world.support
    )
    # when
    response = do_submit_response(
        survey,
        answers={survey.q["speed"].pk: 2},
        channel=SurveyChannel.EMAIL,
        submission_key="anon",
        language="en",
        invitation=invitation,
        customer=world.maria,
        source="/orders/1234?email=maria@example.pl",
        at=AT,
    )
    # then
    response.refresh_from_db()
    assert response.anonymous is True
    assert (
        response.customer,
        response.ticket,
        response.order,
        response.agent,
        response.group,
        response.invitation,
    ) == (None, None, None, None, None, None)
    assert response.source == ""
    # the time keeps the hour only, so it does not match the invitation's answered_at
    assert response.submitted_at == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert response.started_at == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert ScoreDay.objects.get().agent_key == 0
    assert answered_events()[0].payload["ticket_id"] is None
    # the invitation is used up all the same
    invitation.refresh_from_db()
    assert invitation.answered_at == AT
    with pytest.raises(AlreadyAnswered):
        do_submit_response(
            survey,
            answers={survey.q["speed"].pk: 5},
            channel=SurveyChannel.EMAIL,
            submission_key="anon-again",
            language="en",
            invitation=invitation,
        )
    assert Response.objects.count() == 1


def test_an_anonymous_response_keeps_a_printed_source(world):
    survey = every_kind_survey(world.store, anonymous=True)
    response = do_submit_response(
        survey,
        answers={survey.q["speed"].pk: 2},
        channel=SurveyChannel.QR,
        submission_key="qr",
        language="en",
        source="Receipt",
    )
    assert response.source == "receipt"


def test_a_submission_costs_a_fixed_number_of_queries(survey, django_assert_max_num_queries):
    answers = {
        q.pk: v
        for q, v in [(survey.q["speed"], 4), (survey.q["nps"], 10), (survey.q["comment"], "ok")]
    }
    with django_assert_max_num_queries(10):
        do_submit_response(
            survey, answers=answers, channel="link", submission_key="q", language="en"
        )


def test_survey_answers_are_engagement_signals(world, survey):
    invitation = invite(survey, world.maria)
    do_submit_response(
        survey,
        answers={survey.q["speed"].pk: 5},
        channel="email",
        submission_key="s",
        language="en",
        invitation=invitation,
        at=AT,
    )
    since = datetime(2026, 3, 1, tzinfo=UTC)
    assert respond.survey_answers(world.store, (world.maria.pk, world.ivan.pk), since) == {
        world.maria.pk: 1
    }
    assert respond.survey_answers(world.store, (world.maria.pk,), AT.replace(hour=11)) == {}


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_count_every_answer_and_a_key_once(world):
    """Eight answers of the same day at the same moment (each in its own connection) all land
    in the one day row; four racing copies of one submission store one response."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    survey = every_kind_survey(world.store)

    def answer(key: str) -> int:
        try:
            return submit(survey, key, speed=5, nps=10).pk
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        distinct = list(pool.map(answer, [f"key{n}" for n in range(8)]))
        same = list(pool.map(answer, ["same"] * 4))
    assert len(set(distinct)) == 8
    assert len(set(same)) == 1
    row = ScoreDay.objects.get()
    assert (row.responses, row.nps_promoters, row.speed_sum) == (9, 9, 4500)
    assert Response.objects.count() == 9


@pytest.mark.django_db(transaction=True)
def test_an_autosave_racing_the_send_never_leaves_the_response_partial(world):
    """The answer page's autosave (partial) and the send (final) of one form arrive together:
    whichever inserts first, the response ends up submitted and counted once."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    survey = every_kind_survey(world.store)

    def send(n: int) -> None:
        try:
            submit(survey, f"race{n // 4}", final=n % 4 == 0, speed=4, nps=9)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(send, range(12)))  # three forms: one send and three autosaves each
    assert Response.objects.filter(submitted_at__isnull=False).count() == 3
    assert Response.objects.count() == 3
    assert ScoreDay.objects.get().responses == 3
