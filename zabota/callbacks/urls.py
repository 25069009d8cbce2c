"""Agent UI routes for callback requests (recording a call's outcome)."""

from django.urls import path

from zabota.callbacks import views

app_name = "callbacks"
urlpatterns = [
    path("<int:callback_id>/outcome/", views.record_outcome, name="outcome"),
]
