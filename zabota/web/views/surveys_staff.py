"""Survey pages for staff around distribution: typing in paper comment cards, the log of
invitations sent and skipped (with the reasons), and a store's survey settings."""

import secrets
from datetime import datetime, time
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from zabota.accounts.models import User
from zabota.commerce.access import visible_stores
from zabota.commerce.models import Store
from zabota.surveys.access import (
    SurveyAccessDenied,
    access_store_for_survey_settings,
    access_survey_for_paper,
    check_view_invitations,
    paper_card_customer,
    paper_surveys,
    visible_surveys,
)
from zabota.surveys.constants import SURVEY_LANGUAGES, InvitationStatus, SurveyChannel
from zabota.surveys.models import Survey
from zabota.surveys.queries_distribution import invitation_log, recent_paper_cards
from zabota.surveys.render import answers_from_form, question_views
from zabota.surveys.respond import SurveyError, do_submit_response
from zabota.surveys.store_settings import do_change_survey_settings, settings_for
from zabota.surveys.texts import languages_of
from zabota.web.forms_surveys_staff import PaperCardForm, SurveySettingsForm

SECTION = "surveys"
INVITATIONS_PER_PAGE = 50


def _languages(survey: Survey) -> list[tuple[str, str]]:
    names = {"en": "English", "ru": "Русский", "pl": "Polski", "hu": "Magyar"}
    codes = languages_of(survey.texts) or [survey.default_language]
    return [(code, names.get(code, code)) for code in SURVEY_LANGUAGES if code in codes]


def _card_time(day: Any) -> datetime:
    """A card dated today is entered now; an older one at noon of its day (local time)."""
    now = timezone.now()
    if day is None or day == timezone.localdate(now):
        return now
    return timezone.make_aware(datetime.combine(day, time(12, 0)))


def _paper_page(
    request: HttpRequest,
    user: User,
    survey: Survey | None,
    form: PaperCardForm | None,
    *,
    language: str = "",
    values: dict[int, object] | None = None,
    errors: dict[int, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    questions = (
        question_views(survey, language or survey.default_language, values=values, errors=errors)
        if survey is not None
        else []
    )
    context = {
        "surveys": paper_surveys(user),
        "survey": survey,
        "form": form,
        "questions": questions,
        "general_error": (errors or {}).get(0, ""),
        "cards": recent_paper_cards(user),
        "saved": request.GET.get("saved", ""),
        "section": SECTION,
    }
    return render(request, "web/surveys/staff/paper.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def paper_card(request: HttpRequest) -> HttpResponse:
    """GET: choose the survey and type in the card's answers. POST: store it as a paper card
    (``do_submit_response`` with channel paper, ``is_paper``, ``entered_by``); the form's key
    makes a double submit store one card."""
    user = cast(User, request.user)
    raw_id = request.POST.get("survey") if request.method == "POST" else request.GET.get("survey")
    survey: Survey | None = None
    if raw_id and raw_id.isdigit():
        try:
            survey = access_survey_for_paper(user, int(raw_id))
        except Survey.DoesNotExist as exc:
            raise Http404("survey") from exc
    elif raw_id:
        raise Http404("survey")
    else:
        survey = paper_surveys(user).first()
    if survey is None:
        return _paper_page(request, user, None, None)
    languages = _languages(survey)
    if request.method == "GET":
        language = request.GET.get("language") or survey.default_language
        form = PaperCardForm(
            initial={"submission_key": secrets.token_hex(16), "language": language},
            languages=languages,
        )
        return _paper_page(request, user, survey, form, language=language)
    form = PaperCardForm(request.POST, languages=languages)
    questions = list(survey.questions.all())
    answers = answers_from_form(questions, request.POST)
    language = request.POST.get("language") or survey.default_language
    if not form.is_valid():
        return _paper_page(
            request, user, survey, form, language=language, values=answers, status=400
        )
    data = form.cleaned_data
    customer = None
    if data["customer_email"]:
        customer = paper_card_customer(user, data["customer_email"])
        if customer is None:
            form.add_error("customer_email", _("No customer you can see has this address."))
            return _paper_page(
                request, user, survey, form, language=language, values=answers, status=400
            )
    try:
        response = do_submit_response(
            survey,
            answers=answers,
            channel=SurveyChannel.PAPER,
            submission_key=data["submission_key"],
            language=data["language"] or survey.default_language,
            customer=customer,
            is_paper=True,
            entered_by=user,
            source="paper card",
            at=_card_time(data["card_date"]),
        )
    except SurveyError as exc:
        return _paper_page(
            request,
            user,
            survey,
            form,
            language=language,
            values=answers,
            errors=exc.errors,
            status=400,
        )
    messages.success(request, _("Paper card saved."))
    return redirect(f"{reverse('web:survey_paper')}?survey={survey.pk}&saved={response.pk}")


@login_required
@require_GET
def invitations(request: HttpRequest) -> HttpResponse:
    """Invitations sent and skipped, newest first, with why a skipped one was not sent."""
    user = cast(User, request.user)
    try:
        check_view_invitations(user)
    except SurveyAccessDenied as exc:
        raise PermissionDenied(exc.message) from exc
    status = request.GET.get("status", "")
    if status not in InvitationStatus.values:
        status = ""
    raw_survey = request.GET.get("survey", "")
    survey_id = int(raw_survey) if raw_survey.isdigit() else None
    page = Paginator(
        invitation_log(user, status=status, survey_id=survey_id), INVITATIONS_PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "web/surveys/staff/invitations.html",
        {
            "page": page,
            "invitations": page.object_list,
            "status": status,
            "statuses": InvitationStatus.choices,
            "surveys": visible_surveys(user).select_related("store").order_by("name", "pk"),
            "survey_id": survey_id,
            "section": SECTION,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def survey_settings(request: HttpRequest) -> HttpResponse:
    """A store's survey settings (admins only): the contact budget and the automatic sends."""
    user = cast(User, request.user)
    try:
        store = access_store_for_survey_settings(user, request.GET.get("store"))
    except SurveyAccessDenied as exc:
        raise PermissionDenied(exc.message) from exc
    except Store.DoesNotExist as exc:
        raise Http404("store") from exc
    current = settings_for(store)
    status = 200
    if request.method == "POST":
        form = SurveySettingsForm(request.POST, instance=current)
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in form.Meta.fields}
            do_change_survey_settings(store, values, actor=user)
            messages.success(request, _("Survey settings saved."))
            return redirect(f"{reverse('web:survey_settings')}?store={store.slug}")
        status = 400
    else:
        form = SurveySettingsForm(instance=current)
    return render(
        request,
        "web/surveys/staff/settings.html",
        {
            "store": store,
            "stores": visible_stores(user).order_by("name", "pk"),
            "form": form,
            "section": SECTION,
        },
        status=status,
    )
