"""The demo store's live chat: the widget with the public key ``demo`` answered by the Support
group, who each hold up to three chats at once, and the callback policy and requests
(``zabota.callbacks.demo``)."""

from zabota.accounts.models import Group
from zabota.callbacks.demo import ensure_demo_callbacks
from zabota.chat.constants import PrechatField
from zabota.chat.models import AgentChatLimit, ChatSettings
from zabota.commerce.models import Store

DEMO_WIDGET_KEY = "demo"
CHATS_PER_AGENT = 3


def configure_demo_chat(store: Store) -> ChatSettings:
    group = Group.objects.filter(store=store, name="Support").first()
    chat, _created = ChatSettings.objects.get_or_create(
        store=store,
        defaults={
            "widget_key": DEMO_WIDGET_KEY,
            "group": group,
            "ask_name": PrechatField.OPTIONAL,
            "ask_email": PrechatField.OPTIONAL,
            "ask_order": PrechatField.OPTIONAL,
        },
    )
    if group is not None:
        members = list(group.members.all())
        if group.lead is not None:
            members.append(group.lead)
        for user in members:
            AgentChatLimit.objects.get_or_create(user=user, defaults={"max_chats": CHATS_PER_AGENT})
    ensure_demo_callbacks(store)
    return chat
