"""Forms of the ticket page: they parse and bound the input; the rules live in tickets.actions."""

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from zabota.tickets.actions import REPLY_THEN_STATUSES, NewAttachment
from zabota.tickets.constants import Priority, Status

# The statuses an agent sets with the header buttons; "solved" is only reached through the
# customer's confirmation.
STATUS_BUTTONS = (Status.OPEN, Status.PENDING, Status.AWAITING_CONFIRMATION, Status.CLOSED)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Any number of files, turned into ``NewAttachment`` values.

    At most one byte more than the configured limit is read from each upload: enough for
    ``check_attachment_size`` to refuse it with the file's name, without holding a huge upload
    in memory.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[NewAttachment]:  # type: ignore[override]
        uploads = data if isinstance(data, list | tuple) else [data] if data else []
        single_clean = super().clean
        limit = settings.ZABOTA_MAX_ATTACHMENT_BYTES
        attachments = []
        for upload in uploads:
            upload = single_clean(upload, initial)
            if not isinstance(upload, UploadedFile):
                continue
            upload.seek(0)
            attachments.append(
                NewAttachment(
                    filename=upload.name or "attachment",
                    content_type=upload.content_type or "application/octet-stream",
                    data=upload.read(limit + 1),
                )
            )
        return attachments


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        strip=True,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Write something first.")},
    )
    then_status = forms.TypedChoiceField(
        label=_("Then set status"),
        choices=[(status.value, status.label) for status in REPLY_THEN_STATUSES],
        initial=Status.PENDING,
        required=False,
        empty_value=Status.PENDING,
    )
    attachments = AttachmentsField(label=_("Attach files"))
    # The ticket version the agent had on screen; a newer one means somebody else acted.
    seen_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    # "Send anyway": the agent was shown what changed up to ``confirm_version`` and sends
    # regardless; anything that happens after that version is reported again.
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
    confirm_version = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    # The macro the text came from, kept with the reply for reporting.
    macro_id = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("confirm") and cleaned.get("confirm_version") is not None:
            cleaned["seen_version"] = cleaned["confirm_version"]
        return cleaned


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Note"),
        strip=True,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Write something first.")},
    )
    attachments = AttachmentsField(label=_("Attach files"))


class PreviewForm(forms.Form):
    body = forms.CharField(required=False, strip=True, max_length=100_000)


class MacroForm(forms.Form):
    macro_id = forms.IntegerField(min_value=1)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=[(s.value, s.label) for s in STATUS_BUTTONS])


class PriorityForm(forms.Form):
    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int)


class AssignForm(forms.Form):
    """``target`` is "<group id>:<agent id>", either part may be empty: the assignment picker
    offers agents grouped by team, and "Take it" sends only the agent."""

    target = forms.CharField(max_length=40, required=False)

    def clean_target(self) -> tuple[int | None, int | None]:
        raw = self.cleaned_data["target"]
        group_part, sep, agent_part = raw.partition(":")
        try:
            group_id = int(group_part) if group_part else None
            agent_id = int(agent_part) if agent_part else None
        except ValueError:
            raise forms.ValidationError(_("Choose a group or an agent.")) from None
        if not sep and raw:
            raise forms.ValidationError(_("Choose a group or an agent."))
        return group_id, agent_id


class TagAddForm(forms.Form):
    name = forms.CharField(label=_("Add tag"), max_length=64, strip=True)


class TagRemoveForm(forms.Form):
    tag_id = forms.IntegerField(min_value=1)


class MergeForm(forms.Form):
    # Agents quote numbers as "#42"; the hash is optional.
    number = forms.CharField(
        label=_("Merge into ticket number"),
        max_length=12,
        error_messages={"required": _("Enter the number of the ticket to keep.")},
    )
    confirm = forms.BooleanField(required=False)

    def clean_number(self) -> int:
        raw = self.cleaned_data["number"].strip().lstrip("#").strip()
        if not raw.isdigit() or int(raw) < 1:
            raise forms.ValidationError(_("Enter a ticket number, like 42."))
        return int(raw)


class PresenceForm(forms.Form):
    seen_version = forms.IntegerField(required=False, min_value=0)
    typing = forms.BooleanField(required=False)
