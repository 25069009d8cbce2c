from ninja import Field, Schema

from zabota.api.schemas.common import PageParams
from zabota.tickets.models import Tag


class TagFilters(PageParams):
    store: str | None = Field(None, description="Store slug or id.")


class TagOut(Schema):
    id: int
    name: str
    color: str
    store: str = Field(description="Store slug.")

    @staticmethod
    def resolve_store(obj: Tag) -> str:
        return obj.store.slug


class TagList(Schema):
    items: list[TagOut]
    next: str | None


class TagCreate(Schema):
    store: str | None = Field(
        None, description="Store slug or id; defaults to the first store the token's user works in."
    )
    name: str = Field(
        min_length=1, max_length=64, description="Stored lower-case, spaces collapsed."
    )
