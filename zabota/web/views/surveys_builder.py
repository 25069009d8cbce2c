"""The survey builder in the agent UI. Admins create surveys (blank or from a template), edit
their settings and per-language texts, and add, edit, move and delete questions in place (htmx:
every question change answers with the re-rendered question list); they preview a survey in
each language and send themselves a test. Leads see the list only.

Every change goes through ``zabota.surveys.builder``'s ``check_*`` functions, which check the
permission again and validate; a refused value comes back as the form with its message."""

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.text import Truncator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zabota.accounts.models import User
from zabota.commerce.models import Store
from zabota.surveys.access import (
    SurveyAccessDenied,
    access_question_for_edit,
    access_store_for_surveys,
    access_survey_for_edit,
    can_manage_surveys,
    can_view_surveys,
    survey_list,
    survey_stores,
)
from zabota.surveys.builder import (
    CHOICE_KINDS,
    METRICS_OF_KIND,
    QUESTION_TEXT_KEYS,
    SURVEY_TEXT_KEYS,
    SurveyBuildError,
    check_add_question,
    check_create_survey,
    check_delete_question,
    check_move_question,
    check_update_question,
    check_update_survey,
    missing_languages,
    scale_range,
)
from zabota.surveys.constants import (
    NUMERIC_KINDS,
    RATING_SCALES,
    SURVEY_LANGUAGES,
    Display,
    Metric,
    Purpose,
    QuestionKind,
)
from zabota.surveys.invitations import do_send_test
from zabota.surveys.library import GOALS
from zabota.surveys.models import Question, Survey
from zabota.surveys.presets import PRESETS
from zabota.surveys.render import question_views
from zabota.surveys.texts import text_for

SECTION = "surveys"
LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "pl": "Polski", "hu": "Magyar"}


# --- fetching with permissions -----------------------------------------------------------------


def _viewer(request: HttpRequest) -> User:
    user = cast(User, request.user)
    if not can_view_surveys(user):
        raise PermissionDenied("surveys are for admins and leads")
    return user


def _admin(request: HttpRequest) -> User:
    user = cast(User, request.user)
    if not can_manage_surveys(user):
        raise PermissionDenied("only admins build surveys")
    return user


def _survey(request: HttpRequest, survey_id: int) -> Survey:
    try:
        return access_survey_for_edit(cast(User, request.user), survey_id)
    except Survey.DoesNotExist as exc:
        raise Http404("survey") from exc
    except SurveyAccessDenied as exc:
        raise PermissionDenied(exc.message) from exc


def _question(request: HttpRequest, survey: Survey, question_id: int) -> Question:
    try:
        return access_question_for_edit(cast(User, request.user), survey, question_id)
    except Question.DoesNotExist as exc:
        raise Http404("question") from exc
    except SurveyAccessDenied as exc:
        raise PermissionDenied(exc.message) from exc


# --- the list and creating ---------------------------------------------------------------------


@login_required
@require_GET
def surveys(request: HttpRequest) -> HttpResponse:
    """The surveys per store with status, purpose and the number of responses."""
    user = _viewer(request)
    by_store: dict[int, dict[str, Any]] = {}
    for survey in survey_list(user):
        entry = by_store.setdefault(survey.store_id, {"store": survey.store, "surveys": []})
        entry["surveys"].append(survey)
    context = {
        "stores": list(by_store.values()),
        "can_manage": can_manage_surveys(user),
        "section": SECTION,
    }
    return render(request, "web/surveys/builder/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def survey_new(request: HttpRequest) -> HttpResponse:
    """A new survey in a store: blank (with a purpose) or from a template (its purpose)."""
    user = _admin(request)
    stores = list(survey_stores(user))
    values = {
        "name": "",
        "store": str(stores[0].pk) if stores else "",
        "purpose": Purpose.GENERAL,
        "preset": "",
    }
    error: SurveyBuildError | None = None
    if request.method == "POST":
        values = {key: request.POST.get(key, "").strip() for key in values}
        preset = PRESETS.get(values["preset"])
        try:
            store = access_store_for_surveys(user, int(values["store"] or 0))
            survey = check_create_survey(
                store,
                name=values["name"] or (str(preset.label) if preset else ""),
                purpose=preset.purpose if preset else values["purpose"],
                actor=user,
                preset_key=values["preset"],
            )
        except (Store.DoesNotExist, ValueError) as exc:
            error = (
                exc
                if isinstance(exc, SurveyBuildError)
                else SurveyBuildError(_("Choose a store."), "store")
            )
        except SurveyAccessDenied as exc:
            raise PermissionDenied(exc.message) from exc
        else:
            messages.success(request, _("Survey “%s” created.") % survey.name)
            return redirect("web:survey", survey_id=survey.pk)
    context = {
        "stores": stores,
        "values": values,
        "error": error,
        "purposes": Purpose.choices,
        "presets": list(PRESETS.values()),
        "section": SECTION,
    }
    return render(request, "web/surveys/builder/new.html", context, status=400 if error else 200)


# --- the edit page -----------------------------------------------------------------------------


def _share_links(survey: Survey) -> dict[str, str]:
    """The public link, QR code, kiosk and the pop-up snippet (routes of the public part; empty
    while they do not exist)."""
    base = settings.ZABOTA_PUBLIC_URL
    key = {"public_key": survey.public_key}
    try:
        return {
            "public": base + reverse("surveys_public:public", kwargs=key),
            "qr": base + reverse("surveys_public:qr", kwargs=key),
            "qr_path": reverse("surveys_public:qr", kwargs=key),
            "kiosk": base + reverse("surveys_public:kiosk", kwargs=key),
            "snippet": '<script src="{}" async></script>'.format(
                base + reverse("surveys_public:embed", kwargs={"slug": survey.store.slug})
            ),
        }
    except NoReverseMatch:
        return {}


def _language_tabs(texts: dict[str, Any], key: str, default: str) -> list[dict[str, Any]]:
    missing = set(missing_languages(texts, key))
    fallback = next(
        (code for code in (default, "en", *SURVEY_LANGUAGES) if code not in missing), ""
    )
    return [
        {
            "code": code,
            "name": LANGUAGE_NAMES[code],
            "missing": code in missing,
            "fallback": LANGUAGE_NAMES.get(fallback, "") if code in missing else "",
        }
        for code in SURVEY_LANGUAGES
    ]


def _panels(tabs: list[dict[str, Any]], texts: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One tab per language with the values its inputs show."""
    return [{**tab, **texts[tab["code"]]} for tab in tabs]


def _ui_language(survey: Survey) -> str:
    code = (get_language() or "en").split("-")[0]
    return code if code in SURVEY_LANGUAGES else survey.default_language


def _question_row(
    question: Question, number_of: dict[int, int], language: str, default: str
) -> dict[str, Any]:
    texts = question.texts
    missing = missing_languages(texts, "text")
    fallback = next(
        (code for code in (default, "en", *SURVEY_LANGUAGES) if code not in missing), ""
    )
    row: dict[str, Any] = {
        "q": question,
        "number": number_of[question.pk],
        "text": text_for(texts, language, "text", default),
        "choices": text_for(texts, language, "choices", default) or [],
        "low": text_for(texts, language, "low", default),
        "high": text_for(texts, language, "high", default),
        "missing": [] if len(missing) == len(SURVEY_LANGUAGES) else missing,
        "untitled": len(missing) == len(SURVEY_LANGUAGES),
        "fallback": fallback,
        "is_scale": question.kind in NUMERIC_KINDS,
        "range": scale_range(question.kind, question.scale_max)
        if question.kind in NUMERIC_KINDS
        else None,
        "show_if_number": number_of.get(question.show_if_id or 0),
    }
    return row


def _form_values(question: Question) -> dict[str, Any]:
    """The question's values as the edit form shows them (choices one per line)."""
    texts = {}
    for code in SURVEY_LANGUAGES:
        entry = question.texts.get(code) or {}
        texts[code] = {
            "text": entry.get("text", ""),
            "low": entry.get("low", ""),
            "high": entry.get("high", ""),
            "choices": "\n".join(entry.get("choices") or []),
        }
    return {
        "texts": texts,
        "required": question.required,
        "scale_max": question.scale_max,
        "display": question.display,
        "metric": question.metric,
        "show_if": question.show_if_id or "",
        "show_if_min": "" if question.show_if_min is None else question.show_if_min,
        "show_if_max": "" if question.show_if_max is None else question.show_if_max,
    }


def _questions_context(
    survey: Survey,
    *,
    editing: int | None = None,
    form: dict[str, Any] | None = None,
    error: SurveyBuildError | None = None,
    notice: str = "",
) -> dict[str, Any]:
    questions = list(survey.questions.order_by("position", "pk"))
    number_of = {q.pk: index for index, q in enumerate(questions, start=1)}
    language = _ui_language(survey)
    rows = [_question_row(q, number_of, language, survey.default_language) for q in questions]
    for row in rows:
        question = row["q"]
        if question.pk == editing:
            row["editing"] = True
            row["form"] = form or _form_values(question)
            row["error"] = error
            row["panels"] = _panels(
                _language_tabs(question.texts, "text", survey.default_language),
                row["form"]["texts"],
            )
            row["conditions"] = [
                {
                    "q": other,
                    "number": number_of[other.pk],
                    "range": scale_range(other.kind, other.scale_max),
                    "label": Truncator(
                        text_for(other.texts, language, "text", survey.default_language)
                        or other.get_kind_display()
                    ).chars(60),
                }
                for other in questions
                if other.kind in NUMERIC_KINDS
                and (other.position, other.pk) < (question.position, question.pk)
            ]
            row["metrics"] = [
                (value, label)
                for value, label in Metric.choices
                if value in METRICS_OF_KIND.get(question.kind, frozenset({Metric.NONE}))
            ]
    return {
        "survey": survey,
        "rows": rows,
        "kinds": QuestionKind.choices,
        "scales": RATING_SCALES,
        "displays": Display.choices,
        "languages": SURVEY_LANGUAGES,
        "language_names": LANGUAGE_NAMES,
        "choice_kinds": CHOICE_KINDS,
        "numeric_kinds": NUMERIC_KINDS,
        "notice": notice,
    }


def _survey_form_values(survey: Survey) -> dict[str, Any]:
    return {
        "name": survey.name,
        "purpose": survey.purpose,
        "default_language": survey.default_language,
        "is_active": survey.is_active,
        "anonymous": survey.anonymous,
        "popup_paths": "\n".join(survey.popup_paths or []),
        "kiosk_idle_seconds": survey.kiosk_idle_seconds,
        "texts": {
            code: {key: (survey.texts.get(code) or {}).get(key, "") for key in SURVEY_TEXT_KEYS}
            for code in SURVEY_LANGUAGES
        },
    }


def _edit_page(
    request: HttpRequest,
    survey: Survey,
    *,
    form: dict[str, Any] | None = None,
    error: SurveyBuildError | None = None,
    status: int = 200,
    questions: dict[str, Any] | None = None,
) -> HttpResponse:
    context: dict[str, Any] = {
        "survey": survey,
        "form": form or _survey_form_values(survey),
        "error": error,
        "purposes": Purpose.choices,
        "panels": _panels(
            _language_tabs(survey.texts, "title", survey.default_language),
            (form or _survey_form_values(survey))["texts"],
        ),
        "share": _share_links(survey),
        "section": SECTION,
        **(questions or _questions_context(survey)),
    }
    return render(request, "web/surveys/builder/edit.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, survey_id: int) -> HttpResponse:
    """GET: the edit page. POST: the settings form (name, purpose, languages, texts …)."""
    user = _admin(request)
    survey = _survey(request, survey_id)
    if request.method == "GET":
        return _edit_page(request, survey)
    post = request.POST
    form: dict[str, Any] = {
        "name": post.get("name", ""),
        "purpose": post.get("purpose", ""),
        "default_language": post.get("default_language", ""),
        "is_active": post.get("is_active") == "on",
        "anonymous": post.get("anonymous") == "on",
        "popup_paths": post.get("popup_paths", ""),
        "kiosk_idle_seconds": post.get("kiosk_idle_seconds", ""),
        "texts": {
            code: {key: post.get(f"{key}_{code}", "") for key in SURVEY_TEXT_KEYS}
            for code in SURVEY_LANGUAGES
        },
    }
    try:
        try:
            idle = int(form["kiosk_idle_seconds"])
        except ValueError as exc:
            raise SurveyBuildError(
                _("Give the kiosk reset time in seconds."), "kiosk_idle_seconds"
            ) from exc
        check_update_survey(
            survey,
            name=form["name"],
            purpose=form["purpose"],
            texts=form["texts"],
            default_language=form["default_language"],
            is_active=form["is_active"],
            anonymous=form["anonymous"],
            popup_paths=form["popup_paths"].splitlines(),
            kiosk_idle_seconds=idle,
            actor=user,
        )
    except SurveyBuildError as exc:
        survey.refresh_from_db()
        return _edit_page(request, survey, form=form, error=exc, status=400)
    messages.success(request, _("Survey saved."))
    return redirect("web:survey", survey_id=survey.pk)


# --- questions (htmx: each answers with the question list) -------------------------------------


def _questions(
    request: HttpRequest, survey: Survey, *, status: int = 200, **kwargs: Any
) -> HttpResponse:
    """The re-rendered question list for htmx; the whole page for a plain form post (a change
    goes back to the page, an error is shown on it)."""
    context = _questions_context(survey, **kwargs)
    if request.headers.get("HX-Request"):
        return render(request, "web/surveys/builder/_questions.html", context)
    if status == 200 and request.method == "POST":
        if kwargs.get("editing"):
            return redirect(
                "web:survey_question", survey_id=survey.pk, question_id=kwargs["editing"]
            )
        return redirect("web:survey", survey_id=survey.pk)
    return _edit_page(request, survey, questions=context, status=status)


@login_required
@require_POST
def survey_question_add(request: HttpRequest, survey_id: int) -> HttpResponse:
    """POST ``kind`` (a blank question, opened for editing) or ``library_key`` (a copy)."""
    user = _admin(request)
    survey = _survey(request, survey_id)
    library_key = request.POST.get("library_key", "")
    try:
        question = check_add_question(
            survey, actor=user, kind=request.POST.get("kind", ""), library_key=library_key
        )
    except SurveyBuildError as exc:
        return _questions(request, survey, status=400, notice=exc.message)
    if library_key:
        notice = _("Added from the library: “%s”.") % text_for(
            question.texts, _ui_language(survey), "text", survey.default_language
        )
        return _questions(request, survey, notice=notice)
    return _questions(request, survey, editing=question.pk)


def _question_form(post: Any, question: Question) -> dict[str, Any]:
    texts = {
        code: {key: post.get(f"{key}_{code}", "") for key in ("text", "low", "high", "choices")}
        for code in SURVEY_LANGUAGES
    }
    return {
        "texts": texts,
        "required": post.get("required") == "on",
        "scale_max": post.get("scale_max", question.scale_max),
        "display": post.get("display", question.display),
        "metric": post.get("metric", ""),
        "show_if": post.get("show_if", ""),
        "show_if_min": post.get("show_if_min", ""),
        "show_if_max": post.get("show_if_max", ""),
    }


def _number(value: Any, field: str) -> int | None:
    text = str(value).strip()
    if text == "":
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise SurveyBuildError(_("Give a whole number."), field) from exc


def _texts_from_form(form: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    texts: dict[str, dict[str, Any]] = {}
    for code, entry in form["texts"].items():
        item: dict[str, Any] = {"text": entry["text"]}
        if kind in NUMERIC_KINDS:
            item["low"], item["high"] = entry["low"], entry["high"]
        if kind in CHOICE_KINDS:
            lines = [line.strip() for line in entry["choices"].splitlines() if line.strip()]
            if lines:
                item["choices"] = lines
        texts[code] = {key: value for key, value in item.items() if key in QUESTION_TEXT_KEYS}
    return texts


@login_required
@require_http_methods(["GET", "POST"])
def survey_question(request: HttpRequest, survey_id: int, question_id: int) -> HttpResponse:
    """GET opens the question's editor in the list (``?cancel=1`` closes it); POST saves."""
    user = _admin(request)
    survey = _survey(request, survey_id)
    question = _question(request, survey, question_id)
    if request.method == "GET":
        if request.GET.get("cancel"):
            return _questions(request, survey)
        return _questions(request, survey, editing=question.pk)
    form = _question_form(request.POST, question)
    try:
        show_if = _number(form["show_if"], "show_if")
        check_update_question(
            question,
            texts=_texts_from_form(form, question.kind),
            required=form["required"],
            scale_max=_number(form["scale_max"], "scale_max") or 0,
            display=form["display"],
            metric=form["metric"],
            show_if_id=show_if,
            show_if_min=_number(form["show_if_min"], "show_if_min"),
            show_if_max=_number(form["show_if_max"], "show_if_max"),
            actor=user,
        )
    except SurveyBuildError as exc:
        question.refresh_from_db()
        return _questions(
            request,
            survey,
            editing=question.pk,
            form=form,
            error=exc,
            status=200 if request.headers.get("HX-Request") else 400,
        )
    return _questions(request, survey)


@login_required
@require_POST
def survey_question_move(request: HttpRequest, survey_id: int, question_id: int) -> HttpResponse:
    user = _admin(request)
    survey = _survey(request, survey_id)
    question = _question(request, survey, question_id)
    direction = request.POST.get("direction", "")
    try:
        check_move_question(question, direction=direction, actor=user)
    except SurveyBuildError as exc:
        return _questions(request, survey, notice=exc.message, status=400)
    return _questions(request, survey)


@login_required
@require_POST
def survey_question_delete(request: HttpRequest, survey_id: int, question_id: int) -> HttpResponse:
    user = _admin(request)
    survey = _survey(request, survey_id)
    question = _question(request, survey, question_id)
    check_delete_question(question, actor=user)
    return _questions(request, survey)


# --- the library, preview and the test ---------------------------------------------------------


@login_required
@require_GET
def survey_library(request: HttpRequest, survey_id: int) -> HttpResponse:
    """The library of questions grouped by goal, each with an "Add" button; shown in the
    agent's language when it is a survey language."""
    _admin(request)
    survey = _survey(request, survey_id)
    language = _ui_language(survey)
    goals = [
        {
            "key": goal.key,
            "label": goal.label,
            "questions": [
                {
                    "key": item.key,
                    "kind": item.kind,
                    "kind_label": item.kind.label,
                    "text": item.texts[language]["text"],
                    "metric": item.metric,
                    "choices": item.texts[language].get("choices", []),
                }
                for item in goal.questions
            ],
        }
        for goal in GOALS
    ]
    template = (
        "web/surveys/builder/_library.html"
        if request.headers.get("HX-Request")
        else "web/surveys/builder/library.html"
    )
    return render(request, template, {"survey": survey, "goals": goals, "section": SECTION})


@login_required
@require_GET
def survey_preview(request: HttpRequest, survey_id: int, language: str) -> HttpResponse:
    """The survey as a respondent sees it in ``language`` (texts missing in it fall back),
    rendered with the answering form's own partial; nothing can be submitted."""
    _admin(request)
    survey = _survey(request, survey_id)
    if language not in SURVEY_LANGUAGES:
        raise Http404("language")
    questions = list(survey.questions.order_by("position", "pk"))
    context = {
        "survey": survey,
        "language": language,
        "languages": [(code, LANGUAGE_NAMES[code]) for code in SURVEY_LANGUAGES],
        "questions": question_views(survey, language, questions=questions),
        "title": text_for(survey.texts, language, "title", survey.default_language) or survey.name,
        "intro": text_for(survey.texts, language, "intro", survey.default_language),
        "thanks": text_for(survey.texts, language, "thanks", survey.default_language),
        "missing": [
            number
            for number, question in enumerate(questions, start=1)
            if not (question.texts.get(language) or {}).get("text")
        ],
        "section": SECTION,
    }
    # The form's own phrases ("Choose all that apply", yes / no) in the survey's language, as
    # the respondent sees them; the page around it stays in the agent's.
    with translation.override(language):
        context["form_html"] = render_to_string(
            "web/surveys/_questions.html", {"questions": context["questions"]}, request=request
        )
    return render(request, "web/surveys/builder/preview.html", context)


@login_required
@require_POST
def survey_send_test(request: HttpRequest, survey_id: int) -> HttpResponse:
    """ "Send a test to me": the survey's e-mail to the signed-in admin, in the chosen
    language."""
    user = _admin(request)
    survey = _survey(request, survey_id)
    language = request.POST.get("language", "")
    if language not in SURVEY_LANGUAGES:
        language = survey.default_language
    do_send_test(survey, to_user=user, language=language)
    messages.success(
        request,
        _("A test of the survey in %(language)s is on its way to %(email)s.")
        % {"language": LANGUAGE_NAMES[language], "email": user.email},
    )
    return redirect("web:survey", survey_id=survey.pk)
