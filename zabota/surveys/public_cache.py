"""The active survey behind a public key, read once per process every few seconds.

A kiosk or a campaign sends hundreds of answers a second to the same survey, and reading it was
a third of such a request's cost (``bench/surveys.py``). A survey's or question's save or delete
in this process drops the entry at once (``forget``, ``forget_survey_of``, connected in
``SurveysConfig.ready``); the other processes see an edit or a deactivation within ``SECONDS``.
The objects are shared between requests: read them, never change them.
"""

import time
from typing import Any

from zabota.surveys.models import Question, Survey

SECONDS = 5.0
_MAX_ENTRIES = 1024
_active: dict[str, tuple[float, Survey | None]] = {}


def active_survey(public_key: str) -> Survey | None:
    now = time.monotonic()
    cached = _active.get(public_key)
    if cached is not None and now - cached[0] < SECONDS:
        return cached[1]
    # No ordering: compiling the model's (store, name) costs more than the query here.
    found = Survey.objects.select_related("store").filter(public_key=public_key, is_active=True)
    survey = next(iter(found.order_by()[:1]), None)
    if len(_active) >= _MAX_ENTRIES:
        _active.clear()
    _active[public_key] = (now, survey)
    return survey


def forget(sender: type[Survey], instance: Survey, **kwargs: Any) -> None:
    _active.pop(instance.public_key, None)


def forget_survey_of(sender: type[Question], instance: Question, **kwargs: Any) -> None:
    """A question changed: its survey is read again (its ``updated_at`` keys the questions)."""
    for key, (_at, survey) in list(_active.items()):
        if survey is not None and survey.pk == instance.survey_id:
            _active.pop(key, None)


def clear() -> None:
    _active.clear()
