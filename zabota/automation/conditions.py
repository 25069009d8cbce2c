"""The registry of condition fields: each reads one fact about a ticket and declares the
operators and values it accepts, so a rule is validated when it is saved and evaluated without
an if/elif chain."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zabota.commerce.constants import OrderStatus, Segment
from zabota.commerce.models import CustomerSegment, CustomerStats, Order, Shipment
from zabota.tickets.constants import Channel, EventKind, MessageKind, Priority, Status
from zabota.tickets.models import Message, Ticket, TicketEvent


class Facts:
    """What conditions read about one ticket, each fact loaded once and only when asked for."""

    def __init__(
        self,
        ticket: Ticket,
        *,
        message_id: int | None = None,
        response_id: int | None = None,
        now: datetime | None = None,
    ) -> None:
        self.ticket = ticket
        self.message_id = message_id
        # The survey response of a "survey.answered" event.
        self.response_id = response_id
        self.now = now or timezone.now()

    # What no rule action changes: the customer's figures and orders, the event's message, the
    # survey answer.
    KEPT_AFTER_CHANGE = frozenset(
        {
            "message",
            "segments",
            "stats",
            "last_order_status",
            "last_delivered_at",
            "business_open",
            "survey_scores",
        }
    )

    def after_change(self, ticket: Ticket) -> "Facts":
        """The facts of the ticket as a rule's actions left it: what those actions cannot have
        changed is kept instead of loaded again, the ticket's own facts are read afresh."""
        facts = Facts(
            ticket, message_id=self.message_id, response_id=self.response_id, now=self.now
        )
        for name in self.KEPT_AFTER_CHANGE & self.__dict__.keys():
            facts.__dict__[name] = self.__dict__[name]
        return facts

    @cached_property
    def message(self) -> Message | None:
        """The event's message, else the ticket's latest customer message."""
        messages = Message.objects.filter(ticket=self.ticket)
        if self.message_id is not None:
            return messages.filter(pk=self.message_id).first()
        # The (ticket, created_at, id) index, read backwards.
        return messages.filter(kind=MessageKind.CUSTOMER).order_by("-created_at", "-pk").first()

    @cached_property
    def tags(self) -> set[str]:
        return {name.lower() for name in self.ticket.tags.values_list("name", flat=True)}

    @cached_property
    def segments(self) -> set[str]:
        return set(
            CustomerSegment.objects.filter(
                store_id=self.ticket.store_id, customer_id=self.ticket.customer_id
            ).values_list("segment", flat=True)
        )

    @cached_property
    def stats(self) -> CustomerStats | None:
        return CustomerStats.objects.filter(
            store_id=self.ticket.store_id, customer_id=self.ticket.customer_id
        ).first()

    @cached_property
    def last_order_status(self) -> str | None:
        return (
            Order.objects.filter(store_id=self.ticket.store_id, customer_id=self.ticket.customer_id)
            .order_by("-placed_at")
            .values_list("status", flat=True)
            .first()
        )

    @cached_property
    def last_delivered_at(self) -> datetime | None:
        """When the customer's most recently delivered order (in the ticket's store) arrived."""
        return (
            Shipment.objects.filter(
                order__store_id=self.ticket.store_id,
                order__customer_id=self.ticket.customer_id,
                delivered_at__isnull=False,
            )
            .order_by("-delivered_at")
            .values_list("delivered_at", flat=True)
            .first()
        )

    @cached_property
    def status_since(self) -> datetime:
        """When the ticket entered its current status (its creation if it never changed)."""
        changed = (
            TicketEvent.objects.filter(ticket=self.ticket, kind=EventKind.STATUS)
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        return changed or self.ticket.created_at

    @cached_property
    def survey_scores(self) -> tuple[int | None, int | None]:
        """The NPS and the lowest rating (on 1–5) of the event's survey response, else of the
        latest response about the ticket; (None, None) when there is none."""
        # Imported here: the surveys app registers a rule action, importing automation.
        from zabota.surveys.constants import QuestionKind
        from zabota.surveys.metrics import lowest_on_five
        from zabota.surveys.models import Answer, Response

        responses = Response.objects.filter(submitted_at__isnull=False)
        if self.response_id is not None:
            responses = responses.filter(pk=self.response_id)
        else:
            responses = responses.filter(ticket=self.ticket).order_by("-submitted_at", "-pk")
        found = responses.values_list("pk", "nps").first()
        if found is None:
            return None, None
        ratings = Answer.objects.filter(
            response_id=found[0], question__kind=QuestionKind.RATING, number__isnull=False
        ).values_list("number", "question__scale_max")
        return found[1], lowest_on_five(ratings)

    @cached_property
    def business_open(self) -> bool:
        from zabota.sla.calendar import is_open
        from zabota.sla.queries import store_calendar_snapshot

        return is_open(store_calendar_snapshot(self.ticket.store), self.now)


# Operators: name → (label, test(actual, expected)).
OPERATORS: dict[str, tuple[Any, Callable[[Any, Any], bool]]] = {
    "is": (_("is"), lambda actual, value: actual == value),
    "is_not": (_("is not"), lambda actual, value: actual != value),
    "in": (_("is one of"), lambda actual, values: actual in values),
    "not_in": (_("is none of"), lambda actual, values: actual not in values),
    "contains": (_("contains"), lambda actual, value: value.lower() in (actual or "").lower()),
    "not_contains": (
        _("does not contain"),
        lambda actual, value: value.lower() not in (actual or "").lower(),
    ),
    "has": (_("includes"), lambda actual, value: value in actual),
    "has_not": (_("does not include"), lambda actual, value: value not in actual),
    "gte": (_("at least"), lambda actual, value: actual is not None and actual >= value),
    "lte": (_("at most"), lambda actual, value: actual is not None and actual <= value),
}

CHOICE_OPS = ("is", "is_not", "in", "not_in")
TEXT_OPS = ("contains", "not_contains")
SET_OPS = ("has", "has_not")
NUMBER_OPS = ("gte", "lte", "is")


class ConditionError(ValueError):
    """A condition that names an unknown field or operator, or a value the field cannot take."""


@dataclass(frozen=True)
class ConditionField:
    name: str
    label: Any
    operators: tuple[str, ...]
    read: Callable[[Facts], Any]
    # "choice" (value from ``choices``), "text", "number" or "bool".
    kind: str
    choices: Callable[[], list[tuple[Any, Any]]] | None = None
    # Set operators compare a value with a set of lower-cased strings (tags, segments).
    lower: bool = False
    # The fact ``read`` uses beyond the ticket's own fields (a cached property of Facts), which
    # the engine loads for a whole batch of events at once.
    needs: str = ""

    def parse(self, op: str, value: Any) -> Any:
        """The value in the form ``read`` compares it with; raises ConditionError."""
        if op not in self.operators:
            raise ConditionError(
                _("Operator “%(op)s” cannot be used with %(field)s.")
                % {"op": op, "field": self.label}
            )
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not value:
                raise ConditionError(_("Choose at least one value for %s.") % self.label)
            return [self._one(item) for item in value]
        return self._one(value)

    def _one(self, value: Any) -> Any:
        if self.kind == "number":
            try:
                return Decimal(str(value))
            except (InvalidOperation, ValueError):
                raise ConditionError(_("%s needs a number.") % self.label) from None
        if self.kind == "bool":
            if value not in (True, False, "true", "false"):
                raise ConditionError(_("%s is yes or no.") % self.label)
            return value in (True, "true")
        if self.kind == "choice" and self.choices is not None:
            allowed = {str(key): key for key, _label in self.choices()}
            if str(value) not in allowed:
                raise ConditionError(
                    _("“%(value)s” is not a value of %(field)s.")
                    % {"value": value, "field": self.label}
                )
            return allowed[str(value)]
        if not isinstance(value, str) or not value.strip():
            raise ConditionError(_("%s needs a text.") % self.label)
        return value.strip().lower() if self.lower else value.strip()


FIELDS: dict[str, ConditionField] = {}


def register(condition: ConditionField) -> ConditionField:
    FIELDS[condition.name] = condition
    return condition


def _number(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


register(
    ConditionField(
        "ticket.channel",
        _("Channel"),
        CHOICE_OPS,
        lambda facts: facts.ticket.channel,
        "choice",
        lambda: list(Channel.choices),
    )
)
register(
    ConditionField(
        "ticket.status",
        _("Status"),
        CHOICE_OPS,
        lambda facts: facts.ticket.status,
        "choice",
        lambda: list(Status.choices),
    )
)
register(
    ConditionField(
        "ticket.priority",
        _("Priority"),
        CHOICE_OPS,
        lambda facts: facts.ticket.priority,
        "choice",
        lambda: list(Priority.choices),
    )
)
register(
    ConditionField(
        "ticket.language",
        _("Language"),
        CHOICE_OPS,
        lambda facts: facts.ticket.language,
        "text",
    )
)
register(
    ConditionField(
        "ticket.tags",
        _("Tags"),
        SET_OPS,
        lambda facts: facts.tags,
        "text",
        lower=True,
        needs="tags",
    )
)
register(
    ConditionField(
        "ticket.store",
        _("Store"),
        CHOICE_OPS,
        lambda facts: facts.ticket.store_id,
        "number",
    )
)
register(
    ConditionField(
        "ticket.hours_in_status",
        _("Hours in the current status"),
        ("gte", "lte"),
        lambda facts: Decimal((facts.now - facts.status_since).total_seconds()) / 3600,
        "number",
        needs="status_since",
    )
)
register(
    ConditionField(
        "message.subject",
        _("Subject"),
        TEXT_OPS,
        lambda facts: facts.ticket.subject,
        "text",
    )
)
register(
    ConditionField(
        "message.body",
        _("Message text"),
        TEXT_OPS,
        lambda facts: facts.message.body_text if facts.message else "",
        "text",
        needs="message",
    )
)
register(
    ConditionField(
        "customer.segment",
        _("Customer segment"),
        SET_OPS,
        lambda facts: facts.segments,
        "choice",
        lambda: list(Segment.choices),
        needs="segments",
    )
)
register(
    ConditionField(
        "customer.lifetime_value",
        _("Customer lifetime value"),
        NUMBER_OPS,
        lambda facts: _number(facts.stats.lifetime_value) if facts.stats else Decimal(0),
        "number",
        needs="stats",
    )
)
register(
    ConditionField(
        "customer.order_count",
        _("Customer's orders"),
        NUMBER_OPS,
        lambda facts: Decimal(facts.stats.order_count) if facts.stats else Decimal(0),
        "number",
        needs="stats",
    )
)
register(
    ConditionField(
        "order.last_status",
        _("Status of the last order"),
        CHOICE_OPS,
        lambda facts: facts.last_order_status,
        "choice",
        lambda: list(OrderStatus.choices),
        needs="last_order_status",
    )
)
register(
    ConditionField(
        "order.days_since_delivered",
        _("Days since the last order was delivered"),
        ("gte", "lte"),
        lambda facts: (
            None
            if facts.last_delivered_at is None
            else Decimal((facts.now - facts.last_delivered_at).total_seconds()) / 86400
        ),
        "number",
        needs="last_delivered_at",
    )
)
register(
    ConditionField(
        "store.business_hours",
        _("Within business hours"),
        ("is",),
        lambda facts: facts.business_open,
        "bool",
        needs="business_open",
    )
)

register(
    ConditionField(
        "survey.lowest_score",
        _("Survey answered with a rating (1–5)"),
        ("gte", "lte"),
        lambda facts: _number(facts.survey_scores[1]),
        "number",
    )
)
register(
    ConditionField(
        "survey.nps",
        _("Survey answered with NPS (0–10)"),
        ("gte", "lte"),
        lambda facts: _number(facts.survey_scores[0]),
        "number",
    )
)


@dataclass
class Condition:
    source: ConditionField
    op: str
    value: Any = None

    def holds(self, facts: Facts) -> bool:
        return bool(OPERATORS[self.op][1](self.source.read(facts), self.value))


def parse_condition(raw: Any) -> Condition:
    """A stored ``{field, op, value}`` as a Condition; raises ConditionError."""
    if not isinstance(raw, dict):
        raise ConditionError(_("A condition needs a field, an operator and a value."))
    condition_field = FIELDS.get(raw.get("field", ""))
    if condition_field is None:
        raise ConditionError(_("Unknown field “%s”.") % raw.get("field", ""))
    op = raw.get("op", "")
    return Condition(condition_field, op, condition_field.parse(op, raw.get("value")))
