"""Public survey pages (no sign-in): the e-mailed answer link, the public link and its QR code,
the shop kiosk, the website pop-up and the snippet that opens it.

Each view parses the request, checks the link or the survey, and makes one call: the e-mailed
link to ``respond.do_submit_response`` (a single-use link must know at once that it was used),
the public link, kiosk and pop-up to ``submissions.do_accept_submission``, which validates and
stores the submission for the worker, so the visitor is thanked at once; what it shows is in
web/surveys/public/. A GET never stores
anything (mail scanners and link previews open links). Requests are rate-limited per address:
token checks (``SURVEY_TOKEN_PER_IP``) and submissions (``SURVEY_SUBMIT_PER_IP``).

The pop-up's form is inside an iframe on the store's site, where browsers withhold our cookies
(third-party), so Django's CSRF cookie cannot reach it: its POST is exempt and carries a signed
form stamp instead (made by the GET, valid for a day). It needs no more: the pop-up acts for no
signed-in person, so there is no authority for a forged request to borrow.
"""

import json
import secrets
from collections.abc import Callable
from functools import cache, wraps
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import quote

import segno
from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from zabota.commerce.models import Store
from zabota.core import ratelimit
from zabota.surveys import public_cache, tokens
from zabota.surveys import render as survey_render
from zabota.surveys.constants import SurveyChannel, Trigger
from zabota.surveys.models import Invitation, Question, Response, Survey
from zabota.surveys.respond import (
    AlreadyAnswered,
    SurveyError,
    check_answers,
    do_submit_response,
)
from zabota.surveys.submissions import do_accept_submission, questions_of
from zabota.surveys.texts import languages_of, pick_language, text_for
from zabota.surveys.tokens import Outcome

# Forged: a bad request. Expired and used links were good once and are gone for good.
_STATUS = {Outcome.FORGED: 400, Outcome.EXPIRED: 410, Outcome.USED: 410}
# The pop-up asks this many questions at most (the first ones).
POPUP_QUESTIONS = 2
# A visitor who saw a pop-up is not shown it again for this many days.
POPUP_REPEAT_DAYS = 30
# How long a pop-up form stays valid after it was shown.
POPUP_STAMP_MAX_AGE = 24 * 3600
_POPUP_SALT = "zabota.surveys.popup"
# ?c= of a public link: the channel it counts for (QR codes and exit links are public links).
_LINK_CHANNELS = {"qr": SurveyChannel.QR, "exit": SurveyChannel.EXIT}


def _language(request: HttpRequest, survey: Survey, wanted: str | None = None) -> str:
    """The language chosen on the page (?lang=), else the invitation's, else the browser's —
    the first the survey has texts in; else the survey's default."""
    available = languages_of(survey.texts) or [survey.default_language]
    for candidate in (request.GET.get("lang"), wanted, _browser_language(request)):
        code = pick_language(candidate, available, "")
        if code:
            return code
    return survey.default_language


def _language_links(request: HttpRequest, survey: Survey, current: str) -> list[dict[str, Any]]:
    """Links to the same page in the survey's other languages (none for a one-language
    survey), keeping the rest of the query (?src=, ?c=)."""
    codes = languages_of(survey.texts)
    if len(codes) < 2:
        return []
    links = []
    for code in codes:
        query = request.GET.copy()
        query["lang"] = code
        links.append(
            {
                "code": code,
                "name": translation.get_language_info(code)["name_local"],
                "url": f"?{query.urlencode()}",
                "current": code == current,
            }
        )
    return links


def _browser_language(request: HttpRequest) -> str:
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    return header.split(",")[0].split(";")[0].strip()


def _page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    language: str,
    status: int = 200,
) -> HttpResponse:
    with translation.override(language):
        response = render(
            request,
            f"web/surveys/public/{template}.html",
            {"language": language, **context},
            status=status,
        )
    response["Content-Language"] = language
    response["X-Robots-Tag"] = "noindex"
    return response


def _survey_context(survey: Survey, language: str) -> dict[str, Any]:
    texts, default = survey.texts, survey.default_language
    return {
        "survey": survey,
        "store_name": survey.store.name,
        "title": text_for(texts, language, "title", default) or survey.name,
        "intro": text_for(texts, language, "intro", default),
        "thanks": text_for(texts, language, "thanks", default),
    }


def _limited(request: HttpRequest, limit: ratelimit.Limit, *, store_name: str = "") -> HttpResponse:
    response = _page(
        request,
        "limited",
        {"store_name": store_name},
        language=translation.get_language() or settings.LANGUAGE_CODE,
        status=429,
    )
    response["Retry-After"] = str(ratelimit.retry_after(limit))
    return response


def _active_survey(public_key: str) -> Survey:
    """The active survey of a public key (cached briefly, ``public_cache``); else
    ``SurveyNotFound`` (a friendly 404)."""
    survey = public_cache.active_survey(public_key)
    if survey is None:
        raise SurveyNotFound
    return survey


class SurveyNotFound(Exception):
    pass


def _not_found(request: HttpRequest) -> HttpResponse:
    return _page(request, "not_found", {}, language=_ui_language(), status=404)


def _public_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Shows the friendly "not available" page for an unknown or inactive survey."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except SurveyNotFound:
            return _not_found(request)

    return wrapped


def _questions(survey: Survey) -> list[Question]:
    return questions_of(survey)


def _new_key() -> str:
    return secrets.token_urlsafe(18)


def _form_context(
    request: HttpRequest,
    survey: Survey,
    language: str,
    questions: list[Question],
    *,
    values: dict[int, Any] | None = None,
    errors: dict[int, str] | None = None,
    submission_key: str = "",
) -> dict[str, Any]:
    return {
        **_survey_context(survey, language),
        "questions": survey_render.question_views(
            survey, language, values=values, errors=errors, questions=questions
        ),
        "form_error": (errors or {}).get(0, ""),
        "has_errors": bool(errors),
        "submission_key": submission_key or _new_key(),
        "languages": _language_links(request, survey, language),
    }


def _refused(
    request: HttpRequest,
    template: str,
    survey: Survey,
    language: str,
    questions: list[Question],
    *,
    refused: SurveyError,
    answers: dict[int, Any],
    submission_key: str,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """The form again with the answers given and what is wrong with them (400)."""
    context = _form_context(
        request,
        survey,
        language,
        questions,
        values=answers,
        errors=refused.errors,
        submission_key=submission_key,
    )
    return _page(request, template, {**context, **(extra or {})}, language=language, status=400)


def _submitted_key(request: HttpRequest) -> str:
    return (request.POST.get("submission_key") or "").strip()[:64] or _new_key()


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mailed link of an invitation. ``?q=<question id>&v=<value>`` (a score clicked in
    the e-mail) preselects that answer; only the form's POST stores."""
    if not ratelimit.hit(ratelimit.SURVEY_TOKEN_PER_IP, ratelimit.client_ip(request)):
        return _limited(request, ratelimit.SURVEY_TOKEN_PER_IP)
    checked = tokens.check_invitation_token(token)
    invitation = checked.invitation
    if invitation is None or checked.outcome == Outcome.FORGED:
        return _page(
            request, "unavailable", {"outcome": "forged"}, language=_ui_language(), status=400
        )
    survey = invitation.survey
    language = _language(request, survey, invitation.language)
    context = _survey_context(survey, language)
    if checked.outcome == Outcome.USED and request.method == "POST":
        # A double submit of the form that answered: the first one's thanks again.
        key = request.POST.get("submission_key", "")
        if (
            key
            and Response.objects.filter(
                submission_key=key, survey=survey, submitted_at__isnull=False
            ).exists()
        ):
            return _page(request, "thanks", context, language=language)
    if checked.outcome != Outcome.VALID:
        return _unavailable(request, checked.outcome, context, language)
    if not survey.is_active:
        return _page(
            request, "unavailable", {**context, "outcome": "closed"}, language=language, status=410
        )
    questions = _questions(survey)
    if request.method == "GET":
        return _page(
            request,
            "answer",
            _form_context(
                request, survey, language, questions, values=_preselected(request, questions)
            ),
            language=language,
        )
    if request.POST.get("partial") == "1":
        return _save_partial(request, invitation, questions, language)
    if not ratelimit.hit(ratelimit.SURVEY_SUBMIT_PER_IP, ratelimit.client_ip(request)):
        return _limited(request, ratelimit.SURVEY_SUBMIT_PER_IP, store_name=survey.store.name)
    answers = survey_render.answers_from_form(questions, request.POST)
    key = _submitted_key(request)
    try:
        if invitation.trigger == Trigger.TEST:
            # "Send a test to me": the answers are checked, never stored — a test must not
            # count in the reports nor open a follow-up; the link can be tried again.
            check_answers(survey, questions, answers, final=True)
            return _page(request, "thanks", {**context, "test": True}, language=language)
        do_submit_response(
            survey,
            answers=answers,
            channel=invitation.channel,
            submission_key=key,
            language=language,
            invitation=invitation,
        )
    except AlreadyAnswered:
        return _unavailable(request, Outcome.USED, context, language)
    except SurveyError as refused:
        return _refused(
            request,
            "answer",
            survey,
            language,
            questions,
            refused=refused,
            answers=answers,
            submission_key=key,
        )
    return _page(request, "thanks", context, language=language)


def _save_partial(
    request: HttpRequest, invitation: Invitation, questions: list[Question], language: str
) -> HttpResponse:
    """The answer page's autosave (answer.js, a few seconds after a change): the answers so far
    as a partial response under the form's key, so someone who stops halfway is still heard;
    sending the form completes the same response. Answers that do not validate yet are left
    out (the final submission reports them)."""
    key = (request.POST.get("submission_key") or "").strip()[:64]
    if not key or invitation.trigger == Trigger.TEST:
        return JsonResponse({"ok": False}, status=400)
    survey = invitation.survey
    answers = survey_render.answers_from_form(questions, request.POST)
    try:
        check_answers(survey, questions, answers, final=False)
    except SurveyError as refused:
        answers = {pk: value for pk, value in answers.items() if pk not in refused.errors}
    try:
        do_submit_response(
            survey,
            answers=answers,
            channel=invitation.channel,
            submission_key=key,
            language=language,
            invitation=invitation,
            final=False,
        )
    except SurveyError:
        return JsonResponse({"ok": False}, status=400)
    return JsonResponse({"ok": True})


def _ui_language() -> str:
    return translation.get_language() or settings.LANGUAGE_CODE


def _unavailable(
    request: HttpRequest, outcome: Outcome, context: dict[str, Any], language: str
) -> HttpResponse:
    return _page(
        request,
        "unavailable",
        {**context, "outcome": outcome.value},
        language=language,
        status=_STATUS.get(outcome, 410),
    )


def _preselected(request: HttpRequest, questions: list[Question]) -> dict[int, Any]:
    """The score clicked in the e-mail (``?q=&v=``) if it names a question of this survey."""
    try:
        question_id = int(request.GET.get("q", ""))
        value = int(request.GET.get("v", ""))
    except ValueError:
        return {}
    if question_id not in {q.pk for q in questions}:
        return {}
    return {question_id: value}


def _link_channel(value: str) -> str:
    return _LINK_CHANNELS.get(value, SurveyChannel.PUBLIC_LINK)


def _source(value: str | None) -> str:
    return (value or "").strip()[:60]


@_public_view
@require_http_methods(["GET", "POST"])
def public(request: HttpRequest, public_key: str) -> HttpResponse:
    """The survey's public link, for anyone: printed on receipts and parcels (``?src=``),
    behind the QR code (``?c=qr``) or sent as an exit link (``?c=exit``)."""
    survey = _active_survey(public_key)
    language = _language(request, survey)
    questions = _questions(survey)
    data = request.POST if request.method == "POST" else request.GET
    link = {"c": (data.get("c") or "")[:10], "src": _source(data.get("src"))}
    if request.method == "GET":
        return _page(
            request,
            "public",
            {**_form_context(request, survey, language, questions), "link": link},
            language=language,
        )
    if not ratelimit.hit(ratelimit.SURVEY_SUBMIT_PER_IP, ratelimit.client_ip(request)):
        return _limited(request, ratelimit.SURVEY_SUBMIT_PER_IP, store_name=survey.store.name)
    answers = survey_render.answers_from_form(questions, request.POST)
    key = _submitted_key(request)
    try:
        do_accept_submission(
            survey,
            questions=questions,
            answers=answers,
            channel=_link_channel(link["c"]),
            submission_key=key,
            language=language,
            source=link["src"],
        )
    except SurveyError as refused:
        return _refused(
            request,
            "public",
            survey,
            language,
            questions,
            refused=refused,
            answers=answers,
            submission_key=key,
            extra={"link": link},
        )
    return _page(request, "thanks", _survey_context(survey, language), language=language)


@_public_view
@require_GET
@cache_control(public=True, max_age=86400)
def qr(request: HttpRequest, public_key: str) -> HttpResponse:
    """The QR code of the public link (``?src=`` goes into it), as SVG: print it at any size."""
    survey = _active_survey(public_key)
    params = "c=qr"
    source = _source(request.GET.get("src"))
    if source:
        params += "&src=" + quote(source)
    target = (
        settings.ZABOTA_PUBLIC_URL
        + reverse("surveys_public:public", kwargs={"public_key": survey.public_key})
        + "?"
        + params
    )
    buffer = BytesIO()
    segno.make(target, error="m").save(
        buffer, kind="svg", scale=8, border=2, title=survey.store.name, xmldecl=True
    )
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")


@_public_view
@require_http_methods(["GET", "POST"])
def kiosk(request: HttpRequest, public_key: str) -> HttpResponse:
    """Full-screen on a shop tablet. GET draws it; kiosk.js POSTs each answer with a key it
    made (JSON back), keeping it until the server acknowledged it."""
    survey = _active_survey(public_key)
    language = _language(request, survey)
    questions = _questions(survey)
    if request.method == "GET":
        context = _form_context(request, survey, language, questions)
        context["kiosk_idle_seconds"] = survey.kiosk_idle_seconds
        return _page(request, "kiosk", context, language=language)
    if not ratelimit.hit(ratelimit.SURVEY_SUBMIT_PER_IP, ratelimit.client_ip(request)):
        response = JsonResponse({"ok": False, "retry": True}, status=429)
        response["Retry-After"] = str(ratelimit.retry_after(ratelimit.SURVEY_SUBMIT_PER_IP))
        return response
    key = (request.POST.get("submission_key") or "").strip()[:64]
    if not key:
        return JsonResponse(
            {"ok": False, "errors": {"0": _("The form was incomplete.")}}, status=400
        )
    answers = survey_render.answers_from_form(questions, request.POST)
    try:
        do_accept_submission(
            survey,
            questions=questions,
            answers=answers,
            channel=SurveyChannel.KIOSK,
            submission_key=key,
            language=language,
            source=_source(request.POST.get("src")),
        )
    except SurveyError as refused:
        errors = {str(pk): message for pk, message in refused.errors.items()}
        return JsonResponse({"ok": False, "errors": errors}, status=400)
    return JsonResponse({"ok": True})


def _popup_stamp(survey: Survey) -> str:
    return signing.dumps(survey.public_key, salt=_POPUP_SALT)


def _popup_stamp_ok(survey: Survey, stamp: str) -> bool:
    try:
        return signing.loads(stamp, salt=_POPUP_SALT, max_age=POPUP_STAMP_MAX_AGE) == (
            survey.public_key
        )
    except signing.BadSignature:
        return False


@_public_view
@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def popup(request: HttpRequest, public_key: str) -> HttpResponse:
    """The pop-up's content, in an iframe of the store's page: the first questions only,
    channel pop-up, source the page's path (``?page=``)."""
    survey = _active_survey(public_key)
    language = _language(request, survey)
    questions = _questions(survey)[:POPUP_QUESTIONS]
    data = request.POST if request.method == "POST" else request.GET
    page = _source_path(data.get("page"))
    if request.method == "GET":
        context = _form_context(request, survey, language, questions)
        return _page(
            request,
            "popup",
            {**context, "page": page, "stamp": _popup_stamp(survey)},
            language=language,
        )
    if not _popup_stamp_ok(survey, request.POST.get("stamp", "")):
        return _page(
            request,
            "unavailable",
            {**_survey_context(survey, language), "outcome": "stale"},
            language=language,
            status=403,
        )
    if not ratelimit.hit(ratelimit.SURVEY_SUBMIT_PER_IP, ratelimit.client_ip(request)):
        return _limited(request, ratelimit.SURVEY_SUBMIT_PER_IP, store_name=survey.store.name)
    answers = survey_render.answers_from_form(questions, request.POST)
    key = _submitted_key(request)
    try:
        # The questions past the first ones were never asked: not required.
        do_accept_submission(
            survey,
            questions=questions,
            answers=answers,
            channel=SurveyChannel.POPUP,
            submission_key=key,
            language=language,
            source=page,
        )
    except SurveyError as refused:
        return _refused(
            request,
            "popup",
            survey,
            language,
            questions,
            refused=refused,
            answers=answers,
            submission_key=key,
            extra={"page": page, "stamp": _popup_stamp(survey)},
        )
    return _page(request, "popup_thanks", _survey_context(survey, language), language=language)


def _source_path(value: str | None) -> str:
    """A page path as the pop-up's source: the path only (no query string, which may carry
    e-mail addresses or order numbers), at most 200 characters."""
    path = (value or "").split("?")[0].split("#")[0].strip()
    return path[:200] if path.startswith("/") else ""


@require_GET
@cache_control(public=True, max_age=300)
def embed(request: HttpRequest, slug: str) -> HttpResponse:
    """The pop-up snippet of a store (``<script src=".../s/embed/<store>.js">``): it knows the
    store's active surveys with pop-up pages and opens the first that matches the page."""
    store = Store.objects.filter(slug=slug).first()
    surveys = (
        Survey.objects.filter(store=store, is_active=True).exclude(popup_paths=[]).order_by("pk")
        if store is not None
        else Survey.objects.none()
    )
    config = {
        "days": POPUP_REPEAT_DAYS,
        "origin": request.build_absolute_uri("/").rstrip("/"),
        "surveys": [
            {
                "key": survey.public_key,
                "paths": [p for p in survey.popup_paths if isinstance(p, str) and p],
                "url": request.build_absolute_uri(
                    reverse("surveys_public:popup", kwargs={"public_key": survey.public_key})
                ),
                "title": str(
                    text_for(survey.texts, survey.default_language, "title", "en") or survey.name
                ),
            }
            for survey in surveys
        ],
    }
    with translation.override(store.default_language if store else settings.LANGUAGE_CODE):
        config["close"] = _("Close")
    # Safe inside a script: no "</script>" can end it early.
    data = (
        json.dumps(config).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    )
    script = _embed_source().replace("/*CONFIG*/null", data)
    response = HttpResponse(script, content_type="application/javascript; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    return response


@cache
def _embed_source() -> str:
    return (Path(__file__).resolve().parents[1] / "web/static/web/surveys/embed.js").read_text(
        encoding="utf-8"
    )
