"""Separating what the sender just wrote from the quoted history and the signature below it.

Agents read the new text; the history and the signature are kept and shown collapsed. The rules
cover the reply headers of the mail clients our customers use, in English, Russian, Polish and
Hungarian: "On … wrote:" and its translations, Outlook's "-----Original Message-----" and
"From: … Sent: …" blocks, "> " quoting, the "-- " signature delimiter and mobile signatures.
When in doubt nothing is hidden: text that does not match stays in the new text, and a split that
would leave no new text is not made.
"""

import re
from dataclasses import dataclass

# Only the first part of a very long mail is searched for the split; the rest is history anyway.
_MAX_SCAN_LINES = 5000


@dataclass(frozen=True)
class SplitText:
    new: str
    quoted: str = ""
    signature: str = ""


# "On Mon, 5 Aug 2024 at 10:00, Maria <m@x> wrote:" (Gmail, Apple Mail, Thunderbird); clients
# wrap it over two or three lines, so candidates are tried joined with the following lines.
_ATTRIBUTION = [
    re.compile(r"^on\b.{3,300}\bwrote\s*:$", re.IGNORECASE),
    re.compile(r"^.{3,300}\bwrote\s*:$", re.IGNORECASE),
    # Russian: "… написал(а):", "… пишет:", Thunderbird "… написал:", Mail.ru "… от …:"
    re.compile(r"^.{3,300}\b(написал|написала|написал\(а\)|пишет)\s*:$", re.IGNORECASE),
    # Polish: "W dniu 5.08.2024 o 10:00, Jan <j@x> pisze:", "Dnia … napisał(a):"
    re.compile(r"^(w dniu|dnia)\b.{3,300}\b(pisze|napisał|napisała|napisał\(a\))\s*:$", re.I),
    re.compile(r"^.{3,300}\b(napisał|napisała|napisał\(a\)|pisze)\s*:$", re.IGNORECASE),
    # Hungarian: "2024.08.05. 10:00 keltezéssel, Kovács János írta:", Gmail's
    # "Kovács János <j@x> ezt írta (időpont: 2024. aug. 5., H, 10:00):"
    re.compile(r"^.{3,300}\b(ezt )?írta(\s*\(időpont:.{3,80}\))?\s*:$", re.IGNORECASE),
    # Gmail in Russian and Yandex: "пн, 5 авг. 2024 г. в 10:00, Иван <ivan@x>:" — a date and an
    # address ending in a colon.
    re.compile(r"^.{0,120}\d{1,2}[:.]\d{2}.{0,120}<[^<>\s@]+@[^<>\s@]+>\s*:$"),
]

_SEPARATOR = re.compile(
    r"^\s*-{2,}\s*("
    r"original message|forwarded message|original-nachricht|"
    r"исходное сообщение|пересылаемое сообщение|пересланное сообщение|"
    r"wiadomość oryginalna|oryginalna wiadomość|wiadomość przekazana dalej|"
    r"eredeti üzenet|továbbított üzenet"
    r")\s*-{2,}\s*$",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"^\s*_{20,}\s*$")

# Outlook's header block: a "From:" line followed closely by "Sent:"/"Date:" and "To:"/"Subject:".
_FROM = re.compile(r"^\s*\*?(from|от|od|feladó|küldő)\s*:\*?\s*\S", re.IGNORECASE)
_SENT = re.compile(
    r"^\s*\*?(sent|date|отправлено|дата|wysłano|wysłane|data|elküldve|küldve|dátum)\s*:\*?",
    re.IGNORECASE,
)
_TO_OR_SUBJECT = re.compile(
    r"^\s*\*?(to|subject|cc|кому|тема|копия|do|temat|dw|címzett|tárgy|másolat)\s*:\*?",
    re.IGNORECASE,
)

_SIGNATURE_DELIMITER = re.compile(r"^-- ?$")
_MOBILE_SIGNATURE = re.compile(
    r"^("
    r"sent from my .{1,40}|sent from (mail|outlook) for .{1,40}|sent from yahoo mail.{0,40}|"
    r"get outlook for (ios|android).{0,20}|sent with proton mail.{0,40}|"
    r"sent from (my )?(iphone|ipad|samsung.{0,40}|huawei.{0,40}|xiaomi.{0,40})|"
    r"отправлено (с|из) .{1,60}|"
    r"wysłane z .{1,60}|wysłano z .{1,60}|"
    r"küldve .{1,40}(ról|ről)|elküldve (az )?.{1,40}(ról|ről)|.{1,40}okostelefonomról küldve"
    r")\.?$",
    re.IGNORECASE,
)


def split_reply(text: str) -> SplitText:
    """Split a plain-text body into the new text, the quoted history and the signature."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = normalised.split("\n")
    top_quote = _leading_quote_end(lines)
    if top_quote is not None:
        # Bottom-posting: the quote comes first and the answer below it.
        history = "\n".join(lines[:top_quote]).strip("\n")
        new, signature = _split_signature(lines[top_quote:])
        if new.strip():
            return SplitText(new=new, quoted=history, signature=signature)
    cut = _history_start(lines)
    head = lines if cut is None else lines[:cut]
    new, signature = _split_signature(head)
    if not new.strip() and cut is not None:
        new, signature = _split_signature(lines)
        return SplitText(new=new, signature=signature)
    quoted = "" if cut is None else "\n".join(lines[cut:]).strip("\n")
    return SplitText(new=new, quoted=quoted, signature=signature)


class _Shape:
    """Which lines are blank, quoted (">") or plain, indexed once so that every question the
    rules ask about "the rest of the text" is answered in constant time (long mails stay
    linear)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        count = len(lines)
        self.count = count
        kinds = [0 if not ln.strip() else 1 if ln.lstrip().startswith(">") else 2 for ln in lines]
        self.next_quote = [count] * (count + 1)
        self.next_plain = [count] * (count + 1)
        self.nonblank_after = [0] * (count + 1)
        for index in range(count - 1, -1, -1):
            kind = kinds[index]
            self.next_quote[index] = index if kind == 1 else self.next_quote[index + 1]
            self.next_plain[index] = index if kind == 2 else self.next_plain[index + 1]
            self.nonblank_after[index] = self.nonblank_after[index + 1] + (kind != 0)
        self.last_quote = max((i for i, kind in enumerate(kinds) if kind == 1), default=-1)

    def only_quotes_follow(self, start: int) -> bool:
        """From ``start`` on: quoted lines only, perhaps followed by a signature."""
        plain = self.next_plain[start]
        return plain == self.count or (plain > self.last_quote and self.signature_at(plain))

    def history_follows(self, start: int, *, dated: bool) -> bool:
        """After an attribution: a ">" quote up to the end (not an interleaved answer), or, when
        the attribution carries a date, an unquoted history (Outlook, mobile clients, and text
        derived from HTML, where the blockquote lost its markers). "As Anna wrote:" in the
        middle of a sentence has no date and is not taken for an attribution without a quote."""
        if self.nonblank_after[start] == 0:
            return False
        first_quote = self.next_quote[start]
        if first_quote == self.count:
            return dated
        # Interleaved replies answer between quoted lines: hiding them would hide the answer.
        plain = self.next_plain[first_quote]
        return plain == self.count or (plain > self.last_quote and self.signature_at(plain))

    def signature_at(self, index: int) -> bool:
        line = self.lines[index]
        return _SIGNATURE_DELIMITER.match(line) is not None or (
            self.nonblank_after[index] <= 2 and _MOBILE_SIGNATURE.match(line.strip()) is not None
        )


def _history_start(lines: list[str]) -> int | None:
    """Index of the first line of quoted history that runs to the end of the text, or None."""
    shape = _Shape(lines)
    for index in range(min(len(lines), _MAX_SCAN_LINES)):
        line = lines[index].strip()
        if not line:
            continue
        if line.startswith(">"):
            if shape.only_quotes_follow(index):
                return index
            continue
        if _SEPARATOR.match(line) or _outlook_block(lines, index):
            return index
        if _UNDERSCORES.match(line) and _outlook_block(lines, _next_nonblank(lines, index + 1)):
            return index
        span = _attribution_span(lines, index)
        if span and shape.history_follows(index + span, dated=_dated(lines, index, span)):
            return index
    return None


def _attribution_span(lines: list[str], index: int) -> int:
    """How many lines (1–3) an attribution starting at ``index`` spans, or 0 if it is none."""
    joined = ""
    for span in range(1, 4):
        if index + span > len(lines):
            break
        part = lines[index + span - 1].strip()
        if span > 1 and (not part or part.startswith(">")):
            break
        joined = f"{joined} {part}".strip()
        if len(joined) > 400:
            break
        # Every attribution ends in a colon: a cheap test before the patterns.
        if joined.endswith(":") and any(pattern.match(joined) for pattern in _ATTRIBUTION):
            return span
    return 0


def _dated(lines: list[str], index: int, span: int) -> bool:
    return any(ch.isdigit() for line in lines[index : index + span] for ch in line)


def _leading_quote_end(lines: list[str]) -> int | None:
    """When the text opens with an attribution and/or a ">" quote, the index right after it."""
    index = _next_nonblank(lines, 0)
    if index >= len(lines):
        return None
    span = _attribution_span(lines, index)
    start = index + span
    position = _next_nonblank(lines, start)
    if position >= len(lines) or not lines[position].lstrip().startswith(">"):
        return None
    while position < len(lines) and (
        not lines[position].strip() or lines[position].lstrip().startswith(">")
    ):
        position += 1
    if position >= len(lines):
        return None
    remaining = lines[position:]
    if any(line.lstrip().startswith(">") for line in remaining):
        return None
    return position


def _outlook_block(lines: list[str], index: int) -> bool:
    if index >= len(lines) or not _FROM.match(lines[index]):
        return False
    window = [line for line in lines[index + 1 : index + 6] if line.strip()][:4]
    return any(_SENT.match(line) for line in window) and any(
        _TO_OR_SUBJECT.match(line) for line in window
    )


def _next_nonblank(lines: list[str], start: int) -> int:
    while start < len(lines) and not lines[start].strip():
        start += 1
    return start


def _split_signature(lines: list[str]) -> tuple[str, str]:
    """The text above the signature and the signature, each without surrounding blank lines."""
    delimiter = None
    for index in range(len(lines) - 1, -1, -1):
        if _SIGNATURE_DELIMITER.match(lines[index]):
            delimiter = index
            break
    if delimiter is not None and "\n".join(lines[:delimiter]).strip():
        body, signature = lines[:delimiter], lines[delimiter + 1 :]
        body_text, mobile = _split_mobile(body)
        signature_text = "\n".join(signature).strip("\n")
        if mobile:
            signature_text = f"{mobile}\n{signature_text}".strip("\n")
        return body_text, signature_text
    return _split_mobile(lines)


def _split_mobile(lines: list[str]) -> tuple[str, str]:
    """A "Sent from my iPhone" line among the last lines, with what follows it, is a signature."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    for index in filled[-3:]:
        if _MOBILE_SIGNATURE.match(lines[index].strip()):
            body = "\n".join(lines[:index]).strip("\n")
            if body.strip():
                return body.rstrip(), "\n".join(lines[index:]).strip("\n")
    return "\n".join(lines).strip("\n").rstrip(), ""


# Where mail programs start the quoted history in HTML (matched on the raw HTML, before
# sanitising removes the class and id attributes that mark them).
_HTML_HISTORY = re.compile(
    r"<div[^>]*\bclass=[\"']?[^\"'>]*\bgmail_quote\b"  # Gmail
    r"|<blockquote[^>]*\btype=[\"']?cite\b"  # Apple Mail, Thunderbird
    r"|<div[^>]*\bclass=[\"']?[^\"'>]*\bmoz-cite-prefix\b"  # Thunderbird's "On … wrote:"
    r"|<div[^>]*\bid=[\"']?divRplyFwdMsg\b"  # Outlook on the web
    r"|<hr[^>]*\bid=[\"']?stopSpelling\b"  # Outlook.com
    r"|<div[^>]*\bid=[\"']?appendonsend\b"  # new Outlook
    r"|<div[^>]*\bclass=[\"']?[^\"'>]*\byahoo_quoted\b"  # Yahoo
    r"|<div[^>]*border-top:\s*solid\s+#(?:e1e1e1|b5c4df)",  # Outlook desktop's reply header
    re.IGNORECASE,
)


def strip_html_history(html: str) -> str:
    """The HTML without the quoted history, when a known quote container marks where it starts.

    Returns ``html`` unchanged if no marker is found or nothing would be left before it; the
    sanitiser closes the tags left open by the cut.
    """
    match = _HTML_HISTORY.search(html)
    if match is None:
        return html
    head = html[: match.start()]
    visible = re.sub(r"<[^>]*>|&nbsp;|\s", "", head)
    return head if visible else html
