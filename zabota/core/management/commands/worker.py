import uuid

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from zabota.core.housekeeping import Housekeeper


class Command(BaseCommand):
    help = "Run background tasks (event dispatch, mail, webhooks) and periodic housekeeping."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=0.5, help="Seconds between polls.")
        parser.add_argument(
            "--no-housekeeping",
            action="store_true",
            help="Leave the periodic jobs to `zabota scheduler` (the heartbeat still runs).",
        )

    def handle(self, *args: object, **options: object) -> None:
        worker_id = f"worker-{uuid.uuid4().hex[:12]}"
        housekeeper = Housekeeper(worker_id, periodic=not options["no_housekeeping"])
        housekeeper.start()
        backend = settings.TASKS["default"]["BACKEND"]
        self.stdout.write(f"Zabota worker {worker_id} ({backend})")
        try:
            if backend == "django_tasks_rq.RQBackend":
                # SimpleWorker runs each job in this process. RQ's default forks a child per
                # job, which inherits this process's database connection pool (the housekeeping
                # thread's connections): parent and child then talk over the same sockets and
                # PostgreSQL answers one of them out of turn ("the last operation didn't produce
                # records"), seen under bench/chat.py. Without the fork, jobs are also cheaper.
                call_command(
                    "rqworker",
                    "default",
                    job_class="django_tasks_rq.Job",
                    worker_class="rq.worker.SimpleWorker",
                    with_scheduler=True,
                )
            else:
                call_command(
                    "db_worker",
                    queue_name="*",
                    interval=options["interval"],
                    worker_id=worker_id,
                    startup_delay=False,
                    reload=False,
                )
        finally:
            housekeeper.stop_event.set()
