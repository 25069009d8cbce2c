"""Agent UI routes for notifications (same ``web`` namespace)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
