"""Public submissions raw-first: accepted in the request, made into responses by the worker.

The public link, its QR code, the kiosk and the pop-up answer a visitor who expects a "thank
you" at once, and a kiosk or a busy campaign sends hundreds a second. The request therefore
only validates the answers (against questions cached per process) and stores one ``Submission``
row — an ``INSERT … ON CONFLICT (submission_key) DO NOTHING``, so a double submit stores one —
and the worker turns the waiting rows into responses in batches (``process_waiting``): the
responses and answers with a bulk insert each, the day rows summed per row and updated once per
batch, the ``survey.answered`` events published with one insert and dispatched by one task.

A submission that cannot be processed keeps its ``last_error`` and is tried again after a
backoff, ``MAX_ATTEMPTS`` times; the others of its batch go on. What a lost task leaves is
picked up by the housekeeping job "survey submissions" (``sweep``).

Invitation answers and partial saves stay synchronous (``respond.do_submit_response``): a
single-use link must know at once whether it was used.
"""

import json
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.tasks import TaskResultStatus
from django.utils import timezone
from django.utils.translation import gettext as _

from zabota.core import event_types
from zabota.core.events import publish_all_on_commit
from zabota.core.inserts import insert
from zabota.surveys.models import Answer, Question, Response, Submission, Survey
from zabota.surveys.respond import (
    SCORE_COLUMNS,
    AnswerValue,
    Scores,
    SurveyError,
    answered_payload,
    blur,
    check_answers,
    day_increments,
    day_key,
    do_add_to_days,
    plain_source,
    scores_of,
)

logger = logging.getLogger(__name__)

# Submissions claimed and written in one transaction, and how long one task keeps taking
# batches before other queued tasks get a turn.
BATCH_SIZE = 500
DRAIN_SECONDS = 2.0
# Processing tasks are queued for the end of periods of this many seconds: at most one per
# period (``queue_processing``), and every submission of the period has committed when it runs.
QUEUE_PERIOD = 0.5
# After this many failed attempts a submission waits for an admin (counted as failed).
MAX_ATTEMPTS = 5
# A submission waiting this long without a task is queued by the sweep.
SWEEP_AFTER = timedelta(seconds=10)
# Processed submissions are kept this long as the raw record, then pruned by the sweep, this
# many per run.
KEEP_PROCESSED = timedelta(days=30)
PRUNE_CHUNK = 5000
# The questions of this many survey versions are kept per process.
_CACHED_SURVEYS = 256


# --- accepting -----------------------------------------------------------------------------------

_questions: dict[tuple[int, datetime], list[Question]] = {}


def questions_of(survey: Survey) -> list[Question]:
    """The survey's questions in order, read once per process and survey version: editing a
    question or the survey touches ``updated_at``, which is part of the key, so an edit is seen
    by the next request. The objects are shared between requests: read them, never change them."""
    key = (survey.pk, survey.updated_at)
    found = _questions.get(key)
    if found is None:
        found = list(Question.objects.filter(survey_id=survey.pk).order_by("position", "pk"))
        if len(_questions) >= _CACHED_SURVEYS:
            _questions.clear()
        _questions[key] = found
    return found


def do_accept_submission(
    survey: Survey,
    *,
    questions: Sequence[Question],
    answers: Mapping[int, object],
    channel: str,
    submission_key: str,
    language: str,
    source: str = "",
    at: datetime | None = None,
) -> None:
    """Validate a complete public submission of the ``questions`` shown (the pop-up shows the
    first ones: the others are neither required nor stored) and store it for the worker.
    Raises ``SurveyError`` for bad answers (nothing stored). A key stored already stores
    nothing: the first submission under it counts. The caller checked the survey is active."""
    submission_key = submission_key.strip()[:64]
    if not submission_key:
        raise SurveyError({0: _("The form was incomplete; please try again.")})
    values = check_answers(survey, list(questions), answers, final=True)
    scores = scores_of(questions, values)
    at = at or timezone.now()
    if survey.anonymous:
        # As an anonymous response keeps them: the hour, and a source naming no page.
        at, source = blur(at), plain_source(source)
    with connection.cursor() as cursor:
        cursor.execute(
            _insert_sql(),
            [
                survey.pk,
                submission_key,
                json.dumps(_payload(values, scores)),
                channel,
                source[:200],
                language,
                connection.ops.adapt_datetimefield_value(at),
            ],
        )
    queue_processing()


@cache
def _insert_sql() -> str:
    """One prepared statement instead of ``bulk_create(ignore_conflicts=True)``: compiling the
    ORM's insert took a third of this request's time (``bench/surveys.py``). Both SQLite and
    PostgreSQL take ``ON CONFLICT … DO NOTHING``."""
    quote = connection.ops.quote_name
    # The columns are the fields' attribute names (no db_column anywhere on the model).
    columns = ["survey_id", "submission_key", "payload", "channel", "source", "language"]
    defaults = ["received_at", "processed_at", "attempts", "next_attempt_at", "last_error"]
    names = ", ".join(quote(name) for name in columns + defaults)
    # Names from the model's own metadata, quoted; values are parameters.
    return (
        f"INSERT INTO {quote(Submission._meta.db_table)} ({names}) "  # noqa: S608
        f"VALUES (%s, %s, %s, %s, %s, %s, %s, NULL, 0, NULL, '') "
        f"ON CONFLICT ({quote('submission_key')}) DO NOTHING"
    )


def _payload(values: Mapping[int, AnswerValue], scores: Scores) -> dict[str, Any]:
    return {
        "answers": {
            str(pk): [value.number, list(value.choices), value.text] for pk, value in values.items()
        },
        "scores": {column: scores.columns.get(column) for column in SCORE_COLUMNS},
        "lowest": scores.lowest,
    }


_queue_lock = threading.Lock()
# The end of the period for which this process has made sure a task is queued.
_queued_for = 0.0


def queue_processing() -> None:
    """Make sure a processing task runs after what this process stored has committed (call it
    after the insert, outside a transaction).

    Time is cut into periods of ``QUEUE_PERIOD`` seconds, the same for every process; the first
    submission a process stores in a period makes sure a task is queued to run at the period's
    end (a little after), so everything stored in the period has committed when it runs. With
    the database task backend all processes share that task (one query finds it), so a burst
    costs two task rows a second however many processes take it, and no query per request. A
    backend that cannot defer (the immediate one of the tests) runs the task at once, each time.
    If queueing fails the submission is stored all the same and the sweep queues it."""
    from zabota.surveys.tasks import process_submissions

    global _queued_for
    try:
        if not process_submissions.get_backend().supports_defer:
            process_submissions.enqueue()
            return
        now = time.time()
        period_end = (now // QUEUE_PERIOD + 1) * QUEUE_PERIOD
        with _queue_lock:
            if period_end <= _queued_for:
                return
            _queued_for = period_end
        # A little past the end, for clocks a little apart (a worker early by more leaves the
        # period's last submissions to the next period's task, or to the sweep).
        run_after = datetime.fromtimestamp(period_end + 0.1, tz=UTC)
        if not _queued_already(process_submissions, run_after):
            process_submissions.using(run_after=run_after).enqueue()
    except Exception:
        logger.exception("Could not queue the processing of survey submissions")


def _queued_already(task: Any, run_after: datetime) -> bool:
    """Whether another process queued the task for the same moment (database backend only)."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(task.get_backend(), DatabaseBackend):
        return False
    return DBTaskResult.objects.filter(
        task_path=task.module_path, status=TaskResultStatus.READY, run_after=run_after
    ).exists()


# --- processing ----------------------------------------------------------------------------------


def process_waiting(*, seconds: float = DRAIN_SECONDS, batch_size: int = BATCH_SIZE) -> int:
    """Process the waiting submissions, oldest first, in batches, for about ``seconds``;
    returns how many became responses (or were found to be one already). Out of time with
    submissions still waiting, it queues a task to go on. Never raises: what an error leaves
    waits for the sweep."""
    deadline = time.monotonic() + seconds
    done = 0
    try:
        while True:
            processed, claimed = process_batch(batch_size)
            done += processed
            if claimed < batch_size:
                break
            if time.monotonic() >= deadline:
                _queue_next()
                break
    except Exception:
        logger.exception("Processing the waiting survey submissions failed")
    return done


def _queue_next() -> None:
    from zabota.surveys.tasks import process_submissions

    try:
        process_submissions.enqueue()
    except Exception:
        logger.exception("Could not queue the processing of survey submissions")


def due(now: datetime | None = None) -> "QuerySet[Submission]":
    """The submissions waiting to be processed now: never tried, or whose retry is due."""
    now = now or timezone.now()
    return Submission.objects.filter(processed_at__isnull=True, attempts__lt=MAX_ATTEMPTS).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def process_batch(size: int = BATCH_SIZE) -> tuple[int, int]:
    """Claim up to ``size`` due submissions no other worker holds and process them in one
    transaction (``_Batch``); returns (processed, claimed)."""
    with transaction.atomic():
        rows = list(
            due()
            .select_related("survey__store")
            .order_by("received_at", "pk")
            .select_for_update(skip_locked=True, of=("self",))[:size]
        )
        if not rows:
            return 0, 0
        batch = _Batch(rows)
        batch.run()
    return batch.processed, len(rows)


@dataclass
class _Planned:
    """A submission of the batch with its response and answers, not yet written."""

    row: Submission
    response: Response
    answers: list[Answer]
    scores: Scores


class _Batch:
    """One batch's way through its submissions, inside the caller's transaction: everything
    written together; if that fails, each submission in a savepoint of its own, so a bad one
    is recorded as failed and the others are kept."""

    def __init__(self, rows: list[Submission]) -> None:
        self.rows = rows
        self.now = timezone.now()
        self.processed = 0
        self.done: list[int] = []

    def run(self) -> None:
        keys = [row.submission_key for row in self.rows]
        stored = set(
            Response.objects.filter(submission_key__in=keys).values_list(
                "submission_key", flat=True
            )
        )
        question_ids = {int(pk) for row in self.rows for pk in row.payload.get("answers", {})}
        existing = set(Question.objects.filter(pk__in=question_ids).values_list("pk", flat=True))
        planned: list[_Planned] = []
        for row in self.rows:
            if row.submission_key in stored:
                # A response under this key exists (the task ran twice): nothing to add.
                self._finish(row)
                continue
            try:
                planned.append(_plan(row, existing))
            except Exception as exc:
                self._fail(row, exc)
        try:
            with transaction.atomic():
                _write(planned)
        except Exception:
            logger.exception("A batch of %s survey submissions failed; one at a time", len(planned))
            for item in planned:
                item.response.pk = None
                for answer in item.answers:
                    answer.pk = None
                try:
                    with transaction.atomic():
                        _write([item])
                except Exception as exc:
                    self._fail(item.row, exc)
                else:
                    self._finish(item.row)
        else:
            for item in planned:
                self._finish(item.row)
        if self.done:
            Submission.objects.filter(pk__in=self.done).update(
                processed_at=self.now, next_attempt_at=None
            )

    def _finish(self, row: Submission) -> None:
        self.done.append(row.pk)
        self.processed += 1

    def _fail(self, row: Submission, exc: Exception) -> None:
        logger.warning("Survey submission %s failed: %r", row.pk, exc)
        attempts = row.attempts + 1
        Submission.objects.filter(pk=row.pk).update(
            attempts=F("attempts") + 1,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=self.now + retry_delay(attempts),
        )


def retry_delay(attempts: int) -> timedelta:
    """The wait before the next attempt after ``attempts`` failed ones: 1, 2, 4, 8 … minutes."""
    return timedelta(minutes=2 ** max(attempts - 1, 0))


def _plan(row: Submission, existing_questions: set[int]) -> _Planned:
    """The response and answers of a submission, as ``do_submit_response`` would store them
    (answers to questions deleted since are dropped)."""
    survey = row.survey
    payload = row.payload
    scores = Scores(dict(payload["scores"]), payload.get("lowest"))
    response = Response(
        survey=survey,
        store=survey.store,
        channel=row.channel,
        source=row.source,
        language=row.language,
        anonymous=survey.anonymous,
        submission_key=row.submission_key,
        started_at=row.received_at,
        submitted_at=row.received_at,
        **{column: scores.columns.get(column) for column in SCORE_COLUMNS},
    )
    answers = [
        Answer(response=response, question_id=int(pk), number=number, choices=choices, text=text)
        for pk, (number, choices, text) in payload["answers"].items()
        if int(pk) in existing_questions
    ]
    return _Planned(row, response, answers, scores)


def _write(planned: list[_Planned]) -> None:
    """Insert the responses and their answers, add them to their day rows (summed per row)
    and publish their events."""
    if not planned:
        return
    insert([item.response for item in planned])
    answers = []
    for item in planned:
        for answer in item.answers:
            answer.response_id = item.response.pk
            answers.append(answer)
    insert(answers)
    sums: dict[tuple[Any, ...], dict[str, int]] = {}
    for item in planned:
        day = sums.setdefault(day_key(item.response), {})
        for column, amount in day_increments(item.response).items():
            day[column] = day.get(column, 0) + amount
    do_add_to_days(sums)
    publish_all_on_commit(
        [
            (event_types.SURVEY_ANSWERED, answered_payload(item.response, item.scores))
            for item in planned
        ]
    )


# --- housekeeping and admin ----------------------------------------------------------------------


def sweep(now: datetime | None = None) -> int:
    """Queue a processing task if submissions have waited longer than a task takes to come
    (its task was lost) or a retry is due; returns how many are waiting."""
    from zabota.surveys.tasks import process_submissions

    now = now or timezone.now()
    waiting = due(now).filter(
        Q(received_at__lte=now - SWEEP_AFTER) | Q(next_attempt_at__isnull=False)
    )
    count = waiting.count()
    if count:
        process_submissions.enqueue()
    prune(now)
    return count


def prune(now: datetime | None = None) -> int:
    """Forget processed submissions older than ``KEEP_PROCESSED`` (their responses hold the
    answers; the raw rows were the record for the days a failure could still need them), at
    most ``PRUNE_CHUNK`` per sweep so that a sweep stays short. Waiting and failed ones stay."""
    cutoff = (now or timezone.now()) - KEEP_PROCESSED
    ids = list(
        Submission.objects.filter(processed_at__lt=cutoff).values_list("pk", flat=True)[
            :PRUNE_CHUNK
        ]
    )
    if not ids:
        return 0
    deleted, _by_model = Submission.objects.filter(pk__in=ids).delete()
    return deleted


@dataclass(frozen=True)
class Backlog:
    """Submissions not yet responses: ``waiting`` to be processed (retries included),
    ``failed`` after their last attempt."""

    waiting: int
    failed: int


def backlog(store_id: int | None = None) -> Backlog:
    """The store's (or every store's) submissions not yet made into responses."""
    rows = Submission.objects.filter(processed_at__isnull=True)
    if store_id is not None:
        rows = rows.filter(survey__store_id=store_id)
    counts = rows.aggregate(
        waiting=Count("pk", filter=Q(attempts__lt=MAX_ATTEMPTS)),
        failed=Count("pk", filter=Q(attempts__gte=MAX_ATTEMPTS)),
    )
    return Backlog(counts["waiting"], counts["failed"])


def do_retry_submissions(ids: Sequence[int]) -> int:
    """Make failed submissions due again with a fresh count of attempts (an admin fixed the
    cause); returns how many. Processed ones are left alone."""
    changed = Submission.objects.filter(pk__in=ids, processed_at__isnull=True).update(
        attempts=0, next_attempt_at=None
    )
    if changed:
        transaction.on_commit(queue_processing)
    return changed
