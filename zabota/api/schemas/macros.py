from ninja import Field, Schema

from zabota.api.schemas.common import PageParams
from zabota.tickets.constants import Status
from zabota.tickets.models import Macro


class MacroFilters(PageParams):
    store: str | None = Field(
        None, description="Store slug or id (macros of every store included)."
    )


class MacroOut(Schema):
    id: int
    name: str
    store: str | None = Field(description="Store slug; null for macros of every store.")
    set_status: Status | None = Field(description="Status a reply with this macro leaves.")
    add_tags: list[str]
    languages: list[str] = Field(description="Languages the macro has a text in.")

    @staticmethod
    def resolve_store(obj: Macro) -> str | None:
        return obj.store.slug if obj.store is not None else None

    @staticmethod
    def resolve_set_status(obj: Macro) -> str | None:
        return obj.set_status or None

    @staticmethod
    def resolve_add_tags(obj: Macro) -> list[str]:
        return [tag.name for tag in obj.add_tags.all()]

    @staticmethod
    def resolve_languages(obj: Macro) -> list[str]:
        return sorted(text.language for text in obj.texts.all())


class MacroList(Schema):
    items: list[MacroOut]
    next: str | None


class RenderedMacro(Schema):
    macro_id: int
    ticket_id: int
    text: str
