"""The dead-letter side of the database task backend: failed results and their retry."""

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from zabota.core.models import FailedTask, TaskRetry


def failed_tasks() -> QuerySet[FailedTask]:
    return FailedTask.objects.filter(status=TaskResultStatus.FAILED).select_related("retry")


def do_retry_failed_task(result_id: Any, *, actor: Any) -> TaskRetry | None:
    """Enqueue a failed task again with the same arguments and mark the failed result as retried.

    Returns None when the result is not a failed one, or was already retried (two admins
    clicking at once enqueue it once: the failed row is locked and ``original`` is unique).
    """
    with transaction.atomic():
        result = (
            DBTaskResult.objects.select_for_update()
            .filter(pk=result_id, status=TaskResultStatus.FAILED)
            .first()
        )
        if result is None or TaskRetry.objects.filter(original=result).exists():
            return None
        task = result.task.using(run_after=None)
        new = task.enqueue(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])
        return TaskRetry.objects.create(original=result, retry_id=str(new.id), retried_by=actor)
