"""Agent UI routes for live chat: the chat queue, a live conversation and the chat settings."""

from django.urls import URLPattern, path

from zabota.web.views import chat_settings, chats

urlpatterns: list[URLPattern] = [
    path("chats/", chats.queue, name="chats"),
    path("chats/queue/", chats.queue_fragment, name="chats_queue"),
    path("chats/nav/", chats.nav_link, name="chats_nav"),
    path("chats/settings/", chat_settings.settings_home, name="chat_settings_home"),
    path(
        "chats/settings/<slug:slug>/",
        chat_settings.store_chat_settings,
        name="chat_settings",
    ),
    path("chats/<int:conversation_id>/", chats.conversation, name="chat"),
    path("chats/<int:conversation_id>/accept/", chats.accept, name="chat_accept"),
    path("chats/<int:conversation_id>/transfer/", chats.transfer, name="chat_transfer"),
    path("chats/<int:conversation_id>/end/", chats.end, name="chat_end"),
    path("chats/<int:conversation_id>/block/", chats.block, name="chat_block"),
]
