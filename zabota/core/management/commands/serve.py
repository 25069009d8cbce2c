"""`make run`: one command that prepares the database and runs the web server, the worker and
the scheduler."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from zabota.commerce.models import Store

DEMO_LOGINS = [
    ("admin", "admin@example.com"),
    ("lead", "lead@example.com"),
    ("agent", "agent@example.com"),
]
DEMO_PASSWORD = "zabota-demo"  # noqa: S105 - the published demo password


class Command(BaseCommand):
    help = "Migrate, load demo data on first run, then run the web server, worker and scheduler."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-demo", action="store_true", help="Do not load demo data.")

    def handle(self, *args: object, **options: object) -> None:
        host, port = str(options["host"]), int(str(options["port"]))
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        if not options["no_demo"] and not Store.objects.exists():
            self.stdout.write("First start: loading demo data …")
            call_command("demo")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        web = subprocess.Popen(  # noqa: S603 - fixed argv
            [
                sys.executable,
                "-m",
                "uvicorn",
                "zabota.asgi:application",
                "--host",
                host,
                "--port",
                str(port),
                "--no-access-log",
            ],
            env=env,
        )
        worker = subprocess.Popen(
            [sys.executable, "-m", "zabota", "worker", "--no-housekeeping"], env=env
        )
        scheduler = subprocess.Popen([sys.executable, "-m", "zabota", "scheduler"], env=env)
        shown_host = f"[{host}]" if ":" in host else host
        self.stdout.write(self.style.SUCCESS(f"\nZabota is running at http://{shown_host}:{port}/"))
        if Store.objects.filter(slug="demo").exists():
            for role, email in DEMO_LOGINS:
                self.stdout.write(f"  {role:6} {email} / {DEMO_PASSWORD}")
        self.stdout.write(f"  data in {settings.DATABASES['default']['NAME']}; Ctrl-C stops.\n")
        self._wait(web, worker, scheduler)

    def _wait(self, *procs: subprocess.Popen[bytes]) -> None:
        def stop(*_: object) -> None:
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(proc.poll() is None for proc in procs):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        stop()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
