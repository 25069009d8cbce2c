"""Websocket routes of live chat (wired in ``zabota.asgi``).

The visitor's socket is opened by the widget on the store's own site, so it accepts any origin
and is authenticated by the signed visitor token alone. The agent's socket carries the session
cookie, so it is guarded like a form: same origin only (``AllowedHostsOriginValidator``), or any
page on the web could act in the agent's name.
"""

from channels.auth import AuthMiddlewareStack
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from zabota.chat.consumers import AgentConsumer, VisitorConsumer

websocket_urlpatterns = [
    path("ws/chat/visitor/<slug:widget_key>/", VisitorConsumer.as_asgi()),
    path(
        "ws/chat/agent/",
        AllowedHostsOriginValidator(AuthMiddlewareStack(AgentConsumer.as_asgi())),
    ),
]
