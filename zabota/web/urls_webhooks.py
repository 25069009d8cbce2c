"""Agent UI routes for webhooks (same ``web`` namespace)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
