"""Who may do what with surveys.

- Admins build surveys (create, edit, preview, send a test) in every store they can see.
- Leads see the list of surveys of the stores they work in (for the reports), never edit.
- Agents do not see the builder.

A survey of a store the user does not work in is reported as missing (``Survey.DoesNotExist``,
a 404), one they see but may not change as ``SurveyAccessDenied`` (a 403).
"""

from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from zabota.accounts.models import User
from zabota.commerce.access import visible_stores
from zabota.commerce.models import Store
from zabota.customers.constants import IdentityKind
from zabota.customers.models import Customer
from zabota.surveys.models import Invitation, Question, ScoreDay, Survey


class SurveyAccessDenied(Exception):
    """The user sees the survey (or the builder) but may not change it."""

    def __init__(self, message: str = "") -> None:
        self.message = message or str(_("Only admins build surveys."))
        super().__init__(self.message)


def can_manage_surveys(user: User) -> bool:
    return user.is_active and user.is_admin


def can_view_surveys(user: User) -> bool:
    """Admins and leads see the survey list (leads for the reports)."""
    return user.is_active and (user.is_admin or user.is_lead)


def check_manage_surveys(user: User) -> None:
    if not can_manage_surveys(user):
        raise SurveyAccessDenied()


def visible_surveys(user: User) -> QuerySet[Survey]:
    """The surveys of the stores the user works in (admins: all), for admins and leads."""
    if not can_view_surveys(user):
        return Survey.objects.none()
    return Survey.objects.filter(store__in=visible_stores(user))


def survey_list(user: User) -> QuerySet[Survey]:
    """``visible_surveys`` by store and name, with ``response_count`` (submitted responses,
    summed from the ScoreDay rows, so the list stays fast with millions of responses) and
    ``question_count``."""
    responses = (
        ScoreDay.objects.filter(survey=OuterRef("pk"))
        .values("survey")
        .annotate(total=Sum("responses"))
        .values("total")
    )
    questions = (
        Question.objects.filter(survey=OuterRef("pk"))
        .values("survey")
        .annotate(total=Count("pk"))
        .values("total")
    )
    return (
        visible_surveys(user)
        .select_related("store")
        .annotate(
            response_count=Coalesce(Subquery(responses), 0),
            question_count=Coalesce(Subquery(questions), 0),
        )
        .order_by("store__name", "store_id", "name", "pk")
    )


def survey_stores(user: User) -> QuerySet[Store]:
    """The stores the user may create surveys in."""
    if not can_manage_surveys(user):
        return Store.objects.none()
    return visible_stores(user).order_by("name", "pk")


def access_store_for_surveys(user: User, store_id: int) -> Store:
    """Raises ``SurveyAccessDenied`` for a non-admin, ``Store.DoesNotExist`` for a store the
    user does not see."""
    check_manage_surveys(user)
    return visible_stores(user).get(pk=store_id)


def access_survey_for_edit(user: User, survey_id: int) -> Survey:
    """The survey with its store. Raises ``Survey.DoesNotExist`` when the user does not see it
    (agents see none), ``SurveyAccessDenied`` when they see it but may not edit it (leads)."""
    survey = visible_surveys(user).select_related("store").filter(pk=survey_id).first()
    if survey is None:
        raise Survey.DoesNotExist(survey_id)
    check_manage_surveys(user)
    return survey


def access_question_for_edit(user: User, survey: Survey, question_id: int) -> Question:
    """A question of ``survey`` (itself fetched with ``access_survey_for_edit``). Raises
    ``Question.DoesNotExist`` for a question of another survey."""
    check_manage_surveys(user)
    return Question.objects.get(pk=question_id, survey=survey)


# --- distribution: paper cards, the invitations log, the contact budget settings ---------------
# - Agents, leads and admins enter paper comment cards for the active surveys of the stores they
#   work in: whoever stands at the counter collects the cards. The card is stored marked as
#   paper with who typed it in; the customer, if given, must be one the user may see.
# - Admins and leads see the invitations sent and skipped (with the reasons) of their stores;
#   agents do not (it lists customers surveyed about other agents' tickets).
# - Only admins change a store's survey settings (the contact budget, link validity, follow-up
#   thresholds, publishing the scores).


def can_enter_paper_cards(user: User) -> bool:
    return user.is_active


def paper_surveys(user: User) -> QuerySet[Survey]:
    """The active surveys a user may enter paper cards for."""
    if not can_enter_paper_cards(user):
        return Survey.objects.none()
    return (
        Survey.objects.filter(store__in=visible_stores(user), is_active=True)
        .select_related("store")
        .order_by("store__name", "name", "pk")
    )


def access_survey_for_paper(user: User, survey_id: int) -> Survey:
    """Raises ``Survey.DoesNotExist`` for a survey the user may not enter cards for."""
    return paper_surveys(user).get(pk=survey_id)


def paper_card_customer(user: User, email: str) -> Customer | None:
    """The customer with this e-mail address, if the user may see them (else None)."""
    from zabota.customers.access import visible_customers

    value = email.strip().lower()
    if not value:
        return None
    return (
        visible_customers(user)
        .filter(identities__kind=IdentityKind.EMAIL, identities__value=value)
        .first()
    )


def can_view_invitations(user: User) -> bool:
    return user.is_active and (user.is_admin or user.is_lead)


def visible_invitations(user: User) -> QuerySet[Invitation]:
    if not can_view_invitations(user):
        return Invitation.objects.none()
    return Invitation.objects.filter(store__in=visible_stores(user))


def check_view_invitations(user: User) -> None:
    if not can_view_invitations(user):
        raise SurveyAccessDenied(str(_("Admins and leads see the survey invitations.")))


def access_store_for_survey_settings(user: User, slug_or_id: str | None) -> Store:
    """The store whose survey settings an admin edits (their first one when none is named).
    Raises ``SurveyAccessDenied`` for a non-admin, ``Store.DoesNotExist`` for a store the user
    does not see."""
    if not can_manage_surveys(user):
        raise SurveyAccessDenied(str(_("Only admins change the survey settings.")))
    stores = visible_stores(user)
    if not slug_or_id:
        store = stores.order_by("pk").first()
    else:
        store = stores.filter(slug=slug_or_id).first()
        if store is None and slug_or_id.isdigit():
            store = stores.filter(pk=int(slug_or_id)).first()
    if store is None:
        raise Store.DoesNotExist(slug_or_id)
    return store


# --- reports: metrics, responses, the CSV export -----------------------------------------------
# Admins and leads see the reports and the responses (with their text answers and the CSV) of
# the stores they work in. Agents do not: bad ratings are worked through by the lead with the
# agent individually, never by comparing agents on a shared page.

from zabota.accounts.models import Group  # noqa: E402 - the reports' part of this module


def can_view_reports(user: User) -> bool:
    return user.is_active and (user.is_admin or user.is_lead)


def check_view_reports(user: User) -> None:
    if not can_view_reports(user):
        raise SurveyAccessDenied(str(_("Admins and leads see the survey reports.")))


def report_stores(user: User) -> QuerySet[Store]:
    """The stores whose survey reports the user may read, by name."""
    if not can_view_reports(user):
        return Store.objects.none()
    return visible_stores(user).order_by("name", "pk")


def report_surveys(user: User) -> QuerySet[Survey]:
    """The surveys a report can be filtered by."""
    return (
        Survey.objects.filter(store__in=report_stores(user))
        .select_related("store")
        .order_by("store__name", "name", "pk")
    )


def report_groups(user: User) -> QuerySet[Group]:
    """The groups a report can be filtered by: those of the report's stores."""
    return (
        Group.objects.filter(store__in=report_stores(user))
        .select_related("store")
        .order_by("store__name", "name", "pk")
    )


# --- the REST API and the customer page ---------------------------------------------------------
# - Through the API (a till, a POS or a call-centre tool acting with a user's token): admins and
#   leads list and read every survey of their stores; agents the active ones only — those they
#   may submit answers to. Any active user submits answers to the active surveys of the stores
#   they work in (as with paper cards: whoever runs the till collects the answers); a customer
#   named by e-mail is linked only if the user may see them.
# - Responses and the metrics through the API: as in the agent UI, admins and leads only.
# - The customer page's "Survey answers": admins and leads see the customer's non-anonymous
#   responses in their stores; an agent only those about their own work (``Response.agent``),
#   never a colleague's rating — bad ratings are worked through by the lead with the agent
#   individually, never publicly.

from django.db.models import Prefetch  # noqa: E402 - the API's part of this module

from zabota.surveys.models import Answer, Response  # noqa: E402


def api_surveys(user: User) -> QuerySet[Survey]:
    """The surveys the API shows the user, by store and name."""
    if can_view_surveys(user):
        found = visible_surveys(user)
    elif user.is_active:
        found = Survey.objects.filter(store__in=visible_stores(user), is_active=True)
    else:
        return Survey.objects.none()
    return found.select_related("store").order_by("store__name", "store_id", "name", "pk")


def access_survey_for_api(user: User, survey_id: int) -> Survey:
    """Raises ``Survey.DoesNotExist`` for a survey ``api_surveys`` does not show the user."""
    return api_surveys(user).get(pk=survey_id)


def api_submission_customer(user: User, survey: Survey, email: str) -> Customer | None:
    """The known customer an API submission names by e-mail: none for an anonymous survey (the
    link is never made), an unknown address, or a customer the user may not see."""
    if survey.anonymous or not email.strip():
        return None
    return paper_card_customer(user, email)


def customer_survey_responses(user: User, customer_id: int, *, limit: int) -> list[Response]:
    """The customer's newest submitted, non-anonymous responses the user may see (see above),
    with their survey, tickets and answers: two queries."""
    found = Response.objects.filter(
        customer_id=customer_id,
        anonymous=False,
        submitted_at__isnull=False,
        store__in=visible_stores(user),
    )
    if not can_view_reports(user):
        found = found.filter(agent=user)
    answers = Answer.objects.select_related("question").order_by("question__position", "pk")
    return list(
        found.select_related("survey", "ticket", "follow_up")
        .prefetch_related(Prefetch("answers", queryset=answers))
        .order_by("-submitted_at", "-pk")[:limit]
    )
