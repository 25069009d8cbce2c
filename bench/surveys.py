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
   limit would stop at 60 a minute). Prints submissions/s and latency, and checks that every
   2xx answer stored one response (each request has its own submission key).

Goals (issue 7): at least 500 submissions/s; the report page within 500 ms over 1,000,000
responses. All traffic goes to 127.0.0.1.
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
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

    from zabota.surveys.models import Response

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
    # wrk stops counting at the deadline; the requests still in flight (at most one per
    # connection and run) are answered and stored after it.
    in_flight = args.connections * len(results)
    print(
        f"Responses stored: {stored:,} for {answered:,} answered requests "
        f"(and at most {in_flight} in flight when wrk stopped)"
    )
    consistent = answered <= stored <= answered + in_flight
    ok = ok and rate >= 500 and not result.non2xx and consistent
    print("OK" if ok else "GOAL MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
