from django.db import models
from django.utils.translation import gettext_lazy as _

from zabota.core.errors import DomainError


class CustomerErrorCode(models.TextChoices):
    NOT_FOUND = "not_found", _("Not found.")
    # Value does not parse as the identity kind (e-mail, E.164 phone, network:handle).
    INVALID_IDENTITY = "invalid_identity", _("Invalid identity: %(detail)s")
    # Identities are unique per kind and value across the installation: merge instead.
    IDENTITY_TAKEN = "identity_taken", _("Already belongs to another customer: %(identity)s")
    MERGE_SELF = "merge_self", _("A customer cannot be merged into themselves.")
    ALREADY_MERGED = "already_merged", _("This customer was already merged into another one.")
    PERMISSION_DENIED = "permission_denied", _("Only leads and admins merge customers.")
    # Day and month that no calendar has (31.04), or a year outside 1900 … this year.
    INVALID_DATE = "invalid_date", _("Invalid date: %(detail)s")


class CustomerError(DomainError):
    code: CustomerErrorCode
