"""Helpers for notification tests: events dispatched as the worker would."""

import pytest
from django.db import transaction

from zabota.core import events
from zabota.core.models import OutboxEvent


@pytest.fixture
def publish(django_capture_on_commit_callbacks):
    """``publish(type, **payload)``: commit the event and dispatch it (tasks run inline)."""

    def run(event_type: str, **payload: object) -> OutboxEvent:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            return events.publish_on_commit(event_type, **payload)

    return run
