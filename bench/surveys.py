"""How fast surveys take answers and draw their reports, on PostgreSQL.

Run from the repository root::

    .venv/bin/python bench/surveys.py [--responses 1000000] [--duration 15] [--workers 4]
        [--connections 32] [--database zabota_surveys_bench] [--reuse]

1. Recreates the PostgreSQL database ``--database`` on 127.0.0.1:5432 (user postgres, trust
   authentication), migrates it, configures the demo store and its team and creates the five
   preset surveys.
2. Writes ``--responses`` submitted responses of the post-resolution and NPS surveys over
   the last two years (mostly e-mail, then pop-up, kiosk, QR, paper; the team's agents and
   groups), with their answers (a text answer for one in five) and the ScoreDay rows summed
   from them by ``respond.day_increments``, as ``do_submit_response`` leaves them; the last
   thousand go through ``do_submit_response`` itself.
3. Times the report as a lead opens it: ``/surveys/reports/`` (a year by month) and
   ``/surveys/responses/`` (the newest responses with their text answers) over HTTP on
   gunicorn, signed in as the demo admin: median and slowest of 20 requests each, after two
   uncounted requests per worker.
4. Load: wrk POSTs kiosk answers to ``/s/<key>/kiosk/`` (one CSRF cookie and token, a new
   submission key per request) for ``--duration`` seconds against gunicorn
   (``--workers`` sync processes, DEBUG off) with the rate limits off
   (``ZABOTA_RATE_LIMITS_OFF``: every request comes from 127.0.0.1, which a shop's kiosk
   limit would stop at 60 a minute), while ``--task-workers`` ``zabota worker`` processes
   (database task backend) make the stored submissions into responses, as in production.
   Prints the accepted submissions/s and latency; then waits until the worker has processed
   the backlog and prints the worker's rate (responses/s from the start of the load until the
   last one was made), the backlog when the load stopped and how long it took to clear, and
   how long until the ``survey.answered`` events were dispatched. Checks that every 2xx answer
   became one response (each request has its own submission key).

Goals (issue 7): at least 500 submissions/s — accepted over HTTP and processed by the worker;
the report page within 500 ms over 1,000,000 responses. All traffic goes to 127.0.0.1.
"""

import argparse
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import inbox  # noqa: E402 - the gunicorn, sign-in and wrk helpers of the inbox benchmark

DATABASE = "zabota_surveys_bench"
CHANNELS = ["email"] * 60 + ["popup"] * 12 + ["kiosk"] * 12 + ["qr"] * 8 + ["paper"] * 4
CHANNELS += ["link"] * 4
TEXTS = [
    "Fast and friendly, thank you!", "The courier was late but support fixed it.",
    "Спасибо, всё решили быстро.", "Долго ждал ответа.", "Bardzo szybko, dziękuję!",
    "Nie odpowiedzieliście na drugi e-mail.", "Gyors és kedves segítség.",
    "Túl sokáig tartott.", "Please add tracking by SMS.", "Great packaging.",
]  # fmt: skip

LUA_KIOSK = r"""
local counter = 0
local run = "__RUN__"

request = function()
  counter = counter + 1
  local body = string.format("submission_key=bench-%s-%d-%d&__FIELDS__", run, id, counter)
  return wrk.format("POST", "__PATH__", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrftoken=__CSRF__",
    ["X-CSRFToken"] = "__CSRF__",
    ["Referer"] = "__BASE____PATH__",
  }, body)
end
"""


def recreate_database(name: str) -> str:
    import psycopg

    with psycopg.connect(inbox.PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def setup() -> tuple[Any, Any, dict[str, Any]]:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    from zabota.demo.build import configure_store
    from zabota.surveys.builder import do_create_survey
    from zabota.surveys.presets import PRESETS

    demo = configure_store()
    admin = next(user for user in demo.members.values() if user.is_admin)
    surveys = {
        key: do_create_survey(
            demo.store, name=str(preset.label), purpose=preset.purpose, actor=admin, preset=preset
        )
        for key, preset in PRESETS.items()
    }
    return demo, admin, surveys


def reuse() -> dict[str, Any]:
    """The surveys of an earlier run's database, by their preset's purpose."""
    import django

    django.setup()
    from django.core.management import call_command

    from zabota.surveys.models import Survey

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    first = {}
    for survey in Survey.objects.order_by("pk"):
        first.setdefault(survey.purpose, survey)
    return {"post_resolution": first["post_resolution"], "nps": first["nps"]}


def write_responses(store: Any, surveys: dict[str, Any], count: int, rng: random.Random) -> None:
    """Responses, answers and day rows as submissions leave them, written in bulk."""
    import zoneinfo

    from django.db import connection, transaction
    from django.utils import timezone
    from rich.progress import Progress

    from zabota.accounts.models import Group
    from zabota.core.inserts import insert
    from zabota.surveys.constants import Metric, QuestionKind
    from zabota.surveys.models import Answer, Response, ScoreDay
    from zabota.surveys.respond import day_increments

    now = timezone.now()
    zone = zoneinfo.ZoneInfo(store.time_zone or "UTC")
    groups = list(Group.objects.filter(store=store).prefetch_related("members"))
    teams = [(group.pk, member.pk) for group in groups for member in group.members.all()]
    kinds = [surveys["post_resolution"], surveys["nps"]]
    questions = {survey.pk: list(survey.questions.order_by("position")) for survey in kinds}
    days: dict[tuple[Any, ...], dict[str, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    chunk = 20_000
    with Progress() as progress:
        task = progress.add_task("Responses", total=count)
        for offset in range(0, count, chunk):
            size = min(chunk, count - offset)
            rows, planned = [], []
            for i in range(size):
                survey = kinds[0] if rng.random() < 0.7 else kinds[1]
                group_id, agent_id = rng.choice(teams) if teams else (None, None)
                channel = rng.choice(CHANNELS)
                if channel != "email":
                    group_id = agent_id = None
                submitted = now - timedelta(seconds=rng.randint(60, 730 * 86400))
                response = Response(
                    survey=survey,
                    store=store,
                    channel=channel,
                    agent_id=agent_id,
                    group_id=group_id,
                    language=rng.choice(["en", "en", "ru", "pl", "hu"]),
                    is_paper=channel == "paper",
                    submission_key=f"b{offset + i}-{secrets.token_hex(6)}",
                    started_at=submitted - timedelta(minutes=2),
                    submitted_at=submitted,
                )
                answers = []
                for question in questions[survey.pk]:
                    if question.kind == QuestionKind.TEXT:
                        if rng.random() < 0.2:
                            answers.append((question, None, rng.choice(TEXTS)))
                        continue
                    if question.kind == QuestionKind.NPS:
                        value = min(10, max(0, round(rng.gauss(8, 2.2))))
                    elif question.kind in (QuestionKind.RATING, QuestionKind.CES):
                        top = question.scale_max if question.kind == QuestionKind.RATING else 7
                        value = min(top, max(1, round(rng.gauss(top * 0.8, top * 0.25))))
                    else:
                        continue
                    answers.append((question, value, ""))
                    if question.metric == Metric.NPS:
                        response.nps = value
                    elif question.metric in (Metric.CSAT, Metric.SPEED, Metric.QUALITY):
                        setattr(response, question.metric, value)
                        setattr(response, f"{question.metric}_max", question.scale_max)
                    elif question.metric == Metric.CES:
                        response.ces = value
                rows.append(response)
                planned.append(answers)
            with transaction.atomic():
                insert(rows)
                insert(
                    [
                        Answer(response=response, question=question, number=number, text=text)
                        for response, answers in zip(rows, planned, strict=True)
                        for question, number, text in answers
                    ]
                )
            for response in rows:
                day = timezone.localtime(response.submitted_at, zone).date()
                key = (
                    response.survey_id,
                    day,
                    response.channel,
                    response.agent_id or 0,
                    response.group_id or 0,
                )
                sums = days.setdefault(key, {})
                for name, value in day_increments(response).items():
                    sums[name] = sums.get(name, 0) + value
            progress.advance(task, size)
    ScoreDay.objects.bulk_create(
        [
            ScoreDay(
                store=store,
                survey_id=survey_id,
                day=day,
                channel=channel,
                agent_key=agent,
                group_key=group,
                **sums,
            )
            for (survey_id, day, channel, agent, group), sums in days.items()
        ],
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def submit_live(survey: Any, count: int, rng: random.Random) -> float:
    """The last ``count`` responses through ``do_submit_response``; returns seconds each."""
    from zabota.surveys.constants import QuestionKind
    from zabota.surveys.respond import do_submit_response

    questions = list(survey.questions.order_by("position"))
    started = time.perf_counter()
    for n in range(count):
        answers: dict[int, object] = {}
        for question in questions:
            if question.kind == QuestionKind.RATING:
                answers[question.pk] = rng.randint(1, question.scale_max)
            elif question.kind == QuestionKind.NPS:
                answers[question.pk] = rng.randint(0, 10)
        do_submit_response(
            survey,
            answers=answers,
            channel="kiosk",
            submission_key=f"live-{n}-{secrets.token_hex(4)}",
            language="en",
        )
    return (time.perf_counter() - started) / count


def kiosk_fields(survey: Any) -> str:
    """A valid kiosk form body without its submission key: every rating answered."""
    from zabota.surveys.constants import QuestionKind

    fields = []
    for question in survey.questions.order_by("position"):
        if question.kind in (QuestionKind.RATING, QuestionKind.CES):
            fields.append(f"q{question.pk}={max(1, question.scale_max - 1)}")
        elif question.kind == QuestionKind.NPS:
            fields.append(f"q{question.pk}=9")
    return "&".join(fields)


def time_page(
    base: str, path: str, cookie: str, *, warmup: int, times: int = 20
) -> tuple[float, float]:
    """Median and slowest of ``times`` GETs after ``warmup`` uncounted ones (each gunicorn
    worker's first request also loads its templates and code), in ms; exits on a non-200."""
    samples = []
    for n in range(warmup + times):
        request = urllib.request.Request(base + path, headers={"Cookie": cookie})  # noqa: S310
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
            body = response.read()
            if response.status != 200 or b"<html" not in body[:500].lower():
                sys.exit(f"{path}: HTTP {response.status}, no page")
        if n >= warmup:
            samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(samples)


def csrf_token(base: str, path: str) -> str:
    with urllib.request.urlopen(base + path, timeout=30) as response:  # noqa: S310 - loopback
        cookies = response.headers.get_all("Set-Cookie") or []
    for cookie in cookies:
        match = re.match(r"csrftoken=([^;]+)", cookie)
        if match:
            return match.group(1)
    sys.exit(f"No CSRF cookie from {path}")


def settle() -> int:
    """Dispatch the events still waiting (those of the responses written through
    ``do_submit_response`` and of earlier runs) in process and drop the task rows queued for
    them, so the worker of the load starts with an empty queue and the figures are the load's
    own; returns how many events were dispatched."""
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from zabota.core.events import dispatch_all
    from zabota.core.models import OutboxEvent
    from zabota.surveys.submissions import process_waiting

    process_waiting(seconds=3600)
    waiting = list(
        OutboxEvent.objects.filter(dispatched_at__isnull=True, failed=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(waiting), 500):
        dispatch_all(waiting[start : start + 500])
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).delete()
    return len(waiting)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux /proc; gone ones count 0)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def pids_of(marker: str) -> list[int]:
    """The processes whose command line contains ``marker`` (gunicorn's bind address)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def start_task_workers(count: int, env: dict[str, str], var_dir: Path) -> list[Any]:
    """``zabota worker`` processes (database task backend, housekeeping in the first only),
    logging to files: a pipe nobody reads would fill and block them."""
    bin_dir = Path(sys.executable).parent
    workers = []
    for n in range(count):
        log = (var_dir / f"worker-{n}.log").open("wb")
        command = [str(bin_dir / "zabota"), "worker", "--interval", "0.2"]
        if n:
            command.append("--no-housekeeping")
        workers.append(
            subprocess.Popen(command, cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=log)
        )
    return workers


def stop_task_workers(workers: list[Any]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def wait_until_processed(since: Any, timeout: float) -> tuple[float, float, int]:
    """Poll until no submission received after ``since`` waits and no ``survey.answered`` event
    is undispatched; returns (seconds until the submissions were processed, seconds until the
    events were dispatched, submissions still waiting at the timeout)."""
    from django.db import connection

    from zabota.core import event_types
    from zabota.core.models import OutboxEvent
    from zabota.surveys.models import Submission

    started = time.perf_counter()
    processed_after = dispatched_after = None
    waiting = 0
    while time.perf_counter() - started < timeout:
        if processed_after is None:
            waiting = Submission.objects.filter(
                received_at__gte=since, processed_at__isnull=True
            ).count()
            if not waiting:
                processed_after = time.perf_counter() - started
        if processed_after is not None:
            undispatched = OutboxEvent.objects.filter(
                type=event_types.SURVEY_ANSWERED,
                dispatched_at__isnull=True,
                created_at__gte=since,
            ).exists()
            if not undispatched:
                dispatched_after = time.perf_counter() - started
                break
        connection.close()
        time.sleep(0.2)
    return (
        processed_after if processed_after is not None else float("nan"),
        dispatched_after if dispatched_after is not None else float("nan"),
        waiting,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--task-workers", type=int, default=1, help="zabota worker processes during the load."
    )
    parser.add_argument(
        "--worker-after",
        action="store_true",
        help="Start the worker only when the load is over: the backlog is then every "
        "submission, and its processing rate the worker's alone.",
    )
    parser.add_argument(
        "--drain-timeout", type=float, default=300, help="Seconds to wait for the backlog."
    )
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--reuse", action="store_true", help="Measure on the database of an earlier run."
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    wrk = inbox.ensure_wrk()

    var_dir = Path(tempfile.mkdtemp(prefix="zabota-bench-"))
    env = inbox.server_env(var_dir)
    if args.reuse:
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.database}"
    else:
        env["DATABASE_URL"] = recreate_database(args.database)
    env["ZABOTA_RATE_LIMITS_OFF"] = "1"
    os.environ.update(env)
    os.environ.pop("ZABOTA_DEBUG", None)
    if args.reuse:
        surveys = reuse()
    else:
        demo, _admin, surveys = setup()
    from django.db import connection
    from django.utils import timezone

    from zabota.surveys.models import Response, Submission

    if not args.reuse:
        started = time.perf_counter()
        write_responses(demo.store, surveys, max(0, args.responses - 1000), rng)
        per_live = submit_live(surveys["post_resolution"], min(1000, args.responses), rng)
        print(
            f"Wrote {Response.objects.count():,} responses in "
            f"{time.perf_counter() - started:.0f} s "
            f"(through do_submit_response: {per_live * 1000:.1f} ms each)"
        )
    else:
        print(f"Reusing {args.database}: {Response.objects.count():,} responses")
    settled = settle()
    if settled:
        print(f"Dispatched {settled:,} waiting events before the load")
    kiosk = surveys["post_resolution"]
    fields = kiosk_fields(kiosk)
    kiosk_path = f"/s/{kiosk.public_key}/kiosk/"
    connection.close()

    port = inbox.free_port()
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"Warning: load average {load:.1f} before the run; other work skews the figures.")
    ok = True
    with inbox.gunicorn(env, port, args.workers, var_dir) as base:
        cookie = inbox.sign_in(base)
        for path in ("/surveys/reports/", "/surveys/responses/"):
            median, slowest = time_page(base, path, cookie, warmup=2 * args.workers)
            print(f"{path}: median {median:.0f} ms, slowest {slowest:.0f} ms (goal ≤ 500 ms)")
            ok = ok and slowest <= 500
        token = csrf_token(base, kiosk_path)
        before = Response.objects.count()
        connection.close()
        load_started_at = timezone.now()
        task_workers = (
            [] if args.worker_after else start_task_workers(args.task_workers, env, var_dir)
        )
        server_pids = pids_of(f"127.0.0.1:{port}")
        server_cpu = cpu_seconds(server_pids)
        load_started = time.perf_counter()
        results = []
        for seconds in (args.warmup, args.duration):
            script = inbox.LUA_COMMON.replace("__MARK__", inbox.RESULT_MARK) + (
                LUA_KIOSK.replace("__RUN__", f"{seconds}{secrets.token_hex(3)}")
                .replace("__FIELDS__", fields)
                .replace("__PATH__", kiosk_path)
                .replace("__CSRF__", token)
                .replace("__BASE__", base)
            )
            endpoint = inbox.Endpoint("POST kiosk answer", kiosk_path, {}, create=True)
            script_path = var_dir / "bench.lua"
            script_path.write_text(script)
            command = [wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s",
                       "--latency", "--timeout", "10s", "-s", str(script_path),
                       base + kiosk_path]  # fmt: skip
            output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            results.append(inbox.parse_wrk(output, endpoint))
        load_seconds = time.perf_counter() - load_started
        try:
            backlog = Submission.objects.filter(
                received_at__gte=load_started_at, processed_at__isnull=True
            ).count()
            server_cpu = cpu_seconds(server_pids) - server_cpu
            if args.worker_after:
                task_workers = start_task_workers(args.task_workers, env, var_dir)
            worker_pids = [worker.pid for worker in task_workers]
            processed_after, dispatched_after, left = wait_until_processed(
                load_started_at, args.drain_timeout
            )
            worker_cpu = cpu_seconds(worker_pids)
        finally:
            stop_task_workers(task_workers)
    stored = Response.objects.count() - before
    result = results[-1]
    answered = sum(r.requests - r.non2xx for r in results)
    rate = result.requests / result.seconds
    print(
        f"Kiosk submissions: {rate:,.0f}/s over {result.seconds:.0f} s with {args.connections} "
        f"connections, gunicorn -w {args.workers}: p50 {result.p50_ms:.0f} ms, p99 "
        f"{result.p99_ms:.0f} ms, {result.non2xx} non-2xx, {result.socket_errors} socket "
        f"errors (goal ≥ 500/s)"
    )
    # The worker runs beside the load, so while it keeps up it processes what arrives; its
    # own rate shows when it has a backlog: the one left when the load stopped, cleared in
    # ``processed_after`` seconds (with --worker-after: every submission, and the worker's
    # start-up counted too).
    processing_rate = backlog / processed_after if processed_after > 0 else 0.0
    print(
        f"Worker ({args.task_workers} process): {stored:,} responses made from "
        f"{load_seconds:.0f} s of load; backlog when the load stopped {backlog:,}, processed "
        f"{processed_after:.1f} s later ({processing_rate:,.0f} responses/s); survey.answered "
        f"events dispatched {dispatched_after:.1f} s after the load (goal ≥ 500/s)"
    )
    if left:
        print(f"{left:,} submissions still waiting after {args.drain_timeout:.0f} s")
    # CPU time per submission: what a core of this machine can take, whatever else ran beside.
    accepted = sum(r.requests for r in results)
    if accepted and stored:
        print(
            f"CPU per submission: gunicorn {server_cpu / accepted * 1000:.2f} ms "
            f"(≈ {accepted / max(server_cpu, 1e-9):,.0f}/s per core), worker "
            f"{worker_cpu / stored * 1000:.2f} ms with the event dispatch and its start-up "
            f"(≈ {stored / max(worker_cpu, 1e-9):,.0f}/s per core); "
            f"load average {os.getloadavg()[0]:.1f}"
        )
    # wrk stops counting at the deadline; the requests still in flight (at most one per
    # connection and run) are answered and stored after it.
    in_flight = args.connections * len(results)
    print(
        f"Responses stored: {stored:,} for {answered:,} answered requests "
        f"(and at most {in_flight} in flight when wrk stopped)"
    )
    consistent = answered <= stored <= answered + in_flight
    # Beside the load a worker that keeps up has little backlog: clearing it within a few
    # seconds (the task is deferred 0.6 s, the worker polls every 0.2 s) is keeping up.
    kept_up = processing_rate >= 500 or (not args.worker_after and processed_after <= 5)
    ok = ok and rate >= 500 and kept_up and not result.non2xx and consistent
    print("OK" if ok else "GOAL MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
