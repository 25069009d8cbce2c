from django.db import models
from django.utils.translation import gettext_lazy as _

from zabota.core.errors import DomainError


class TicketErrorCode(models.TextChoices):
    # Object does not exist or the actor may not know that it does (shown as 404).
    NOT_FOUND = "not_found", _("Not found.")
    INVALID_STATUS = "invalid_status", _("Unknown status “%(status)s”.")
    INVALID_PRIORITY = "invalid_priority", _("Unknown priority “%(priority)s”.")
    INVALID_TAG = "invalid_tag", _("A tag needs a name.")
    # Agents propose a solution (awaiting confirmation); only the customer solves a ticket.
    CONFIRMATION_REQUIRED = (
        "confirmation_required",
        _("Propose the solution instead: the ticket is solved when the customer confirms it."),
    )
    NOT_AWAITING_CONFIRMATION = (
        "not_awaiting_confirmation",
        _("The ticket is not waiting for the customer's confirmation."),
    )
    CLOSE_NOT_ALLOWED = (
        "close_not_allowed",
        _("Only leads and admins close tickets that are not solved."),
    )
    MERGED = "merged", _("This ticket was merged into another one.")
    MERGE_SELF = "merge_self", _("A ticket cannot be merged into itself.")
    MERGE_OTHER_STORE = "merge_other_store", _("Tickets of different stores cannot be merged.")
    GROUP_OTHER_STORE = "group_other_store", _("The group belongs to another store.")
    ASSIGNEE_NOT_IN_GROUP = "assignee_not_in_group", _("The agent is not a member of that group.")
    ASSIGNEE_INACTIVE = "assignee_inactive", _("The agent's account is deactivated.")
    ASSIGN_NOT_ALLOWED = (
        "assign_not_allowed",
        _("You may not assign tickets to that agent or group."),
    )
    TAG_OTHER_STORE = "tag_other_store", _("The tag belongs to another store.")
    ATTACHMENT_TOO_LARGE = (
        "attachment_too_large",
        _("“%(filename)s” is larger than the limit of %(limit)s bytes."),
    )
    # The ticket changed after the agent opened it; the reply form asks to confirm.
    COLLISION = "collision", _("The ticket changed while you were writing.")
    PERMISSION_DENIED = "permission_denied", _("You are not allowed to do this.")


class TicketError(DomainError):
    code: TicketErrorCode
