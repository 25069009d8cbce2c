from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, Self

from django.urls import reverse
from ninja import Field, Schema
from pydantic import model_validator

from zabota.api.schemas.common import (
    CustomerRef,
    GroupRef,
    PageParams,
    PriorityName,
    UserRef,
    priority_name,
)
from zabota.tickets.constants import Channel, MessageKind, Status
from zabota.tickets.models import Attachment, Message, Ticket
from zabota.tickets.queries import Choice

InboxView = Literal["mine", "unassigned", "open", "awaiting", "all"]
# "sla": the earliest SLA due time first (breached ones lead), tickets without a clock last.
InboxSort = Literal["activity", "newest", "oldest", "priority", "sla"]


class TicketFilters(PageParams):
    view: InboxView = "all"
    status: Status | None = None
    priority: PriorityName | None = None
    channel: Channel | None = None
    tag: int | None = Field(None, description="Tag id.")
    group: int | None = Field(None, description="Group id.")
    assignee: int | None = Field(None, description="Assignee (user) id.")
    customer: int | None = Field(None, description="Customer id.")
    store: str | None = Field(None, description="Store slug or id.")
    sort: InboxSort = "activity"


class TicketSlaOut(Schema):
    state: str = Field(description="due, warning, breached or met (the worst target owed).")
    due_at: datetime | None = Field(description="The earliest due time of a target still owed.")
    paused: bool = Field(description="Waiting on the customer: the clock is stopped.")


def sla_out(ticket: Ticket) -> dict[str, Any] | None:
    """The ticket's SLA clock, None without one (its one-to-one row, loaded by inbox_page)."""
    sla = getattr(ticket, "sla", None)  # RelatedObjectDoesNotExist is an AttributeError
    if sla is None:
        return None
    return {"state": sla.state, "due_at": sla.next_due, "paused": sla.paused_at is not None}


class TicketOut(Schema):
    id: int
    number: int
    store: str = Field(description="Store slug.")
    subject: str
    status: Status
    priority: PriorityName
    channel: Channel
    language: str
    customer: CustomerRef
    assignee: UserRef | None
    group: GroupRef | None
    tags: list[str]
    message_count: int
    preview: str
    created_at: datetime
    updated_at: datetime
    last_activity_at: datetime
    first_reply_at: datetime | None
    solved_at: datetime | None
    merged_into: int | None = Field(description="Id of the ticket this one was merged into.")
    version: int = Field(description="Bumped on every change to the ticket.")
    sla: TicketSlaOut | None = Field(description="The SLA clock; null if no policy applies.")

    @staticmethod
    def resolve_sla(obj: Ticket) -> dict[str, Any] | None:
        return sla_out(obj)

    @staticmethod
    def resolve_store(obj: Ticket) -> str:
        return obj.store.slug

    @staticmethod
    def resolve_priority(obj: Ticket) -> PriorityName:
        return priority_name(obj.priority)

    @staticmethod
    def resolve_tags(obj: Ticket) -> list[str]:
        # Uses the prefetched tags when the caller loaded them (inbox_page does).
        return [tag.name for tag in obj.tags.all()]

    @staticmethod
    def resolve_merged_into(obj: Ticket) -> int | None:
        return obj.merged_into_id


def ticket_out(ticket: Ticket, tags: Sequence[Choice]) -> dict[str, Any]:
    """``TicketOut`` as a plain dict, for lists: validating 50 tickets through pydantic costs
    more than loading them. Same keys in the same order, same values; a test holds the two
    together. ``ticket`` needs its store, customer, assignee and group loaded."""
    customer, assignee, group = ticket.customer, ticket.assignee, ticket.group
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "store": ticket.store.slug,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": priority_name(ticket.priority),
        "channel": ticket.channel,
        "language": ticket.language,
        "customer": {"id": customer.pk, "name": customer.name},
        "assignee": {"id": assignee.pk, "name": assignee.name} if assignee is not None else None,
        "group": {"id": group.pk, "name": group.name} if group is not None else None,
        "tags": [tag.name for tag in tags],
        "message_count": ticket.message_count,
        "preview": ticket.preview,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "last_activity_at": ticket.last_activity_at,
        "first_reply_at": ticket.first_reply_at,
        "solved_at": ticket.solved_at,
        "merged_into": ticket.merged_into_id,
        "version": ticket.version,
        "sla": sla_out(ticket),
    }


class TicketList(Schema):
    items: list[TicketOut]
    next: str | None = Field(description="Cursor of the next page; null on the last page.")


class TicketCreate(Schema):
    store: str | None = Field(
        None, description="Store slug; defaults to the first store the token's user works in."
    )
    customer_id: int | None = None
    customer_email: str | None = Field(
        None, description="Finds the customer by e-mail (case-insensitive) or creates one."
    )
    customer_name: str = Field("", max_length=200, description="Name for a new customer.")
    subject: str = Field("", max_length=300)
    body_text: str = ""
    body_html: str = Field("", description="Sanitised before it is stored.")
    channel: Channel = Channel.API
    priority: PriorityName = PriorityName.NORMAL
    language: str = Field("", max_length=8)
    tags: list[str] = Field(
        default_factory=list, description="Tag names; missing ones are created."
    )
    group_id: int | None = None
    assignee_id: int | None = None
    from_agent: bool = Field(
        False,
        description="An outbound ticket: the first message is the agent's, sent to the customer.",
    )

    @model_validator(mode="after")
    def _customer_and_body(self) -> Self:
        if (self.customer_id is None) == (self.customer_email is None):
            raise ValueError("Give either customer_id or customer_email.")
        if not self.body_text.strip() and not self.body_html.strip():
            raise ValueError("Give body_text or body_html.")
        return self


class TicketPatch(Schema):
    """Only the fields present are changed; ``assignee_id: null`` unassigns."""

    status: Status | None = None
    priority: PriorityName | None = None
    assignee_id: int | None = None
    group_id: int | None = None
    add_tags: list[str] = Field(default_factory=list)
    remove_tags: list[str] = Field(default_factory=list)


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    url: str = Field(description="Download URL (the agent UI's authenticated download route).")

    @staticmethod
    def resolve_url(obj: Attachment) -> str:
        return reverse("web:attachment", args=[obj.pk])


class AuthorOut(Schema):
    type: Literal["agent", "customer", "system"]
    id: int | None
    name: str


class MessageOut(Schema):
    id: int
    kind: MessageKind
    author: AuthorOut
    channel: Channel
    body_text: str
    body_html: str = Field(description="Sanitised HTML.")
    created_at: datetime
    original_ticket_number: int | None = Field(
        description="The ticket the message was first posted to (differs after a merge)."
    )
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_author(obj: Message) -> AuthorOut:
        if obj.kind == MessageKind.CUSTOMER and obj.author_customer is not None:
            customer = obj.author_customer
            return AuthorOut(type="customer", id=customer.pk, name=customer.name)
        if obj.author_user is not None:
            user = obj.author_user
            return AuthorOut(type="agent", id=user.pk, name=user.name)
        return AuthorOut(type="system", id=None, name=obj.channel_meta.get("by", ""))


class MessageList(Schema):
    items: list[MessageOut]
    next: str | None


class MessageIn(Schema):
    kind: Literal["reply", "note"]
    body_text: str = ""
    body_html: str = Field("", description="Replies only; sanitised before it is stored.")
    then_status: Status | None = Field(
        None,
        description="Replies only: pending (default), awaiting_confirmation (propose a "
        "solution) or open.",
    )
    macro_id: int | None = Field(None, description="Replies only: the macro the text came from.")
    seen_version: int | None = Field(
        None,
        description="Replies only: the ticket `version` the text was written against; if the "
        "ticket changed since, the reply is refused with `collision`.",
    )

    @model_validator(mode="after")
    def _body_and_kind(self) -> Self:
        if not self.body_text.strip() and not self.body_html.strip():
            raise ValueError("Give body_text or body_html.")
        reply_only = (self.body_html, self.then_status, self.macro_id, self.seen_version)
        if self.kind == "note" and any(value not in (None, "") for value in reply_only):
            raise ValueError("Notes take body_text only.")
        return self
