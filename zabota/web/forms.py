"""Forms of the agent UI shell: inbox filters and bulk actions, customer page, account page."""

from django import forms
from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from zabota.customers.constants import IdentityKind
from zabota.tickets.constants import Channel, Priority, Status
from zabota.tickets.queries import SORTS, VIEWS, InboxFilter

SORT_CHOICES = [
    ("activity", _("Last activity")),
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
    ("priority", _("Priority")),
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
    return InboxFilter(
        view=view if view in VIEWS else "open",
        status=status if status in Status.values else "",
        priority=priority if priority in Priority.values else None,
        channel=channel if channel in Channel.values else "",
        tag_id=_int_or_none(params.get("tag")),
        group_id=_int_or_none(params.get("group")),
        assignee_id=_int_or_none(params.get("assignee")),
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
