"""What the widget sends, cleaned before any action sees it: plain text of bounded length, an
e-mail address that is one, a callback window the store's clock understands.

The widget runs on the store's site, where anyone can call its endpoints with anything, so the
server re-checks everything the script checks. Text stays plain text — it is escaped wherever it
is shown (the widget sets ``textContent``, the agent UI's templates escape) — but control and
bidirectional-override characters are removed: they render invisibly and can disguise a message
(or a file name) in the agent's queue.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

# Upper bounds of what a person types into the widget (longer is refused, not cut).
MAX_BODY = 5000
MAX_NAME = 150
MAX_EMAIL = 254
MAX_ORDER = 64
MAX_TOPIC = 200
MAX_PHONE = 40
MAX_PAGE_URL = 1000
MAX_CLIENT_ID = 64

# Every control character but tab and newline; the bidi embedding/override/isolate marks.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class InputErrors(Exception):
    """One translated message per refused field."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(errors)


def plain_text(value: object, *, multiline: bool = False) -> str:
    """``value`` as clean text: NFC, no control characters, ``\\r\\n`` as ``\\n``, trimmed; one
    line unless ``multiline`` (a name or topic keeps no line breaks)."""
    if not isinstance(value, str):
        return ""
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    text = _INVISIBLE.sub("", text)
    if not multiline:
        text = " ".join(text.split())
    else:
        # Keep paragraphs, drop runs of blank lines that only push the text down.
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in text.split("\n")))
    return text.strip()


class Cleaner:
    """Collects the cleaned fields of one request and the errors of the refused ones."""

    def __init__(self, data: dict[str, object]) -> None:
        self.data = data
        self.errors: dict[str, str] = {}

    def text(
        self,
        field: str,
        max_length: int,
        *,
        required: bool = False,
        multiline: bool = False,
        source: str | None = None,
    ) -> str:
        value = plain_text(self.data.get(source or field), multiline=multiline)
        if required and not value:
            self.errors[field] = _("Please fill in this field.")
        elif len(value) > max_length:
            self.errors[field] = _("Please keep it under %(limit)d characters.") % {
                "limit": max_length
            }
        return value

    def email(self, field: str = "email", *, required: bool = False) -> str:
        value = self.text(field, MAX_EMAIL, required=required)
        if value and field not in self.errors:
            try:
                validate_email(value)
            except ValidationError:
                self.errors[field] = _("Please enter a valid e-mail address.")
        return value.lower() if field not in self.errors else ""

    def client_id(self, field: str = "client_id") -> str:
        """The sender's id of a line; a malformed one is dropped (the line then just has none)."""
        value = self.data.get(field)
        return value if isinstance(value, str) and _CLIENT_ID.match(value) else ""

    def page_url(self, field: str = "page_url") -> str:
        """The page the visitor is on: http(s) only, without its query string and fragment,
        which may carry e-mail addresses, tokens or order numbers."""
        value = plain_text(self.data.get(field))
        value = value.split("#")[0].split("?")[0]
        if not value.startswith(("http://", "https://")) or len(value) > MAX_PAGE_URL:
            return ""
        return value

    def done(self) -> None:
        if self.errors:
            raise InputErrors(self.errors)


@dataclass(frozen=True)
class Window:
    start: datetime | None
    end: datetime | None


def callback_window(cleaner: Cleaner, time_zone: str, *, now: datetime | None = None) -> Window:
    """The preferred call window in the store's time zone: ``when`` is ``asap`` (no window),
    ``today`` or ``tomorrow`` with ``from``/``to`` as HH:MM. A window that is already over is
    refused; one that started is fine (the team calls within what is left)."""
    when = cleaner.data.get("when") or "asap"
    if when == "asap":
        return Window(None, None)
    if when not in ("today", "tomorrow"):
        cleaner.errors["when"] = _("Please choose when we should call.")
        return Window(None, None)
    zone = ZoneInfo(time_zone)
    local_now = (now or timezone.now()).astimezone(zone)
    day = local_now.date() + timedelta(days=1 if when == "tomorrow" else 0)
    parsed: list[time] = []
    for field in ("from", "to"):
        match = _TIME.match(str(cleaner.data.get(field) or ""))
        if match is None:
            cleaner.errors[field] = _("Please enter a time as HH:MM.")
            return Window(None, None)
        parsed.append(time(int(match[1]), int(match[2])))
    start = datetime.combine(day, parsed[0], tzinfo=zone)
    end = datetime.combine(day, parsed[1], tzinfo=zone)
    if end <= start:
        cleaner.errors["to"] = _("The end of the window must be after its start.")
    elif end <= local_now:
        cleaner.errors["to"] = _("This time has already passed today.")
    return Window(start, end)
