"""A store's survey settings: read with their defaults, changed by an admin."""

import logging
from typing import Any

from django.db import transaction

from zabota.accounts.models import User
from zabota.commerce.models import Store
from zabota.surveys.models import SurveySettings

logger = logging.getLogger(__name__)

# The fields an admin edits on the settings page.
EDITABLE = (
    "min_days_between",
    "once_per_ticket",
    "after_delivery_days",
    "link_valid_days",
    "follow_up_at_most",
    "follow_up_detractors",
    "min_answers_per_agent",
    "public_scores",
)


def settings_for(store: Store) -> SurveySettings:
    """The store's survey settings; the defaults (unsaved) when it never changed them."""
    found = SurveySettings.objects.filter(store=store).first()
    return found if found is not None else SurveySettings(store=store)


def do_change_survey_settings(
    store: Store, values: dict[str, Any], *, actor: User
) -> SurveySettings:
    """Save the store's settings (created on first save). Precondition: ``values`` were
    validated (the settings form); keys outside ``EDITABLE`` are ignored."""
    with transaction.atomic():
        current, _created = SurveySettings.objects.select_for_update().get_or_create(store=store)
        changed = {k: v for k, v in values.items() if k in EDITABLE and getattr(current, k) != v}
        for key, value in changed.items():
            setattr(current, key, value)
        if changed:
            current.save(update_fields=list(changed))
            logger.info(
                "Survey settings of store %s changed by user %s: %s",
                store.pk,
                actor.pk,
                sorted(changed),
            )
    return current
