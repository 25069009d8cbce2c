"""Agent UI routes of survey distribution: paper cards, the invitations log, the settings."""

from django.urls import URLPattern, path

from zabota.web.views import surveys_staff

urlpatterns: list[URLPattern] = [
    path("surveys/paper/", surveys_staff.paper_card, name="survey_paper"),
    path("surveys/invitations/", surveys_staff.invitations, name="survey_invitations"),
    path("surveys/settings/", surveys_staff.survey_settings, name="survey_settings"),
]
