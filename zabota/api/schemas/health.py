from datetime import datetime
from typing import Literal

from ninja import Schema


class WorkerOut(Schema):
    status: Literal["ok", "stale", "absent"]
    last_seen: datetime | None


class HealthOut(Schema):
    status: Literal["ok", "degraded", "error"]
    database: Literal["ok", "error"]
    worker: WorkerOut | None
    outbox_backlog: int | None
