from django import forms
from django.utils.translation import gettext_lazy as _

from zabota.callbacks.actions import NOTE_MAX_LENGTH
from zabota.callbacks.constants import CallOutcome


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallOutcome.choices)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=NOTE_MAX_LENGTH, widget=forms.Textarea
    )
