"""Agent UI routes of the survey reports (admins and leads): the report page, the responses
with their text answers, and their CSV export."""

from django.urls import path

from zabota.web.views import surveys_reports

urlpatterns = [
    path("surveys/reports/", surveys_reports.reports, name="surveys_reports"),
    path("surveys/responses/", surveys_reports.responses_page, name="surveys_responses"),
    path("surveys/responses.csv", surveys_reports.responses_csv, name="surveys_responses_csv"),
]
