"""Live chat under load: concurrent conversations over websockets (issue 6).

Run from the repository root::

    .venv/bin/python bench/chat.py [--conversations 500] [--agents 50] [--seconds 60]
        [--pace 10-30] [--flat-out 20] [--workers 2] [--database zabota_chat_bench] [--reuse]

1. Recreates the PostgreSQL database ``--database`` on 127.0.0.1:5432 (user postgres, trust
   authentication) and migrates it; creates the store ``bench`` with the chat widget ``bench``
   answered by the group "Chat" of ``--agents`` agents, each taking up to
   ``ceil(conversations / agents)`` chats; then ``--conversations`` visitors each start a chat,
   which an agent accepts — all through the chat actions, as the widget and the agent UI do.
   ``--reuse`` keeps the database of an earlier run with the same numbers and only signs the
   visitors' tokens and the agents' sessions again (this run has a secret key of its own).
2. Starts the app as in production: ``uvicorn zabota.asgi:application --workers N`` (DEBUG
   off) on a free port of 127.0.0.1, with the Redis channel layer and task queue
   (``REDIS_URL``, database ``--redis-db`` of the Redis on 127.0.0.1:6379, emptied first) and
   one ``zabota worker`` for the events, and waits until the setup's events are dispatched.
   Rate limits are off (``ZABOTA_RATE_LIMITS_OFF``): every visitor comes from 127.0.0.1,
   which the per-IP limit would stop.
3. Opens one agent socket per agent (``/ws/chat/agent/`` with a session cookie; ``sync`` joins
   each of their chats) and one visitor socket per chat (``/ws/chat/visitor/bench/?token=…``),
   all in this process (``bench/chat_load.py``), and runs:

   - a warm-up (``--warmup`` s, not counted) running straight into the paced phase: each side
     of every chat sends a message every ``--pace`` seconds (uniformly at random; the default
     10–30 s is a busy human pace, ``--pace 1-3`` a stress) for ``--seconds`` seconds, and
     never before its previous message was acknowledged;
   - the flat-out phase (``--flat-out`` s): each side sends its next message as soon as the
     server acknowledged the last, to show the ceiling.

   Delivery latency is from handing the frame to the sender's socket until the other side's
   socket receives the ``message`` frame (one clock: both sockets are in this process). A
   socket the server closes reconnects, syncs from the highest ``seq`` it has and resends its
   unacknowledged messages, as docs/chat.md prescribes for the widget and the agent UI.

Prints the figures per phase (messages/s sent and delivered, latency p50/p95/p99/max, ack
latency, lost messages, dropped sockets), the CPU used by the web server, the worker and this
client, and checks in the database that each acknowledged message is stored once. A message is
lost if it was acknowledged but had not reached the other side when nothing more arrived for
40 s after the phase (every socket connected and caught up; longer than the 25 s after which a
quiet client syncs, as the widget and the agent page do at each ping). Exits with status 1 if
the paced phase's p99 is above 200 ms (the goal at 500 conversations on this 2-core machine), or any
message was lost, duplicated or not acknowledged, or the server dropped a socket. All traffic
goes to 127.0.0.1.
"""

import argparse
import asyncio
import math
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import chat_load  # noqa: E402 - the websocket client, next to this file
import inbox  # noqa: E402 - free_port and the PostgreSQL admin URL of the inbox benchmark

WIDGET_KEY = "bench"
STORE_SLUG = "bench"
GOAL_P99_MS = 200.0
GOAL_CONVERSATIONS = 500


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=500, help="Concurrent chats.")
    parser.add_argument("--agents", type=int, default=50, help="Agents sharing the chats.")
    parser.add_argument("--seconds", type=float, default=60, help="Length of the paced phase.")
    parser.add_argument(
        "--pace",
        default="10-30",
        help="Seconds between two messages of one side, LOW-HIGH (default 10-30).",
    )
    parser.add_argument("--warmup", type=float, default=5, help="Uncounted seconds first.")
    parser.add_argument(
        "--flat-out", type=float, default=20, help="Seconds of the flat-out phase (0: none)."
    )
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes.")
    parser.add_argument("--database", default="zabota_chat_bench", help="PostgreSQL database.")
    parser.add_argument("--redis-db", type=int, default=13, help="Redis database number.")
    parser.add_argument(
        "--reuse", action="store_true", help="Keep the database and chats of an earlier run."
    )
    args = parser.parse_args()
    try:
        low, high = (float(part) for part in args.pace.split("-", 1))
    except ValueError:
        parser.error("--pace is LOW-HIGH in seconds, e.g. 1-3")
    if not 0 < low <= high:
        parser.error("--pace needs 0 < LOW <= HIGH")
    args.pace_range = (low, high)
    return args


def main() -> int:
    args = parse_args()
    database_url = f"postgres://postgres@127.0.0.1:5432/{args.database}"
    if not args.reuse or not database_exists(args.database):
        recreate_database(args.database)
        args.reuse = False
    var_dir = Path(tempfile.mkdtemp(prefix="zabota-chat-bench-"))
    env = {
        "DJANGO_SETTINGS_MODULE": "zabota.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": f"redis://127.0.0.1:6379/{args.redis_db}",
        "ZABOTA_SECRET_KEY": secrets.token_urlsafe(50),
        "ZABOTA_VAR_DIR": str(var_dir),
        "ZABOTA_ALLOWED_HOSTS": "127.0.0.1",
        "ZABOTA_RATE_LIMITS_OFF": "1",
    }
    os.environ.update(env)
    os.environ.pop("ZABOTA_DEBUG", None)
    flush_redis(env["REDIS_URL"])
    started = time.monotonic()
    chats, cookies, facts = prepare(args)
    print(f"Setup ready in {time.monotonic() - started:.0f} s.", flush=True)
    port = inbox.free_port()
    base = f"http://127.0.0.1:{port}"
    load_before = os.getloadavg()[0]
    if load_before > 0.5:
        print(f"Warning: load average {load_before:.1f} before the run; other work skews it.")
    with worker(var_dir) as worker_proc, uvicorn(args.workers, port, var_dir) as server:
        wait_for_queue(env["REDIS_URL"], worker_proc)
        cpu_before = cpu_times(server, worker_proc)
        machine_before = machine_busy()
        outcome = asyncio.run(
            chat_load.run(
                base,
                WIDGET_KEY,
                chats,
                cookies,
                warmup=args.warmup,
                seconds=args.seconds,
                pace=args.pace_range,
                flat_out_seconds=args.flat_out,
            )
        )
        cpu_after = cpu_times(server, worker_proc)
        machine_after = machine_busy()
    stored, stored_twice = check_stored(outcome)
    busy = (machine_after[0] - machine_before[0]) / max(1e-9, machine_after[1] - machine_before[1])
    report(args, facts, outcome, cpu_before, cpu_after, busy, load_before, stored)
    logged = {
        name: sum(
            "Traceback" in ln for ln in (var_dir / name).read_text(errors="replace").split("\n")
        )
        for name in ("uvicorn.log", "worker.log")
    }
    if any(logged.values()):
        print(f"Tracebacks logged: {logged}; the logs are in {var_dir}", file=sys.stderr)
    else:
        shutil.rmtree(var_dir, ignore_errors=True)
    return verdict(args, outcome, stored, stored_twice)


# Database and setup ---------------------------------------------------------------------------


def database_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(inbox.PG_ADMIN_URL, autocommit=True) as connection:
        query = "SELECT 1 FROM pg_database WHERE datname = %s"
        return connection.execute(query, [name]).fetchone() is not None


def recreate_database(name: str) -> None:
    import psycopg

    print(f"Creating the database {name} …", flush=True)
    with psycopg.connect(inbox.PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def flush_redis(url: str) -> None:
    """The bench's own Redis database: channel-layer leftovers and queued jobs of an earlier
    run would otherwise be delivered into this one."""
    import redis

    redis.Redis.from_url(url).flushdb()


def prepare(args: argparse.Namespace) -> tuple[list[chat_load.Chat], dict[int, str], dict]:
    """The store, agents and accepted chats; the visitors' tokens and agents' session cookies."""
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from zabota.accounts.models import User
    from zabota.chat.constants import ConversationState
    from zabota.chat.models import Conversation
    from zabota.chat.tokens import sign_visitor

    call_command("migrate", interactive=False, verbosity=0)
    if not args.reuse:
        create_chats(args)
    conversations = list(
        Conversation.objects.filter(store__slug=STORE_SLUG, state=ConversationState.ACTIVE)
        .select_related("visitor")
        .order_by("pk")[: args.conversations]
    )
    if len(conversations) < args.conversations:
        sys.exit(
            f"The database has {len(conversations)} active bench chats, fewer than "
            f"--conversations {args.conversations}: run without --reuse."
        )
    chats = [
        chat_load.Chat(c.pk, sign_visitor(c.visitor), c.agent_id)  # type: ignore[arg-type]
        for c in conversations
    ]
    cookies = {}
    for user in User.objects.filter(pk__in={chat.agent for chat in chats}):
        # The session a sign-in through the login form gives (without hashing a password).
        client = Client()
        client.force_login(user)
        name = settings.SESSION_COOKIE_NAME
        cookies[user.pk] = f"{name}={client.cookies[name].value}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        facts: dict[str, Any] = {"postgres": cursor.fetchone()[0], "agents": len(cookies)}
    connection.close()
    connection.close_pool()  # type: ignore[attr-defined]
    return chats, cookies, facts


def create_chats(args: argparse.Namespace) -> None:
    from rich.progress import Progress

    from zabota.accounts.constants import Role
    from zabota.accounts.models import Group, User
    from zabota.chat.actions import check_accept, do_get_or_create_visitor, do_start_conversation
    from zabota.chat.constants import ConversationState, PrechatField
    from zabota.chat.models import AgentChatLimit, ChatSettings
    from zabota.commerce.models import Store

    per_agent = math.ceil(args.conversations / args.agents)
    store = Store.objects.create(slug=STORE_SLUG, name="Bench Store", email="support@bench.example")
    group = Group.objects.create(store=store, name="Chat")
    agents = [
        User.objects.create_user(
            f"agent{n}@bench.example", None, name=f"Agent {n}", role=Role.AGENT, languages=["en"]
        )
        for n in range(1, args.agents + 1)
    ]
    group.members.add(*agents)
    store.default_group = group
    store.save()
    AgentChatLimit.objects.bulk_create(AgentChatLimit(user=a, max_chats=per_agent) for a in agents)
    chat_settings = ChatSettings.objects.create(
        store=store,
        widget_key=WIDGET_KEY,
        group=group,
        ask_name=PrechatField.OFF,
        ask_email=PrechatField.OFF,
        ask_order=PrechatField.OFF,
    )
    with Progress(transient=True) as progress:
        task = progress.add_task("Chats", total=args.conversations)
        for n in range(args.conversations):
            visitor, _token = do_get_or_create_visitor(chat_settings, None, language="en")
            conversation = do_start_conversation(
                visitor, body="Hello, where is my parcel?", client_id=f"setup-{n}"
            )
            conversation.refresh_from_db()
            if conversation.state == ConversationState.QUEUED:
                check_accept(conversation, actor=agents[n % len(agents)])
            progress.advance(task)


# Processes ------------------------------------------------------------------------------------


@contextmanager
def uvicorn(workers: int, port: int, var_dir: Path) -> Iterator[subprocess.Popen]:
    """The app as production runs it: uvicorn, ``workers`` processes, DEBUG off."""
    with inbox.uvicorn_app(port, workers, var_dir / "uvicorn.log") as server:
        yield server


@contextmanager
def worker(var_dir: Path) -> Iterator[subprocess.Popen]:
    """One `zabota worker` (RQ, as REDIS_URL makes it) for the events chats publish."""
    log = var_dir / "worker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "zabota", "worker"],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_for_queue(url: str, proc: subprocess.Popen, timeout: float = 300) -> None:
    """Until the worker has run the tasks the setup queued, so that the load starts clean."""
    import redis

    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + timeout
    while client.llen("rq:queue:default") or client.zcard("rq:wip:default"):
        if proc.poll() is not None:
            sys.exit("The worker exited before the load started.")
        if time.monotonic() > deadline:
            sys.exit("The worker did not finish the setup's tasks in time.")
        time.sleep(0.5)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_times(server: subprocess.Popen, worker_proc: subprocess.Popen) -> dict[str, float]:
    """CPU seconds so far of the web server (its worker processes) and of the task worker."""
    web = _cpu(server.pid) + sum(_cpu(pid) for pid in _children(server.pid))
    tasks = _cpu(worker_proc.pid) + sum(_cpu(pid) for pid in _children(worker_proc.pid))
    return {"web": web, "worker": tasks}


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


# Checks and report ----------------------------------------------------------------------------


def check_stored(outcome: chat_load.Outcome) -> tuple[int, int]:
    """(lines stored for this run's client ids, client ids stored more than once)."""
    from django.db import connection
    from django.db.models import Count

    from zabota.chat.models import Line

    connection.close()
    ids = outcome.sent_ids
    stored = twice = 0
    for start in range(0, len(ids), 5000):
        rows = (
            Line.objects.filter(client_id__in=ids[start : start + 5000])
            .values("conversation_id", "client_id")
            .annotate(n=Count("pk"))
        )
        for row in rows:
            stored += row["n"]
            twice += row["n"] > 1
    return stored, twice


def report(
    args: argparse.Namespace,
    facts: dict[str, Any],
    outcome: chat_load.Outcome,
    cpu_before: dict[str, float],
    cpu_after: dict[str, float],
    busy: float,
    load_before: float,
    stored: int,
) -> None:
    cpu = next(
        (ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
         if ln.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    wall = sum(p.seconds for p in outcome.phases.values())
    print()
    print(
        f"{time.strftime('%Y-%m-%d')} · {os.cpu_count()} cores ({cpu}) · Python "
        f"{platform.python_version()} · PostgreSQL {facts['postgres']} · load average "
        f"{load_before:.1f} before"
    )
    print(
        f"{args.conversations} conversations · {facts['agents']} agents · {outcome.sockets} "
        f"sockets opened in {outcome.connect_seconds:.1f} s · uvicorn --workers {args.workers} "
        f"· Redis channel layer · 1 task worker"
    )
    print()
    header = (
        f"{'phase':<10} {'seconds':>7} {'sent':>7} {'sent/s':>7} {'deliv/s':>8} {'p50 ms':>7} "
        f"{'p95 ms':>7} "
        f"{'p99 ms':>7} {'max ms':>7} {'ack p50':>8} {'ack p99':>8} {'lost':>5} {'drops':>5}"
    )
    print(header)
    print("-" * len(header))
    for phase in outcome.phases.values():
        lat = phase.latencies
        rate = len(lat) / phase.seconds if phase.seconds else 0.0
        print(
            f"{phase.name:<10} {phase.seconds:>7.1f} {phase.sent:>7} "
            f"{phase.sent / phase.seconds if phase.seconds else 0.0:>7.1f} {rate:>8.1f} "
            f"{ms(lat, 0.50):>7} {ms(lat, 0.95):>7} {ms(lat, 0.99):>7} "
            f"{(max(lat) * 1000 if lat else float('nan')):>7.0f} "
            f"{ms(phase.ack_latencies, 0.5):>8} {ms(phase.ack_latencies, 0.99):>8} "
            f"{outcome.lost_by_phase.get(phase.name, 0):>5} {phase.drops:>5}"
        )
    print()
    web = cpu_after["web"] - cpu_before["web"]
    tasks = cpu_after["worker"] - cpu_before["worker"]
    print(
        f"CPU over {wall:.0f} s of load: web server {web:.0f} s, task worker {tasks:.0f} s, "
        f"this client {outcome.client_cpu_seconds:.0f} s; machine {busy:.0%} busy"
    )
    print(
        f"client event-loop lag: p99 {outcome.loop_lag_p99_ms:.0f} ms, "
        f"max {outcome.loop_lag_max_ms:.0f} ms"
    )
    print(
        f"lost {outcome.lost} ({outcome.lost_to_agents} to agents) · duplicated "
        f"{outcome.duplicated} · not acknowledged {outcome.unacked} · stored {stored} of "
        f"{len(outcome.sent_ids)} sent · out of order {outcome.out_of_order} · gaps fetched "
        f"by sync {outcome.gap_syncs} · sockets dropped "
        f"(and reconnected) {outcome.drops} · errors {len(outcome.errors)}"
    )


def ms(values: list[float], share: float) -> str:
    value = chat_load.percentile(values, share) * 1000
    return "-" if math.isnan(value) else f"{value:.0f}"


def verdict(
    args: argparse.Namespace, outcome: chat_load.Outcome, stored: int, stored_twice: int
) -> int:
    problems = []
    paced = outcome.phases.get("paced")
    p99 = chat_load.percentile(paced.latencies, 0.99) * 1000 if paced else float("nan")
    if not paced or not paced.latencies:
        problems.append("the paced phase delivered nothing")
    elif p99 > GOAL_P99_MS:
        problems.append(f"paced p99 {p99:.0f} ms > {GOAL_P99_MS:.0f} ms")
    if args.conversations < GOAL_CONVERSATIONS:
        print(f"Note: the goal is stated for {GOAL_CONVERSATIONS} conversations.")
    if outcome.lost:
        problems.append(f"{outcome.lost} messages lost")
    if outcome.duplicated or stored_twice:
        problems.append(f"{outcome.duplicated} delivered twice, {stored_twice} stored twice")
    if outcome.unacked:
        problems.append(f"{outcome.unacked} messages not acknowledged")
    if stored < len(outcome.sent_ids) - outcome.unacked:
        problems.append(f"{stored} lines stored for {len(outcome.sent_ids)} messages sent")
    if outcome.drops:
        problems.append(f"the server dropped {outcome.drops} sockets")
    for error in outcome.errors[:10]:
        print(f"socket error: {error}", file=sys.stderr)
    if outcome.errors:
        problems.append(f"{len(outcome.errors)} errors")
    if problems:
        print("FAILED: " + "; ".join(problems), file=sys.stderr)
        return 1
    print(f"OK: paced p99 {p99:.0f} ms ≤ {GOAL_P99_MS:.0f} ms, nothing lost or duplicated.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
