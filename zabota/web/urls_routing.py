"""Agent UI routes for routing (same ``web`` namespace)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
