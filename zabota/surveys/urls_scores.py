"""Public routes (no sign-in): a store's published scores."""

from django.urls import path

from zabota.surveys import views_scores

app_name = "scores"
urlpatterns = [path("<slug:slug>/", views_scores.scores_page, name="store")]
