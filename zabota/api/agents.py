"""The token's user as an agent: their availability for routing."""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status

from zabota.api.auth import actor_of
from zabota.api.schemas.common import ErrorOut, errors
from zabota.routing.actions import check_set_availability
from zabota.routing.error_codes import RoutingError

router = Router(tags=["agents"])


class AvailabilityIn(Schema):
    # Availability's values: online takes new tickets; away and offline do not.
    status: Literal["online", "away", "offline"]


class AvailabilityOut(Schema):
    status: str
    changed_at: datetime


@router.put("/me/availability", response={200: AvailabilityOut, **errors(403)})
def set_my_availability(request: HttpRequest, payload: AvailabilityIn) -> Status:
    """Online agents get new tickets from routing; away and offline agents keep theirs."""
    actor = actor_of(request)
    try:
        row = check_set_availability(actor, status=payload.status, actor=actor)
    except RoutingError as exc:
        return Status(403, ErrorOut(code=str(exc.code), message=exc.message))
    return Status(200, AvailabilityOut(status=row.status, changed_at=row.changed_at))
