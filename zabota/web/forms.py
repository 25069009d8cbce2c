"""Forms of the agent UI shell: inbox filters and bulk actions, customer page, account page,
store settings."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.http import QueryDict
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from zabota.commerce.constants import Segment
from zabota.commerce.models import SegmentSettings
from zabota.customers.constants import IdentityKind
from zabota.customers.models import ImportantDate
from zabota.tickets.constants import Channel, Priority, Status
from zabota.tickets.queries import SORTS, VIEWS, InboxFilter

SORT_CHOICES = [
    ("activity", _("Last activity")),
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
    ("priority", _("Priority")),
    ("sla", _("SLA due")),
]
assert {slug for slug, _label in SORT_CHOICES} == set(SORTS)

# Agents propose solutions; "solved" is the customer's word (check_change_status refuses it).
# One bulk request changes at most this many tickets (each change is its own transaction).
MAX_BULK_TICKETS = 500
BULK_STATUSES = [(s.value, s.label) for s in Status if s != Status.SOLVED]


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def inbox_filter_from(params: QueryDict) -> InboxFilter:
    """Read the inbox's query string leniently: unknown values fall back to "no filter", so a
    bookmarked URL never breaks."""
    view = params.get("view", "")
    status = params.get("status", "")
    channel = params.get("channel", "")
    priority = _int_or_none(params.get("priority"))
    sort = params.get("sort", "")
    segment = params.get("segment", "")
    return InboxFilter(
        view=view if view in VIEWS else "open",
        status=status if status in Status.values else "",
        priority=priority if priority in Priority.values else None,
        channel=channel if channel in Channel.values else "",
        tag_id=_int_or_none(params.get("tag")),
        group_id=_int_or_none(params.get("group")),
        assignee_id=_int_or_none(params.get("assignee")),
        segment=segment if segment in Segment.values else "",
        sort=sort if sort in SORTS else "activity",
    )


class TicketIdsField(forms.Field):
    """The ids of the ticked rows; which of them the agent may touch is access.py's business."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: object) -> list[int]:
        if not value:
            return []
        if not isinstance(value, list | tuple) or not all(str(v).isdigit() for v in value):
            raise forms.ValidationError(_("Invalid ticket selection."), code="invalid")
        if len(value) > MAX_BULK_TICKETS:
            raise forms.ValidationError(
                _("Select at most %(limit)s tickets at once."),
                code="too_many",
                params={"limit": MAX_BULK_TICKETS},
            )
        return [int(v) for v in value]


class BulkForm(forms.Form):
    """One change applied to the selected tickets."""

    ASSIGN_ME = "assign_me"
    ASSIGN = "assign"
    STATUS = "status"
    PRIORITY = "priority"
    TAG = "tag"
    ACTIONS = [
        (ASSIGN_ME, _("Assign to me")),
        (ASSIGN, _("Assign to agent")),
        (STATUS, _("Set status")),
        (PRIORITY, _("Set priority")),
        (TAG, _("Add tag")),
    ]

    ticket = TicketIdsField(error_messages={"required": _("Select at least one ticket.")})
    action = forms.ChoiceField(choices=ACTIONS)
    agent = forms.IntegerField(required=False)
    status = forms.ChoiceField(choices=BULK_STATUSES, required=False)
    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int, required=False)
    tag = forms.CharField(max_length=64, required=False)
    next = forms.CharField(required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        action = data.get("action")
        missing = {
            self.ASSIGN: "agent",
            self.STATUS: "status",
            self.PRIORITY: "priority",
            self.TAG: "tag",
        }.get(str(action))
        if missing and data.get(missing) in (None, ""):
            self.add_error(missing, _("This field is required."))
        return data


class CustomerForm(forms.Form):
    display_name = forms.CharField(label=_("Name"), max_length=200, required=False)
    language = forms.ChoiceField(
        label=_("Language"), choices=[("", _("Unknown")), *settings.LANGUAGES], required=False
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Visible to the team only."),
    )


class IdentityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=IdentityKind.choices)
    value = forms.CharField(label=_("Value"), max_length=320)


class MergeCustomerForm(forms.Form):
    source = forms.IntegerField(min_value=1)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Interface language"), choices=settings.LANGUAGES)


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “Shop sync”."),
    )


class RevokeTokenForm(forms.Form):
    token = forms.IntegerField(min_value=1)


class ImportantDateForm(forms.Form):
    """A yearly date of a customer; the year is optional. Whether the day exists in the month
    is the action's check (``customers.actions.validate_important_date``)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ImportantDate.Kind.choices)
    day = forms.IntegerField(label=_("Day"), min_value=1, max_value=31)
    month = forms.TypedChoiceField(
        label=_("Month"), choices=sorted(MONTHS.items()), coerce=int, empty_value=None
    )
    year = forms.IntegerField(
        label=_("Year"), min_value=1, max_value=9999, required=False, help_text=_("Optional")
    )
    label = forms.CharField(label=_("Note"), max_length=100, required=False)


class SegmentSettingsForm(forms.Form):
    """A store's segment thresholds as an admin edits them (the return rate in per cent)."""

    vip_threshold = forms.DecimalField(
        label=_("VIP from lifetime value"), min_value=0, max_digits=14, decimal_places=2
    )
    repeat_min_orders = forms.IntegerField(
        label=_("Repeat customer from orders"), min_value=1, max_value=1000
    )
    new_days = forms.IntegerField(
        label=_("New customer for days after the first order"), min_value=1, max_value=3650
    )
    dormant_days = forms.IntegerField(
        label=_("Dormant after days without an order"), min_value=1, max_value=3650
    )
    high_returner_percent = forms.DecimalField(
        label=_("High returner from return rate (%)"),
        min_value=1,
        max_value=100,
        max_digits=5,
        decimal_places=2,
    )
    high_returner_min_orders = forms.IntegerField(
        label=_("… and from orders"), min_value=1, max_value=1000
    )
    negative_tags = forms.CharField(
        label=_("Negative contact tags"),
        max_length=200,
        required=False,
        help_text=_("Comma-separated ticket tags, e.g. complaint, angry."),
    )
    negative_days = forms.IntegerField(
        label=_("A negative contact counts for days"), min_value=1, max_value=3650
    )
    engagement_days = forms.IntegerField(
        label=_("Engagement window (days)"), min_value=1, max_value=3650
    )
    passionate_signals = forms.IntegerField(
        label=_("Passionate from signals"),
        min_value=1,
        max_value=1000,
        help_text=_("Messages, survey answers, reviews and repeat orders within the window."),
    )

    def settings_values(self) -> dict[str, object]:
        data = dict(self.cleaned_data)
        percent = data.pop("high_returner_percent")
        data["high_returner_rate"] = (percent / 100).quantize(Decimal("0.0001"))
        return data

    @classmethod
    def initial_from(cls, settings: SegmentSettings) -> dict[str, object]:
        names = [name for name in cls.base_fields if name != "high_returner_percent"]
        initial = {name: getattr(settings, name) for name in names}
        percent = Decimal(settings.high_returner_rate) * 100
        whole = percent == percent.to_integral_value()
        initial["high_returner_percent"] = percent.quantize(
            Decimal(1) if whole else Decimal("0.01")
        )
        return initial


class ExchangeRateForm(forms.Form):
    currency = forms.CharField(label=_("Currency"), min_length=3, max_length=3)
    rate = forms.DecimalField(
        label=_("Rate"), min_value=Decimal("0.00000001"), max_digits=18, decimal_places=8
    )
    valid_from = forms.DateField(
        label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"})
    )
