"""Public submissions raw-first: the request stores the validated answers as one row and thanks
the visitor; the worker makes the waiting rows into responses, answers, day sums and events in
batches; a double submit stores one; a failing submission is kept with its error and retried;
the housekeeping sweep picks up what a lost task left."""

import re
from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from zabota.core import event_types
from zabota.core.models import OutboxEvent
from zabota.surveys import submissions
from zabota.surveys.constants import SurveyChannel
from zabota.surveys.models import Answer, Response, ScoreDay, Submission
from zabota.surveys.tests.answering import every_kind_survey

pytestmark = pytest.mark.django_db

# A backend that keeps what is queued without running it: the worker's part is then run by
# the test itself, as a worker would run it later.
DEFERRED_TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


@pytest.fixture(autouse=True)
def _fresh_queue_period(monkeypatch):
    # Each test starts as a fresh process: no task queued in the current period.
    monkeypatch.setattr(submissions, "_queued_for", 0.0)


@pytest.fixture
def survey(world):
    return every_kind_survey(world.store)


@pytest.fixture
def kiosk() -> Client:
    """The shop's tablet: not signed in, CSRF checked like a real browser."""
    return Client(enforce_csrf_checks=True)


def post_kiosk(client: Client, survey, key: str, answers: dict[str, object]):
    url = reverse("surveys_public:kiosk", args=[survey.public_key])
    if "csrftoken" not in client.cookies:
        client.get(url)
    token = client.cookies["csrftoken"].value
    body = {"submission_key": key, **{f"q{survey.q[name].pk}": v for name, v in answers.items()}}
    return client.post(url, body, HTTP_X_CSRFTOKEN=token)


HAPPY = {"speed": "4", "quality": "7", "csat": "3", "nps": "9", "ces": "6"}
UNHAPPY = {"speed": "2", "csat": "1", "nps": "3", "why": "Too slow"}


@override_settings(TASKS=DEFERRED_TASKS)
def test_the_raw_submission_is_stored_before_any_response(survey, kiosk):
    """The request validates and keeps one raw row; no response, answer or day row yet."""
    # when
    answered = post_kiosk(kiosk, survey, "k-1", HAPPY)
    # then
    assert (answered.status_code, answered.json()) == (200, {"ok": True})
    row = Submission.objects.get()
    speed, nps = survey.q["speed"].pk, survey.q["nps"].pk
    assert (row.survey_id, row.submission_key, row.channel) == (survey.pk, "k-1", "kiosk")
    assert row.payload["answers"][str(speed)] == [4, [], ""]
    assert row.payload["answers"][str(nps)] == [9, [], ""]
    assert row.payload["scores"]["nps"] == 9
    assert row.processed_at is None
    assert not Response.objects.exists()
    assert not ScoreDay.objects.exists()


@override_settings(TASKS=DEFERRED_TASKS)
def test_bad_answers_store_nothing(survey, kiosk):
    refused = post_kiosk(kiosk, survey, "k-bad", {"speed": "9"})
    assert refused.status_code == 400
    assert refused.json()["errors"] == {
        str(survey.q["speed"].pk): "Please choose a value from 1 to 5."
    }
    assert not Submission.objects.exists()


@override_settings(TASKS=DEFERRED_TASKS)
def test_processing_makes_the_responses_answers_and_day_sums_of_the_old_path(
    survey, kiosk, django_capture_on_commit_callbacks
):
    """Figures computed by hand (respond.py's rules): speed 4/5 → 400 and 2/5 → 200; quality
    7/10 → 1 + 6 × 4/9 = 3.67 → 367; CSAT 3/3 is top box (100), 1/3 is not (0); NPS 9 a
    promoter, 3 a detractor; CES 6 agrees."""
    # given
    post_kiosk(kiosk, survey, "k-happy", HAPPY)
    post_kiosk(kiosk, survey, "k-unhappy", UNHAPPY)
    # when
    with django_capture_on_commit_callbacks():
        processed = submissions.process_waiting()
    # then
    assert processed == 2
    happy = Response.objects.get(submission_key="k-happy")
    assert (happy.channel, happy.speed, happy.speed_max, happy.quality, happy.quality_max) == (
        SurveyChannel.KIOSK,
        4,
        5,
        7,
        10,
    )
    assert (happy.csat, happy.csat_max, happy.nps, happy.ces) == (3, 3, 9, 6)
    assert happy.submitted_at is not None and happy.store_id == survey.store_id
    unhappy = Response.objects.get(submission_key="k-unhappy")
    assert (unhappy.speed, unhappy.quality, unhappy.csat, unhappy.nps, unhappy.ces) == (
        2,
        None,
        1,
        3,
        None,
    )
    why = Answer.objects.get(response=unhappy, question=survey.q["why"])
    assert why.text == "Too slow"
    assert Answer.objects.filter(response=happy).count() == 5
    day = ScoreDay.objects.get()
    assert (day.survey_id, day.channel, day.agent_key, day.group_key) == (survey.pk, "kiosk", 0, 0)
    assert (day.responses, day.nps_n, day.nps_promoters, day.nps_detractors) == (2, 2, 1, 1)
    assert (day.csat_n, day.csat_top, day.csat_sum) == (2, 1, 100)
    assert (day.ces_n, day.ces_sum, day.ces_agree) == (1, 6, 1)
    assert (day.speed_n, day.speed_sum, day.quality_n, day.quality_sum) == (2, 600, 1, 367)
    assert Submission.objects.filter(processed_at__isnull=True).count() == 0


@override_settings(TASKS=DEFERRED_TASKS)
def test_the_events_are_published_with_the_scores(
    survey, kiosk, django_capture_on_commit_callbacks
):
    # given
    post_kiosk(kiosk, survey, "k-happy", HAPPY)
    post_kiosk(kiosk, survey, "k-unhappy", UNHAPPY)
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        submissions.process_waiting()
    # then: one event per response, dispatched by one callback for the batch
    events = {
        e.payload["response_id"]: e.payload
        for e in OutboxEvent.objects.filter(type=event_types.SURVEY_ANSWERED)
    }
    unhappy = Response.objects.get(submission_key="k-unhappy")
    assert set(events) == set(Response.objects.values_list("pk", flat=True))
    assert events[unhappy.pk] == {
        "response_id": unhappy.pk,
        "survey_id": survey.pk,
        "store_id": survey.store_id,
        "ticket_id": None,
        "scores": {"nps": 3, "csat": 1, "speed": 2},
        "lowest": 1,
    }
    assert len(callbacks) == 1


@override_settings(TASKS=DEFERRED_TASKS)
def test_a_double_submission_is_one_response(survey, kiosk):
    # given: the reply was lost on the way, the tablet sends again
    post_kiosk(kiosk, survey, "k-twice", HAPPY)
    post_kiosk(kiosk, survey, "k-twice", UNHAPPY)
    # when
    submissions.process_waiting()
    post_kiosk(kiosk, survey, "k-twice", HAPPY)  # once more after processing
    submissions.process_waiting()
    # then: the first one counts
    assert Submission.objects.count() == 1
    assert list(Response.objects.values_list("nps", flat=True)) == [9]
    assert ScoreDay.objects.get().responses == 1


@override_settings(TASKS=DEFERRED_TASKS)
def test_a_failing_submission_is_kept_with_its_error_and_retried(survey, kiosk, monkeypatch):
    # given: the unhappy one cannot be counted (say, a bug in the day sums)
    post_kiosk(kiosk, survey, "k-happy", HAPPY)
    post_kiosk(kiosk, survey, "k-unhappy", UNHAPPY)
    real = submissions.day_increments

    def broken(response):
        if response.submission_key == "k-unhappy":
            raise ValueError("cannot count this one")
        return real(response)

    monkeypatch.setattr(submissions, "day_increments", broken)
    # when
    submissions.process_waiting()
    # then: the other went on; the failed one waits with its error, not before its backoff
    assert list(Response.objects.values_list("submission_key", flat=True)) == ["k-happy"]
    failed = Submission.objects.get(submission_key="k-unhappy")
    assert (failed.processed_at, failed.attempts) == (None, 1)
    assert failed.last_error == "ValueError: cannot count this one"
    assert failed.next_attempt_at > timezone.now()
    assert submissions.backlog(survey.store_id) == submissions.Backlog(waiting=1, failed=0)
    assert submissions.process_waiting() == 0
    assert ScoreDay.objects.get().responses == 1
    # when: fixed, and its retry is due
    monkeypatch.setattr(submissions, "day_increments", real)
    Submission.objects.filter(pk=failed.pk).update(next_attempt_at=timezone.now())
    assert submissions.process_waiting() == 1
    # then
    assert Response.objects.filter(submission_key="k-unhappy").exists()
    assert ScoreDay.objects.get().responses == 2
    assert submissions.backlog(survey.store_id) == submissions.Backlog(waiting=0, failed=0)


@override_settings(TASKS=DEFERRED_TASKS)
def test_after_the_last_attempt_it_counts_as_failed_until_an_admin_retries(survey, kiosk):
    post_kiosk(kiosk, survey, "k-1", HAPPY)
    Submission.objects.update(attempts=submissions.MAX_ATTEMPTS, last_error="boom")
    assert submissions.process_waiting() == 0
    assert submissions.backlog() == submissions.Backlog(waiting=0, failed=1)
    # when
    assert submissions.do_retry_submissions(list(Submission.objects.values_list("pk", flat=True)))
    # then
    assert submissions.process_waiting() == 1
    assert Response.objects.count() == 1


def test_tasks_are_queued_at_most_once_per_period(survey, kiosk, settings, monkeypatch):
    """Hundreds of submissions a second cost a task per period, not one each."""
    from zabota.surveys.tasks import process_submissions

    settings.TASKS = DEFERRED_TASKS
    monkeypatch.setattr(submissions, "QUEUE_PERIOD", 3600.0)  # no period ends during the test
    backend = process_submissions.get_backend()
    backend.clear()
    for n in range(5):
        post_kiosk(kiosk, survey, f"k-{n}", HAPPY)
    assert len(backend.results) == 1
    assert backend.results[0].task.run_after is not None
    assert Submission.objects.count() == 5


@override_settings(TASKS=DEFERRED_TASKS)
def test_the_sweep_queues_what_a_lost_task_left(survey, kiosk):
    from zabota.surveys.tasks import process_submissions

    backend = process_submissions.get_backend()
    post_kiosk(kiosk, survey, "k-1", HAPPY)
    backend.clear()
    # a fresh one is not the sweep's business: its task is on the way
    assert submissions.sweep() == 0
    assert not backend.results
    # when: its task never came
    later = timezone.now() + submissions.SWEEP_AFTER + timedelta(seconds=1)
    assert submissions.sweep(later) == 1
    # then
    assert len(backend.results) == 1


def test_with_an_immediate_backend_the_visitor_s_response_is_there_at_once(survey, kiosk):
    """The tests' and a single-process setup's backend: the task runs inside the request."""
    post_kiosk(kiosk, survey, "k-now", HAPPY)
    assert Response.objects.get().submission_key == "k-now"


@override_settings(TASKS=DEFERRED_TASKS)
def test_the_public_link_stores_a_raw_row_with_its_channel_and_source(survey):
    client = Client()
    public = reverse("surveys_public:public", args=[survey.public_key])
    page = client.get(public + "?c=qr&src=receipt")
    key = re.search(r'name="submission_key" value="([^"]+)"', page.content.decode())
    assert key
    done = client.post(
        public,
        {
            "submission_key": key.group(1),
            "c": "qr",
            "src": "receipt",
            f"q{survey.q['speed'].pk}": "5",
        },
    )
    assert done.status_code == 200
    row = Submission.objects.get()
    assert (row.channel, row.source) == (SurveyChannel.QR, "receipt")


@override_settings(TASKS=DEFERRED_TASKS)
def test_an_anonymous_survey_keeps_the_hour_only(world, kiosk):
    survey = every_kind_survey(world.store, anonymous=True, name="Anonymous")
    post_kiosk(kiosk, survey, "k-anon", HAPPY)
    submissions.process_waiting()
    response = Response.objects.get()
    assert (response.submitted_at.minute, response.submitted_at.second) == (0, 0)
    assert response.anonymous


@override_settings(TASKS=DEFERRED_TASKS)
def test_an_edited_question_is_seen_by_the_next_submission(survey, kiosk, world):
    """The questions are cached per process by survey version: an edit touches the survey."""
    from zabota.surveys.builder import do_update_question

    # given: the kiosk has the questions cached, speed required
    assert post_kiosk(kiosk, survey, "k-1", {"quality": "8"}).status_code == 400
    speed = survey.q["speed"]
    do_update_question(
        speed,
        texts=speed.texts,
        required=False,
        scale_max=speed.scale_max,
        display=speed.display,
        metric=speed.metric,
        show_if=None,
        show_if_min=None,
        show_if_max=None,
        actor=world.ada,
    )
    # when
    answered = post_kiosk(kiosk, survey, "k-2", {"quality": "8"})
    # then: speed is no longer required
    assert answered.status_code == 200


@override_settings(TASKS=DEFERRED_TASKS)
def test_a_batch_costs_the_same_queries_for_one_or_many(
    survey, kiosk, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """No query per submission or answer: a batch of 20 costs what a batch of one costs."""
    post_kiosk(kiosk, survey, "one", HAPPY)
    with django_capture_on_commit_callbacks():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as one:
            submissions.process_waiting()
    for n in range(20):
        post_kiosk(kiosk, survey, f"many-{n}", HAPPY if n % 2 else UNHAPPY)
    with django_capture_on_commit_callbacks(), CaptureQueriesContext(connection) as many:
        assert submissions.process_waiting() == 20
    assert len(many) == len(one)
    assert ScoreDay.objects.get().responses == 21


@override_settings(TASKS=DEFERRED_TASKS)
def test_the_admin_shows_the_waiting_and_failed_counts_and_retries(survey, kiosk, world):
    # given: one waiting, one failed after its last attempt
    post_kiosk(kiosk, survey, "k-wait", HAPPY)
    post_kiosk(kiosk, survey, "k-fail", UNHAPPY)
    Submission.objects.filter(submission_key="k-fail").update(
        attempts=submissions.MAX_ATTEMPTS, last_error="ValueError: boom"
    )
    admin = Client()
    admin.force_login(world.ada)
    url = reverse("admin:surveys_submission_changelist")
    # when
    page = admin.get(url + "?state=failed")
    # then
    assert page.status_code == 200
    body = page.content.decode()
    assert "1 waiting, 1 failed." in body
    assert "ValueError: boom" in body and "k-wait" not in body
    # when: retried
    failed = Submission.objects.get(submission_key="k-fail")
    done = admin.post(url, {"action": "retry", "_selected_action": [failed.pk]})
    # then
    assert done.status_code == 302
    failed.refresh_from_db()
    assert (failed.attempts, failed.next_attempt_at) == (0, None)
    assert submissions.backlog() == submissions.Backlog(waiting=2, failed=0)


def test_processes_share_the_task_of_a_period_with_the_database_backend(settings, monkeypatch):
    """A second process (its own memory empty) finds the task the first queued: one row."""
    from django_tasks_db.models import DBTaskResult

    from zabota.surveys.tasks import process_submissions

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    monkeypatch.setattr(submissions, "QUEUE_PERIOD", 3600.0)
    # when
    submissions.queue_processing()
    monkeypatch.setattr(submissions, "_queued_for", 0.0)  # as another process
    submissions.queue_processing()
    # then
    [queued] = DBTaskResult.objects.filter(task_path=process_submissions.module_path)
    assert queued.run_after > timezone.now()


def test_processed_submissions_are_pruned_after_a_month_and_waiting_ones_kept(survey, kiosk):
    # given: one processed at once (immediate tasks), one still waiting
    post_kiosk(kiosk, survey, "k-done", HAPPY)
    with override_settings(TASKS=DEFERRED_TASKS):
        post_kiosk(kiosk, survey, "k-waiting", UNHAPPY)
    assert Submission.objects.get(submission_key="k-done").processed_at is not None
    # when: a sweep within the month, then one after it
    assert submissions.prune(timezone.now() + timedelta(days=29)) == 0
    assert submissions.prune(timezone.now() + submissions.KEEP_PROCESSED + timedelta(days=1)) == 1
    # then: the raw row is gone, its response stays; the waiting one is kept
    assert list(Submission.objects.values_list("submission_key", flat=True)) == ["k-waiting"]
    assert Response.objects.count() == 1
