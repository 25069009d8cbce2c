"""How fast the agent UI and the REST API answer on a large inbox.

Run from the repository root::

    .venv/bin/python bench/inbox.py [--tickets 100000] [--duration 15] [--connections 16]

It prepares the PostgreSQL database ``zabota_bench`` on 127.0.0.1:5432 (user postgres, trust
auth): migrates, loads ``zabota demo`` plus generated tickets up to ``--tickets`` unless they are
there already, collects static files, and starts gunicorn (2 sync workers, DEBUG off) on a free
loopback port. It signs in as the demo admin through the login form and creates an API token,
then measures each endpoint with wrk after a warm-up:

- ``/ping``: a trivial view, the ceiling of this machine and server setup;
- ``/``: the inbox page (session cookie);
- ``/tickets/<id>/``: the ticket page of a typical ticket;
- ``GET /api/v1/tickets``: the API's inbox list (Bearer token);
- ``POST /api/v1/tickets``: ticket creation, a unique subject per request.

Any response outside 2xx (a redirect to the login page included) fails the run. All traffic
goes to 127.0.0.1. See docs/benchmarks.md for the figures.
"""

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "zabota_bench"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "zabota-demo"  # noqa: S105 - the published demo password
RESULT_MARK = "ZABOTA_RESULT "

# wrk script: counts every response outside 2xx (wrk's own error count ignores 3xx, and a
# redirect to the login page is exactly the failure to catch) and reports as one JSON line.
LUA_COMMON = r"""
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  non2xx = 0
  first_bad = ""
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_bad == "" then first_bad = tostring(status) end
  end
end

function done(summary, latency, requests)
  local bad, first = 0, ""
  for _, t in ipairs(threads) do
    bad = bad + t:get("non2xx")
    if first == "" then first = t:get("first_bad") end
  end
  local e = summary.errors
  io.write(string.format(
    '%s{"requests":%d,"duration_us":%d,"non2xx":%d,"first_bad":"%s",' ..
    '"socket_errors":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    "__MARK__", summary.requests, summary.duration, bad, first,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""

# Each request opens a ticket with a subject no other request of this run uses.
LUA_CREATE = r"""
local counter = 0
local run = "__RUN__"

request = function()
  counter = counter + 1
  local body = string.format(
    '{"store":"demo","customer_email":"bench-%d@load.example","customer_name":"Load Test %d",' ..
    '"subject":"Benchmark %s-%d-%d","body_text":"Where is my order #%d? It was due yesterday.",' ..
    '"channel":"api"}', id, id, run, id, counter, counter)
  return wrk.format("POST", "/api/v1/tickets", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer __TOKEN__",
  }, body)
end
"""


@dataclass
class Endpoint:
    label: str
    path: str
    headers: dict[str, str]
    create: bool = False


@dataclass
class Result:
    endpoint: Endpoint
    requests: int
    seconds: float
    non2xx: int
    first_bad: str
    socket_errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def main() -> int:
    args = parse_args()
    wrk = ensure_wrk()
    ensure_database()
    var_dir = Path(tempfile.mkdtemp(prefix="zabota-bench-"))
    env = server_env(var_dir)
    os.environ.update(env)
    os.environ.pop("ZABOTA_DEBUG", None)
    results: list[Result] = []
    try:
        dataset = prepare(args)
        port = free_port()
        load = os.getloadavg()[0]
        if load > 0.5:
            print(f"Warning: load average {load:.1f} before the run; other work skews the figures.")
        with gunicorn(env, port, args.workers, var_dir) as base:
            session = sign_in(base)
            token = api_token()
            endpoints = [
                Endpoint("/ping", "/ping", {}),
                Endpoint("inbox page /", "/", {"Cookie": session}),
                Endpoint(
                    f"ticket page /tickets/{dataset['ticket_id']}/",
                    f"/tickets/{dataset['ticket_id']}/",
                    {"Cookie": session},
                ),
                Endpoint(
                    "GET /api/v1/tickets", "/api/v1/tickets", {"Authorization": f"Bearer {token}"}
                ),
                Endpoint(
                    "POST /api/v1/tickets",
                    "/api/v1/tickets",
                    {"Authorization": f"Bearer {token}"},
                    create=True,
                ),
            ]
            for endpoint in endpoints:
                check_once(base, endpoint, token)
            results = []
            for endpoint in endpoints:
                print(f"… {endpoint.label}", flush=True)
                run_wrk(wrk, base, endpoint, args, token, var_dir, seconds=args.warmup)
                results.append(
                    run_wrk(wrk, base, endpoint, args, token, var_dir, seconds=args.duration)
                )
        report(results, dataset, args)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    bad = [r for r in results if r.non2xx or r.socket_errors]
    if bad:
        for r in bad:
            print(
                f"FAILED {r.endpoint.label}: {r.non2xx} non-2xx responses "
                f"(first: HTTP {r.first_bad or '-'}), {r.socket_errors} socket errors",
                file=sys.stderr,
            )
        return 1
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=100_000, help="Tickets in the demo store.")
    parser.add_argument("--duration", type=int, default=15, help="Seconds per measurement.")
    parser.add_argument("--warmup", type=int, default=3, help="Seconds of warm-up per endpoint.")
    parser.add_argument("--connections", type=int, default=16, help="Concurrent connections.")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads.")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes.")
    parser.add_argument(
        "--skip-load", action="store_true", help="Use the database as it is; load no tickets."
    )
    args = parser.parse_args()
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads")
    return args


def ensure_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk:
        return wrk
    if os.geteuid() != 0:
        sys.exit("wrk is missing: sudo apt-get install wrk")
    print("Installing wrk …", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})  # fmt: skip
    return shutil.which("wrk") or sys.exit("wrk did not install")


def ensure_database() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone()
        if not exists:
            print(f"Creating database {DATABASE} …", flush=True)
            conn.execute(f'CREATE DATABASE "{DATABASE}"')


def server_env(var_dir: Path) -> dict[str, str]:
    """Production-style settings: DEBUG off, a secret key, PostgreSQL, a throw-away var dir."""
    return {
        "DJANGO_SETTINGS_MODULE": "zabota.settings",
        "DATABASE_URL": DATABASE_URL,
        "ZABOTA_SECRET_KEY": secrets.token_urlsafe(50),
        "ZABOTA_VAR_DIR": str(var_dir),
        "ZABOTA_ALLOWED_HOSTS": "127.0.0.1",
    }


def prepare(args: argparse.Namespace) -> dict[str, Any]:
    """Migrate, load the dataset if it is smaller than asked, collect static files."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Q

    from zabota.commerce.models import Store
    from zabota.tickets.constants import Status
    from zabota.tickets.models import Ticket

    call_command("migrate", interactive=False, verbosity=0)
    if not args.skip_load:
        started = time.monotonic()
        if not Store.objects.filter(slug="demo").exists():
            call_command("demo")
        have = Ticket.objects.filter(store__slug="demo").count()
        if have < args.tickets:
            print(f"Adding {args.tickets - have} tickets to the {have} there …", flush=True)
            call_command("demo", tickets=args.tickets - have)
        print(f"Data ready in {time.monotonic() - started:.0f} s.", flush=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    store = Store.objects.get(slug="demo")
    # A typical ticket: an open conversation of a few messages, near the top of the inbox.
    ticket = (
        Ticket.objects.filter(store=store, merged_into__isnull=True, message_count__gte=3)
        .filter(Q(status=Status.OPEN) | Q(status=Status.PENDING))
        .order_by("-last_activity_at")
        .first()
    )
    assert ticket is not None, "the demo store has no open ticket"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    dataset = {
        "tickets": Ticket.objects.filter(store=store).count(),
        "ticket_id": ticket.pk,
        "ticket_messages": ticket.messages.count(),
        "postgres": pg_version,
    }
    connection.close()
    return dataset


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(env: dict[str, str], port: int, workers: int, var_dir: Path) -> Iterator[str]:
    log = var_dir / "gunicorn.log"
    command = [
        str(Path(sys.executable).parent / "gunicorn"), "zabota.wsgi",
        "-w", str(workers), "--bind", f"127.0.0.1:{port}", "--error-logfile", str(log),
    ]  # fmt: skip
    server_env = {k: v for k, v in os.environ.items() if k != "ZABOTA_DEBUG"} | env
    proc = subprocess.Popen(command, cwd=ROOT, env=server_env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                # Every URL here is http://127.0.0.1:<port> built above.
                with urllib.request.urlopen(base + "/ping", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"gunicorn did not start:\n{log.read_text() if log.exists() else ''}")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def uvicorn_app(
    port: int, workers: int, log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """``zabota.asgi`` under uvicorn with ``workers`` processes on 127.0.0.1:``port`` (the
    websocket-capable server of production), output in ``log``; ready once the health check
    answers, stopped when the block ends. ``env``: the whole environment (default: this one)."""
    import http.client

    argv = [sys.executable, "-m", "uvicorn", "zabota.asgi:application", "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(workers), "--no-access-log"]  # fmt: skip
    with log.open("wb") as out:
        server = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/api/v1/health")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"uvicorn did not start:\n{log.read_text()}")
            time.sleep(0.3)
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def sign_in(base: str) -> str:
    """POST the login form like a browser (CSRF cookie and token); return the Cookie header."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    with opener.open(base + "/login/", timeout=10) as response:
        page = response.read().decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not match:
        sys.exit("No CSRF token on the login page")
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": match.group(1), "username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - a loopback http URL built here
        base + "/login/", data=form, headers={"Referer": base + "/login/"}
    )
    try:
        opener.open(request, timeout=10)
        sys.exit("Signing in did not redirect: wrong demo password?")
    except urllib.error.HTTPError as exc:
        if exc.code != 302:
            sys.exit(f"Signing in failed: HTTP {exc.code}")
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        sys.exit("Signing in gave no session cookie")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def api_token() -> str:
    """A fresh token for the demo admin: `zabota api-token`, whose last output line is it."""
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.db import connection

    out = StringIO()
    try:
        call_command("api_token", ADMIN_EMAIL, name="benchmark", stdout=out)
        token = out.getvalue().strip().splitlines()[-1].strip()
    except CommandError as exc:
        if "Unknown command" not in str(exc):
            raise
        from zabota.accounts.actions import do_create_api_token
        from zabota.accounts.models import User

        admin = User.objects.get(email=ADMIN_EMAIL)
        token = do_create_api_token(admin, name="benchmark", actor=admin)
    connection.close()
    return token


def check_once(base: str, endpoint: Endpoint, token: str) -> None:
    """One request before the load, to fail with a readable message rather than a count."""
    data = None
    headers = dict(endpoint.headers)
    if endpoint.create:
        headers["Content-Type"] = "application/json"
        data = json.dumps(
            {
                "store": "demo",
                "customer_email": "bench-check@load.example",
                "subject": f"Benchmark check {secrets.token_hex(4)}",
                "body_text": "Checking the endpoint before the load test.",
                "channel": "api",
            }
        ).encode()
    request = urllib.request.Request(base + endpoint.path, data=data, headers=headers)  # noqa: S310
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    if not 200 <= status < 300:
        sys.exit(f"{endpoint.label}: HTTP {status} before the load test; nothing measured.")


def run_wrk(
    wrk: str,
    base: str,
    endpoint: Endpoint,
    args: argparse.Namespace,
    token: str,
    var_dir: Path,
    *,
    seconds: int,
) -> Result:
    script = LUA_COMMON.replace("__MARK__", RESULT_MARK)
    if endpoint.create:
        run = f"{int(time.time())}{secrets.token_hex(2)}"
        script += LUA_CREATE.replace("__RUN__", run).replace("__TOKEN__", token)
    path = var_dir / "bench.lua"
    path.write_text(script)
    command = [wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "--latency",
               "--timeout", "10s", "-s", str(path)]  # fmt: skip
    for name, value in endpoint.headers.items():
        if not endpoint.create:
            command += ["-H", f"{name}: {value}"]
    command.append(base + endpoint.path)
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return parse_wrk(output, endpoint)


def parse_wrk(output: str, endpoint: Endpoint) -> Result:
    """The result line the LUA_COMMON script printed."""
    line = next((ln for ln in output.splitlines() if ln.startswith(RESULT_MARK)), None)
    if line is None:
        sys.exit(f"wrk gave no result for {endpoint.label}:\n{output}")
    raw = json.loads(line[len(RESULT_MARK) :])
    return Result(
        endpoint=endpoint,
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        non2xx=raw["non2xx"],
        first_bad=raw["first_bad"],
        socket_errors=raw["socket_errors"],
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
    )


def report(results: list[Result], dataset: dict[str, Any], args: argparse.Namespace) -> None:
    ceiling = results[0].rps
    cpu = next(
        (ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
         if ln.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    print()
    print(
        f"{time.strftime('%Y-%m-%d')} · {os.cpu_count()} cores ({cpu}) · Python "
        f"{platform.python_version()} · PostgreSQL {dataset['postgres']}"
    )
    print(
        f"{dataset['tickets']:,} tickets · gunicorn -w {args.workers} (sync) · wrk "
        f"-t{args.threads} -c{args.connections} -d{args.duration}s "
        f"after {args.warmup} s warm-up"
    )
    print()
    header = (
        f"{'endpoint':<34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'of /ping':>9} {'non-2xx':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        share = f"{r.rps / ceiling:.0%}" if ceiling else "-"
        print(
            f"{r.endpoint.label:<34} {r.rps:>8.1f} {r.p50_ms:>8.1f} {r.p99_ms:>8.1f} "
            f"{share:>9} {r.non2xx:>8}"
        )


if __name__ == "__main__":
    sys.exit(main())
