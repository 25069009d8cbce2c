"""How fast e-mail goes through the whole inbound pipeline, and what the parser costs per mail.

Run from the repository root::

    .venv/bin/python bench/email_ingest.py [--messages 3000] [--distinct-senders] [--timeout 900]
        [--database zabota_email_bench] [--interval 0.5] [--profile worker.txt]

It recreates the PostgreSQL database ``--database`` on 127.0.0.1:5432 (user postgres, trust auth),
migrates it, creates a store with the mailbox ``support@store.example`` and starts ONE worker
process (``zabota worker --interval``, database task backend). Then it stores every mail of the
shared corpora (``../shared/corpora``: the .eml and .txt files; the raw TNEF streams, expected
file lists and READMEs there are not mail) with ``inbound.store_raw`` as the MTA pipe would,
repeated until at least ``--messages`` mails are stored. Each copy gets its own Message-ID, so
each is a distinct mail. The worker parses, classifies, routes and creates tickets, notes and
outbox events; the run ends when every stored mail has left the ``received`` status.

Reported: messages/s end to end (first store to last processed), of ``store_raw`` alone, and of
the worker once storing is over; the worker's CPU time per mail and how busy the machine was
(other processes included: on a shared machine the worker's share of a core is what varies);
counts per status and outcome (quarantined ones with their reason); and, measured in this process
over the corpus, p50/p99/max ``parse_email`` time and peak memory per message (tracemalloc).
``--profile FILE`` records the worker with py-spy (raw "collapsed stack" format).

The corpus has few distinct senders, so the per-sender burst limit (20 mails in 10 minutes) holds
most copies for review: that is the pipeline doing its job. ``--distinct-senders`` also gives
every copy its own From address, so that nearly every mail becomes a ticket (the heaviest path).
"""

import argparse
import contextlib
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "zabota_email_bench"
MAILBOX = "support@store.example"
MAIL_SUFFIXES = {".eml", ".txt"}

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zabota.settings")
sys.path.insert(0, str(ROOT))

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MESSAGE_ID = re.compile(rb"^message-id:[^\n]*\n(?:[ \t][^\n]*\n)*", re.IGNORECASE | re.MULTILINE)
_FROM = re.compile(rb"^from:[^\n]*\n(?:[ \t][^\n]*\n)*", re.IGNORECASE | re.MULTILINE)


def corpus_mails() -> list[Path]:
    return sorted(p for p in CORPORA.rglob("*") if p.is_file() and p.suffix in MAIL_SUFFIXES)


def distinct_copy(raw: bytes, copy: int, index: int, *, new_sender: bool) -> bytes:
    """The mail with a Message-ID of its own (and, if asked, a From of its own)."""
    prefix = b""
    if raw.startswith(b"\xef\xbb\xbf"):
        prefix, raw = raw[:3], raw[3:]
    if raw.startswith(b"From "):  # keep an mbox envelope line first
        line, _sep, rest = raw.partition(b"\n")
        prefix, raw = prefix + line + b"\n", rest
    found = _HEADER_END.search(raw)
    split = found.start() + 1 if found else len(raw)
    headers, body = raw[:split], raw[split:]
    eol = b"\r\n" if b"\r\n" in headers[:2000] else b"\n"
    message_id = f"Message-ID: <bench.{copy}.{index}@bench.example>".encode() + eol
    headers = _MESSAGE_ID.sub(b"", headers)
    if new_sender:
        headers = _FROM.sub(b"", headers)
        headers = (
            f"From: Bench {copy}.{index} <c{copy}.{index}@bench.example>".encode() + eol + headers
        )
    return prefix + message_id + headers + body


def recreate_database(name: str) -> None:
    """Drop and create the bench database; every later connection (this process's Django, the
    worker) uses it through DATABASE_URL."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"


def parse_statistics(paths: list[Path]) -> dict[str, Any]:
    """Per-message parse time (median of 3 runs per mail) and tracemalloc peak per mail."""
    from zabota.channels.email.parse import ParseError, parse_email

    mails = [p.read_bytes() for p in paths]

    def parse(raw: bytes) -> None:
        with contextlib.suppress(ParseError):
            parse_email(raw)

    for raw in mails:  # warm-up: imports, regex compilation, charset tables
        parse(raw)
    times = []
    for raw in mails:
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            parse(raw)
            runs.append(time.perf_counter() - started)
        times.append(statistics.median(runs))
    peaks = []
    tracemalloc.start()
    for raw in mails:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        parse(raw)
        peaks.append(tracemalloc.get_traced_memory()[1] - base)
    tracemalloc.stop()
    return {
        "files": len(mails),
        "bytes": sum(len(raw) for raw in mails),
        "time_p50": percentile(times, 50),
        "time_p99": percentile(times, 99),
        "time_max": max(times),
        "time_mean": statistics.fmean(times),
        "peak_p50": percentile(peaks, 50),
        "peak_p99": percentile(peaks, 99),
        "peak_max": max(peaks),
        "largest_peak_file": paths[peaks.index(max(peaks))].name,
        "slowest_file": paths[times.index(max(times))].name,
    }


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def run_pipeline(paths: list[Path], options: argparse.Namespace) -> dict:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)

    from django.db import connection
    from django.db.models import Count

    from zabota.channels.email.constants import InboundStatus
    from zabota.channels.email.models import InboundEmail, Mailbox
    from zabota.commerce.models import Store
    from zabota.tickets.models import Ticket

    store = Store.objects.create(slug="bench", name="Bench store", email=MAILBOX)
    mailbox = Mailbox.objects.create(store=store, name="Support", address=MAILBOX)

    originals = [p.read_bytes() for p in paths]
    copies = -(-options.messages // len(originals))
    batch = [
        distinct_copy(raw, copy, index, new_sender=options.distinct_senders)
        for copy in range(copies)
        for index, raw in enumerate(originals)
    ]
    connection.close()  # the worker gets a database without our idle connection in the way

    # The worker logs a line per task: to a file, as a pipe nobody reads would fill and block it.
    log_path = Path(tempfile.gettempdir()) / f"zabota-bench-worker-{options.database}.log"
    bin_dir = Path(sys.executable).parent
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            [str(bin_dir / "zabota"), "worker", "--interval", str(options.interval)],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        profiler = None
        if options.profile:
            record = ["record", "--pid", str(worker.pid), "--rate", "100", "--format", "raw"]
            profiler = subprocess.Popen(
                [str(bin_dir / "py-spy"), *record, "--output", options.profile],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        try:
            machine_before, bench_before = machine_cpu(), time.process_time()
            database_before = database_cpu(options.database)
            run = feed_and_wait(batch, mailbox, worker, log_path, options.timeout)
            run["worker_cpu"] = cpu_seconds(worker.pid)
            run["bench_cpu"] = time.process_time() - bench_before
            run["database_cpu"] = database_cpu(options.database) - database_before
            (busy_after, total_after), (busy_before, total_before) = machine_cpu(), machine_before
            run["machine_busy"] = (busy_after - busy_before) / (total_after - total_before)
        finally:
            if profiler is not None:
                profiler.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
                profiler.wait()
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()

    rows = InboundEmail.objects.all()
    by_outcome = list(
        rows.values("status", "outcome").annotate(n=Count("id")).order_by("status", "-n")
    )
    quarantined = list(
        rows.filter(status=InboundStatus.QUARANTINED)
        .values("error")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    failed = list(rows.filter(status=InboundStatus.FAILED).values("error").annotate(n=Count("id")))
    return {
        **run,
        "stored": len(batch),
        "rows": rows.count(),
        "tickets": Ticket.objects.count(),
        "by_outcome": by_outcome,
        "quarantined": quarantined,
        "failed": failed,
        "megabytes": sum(len(raw) for raw in batch) / 1e6,
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_cpu(database: str) -> float:
    """User + system CPU time of the PostgreSQL backends serving ``database`` now (Linux /proc;
    their command line names the database). Backends of connections closed meanwhile, and the
    server's shared processes (WAL writer, checkpointer), are not counted."""
    total = 0.0
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            words = cmdline.read_bytes().decode(errors="replace").split()
            if words[0] == "postgres:" and database in words:
                total += cpu_seconds(int(cmdline.parent.name))
    return total


def machine_cpu() -> tuple[int, int]:
    """Busy and total CPU time of the whole machine so far, in clock ticks (Linux /proc)."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return sum(ticks) - idle, sum(ticks)


def feed_and_wait(
    batch: list[bytes], mailbox, worker: subprocess.Popen, log_path: Path, timeout: float
) -> dict:
    """Store every mail as the MTA pipe does, then wait until the worker has processed all.
    Returns the seconds spent storing, how many were processed by then, and the seconds until
    the last one was processed."""
    from zabota.channels.email.constants import InboundStatus, Source
    from zabota.channels.email.inbound import store_raw
    from zabota.channels.email.models import InboundEmail

    started = time.perf_counter()
    for raw in batch:
        store_raw(raw, source=Source.PIPE, mailbox=mailbox, envelope_recipient=MAILBOX)
    stored = time.perf_counter() - started
    waiting = InboundEmail.objects.filter(status=InboundStatus.RECEIVED)
    processed_while_storing = len(batch) - waiting.count()
    deadline = started + timeout
    while pending := waiting.count():
        if worker.poll() is not None:
            raise SystemExit(f"The worker exited ({worker.returncode}); see {log_path}")
        if time.perf_counter() > deadline:
            raise SystemExit(f"Timed out with {pending} mails still unprocessed.")
        time.sleep(0.2)
    return {
        "store_seconds": stored,
        "processed_while_storing": processed_while_storing,
        "elapsed": time.perf_counter() - started,
    }


def report(parse: dict, pipeline: dict, *, new_sender: bool, load: float) -> str:
    stored, elapsed = pipeline["stored"], pipeline["elapsed"]
    after_storing = stored - pipeline["processed_while_storing"]
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        f", PostgreSQL on 127.0.0.1, one worker process (database task backend); load average"
        f" {load:.1f} before the run.",
        f"Corpus: {parse['files']} mails from ../shared/corpora ({parse['bytes'] / 1e6:.1f} MB);"
        f" pipeline input: {stored} mails ({pipeline['megabytes']:.0f} MB), each copy"
        f" with its own Message-ID{' and From' if new_sender else ''}.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| end to end (first store_raw → last processed) | "
        f"{stored / elapsed:.0f} messages/s ({stored} in {elapsed:.1f} s) |",
        f"| store_raw alone (pipe/webhook/IMAP acknowledgement path) | "
        f"{stored / pipeline['store_seconds']:.0f} messages/s |",
        f"| the worker after the last store_raw | "
        f"{after_storing / max(elapsed - pipeline['store_seconds'], 1e-9):.0f} messages/s |",
        f"| worker CPU | {pipeline['worker_cpu']:.0f} s in {elapsed:.0f} s, "
        f"{1e3 * pipeline['worker_cpu'] / stored:.1f} ms per mail |",
        f"| bench process CPU (store_raw, then polling) | {pipeline['bench_cpu']:.0f} s, "
        f"{1e3 * pipeline['bench_cpu'] / stored:.1f} ms per mail |",
        f"| PostgreSQL CPU (the bench database's backends) | {pipeline['database_cpu']:.0f} s, "
        f"{1e3 * pipeline['database_cpu'] / stored:.1f} ms per mail |",
        f"| machine CPU busy during the run (both cores, all processes) | "
        f"{100 * pipeline['machine_busy']:.0f} % |",
        f"| tickets created | {pipeline['tickets']} |",
        f"| parse time per message p50 / p99 / max | {parse['time_p50'] * 1e3:.2f} / "
        f"{parse['time_p99'] * 1e3:.1f} / {parse['time_max'] * 1e3:.0f} ms "
        f"(max: {parse['slowest_file']}) |",
        f"| parse peak memory per message p50 / p99 / max | {parse['peak_p50'] / 1024:.0f} KB / "
        f"{parse['peak_p99'] / 1e6:.1f} MB / {parse['peak_max'] / 1e6:.1f} MB "
        f"(max: {parse['largest_peak_file']}) |",
        "",
        "| status | outcome | mails |",
        "|---|---|---|",
        *(f"| {r['status']} | {r['outcome'] or '—'} | {r['n']} |" for r in pipeline["by_outcome"]),
    ]
    if pipeline["quarantined"]:
        lines += ["", "Quarantined, by reason:", ""]
        lines += [f"- {r['n']} × {r['error'][:160]}" for r in pipeline["quarantined"]]
    if pipeline["failed"]:
        lines += ["", "Failed (will be retried), by error:", ""]
        lines += [f"- {r['n']} × {r['error'][:160]}" for r in pipeline["failed"]]
    lost = stored - pipeline["rows"]
    lines += ["", f"Stored {pipeline['rows']} of {stored} mails ({lost} lost)."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--distinct-senders", action="store_true")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument(
        "--database", default=DATABASE, help=f"database to recreate and use (default {DATABASE})"
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=0.5,
        help="the worker's polling interval when idle (default 0.5 s, as `zabota worker`)",
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="record the worker with py-spy (raw format) into FILE"
    )
    args = parser.parse_args()

    paths = corpus_mails()
    if not paths:
        raise SystemExit(f"No corpus mails under {CORPORA}")
    load = os.getloadavg()[0]
    recreate_database(args.database)
    pipeline = run_pipeline(paths, args)
    parse = parse_statistics(paths)
    print(report(parse, pipeline, new_sender=args.distinct_senders, load=load))


if __name__ == "__main__":
    main()
