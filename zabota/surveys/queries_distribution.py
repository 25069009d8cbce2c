"""Finders of the distribution pages: the invitations log and the recent paper cards."""

from django.db.models import QuerySet

from zabota.accounts.models import User
from zabota.surveys.access import paper_surveys, visible_invitations
from zabota.surveys.models import Invitation, Response


def invitation_log(
    user: User, *, status: str = "", survey_id: int | None = None
) -> QuerySet[Invitation]:
    """The invitations of the user's stores, newest first, optionally of one status or survey."""
    found = visible_invitations(user)
    if status:
        found = found.filter(status=status)
    if survey_id is not None:
        found = found.filter(survey_id=survey_id)
    return found.select_related("survey", "store", "customer", "ticket", "order", "agent").order_by(
        "-created_at", "-pk"
    )


def recent_paper_cards(user: User, *, limit: int = 10) -> list[Response]:
    """The latest paper cards entered for the surveys the user may enter cards for."""
    return list(
        Response.objects.filter(
            survey__in=paper_surveys(user), is_paper=True, submitted_at__isnull=False
        )
        .select_related("survey", "customer", "entered_by")
        .order_by("-pk")[:limit]
    )
