"""Agent UI routes for notifications (same ``web`` namespace)."""

from django.urls import URLPattern, path

from zabota.web.views import notifications

urlpatterns: list[URLPattern] = [
    path("notifications/", notifications.notifications, name="notifications"),
    path("notifications/bell/", notifications.bell, name="notifications_bell"),
    path(
        "notifications/<int:notification_id>/open/",
        notifications.open_notification,
        name="notification_open",
    ),
]
