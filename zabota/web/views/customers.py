"""The customer page ("customer 360"): figures and segment badges per store, the timeline across
channels and domains, important dates, identities, language and notes, tickets, the audit trail,
merging; and the upcoming important dates of all customers."""

from dataclasses import dataclass
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zabota.accounts.models import User
from zabota.commerce.queries import badges, customer_figures, segments_by_customer
from zabota.customers.access import access_customer_by_id, access_important_date_by_id
from zabota.customers.actions import (
    check_add_identity,
    check_add_important_date,
    check_merge_customers,
    do_delete_important_date,
    do_update_customer,
)
from zabota.customers.error_codes import CustomerError, CustomerErrorCode
from zabota.customers.models import Customer
from zabota.customers.queries import customer_dates, upcoming_dates
from zabota.customers.timeline import (
    InvalidCursor,
    TimelineEntry,
    TimelinePage,
    customer_timeline,
)
from zabota.surveys.access import customer_survey_responses
from zabota.surveys.constants import CES_MAX, QuestionKind
from zabota.surveys.metrics import (
    DETRACTOR_AT_MOST,
    PROMOTER_AT_LEAST,
    is_agree,
    on_five_point_scale,
)
from zabota.surveys.models import Response
from zabota.surveys.reports import question_label
from zabota.tickets.access import can_merge_customers
from zabota.tickets.queries import customer_tickets
from zabota.web.forms import CustomerForm, IdentityForm, ImportantDateForm, MergeCustomerForm

# How much history the page shows; older rows stay in the database and the admin.
TICKETS_SHOWN = 30
AUDIT_SHOWN = 30
# The customer's newest survey answers shown (the responses page has no per-customer filter).
SURVEY_ANSWERS_SHOWN = 10
# A CES answer (1–7) up to this disagrees that it was easy: shown as a bad score.
CES_DISAGREE_AT_MOST = 3
TIMELINE_PAGE = 25
# The upcoming-dates page's range choices (days ahead); the first one after the default.
DATE_RANGES = (7, 30, 90, 365)
DEFAULT_DATE_RANGE = 30
# Where the UI links a timeline entry's ``ref`` to.
TIMELINE_LINKS = {"ticket": "web:ticket", "customer": "web:customer"}
TIMELINE_MORE = "timeline-more"
UPDATE = "update"
ADD_IDENTITY = "identity"


def _customer_or_404(user: User, customer_id: int) -> Customer:
    try:
        return access_customer_by_id(user, customer_id)
    except CustomerError as exc:
        raise Http404(exc.message) from exc


@login_required
@require_http_methods(["GET", "POST"])
def customer(request: HttpRequest, customer_id: int) -> HttpResponse:
    """GET shows the customer; POST ``action=update`` saves name/language/notes,
    ``action=identity`` adds an identity."""
    user = cast(User, request.user)
    person = _customer_or_404(user, customer_id)
    details_form = CustomerForm(
        initial={
            "display_name": person.display_name,
            "language": person.language,
            "notes": person.notes,
        }
    )
    identity_form = IdentityForm()
    action = request.POST.get("action") if request.method == "POST" else None
    if action == UPDATE:
        details_form = CustomerForm(request.POST)
        if details_form.is_valid():
            do_update_customer(person, actor=user, **details_form.cleaned_data)
            messages.success(request, _("Customer saved."))
            return redirect("web:customer", customer_id=person.pk)
    elif action == ADD_IDENTITY:
        identity_form = IdentityForm(request.POST)
        if identity_form.is_valid():
            try:
                check_add_identity(person, actor=user, **identity_form.cleaned_data)
            except CustomerError as exc:
                identity_form.add_error("value", exc.message)
            else:
                messages.success(request, _("Identity added."))
                return redirect("web:customer", customer_id=person.pk)
    figures = customer_figures(user, person.pk)
    context: dict[str, Any] = {
        "customer": person,
        "figures": figures,
        "badges": badges(b.code for f in figures for b in f.badges),
        "timeline": _timeline_rows(customer_timeline(user, person.pk, limit=TIMELINE_PAGE)),
        **_dates_context(person),
        "identities": sorted(person.identities.all(), key=lambda i: (i.kind, i.value)),
        "tickets": customer_tickets(user, person.pk, limit=TICKETS_SHOWN),
        "survey_answers": _survey_answers(user, person.pk, _language(request)),
        "audit": person.events.select_related("actor").order_by("-created_at", "-id")[:AUDIT_SHOWN],
        "details_form": details_form,
        "identity_form": identity_form,
        "editing": action == UPDATE,
        "can_merge": can_merge_customers(user),
    }
    status = 400 if action in (UPDATE, ADD_IDENTITY) else 200
    return render(request, "web/customers/customer.html", context, status=status)


@login_required
@require_POST
def merge(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Merge a duplicate (``source``) into this customer, who survives."""
    user = cast(User, request.user)
    target = _customer_or_404(user, customer_id)
    form = MergeCustomerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the duplicate to merge."))
        return redirect("web:customer", customer_id=target.pk)
    try:
        source = access_customer_by_id(user, form.cleaned_data["source"])
        check_merge_customers(source, target, actor=user)
    except CustomerError as exc:
        if exc.code == CustomerErrorCode.NOT_FOUND:
            messages.error(request, _("That customer was not found."))
        else:
            messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(source)s was merged into %(target)s.") % {"source": source, "target": target},
        )
    return redirect("web:customer", customer_id=target.pk)


# --- survey answers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreBadge:
    label: str
    value: str
    # "good", "bad" or "" (neither): the badge's colour.
    tone: str


@dataclass(frozen=True)
class TextAnswer:
    question: str
    text: str


@dataclass(frozen=True)
class SurveyAnswer:
    response: Response
    scores: list[ScoreBadge]
    texts: list[TextAnswer]


def _language(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", "") or "en"


def _rating_tone(value: int, points: int) -> str:
    """Good at 4–5 on the 1–5 scale, bad at 1–2 (other scales converted)."""
    on_five = on_five_point_scale(value, points)
    return "good" if on_five >= 4 else "bad" if on_five <= 2 else ""


def score_badges(response: Response) -> list[ScoreBadge]:
    """A response's scores as badges: NPS, CSAT, CES, speed and quality, each coloured by how
    good it is."""
    badges = []
    if response.nps is not None:
        tone = (
            "bad"
            if response.nps <= DETRACTOR_AT_MOST
            else "good"
            if response.nps >= PROMOTER_AT_LEAST
            else ""
        )
        badges.append(ScoreBadge(_("NPS"), str(response.nps), tone))
    if response.csat is not None and response.csat_max:
        csat, top = response.csat, response.csat_max
        badges.append(ScoreBadge(_("CSAT"), f"{csat}/{top}", _rating_tone(csat, top)))
    if response.ces is not None:
        # Agreement that it was easy: 5–7 agree, 1–3 disagree.
        tone = (
            "good"
            if is_agree(response.ces)
            else "bad"
            if response.ces <= CES_DISAGREE_AT_MOST
            else ""
        )
        badges.append(ScoreBadge(_("CES"), f"{response.ces}/{CES_MAX}", tone))
    ratings = (
        (_("Speed"), response.speed, response.speed_max),
        (_("Quality"), response.quality, response.quality_max),
    )
    for label, value, points in ratings:
        if value is not None and points:
            badges.append(ScoreBadge(label, f"{value}/{points}", _rating_tone(value, points)))
    return badges


def _survey_answers(user: User, customer_id: int, language: str) -> list[SurveyAnswer]:
    """The customer's newest survey answers the user may see, ready to show (two queries)."""
    shown = []
    for response in customer_survey_responses(user, customer_id, limit=SURVEY_ANSWERS_SHOWN):
        default = response.survey.default_language
        texts = [
            TextAnswer(question_label(a.question, language, default), a.text)
            for a in response.answers.all()
            if a.question.kind == QuestionKind.TEXT and a.text
        ]
        shown.append(SurveyAnswer(response, score_badges(response), texts))
    return shown


# --- timeline ---------------------------------------------------------------------------------


def _link(entry: TimelineEntry) -> str:
    if entry.ref is None or entry.ref[0] not in TIMELINE_LINKS:
        return ""
    return reverse(TIMELINE_LINKS[entry.ref[0]], args=[entry.ref[1]])


def _timeline_rows(page: TimelinePage) -> dict[str, Any]:
    return {
        "rows": [{"entry": entry, "link": _link(entry)} for entry in page.entries],
        "next_cursor": page.next_cursor,
    }


@login_required
@require_GET
def timeline(request: HttpRequest, customer_id: int) -> HttpResponse:
    """An older page of the timeline ("Show more"): its rows and the next button."""
    user = cast(User, request.user)
    person = _customer_or_404(user, customer_id)
    try:
        page = customer_timeline(
            user, person.pk, cursor=request.GET.get("cursor", ""), limit=TIMELINE_PAGE
        )
    except InvalidCursor as exc:
        raise BadRequest("invalid cursor") from exc
    context = {"customer": person, "timeline": _timeline_rows(page)}
    response = render(request, "web/customers/_timeline_rows.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- important dates ------------------------------------------------------------------------------


def _dates_context(person: Customer, form: ImportantDateForm | None = None) -> dict[str, Any]:
    return {
        "dates": customer_dates(person.pk, today=timezone.localdate()),
        "date_form": form or ImportantDateForm(),
    }


def _dates_response(
    request: HttpRequest, person: Customer, *, form: ImportantDateForm | None = None
) -> HttpResponse:
    """htmx swaps the dates card; a plain form post goes back to the page."""
    if not request.htmx:  # type: ignore[attr-defined]
        if form is not None and form.errors:
            for errors in form.errors.values():
                messages.error(request, " ".join(str(e) for e in errors))
        return redirect(reverse("web:customer", args=[person.pk]) + "#dates")
    # htmx (2) swaps 2xx answers only: a refused date comes back as 200 with its errors.
    context = {"customer": person, **_dates_context(person, form)}
    return render(request, "web/customers/_dates.html", context)


@login_required
@require_POST
def add_date(request: HttpRequest, customer_id: int) -> HttpResponse:
    user = cast(User, request.user)
    person = _customer_or_404(user, customer_id)
    form = ImportantDateForm(request.POST)
    if form.is_valid():
        try:
            check_add_important_date(person, actor=user, **form.cleaned_data)
        except CustomerError as exc:
            form.add_error("day", exc.message)
        else:
            if not request.htmx:  # type: ignore[attr-defined]
                messages.success(request, _("Date added."))
            return _dates_response(request, person)
    return _dates_response(request, person, form=form)


@login_required
@require_POST
def delete_date(request: HttpRequest, customer_id: int, date_id: int) -> HttpResponse:
    user = cast(User, request.user)
    try:
        item = access_important_date_by_id(user, date_id)
    except CustomerError as exc:
        raise Http404(exc.message) from exc
    if item.customer_id != customer_id:
        raise Http404("not this customer's date")
    do_delete_important_date(item, actor=user)
    if not request.htmx:  # type: ignore[attr-defined]
        messages.success(request, _("Date removed."))
    return _dates_response(request, item.customer)


@login_required
@require_GET
def upcoming(request: HttpRequest) -> HttpResponse:
    """Birthdays and other dates of the customers the agent can see, coming up within the
    chosen number of days (``?days=``), across the turn of the month and the year."""
    user = cast(User, request.user)
    raw = request.GET.get("days", "")
    days = int(raw) if raw.isdigit() and int(raw) in DATE_RANGES else DEFAULT_DATE_RANGE
    today = timezone.localdate()
    found = upcoming_dates(user, start=today, days=days)
    context = {
        "found": found,
        "days": days,
        "ranges": DATE_RANGES,
        "today": today,
        "customer_badges": segments_by_customer(user, [o.customer_id for o in found]),
    }
    return render(request, "web/customers/upcoming.html", context)
