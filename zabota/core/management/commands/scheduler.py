import contextlib
import signal
import uuid

from django.core.management.base import BaseCommand

from zabota.core.housekeeping import Housekeeper


class Command(BaseCommand):
    help = (
        "Run the periodic jobs (outbox sweep, timeouts, mail polls and retries) in this process; "
        "several schedulers, and workers with housekeeping, run each job once per period."
    )

    def handle(self, *args: object, **options: object) -> None:
        scheduler_id = f"scheduler-{uuid.uuid4().hex[:12]}"
        housekeeper = Housekeeper(scheduler_id)

        def stop(*_: object) -> None:
            housekeeper.stop_event.set()

        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(f"Zabota scheduler {scheduler_id}")
        # In the main thread, not started as a thread: the process is the scheduler.
        with contextlib.suppress(KeyboardInterrupt):
            housekeeper.run()
