"""Forms of the chat pages: they parse and bound the input; the rules live in chat.actions."""

import re
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from zabota.accounts.models import Group, User
from zabota.chat.models import ChatSettings

_HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
# An agent holds at most this many chats at once (a typo such as 50 would drown them).
MAX_CHAT_LIMIT = 20


class ChatSettingsForm(forms.ModelForm):
    """A store's widget. The group must be one of the store's; the colour a #rrggbb value."""

    class Meta:
        model = ChatSettings
        fields = [
            "widget_key",
            "is_enabled",
            "group",
            "ask_name",
            "ask_email",
            "ask_order",
            "language",
            "color",
        ]
        widgets = {"color": forms.TextInput(attrs={"type": "color"})}

    def __init__(self, *args: Any, store: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.store = store
        group_field = self.fields["group"]
        assert isinstance(group_field, forms.ModelChoiceField)
        group_field.queryset = Group.objects.filter(store=store).order_by("name")
        group_field.empty_label = _("The store's default group")
        language = forms.ChoiceField(
            label=self.fields["language"].label,
            help_text=self.fields["language"].help_text,
            required=False,
            choices=[("", _("The store's language")), *settings.LANGUAGES],
        )
        self.fields["language"] = language

    def clean_color(self) -> str:
        color = (self.cleaned_data.get("color") or "").strip()
        if not _HEX_COLOR.fullmatch(color):
            raise forms.ValidationError(_("Enter a colour as #rrggbb."))
        return color.lower()

    def clean_widget_key(self) -> str:
        return (self.cleaned_data.get("widget_key") or "").strip().lower()


class ChatLimitForm(forms.Form):
    """One agent's concurrent-chat limit."""

    agent = forms.ModelChoiceField(queryset=User.objects.none(), widget=forms.HiddenInput)
    max_chats = forms.IntegerField(
        label=_("Concurrent chats"), min_value=0, max_value=MAX_CHAT_LIMIT
    )

    def __init__(self, *args: Any, agents: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agent_field = self.fields["agent"]
        assert isinstance(agent_field, forms.ModelChoiceField)
        agent_field.queryset = agents


class TransferForm(forms.Form):
    """To an agent (in a group, if one is chosen too) or to a group's queue."""

    to_user = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    to_group = forms.ModelChoiceField(queryset=Group.objects.none(), required=False)

    def __init__(self, *args: Any, agents: Any, groups: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user_field = self.fields["to_user"]
        group_field = self.fields["to_group"]
        assert isinstance(user_field, forms.ModelChoiceField)
        assert isinstance(group_field, forms.ModelChoiceField)
        user_field.queryset = agents
        group_field.queryset = groups

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("to_user") and not data.get("to_group"):
            raise forms.ValidationError(_("Choose an agent or a group."))
        return data
