"""The subscription form of the agent UI: parses the fields; the rules (SSRF guard, known event
types) are checked by ``actions.check_save_subscription``."""

from django import forms
from django.utils.translation import gettext_lazy as _

from zabota.commerce.models import Store
from zabota.webhooks.constants import ALL_EVENTS, EVENT_TYPE_LABELS


def event_type_choices() -> list[tuple[str, str]]:
    return [
        (ALL_EVENTS, str(_("All events, including types added later"))),
        *((value, str(label)) for value, label in EVENT_TYPE_LABELS.items()),
    ]


class SubscriptionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    store = forms.ModelChoiceField(
        label=_("Store"),
        queryset=Store.objects.order_by("name"),
        required=False,
        empty_label=_("All stores"),
    )
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        label=_("Event types"),
        choices=event_type_choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event type.")},
    )
    is_active = forms.BooleanField(label=_("Active"), required=False)
    allow_private_network = forms.BooleanField(
        label=_("Allow private network addresses"), required=False
    )
