"""Rendering of macro texts: ``{{ customer.first_name }}`` and friends, nothing more.

Only plain values are put in the context (never model instances), so a macro written by an
admin cannot reach into the database or call methods.
"""

from django.template import Context, Engine, TemplateSyntaxError

from zabota.accounts.models import User
from zabota.tickets.models import Macro, MacroText, Ticket

_engine = Engine(builtins=[], autoescape=False, string_if_invalid="")


class MacroRenderError(ValueError):
    pass


def macro_context(ticket: Ticket, agent: User) -> dict[str, dict[str, str]]:
    customer = ticket.customer
    return {
        "customer": {
            "first_name": customer.first_name or customer.name,
            "last_name": customer.last_name,
            "name": customer.name,
            "email": customer.primary_email,
        },
        "ticket": {
            "number": str(ticket.number),
            "subject": ticket.subject,
            "status": ticket.get_status_display(),
        },
        "agent": {"name": agent.name, "first_name": agent.name.split(" ")[0], "email": agent.email},
        "store": {"name": ticket.store.name, "email": ticket.store.email},
    }


def pick_text(macro: Macro, language: str, fallback: str) -> MacroText | None:
    """The text in the ticket's language, else the store's default language, else any."""
    texts = {t.language: t for t in macro.texts.all()}
    for lang in (language, fallback, "en"):
        if lang and lang in texts:
            return texts[lang]
    return next(iter(texts.values()), None)


def render_text(body: str, context: dict[str, dict[str, str]]) -> str:
    try:
        return _engine.from_string(body).render(Context(context, autoescape=False))
    except TemplateSyntaxError as exc:
        raise MacroRenderError(str(exc)) from exc


def render_macro(macro: Macro, ticket: Ticket, agent: User) -> str:
    text = pick_text(macro, ticket.language, ticket.store.default_language)
    if text is None:
        return ""
    return render_text(text.body, macro_context(ticket, agent))
