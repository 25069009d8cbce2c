"""Agent UI routes of the survey builder (same ``web`` namespace): the list, a new survey, the
edit page with its question actions (htmx), the library, the preview and "send a test to me"."""

from django.urls import URLPattern, path

from zabota.web.views import surveys_builder as views

urlpatterns: list[URLPattern] = [
    path("surveys/", views.surveys, name="surveys"),
    path("surveys/new/", views.survey_new, name="survey_new"),
    path("surveys/<int:survey_id>/", views.survey, name="survey"),
    path(
        "surveys/<int:survey_id>/questions/add/",
        views.survey_question_add,
        name="survey_question_add",
    ),
    path(
        "surveys/<int:survey_id>/questions/<int:question_id>/",
        views.survey_question,
        name="survey_question",
    ),
    path(
        "surveys/<int:survey_id>/questions/<int:question_id>/move/",
        views.survey_question_move,
        name="survey_question_move",
    ),
    path(
        "surveys/<int:survey_id>/questions/<int:question_id>/delete/",
        views.survey_question_delete,
        name="survey_question_delete",
    ),
    path("surveys/<int:survey_id>/library/", views.survey_library, name="survey_library"),
    path(
        "surveys/<int:survey_id>/preview/<str:language>/",
        views.survey_preview,
        name="survey_preview",
    ),
    path("surveys/<int:survey_id>/send-test/", views.survey_send_test, name="survey_send_test"),
]
