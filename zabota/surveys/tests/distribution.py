"""Builders shared by the distribution tests: surveys made as the builder would save them, and
tickets solved the ways a customer confirms a solution."""

import secrets

from zabota.surveys.constants import Metric, Purpose, QuestionKind
from zabota.surveys.models import Question, Survey
from zabota.tickets import actions
from zabota.tickets.constants import Status
from zabota.tickets.models import Ticket


def make_survey(store, *, purpose: str = Purpose.POST_RESOLUTION, name: str = "") -> Survey:
    """A survey with a 1–5 quality rating first, an NPS question and a comment, in English and
    Russian."""
    survey = Survey.objects.create(
        store=store,
        name=name or f"{purpose} survey",
        purpose=purpose,
        public_key=secrets.token_hex(8),
        texts={
            "en": {"title": "How did we do?", "intro": "Two quick questions.", "thanks": "Thanks!"},
            "ru": {"title": "Как мы справились?", "intro": "Два коротких вопроса."},
        },
    )
    Question.objects.create(
        survey=survey,
        position=0,
        kind=QuestionKind.RATING,
        scale_max=5,
        metric=Metric.QUALITY,
        required=True,
        texts={
            "en": {"text": "How good was the solution?", "low": "Poor", "high": "Excellent"},
            "ru": {"text": "Насколько хорошим было решение?", "low": "Плохо", "high": "Отлично"},
        },
    )
    Question.objects.create(
        survey=survey,
        position=1,
        kind=QuestionKind.NPS,
        metric=Metric.NPS,
        texts={"en": {"text": "Would you recommend us?"}},
    )
    Question.objects.create(
        survey=survey, position=2, kind=QuestionKind.TEXT, texts={"en": {"text": "Anything else?"}}
    )
    return survey


def solve_by_customer_link(ticket: Ticket, agent, capture) -> Ticket:
    """The agent proposes a solution; the customer presses "yes, solved" in the e-mail. Events
    are dispatched as the worker would (tasks run inline in tests)."""
    with capture(execute=True):
        ticket = actions.do_assign(ticket, group=ticket.group, assignee=agent, actor=None)
        actions.do_add_reply(
            ticket,
            body_text="This should fix it.",
            then_status=Status.AWAITING_CONFIRMATION,
            actor=agent,
        )
    ticket.refresh_from_db()
    with capture(execute=True):
        ticket = actions.do_confirm_solution(
            ticket, actor=None, via="customer_link", proposed_at=ticket.awaiting_since
        )
    return ticket
