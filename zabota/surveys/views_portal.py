"""The customer portal pages: ask for a sign-in link, open it, see your requests and the
quarterly feedback survey, sign out. No Django user: the portal session is a key in the
session (``portal.SESSION_KEY``). Opening a link only shows a button — mail scanners follow
links — and the POST of that button signs in."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from zabota.commerce.models import Store
from zabota.core import ratelimit
from zabota.customers.models import Customer
from zabota.surveys import portal
from zabota.surveys.constants import SurveyChannel
from zabota.surveys.render import answers_from_form, question_views
from zabota.surveys.respond import SurveyError, do_submit_response
from zabota.surveys.texts import languages_of, pick_language, text_for


def _store(slug: str) -> Store:
    store = Store.objects.filter(slug=slug).first()
    if store is None:
        raise Http404("store")
    return store


def _language(request: HttpRequest, store: Store, customer: Customer | None = None) -> str:
    """The customer's language, else the browser's (when it says), else the store's."""
    browser = (
        translation.get_language_from_request(request)
        if request.META.get("HTTP_ACCEPT_LANGUAGE")
        else ""
    )
    for code in (customer.language if customer else "", browser, store.default_language):
        if code:
            try:
                return translation.get_supported_language_variant(code)
            except LookupError:
                continue
    return "en"


def _page(
    request: HttpRequest,
    store: Store,
    template: str,
    context: dict[str, object],
    *,
    language: str,
    status: int = 200,
) -> HttpResponse:
    with translation.override(language):
        response = render(
            request,
            f"web/surveys/portal/{template}.html",
            {"store": store, "store_name": store.name, "language": language, **context},
            status=status,
        )
    response["Content-Language"] = language
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "no-store"
    return response


def _limited(request: HttpRequest, store: Store, limit: ratelimit.Limit) -> HttpResponse:
    response = _page(request, store, "limited", {}, language=_language(request, store), status=429)
    response["Retry-After"] = str(ratelimit.retry_after(limit))
    return response


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest, slug: str) -> HttpResponse:
    """The e-mail form; a signed-in customer goes straight to their page."""
    store = _store(slug)
    language = _language(request, store)
    if request.method == "GET":
        if portal.signed_in_customer(request.session, store) is not None:
            return redirect("portal:home", slug=store.slug)
        return _page(request, store, "sign_in", {}, language=language)
    email = portal.normalized_email(request.POST.get("email", ""))[:320]
    if "@" not in email or len(email) < 3:
        with translation.override(language):
            error = _("Enter your e-mail address.")
        return _page(
            request,
            store,
            "sign_in",
            {"error": error, "email": email},
            language=language,
            status=400,
        )
    if not ratelimit.hit(ratelimit.PORTAL_SIGN_IN_PER_IP, ratelimit.client_ip(request)):
        return _limited(request, store, ratelimit.PORTAL_SIGN_IN_PER_IP)
    if ratelimit.hit(ratelimit.PORTAL_SIGN_IN_PER_ADDRESS, f"{store.pk}:{email}"):
        from zabota.surveys.tasks import send_portal_sign_in

        send_portal_sign_in.enqueue(store.pk, email, language)
    # Over the per-address limit the page says the same: the inbox has the earlier links.
    return _page(request, store, "sent", {"email": email}, language=language)


@require_http_methods(["GET", "POST"])
def enter(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    store = _store(slug)
    if not ratelimit.hit(ratelimit.PORTAL_LINK_PER_IP, ratelimit.client_ip(request)):
        return _limited(request, store, ratelimit.PORTAL_LINK_PER_IP)
    customer = portal.check_sign_in_token(store, token)
    if customer is None:
        return _page(request, store, "invalid", {}, language=_language(request, store), status=410)
    if request.method == "GET":
        return _page(request, store, "enter", {}, language=_language(request, store, customer))
    portal.do_sign_in(request.session, store, customer)
    return redirect("portal:home", slug=store.slug)


def _home(
    request: HttpRequest,
    store: Store,
    customer: Customer,
    *,
    values: dict[int, object] | None = None,
    errors: dict[int, str] | None = None,
    thanks: str = "",
    status: int = 200,
) -> HttpResponse:
    language = _language(request, store, customer)
    quarterly = portal.quarterly_survey(store, customer, now=timezone.now())
    survey_context: dict[str, object] = {}
    if quarterly is not None:
        survey = quarterly.survey
        shown = pick_language(language, languages_of(survey.texts), survey.default_language)
        survey_context = {
            "survey": survey,
            "survey_language": shown,
            "survey_title": text_for(survey.texts, shown, "title", survey.default_language)
            or survey.name,
            "survey_intro": text_for(survey.texts, shown, "intro", survey.default_language),
            "questions": question_views(survey, shown, values=values, errors=errors),
            "general_error": (errors or {}).get(0, ""),
        }
    context = {
        "customer": customer,
        "tickets": portal.portal_tickets(store, customer),
        "thanks": thanks,
        **survey_context,
    }
    return _page(request, store, "home", context, language=language, status=status)


@require_http_methods(["GET"])
def home(request: HttpRequest, slug: str) -> HttpResponse:
    store = _store(slug)
    customer = portal.signed_in_customer(request.session, store)
    if customer is None:
        return redirect("portal:sign_in", slug=store.slug)
    thanks = request.session.pop("zabota_portal_thanks", "")
    return _home(request, store, customer, thanks=thanks)


@require_POST
def feedback(request: HttpRequest, slug: str) -> HttpResponse:
    """Store the quarterly answers (channel portal, with the customer); the quarter's key makes
    a second submission the same response."""
    store = _store(slug)
    customer = portal.signed_in_customer(request.session, store)
    if customer is None:
        return redirect("portal:sign_in", slug=store.slug)
    if not ratelimit.hit(ratelimit.PORTAL_LINK_PER_IP, ratelimit.client_ip(request)):
        return _limited(request, store, ratelimit.PORTAL_LINK_PER_IP)
    quarterly = portal.quarterly_survey(store, customer, now=timezone.now())
    if quarterly is None or str(quarterly.survey.pk) != request.POST.get("survey"):
        return redirect("portal:home", slug=store.slug)
    survey = quarterly.survey
    answers = answers_from_form(survey.questions.all(), request.POST)
    language = pick_language(
        request.POST.get("language"), languages_of(survey.texts), survey.default_language
    )
    try:
        do_submit_response(
            survey,
            answers=answers,
            channel=SurveyChannel.PORTAL,
            submission_key=quarterly.submission_key,
            language=language,
            customer=customer,
        )
    except SurveyError as exc:
        return _home(request, store, customer, values=answers, errors=exc.errors, status=400)
    with translation.override(language):
        request.session["zabota_portal_thanks"] = text_for(
            survey.texts, language, "thanks", survey.default_language
        ) or _("Thank you for your feedback!")
    return redirect("portal:home", slug=store.slug)


@require_POST
def sign_out(request: HttpRequest, slug: str) -> HttpResponse:
    store = _store(slug)
    portal.do_sign_out(request.session)
    return redirect("portal:sign_in", slug=store.slug)
