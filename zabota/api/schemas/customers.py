from datetime import datetime
from decimal import Decimal

from ninja import Field, Schema

from zabota.api.schemas.common import PageParams
from zabota.commerce.constants import Segment
from zabota.customers.constants import IdentityKind

STORE_PARAM_HELP = (
    "Store slug or id whose figures fill `lifetime_value`, `order_count` and `segments`; "
    "defaults to the first store the token's user works in."
)


class CustomerFilters(PageParams):
    q: str = Field("", max_length=200, description="Search in names (every word as a prefix).")
    email: str = Field("", max_length=320, description="Exact e-mail identity, any letter case.")
    store: str | None = Field(None, description=STORE_PARAM_HELP)


class CustomerStoreParams(Schema):
    store: str | None = Field(None, description=STORE_PARAM_HELP)


class IdentityIn(Schema):
    kind: IdentityKind
    value: str = Field(min_length=1, max_length=320)


class IdentityOut(Schema):
    kind: IdentityKind
    value: str = Field(description="Normalised: e-mail case-folded, phone in E.164.")
    verified: bool


class StoreFiguresOut(Schema):
    """The customer's business with one store, in the store's base currency."""

    store: str = Field(description="Store slug.")
    currency: str = Field(description="The store's base currency.")
    lifetime_value: Decimal = Field(description="Paid minus refunded, cancelled orders left out.")
    order_count: int
    average_order_value: Decimal
    first_order_at: datetime | None
    last_order_at: datetime | None
    return_rate: Decimal = Field(description="Share of orders with a return, 0–1.")
    segments: list[Segment]


class CustomerOut(Schema):
    id: int
    name: str
    first_name: str
    last_name: str
    display_name: str
    language: str
    identities: list[IdentityOut]
    created_at: datetime
    lifetime_value: Decimal = Field(
        description="In the chosen store (`store`, else the user's first store); 0 without orders."
    )
    order_count: int = Field(description="In the chosen store.")
    segments: list[Segment] = Field(description="In the chosen store.")
    stores: list[StoreFiguresOut] = Field(
        description="Figures in every store the user works in where the customer has any."
    )


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
