"""Forms of the survey staff pages: a store's survey settings and a paper card's details (the
answers themselves come from the survey's own question fields, ``render.answers_from_form``)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zabota.surveys.models import SurveySettings
from zabota.surveys.store_settings import EDITABLE


class SurveySettingsForm(forms.ModelForm):
    class Meta:
        model = SurveySettings
        fields = list(EDITABLE)
        help_texts = {
            "min_days_between": _(
                "A customer gets at most one survey in this many days, whatever the survey "
                "(responses through any channel count too). 0: no limit."
            ),
            "once_per_ticket": _("Never ask twice about the same ticket."),
            "after_delivery_days": _("The delivery survey goes this many days after delivery."),
            "link_valid_days": _("Survey links in e-mails stop working after this many days."),
            "follow_up_at_most": _(
                "A rating at or below this (on 1–5; other scales converted) opens a follow-up "
                "for the group lead."
            ),
            "follow_up_detractors": _("An NPS answer of 0–6 opens a follow-up too."),
            "min_answers_per_agent": _("Agent-level reports hide agents with fewer answers."),
            "public_scores": _("Show the last quarters' scores on the store's public page."),
        }

    def clean_link_valid_days(self) -> int:
        value = self.cleaned_data["link_valid_days"]
        if not 1 <= value <= 365:
            raise forms.ValidationError(_("Between 1 and 365 days."))
        return value

    def clean_follow_up_at_most(self) -> int:
        value = self.cleaned_data["follow_up_at_most"]
        if value > 5:
            raise forms.ValidationError(_("On a 1–5 scale: at most 5."))
        return value


class PaperCardForm(forms.Form):
    """Who filled in the card (optional) and when."""

    customer_email = forms.EmailField(
        label=_("Customer's e-mail (optional)"),
        required=False,
        help_text=_(
            "Only if the customer wrote it on the card; leave empty for an anonymous card."
        ),
    )
    card_date = forms.DateField(
        label=_("Date on the card"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: today."),
    )
    language = forms.ChoiceField(label=_("Language of the card"), required=False)
    submission_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: object, languages: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = languages

    def clean_card_date(self) -> object:
        value = self.cleaned_data["card_date"]
        if value is not None and value > timezone.localdate():
            raise forms.ValidationError(_("The date on the card cannot be in the future."))
        return value
