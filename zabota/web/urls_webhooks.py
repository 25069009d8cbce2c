"""Agent UI routes for webhooks (same ``web`` namespace)."""

from django.urls import URLPattern, path

from zabota.web.views import webhooks

urlpatterns: list[URLPattern] = [
    path("settings/webhooks/", webhooks.webhooks, name="webhooks"),
    path("settings/webhooks/new/", webhooks.webhook_form, name="webhook_new"),
    path("settings/webhooks/<int:subscription_id>/", webhooks.webhook_form, name="webhook"),
    path(
        "settings/webhooks/<int:subscription_id>/rotate/",
        webhooks.webhook_rotate,
        name="webhook_rotate",
    ),
    path(
        "settings/webhooks/<int:subscription_id>/test/",
        webhooks.webhook_test,
        name="webhook_test",
    ),
    path(
        "settings/webhooks/<int:subscription_id>/deliveries/",
        webhooks.webhook_deliveries,
        name="webhook_deliveries",
    ),
    path(
        "settings/webhooks/<int:subscription_id>/deliveries/<int:delivery_id>/retry/",
        webhooks.webhook_retry,
        name="webhook_retry",
    ),
]
