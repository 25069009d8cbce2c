from datetime import datetime

from ninja import Field, Schema

from zabota.api.schemas.common import PageParams
from zabota.customers.constants import IdentityKind


class CustomerFilters(PageParams):
    q: str = Field("", max_length=200, description="Search in names (every word as a prefix).")
    email: str = Field("", max_length=320, description="Exact e-mail identity, any letter case.")


class IdentityIn(Schema):
    kind: IdentityKind
    value: str = Field(min_length=1, max_length=320)


class IdentityOut(Schema):
    kind: IdentityKind
    value: str = Field(description="Normalised: e-mail case-folded, phone in E.164.")
    verified: bool


class CustomerOut(Schema):
    id: int
    name: str
    first_name: str
    last_name: str
    display_name: str
    language: str
    identities: list[IdentityOut]
    created_at: datetime


class CustomerDetail(CustomerOut):
    notes: str
    ticket_count: int = Field(description="Tickets of this customer the token's user can see.")


class CustomerList(Schema):
    items: list[CustomerOut]
    next: str | None


class CustomerCreate(Schema):
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    display_name: str = Field("", max_length=200, description="Defaults to first and last name.")
    language: str = Field("", max_length=8)
    identities: list[IdentityIn] = Field(default_factory=list)
