"""The dead-letter page: failed tasks of the database backend, listed for admins with a retry."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.tasks import TaskResultStatus, task
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from zabota.core.models import TaskRetry

# The database worker returns its connection to the pool on PostgreSQL: no test transaction.
pytestmark = pytest.mark.django_db(transaction=True)

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@task()
def refund_order(order_number: str, *, amount: str) -> None:
    raise ConnectionError(f"payment gateway timed out refunding {order_number} ({amount})")


@pytest.fixture
def failed_refund():
    """A refund task that the database worker ran and that failed."""
    with override_settings(TASKS=DB_TASKS):
        enqueued = refund_order.enqueue("1001", amount="19.90")
        call_command("db_worker", batch=True, interval=0, startup_delay=False, reload=False)
        yield DBTaskResult.objects.get(pk=enqueued.id)


@pytest.fixture
def admin_client(world) -> Client:
    client = Client()
    client.force_login(world.ada)
    return client


def test_a_failed_task_is_listed_with_its_error(failed_refund, admin_client):
    """The failed-tasks page shows the task, its arguments and the error; the admin index
    links to it."""
    assert failed_refund.status == TaskResultStatus.FAILED
    url = reverse("admin:core_failedtask_changelist")
    assert url in admin_client.get(reverse("admin:index")).content.decode()
    # when
    response = admin_client.get(url)
    # then
    assert response.status_code == 200
    assert [row.pk for row in response.context["cl"].result_list] == [failed_refund.pk]
    content = response.content.decode()
    assert "zabota.core.tests.test_failed_tasks.refund_order" in content
    assert "19.90" in content
    assert "payment gateway timed out refunding 1001" in content
    assert reverse("admin:core_failedtask_retry", args=[failed_refund.pk]) in content
    # the detail page shows the traceback and a retry button
    detail = admin_client.get(reverse("admin:core_failedtask_change", args=[failed_refund.pk]))
    assert "Traceback" in detail.content.decode()
    assert reverse("admin:core_failedtask_retry", args=[failed_refund.pk]) in (
        detail.content.decode()
    )


@task()
def confirm_order(order_number: str) -> str:
    return order_number


def test_only_failed_tasks_are_listed(failed_refund, admin_client):
    # given a task that succeeded and one still waiting
    with override_settings(TASKS=DB_TASKS):
        confirm_order.enqueue("1002")
        call_command("db_worker", batch=True, interval=0, startup_delay=False, reload=False)
        confirm_order.enqueue("1003")
    assert DBTaskResult.objects.filter(task_path__endswith=".confirm_order").count() == 2
    # when
    response = admin_client.get(reverse("admin:core_failedtask_changelist"))
    # then
    assert [row.pk for row in response.context["cl"].result_list] == [failed_refund.pk]


def test_retry_enqueues_the_same_task_again_once(failed_refund, admin_client, world):
    """Retry enqueues the task with the same arguments and marks the failed result; a second
    click enqueues nothing."""
    url = reverse("admin:core_failedtask_retry", args=[failed_refund.pk])
    with override_settings(TASKS=DB_TASKS):
        # when
        response = admin_client.post(url)
        # then
        assert response.status_code == 302
        retry = TaskRetry.objects.get(original=failed_refund)
        assert retry.retried_by == world.ada
        again = DBTaskResult.objects.get(pk=retry.retry_id)
        assert again.status == TaskResultStatus.READY
        assert again.task_path == failed_refund.task_path
        assert again.args_kwargs == {"args": ["1001"], "kwargs": {"amount": "19.90"}}
        # when clicked again
        admin_client.post(url)
        # then
        assert DBTaskResult.objects.filter(task_path=failed_refund.task_path).count() == 2
        page = admin_client.get(reverse("admin:core_failedtask_changelist")).content.decode()
        assert url not in page and "retried at" in page
        # and the worker runs the retry (which fails again, and is listed again)
        call_command("db_worker", batch=True, interval=0, startup_delay=False, reload=False)
    again.refresh_from_db()
    assert again.status == TaskResultStatus.FAILED


def test_the_list_costs_the_same_queries_for_one_or_many_failures(failed_refund, admin_client):
    url = reverse("admin:core_failedtask_changelist")
    with CaptureQueriesContext(connection) as one:
        admin_client.get(url)
    # given two more failures, one of them retried
    with override_settings(TASKS=DB_TASKS):
        refund_order.enqueue("1002", amount="5.00")
        refund_order.enqueue("1003", amount="7.50")
        call_command("db_worker", batch=True, interval=0, startup_delay=False, reload=False)
        admin_client.post(reverse("admin:core_failedtask_retry", args=[failed_refund.pk]))
    # when
    with CaptureQueriesContext(connection) as three:
        response = admin_client.get(url)
    # then
    assert response.context["cl"].result_count == 3
    assert len(three) == len(one)


def test_retry_action_on_the_selected_tasks(failed_refund, admin_client):
    with override_settings(TASKS=DB_TASKS):
        response = admin_client.post(
            reverse("admin:core_failedtask_changelist"),
            {"action": "retry_selected", "_selected_action": [failed_refund.pk]},
            follow=True,
        )
    assert "1 task(s) queued again." in response.content.decode()
    assert TaskRetry.objects.filter(original=failed_refund).exists()


def test_retry_needs_a_post_and_an_admin(failed_refund, world):
    url = reverse("admin:core_failedtask_retry", args=[failed_refund.pk])
    agent = Client()
    agent.force_login(world.anna)
    assert agent.post(url).status_code == 302  # to the admin login
    admin = Client()
    admin.force_login(world.ada)
    assert admin.get(url).status_code == 405
    assert not TaskRetry.objects.exists()
