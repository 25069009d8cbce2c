"""Turning the bytes of e-mail text into str, whatever the sender's software claimed.

Mail declares its charset per part (and per encoded word), and the declaration is often wrong:
misspelt labels ("win-1251", "utf8"), vendor names ("ks_c_5601-1987"), ISO-8859-1 on text that
is really windows-1250, or none at all on raw 8-bit header bytes. ``decode`` never raises: it
tries the declared charset, then detection biased towards the charsets of our languages (Polish,
Hungarian, Russian), then latin-1, which maps every byte.
"""

import codecs
import re
from dataclasses import dataclass
from functools import lru_cache

from charset_normalizer import from_bytes

# Labels seen in real mail that Python's codec registry does not know, or knows as a narrower
# charset than senders actually use (WHATWG's "superset" rule: a mail labelled ISO-8859-1 was
# written with windows-1252, one labelled GB2312 with GBK/GB18030, EUC-KR with cp949).
_ALIASES = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "unicode-2-0-utf-8": "utf-8",
    "x-unicode20utf8": "utf-8",
    "x-utf-8": "utf-8",
    "unicode": "utf-16",
    "us-ascii": "ascii",
    "ascii": "ascii",
    "ansi_x3.4-1968": "ascii",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "iso-8859-2": "iso8859_2",
    "iso8859-2": "iso8859_2",
    "iso_8859-2": "iso8859_2",
    "latin2": "iso8859_2",
    "l2": "iso8859_2",
    "win-1250": "cp1250",
    "win1250": "cp1250",
    "x-cp1250": "cp1250",
    "windows-1250": "cp1250",
    "cp-1250": "cp1250",
    "win-1251": "cp1251",
    "win1251": "cp1251",
    "x-cp1251": "cp1251",
    "windows-1251": "cp1251",
    "cp-1251": "cp1251",
    "win-1252": "cp1252",
    "x-cp1252": "cp1252",
    "koi8r": "koi8_r",
    "koi8": "koi8_r",
    "koi8-u": "koi8_u",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "ksc5601": "cp949",
    "euc-kr": "cp949",
    "x-euc-kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cn-gb": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "ms_kanji": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "iso-8859-8-i": "iso8859_8",
    "iso-8859-6-i": "iso8859_6",
    "windows-874": "cp874",
    "tis-620": "cp874",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "x-mac-cyrillic": "mac_cyrillic",
    "x-user-defined": "cp1252",
    "default": "cp1252",
    "unknown-8bit": "",
    "x-unknown": "",
    "unknown": "",
}

# Tried in this order when the declared charset is missing or wrong: our languages first.
PREFERRED = ("cp1250", "cp1251", "koi8-r", "iso8859-2", "cp1252")

# Labels that are often put on text in another charset (a Western default in the mail client,
# ISO-8859-2 on windows-1250 text). They decode any bytes without error, so the mistake shows
# only as mojibake; their output is checked for it.
_OFTEN_MISLABELLED = {"cp1252", "iso8859-1", "iso8859-15", "iso8859-2"}
_WIDE = {"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-7"}

# Characters that almost never sit inside a word in real text, but are what windows-1250/1251,
# KOI8-R or ISO-8859-2 bytes turn into when read as ISO-8859-1/windows-1252 (Polish "ł" → "³",
# "ą" → "¹", "ż" → "¿", "ś" → "œ"; Cyrillic → "Ð", "Ñ", "à"…), plus C1 control codes.
# Hungarian "ő"/"ű" read as ISO-8859-1 become "õ"/"û"; "õ" inside a word is otherwise
# Portuguese or Estonian, which we trade for getting Hungarian right.
_MOJIBAKE = re.compile(
    r"[\x80-\x9f]|(?<=\w)[¹²³¿¼½¾¦¨´¸¤¥ª°±º¯¬¡¢§×÷](?=\w)|(?<=[a-zA-Z])[¹³¿œŸ]|[ÐÑ][\x80-\xbf]"
    r"|(?<=\w)[õÕ]|[õÕ](?=\w)"
    # ISO-8859-2 Polish read as windows-1250: "ą" → "±", "ś" → "¶", "Ą" → "ˇ", "Ś" → "¦".
    r"|(?<=[^\W\d_])[±¶ˇ¦¬]|[±¶ˇ¦¬](?=[^\W\d_])"
)
# Cyrillic read as windows-1252 is a soup of accented Latin letters: "Çäðàâñòâóéòå".
# (Polish and Hungarian letters are mostly outside Latin-1 and do not count.)
_ACCENTED_WORD = re.compile(r"\b\w*(?:[\u00c0-\u00ff]\w?){3,}\w*\b")
_CYRILLIC = re.compile(r"[а-яёА-ЯЁ]")
_LATIN_WORD_WITH_CYRILLIC = re.compile(r"\b(?=\w*[a-zA-Z])(?=\w*[а-яёА-ЯЁ])\w+\b")


@dataclass(frozen=True)
class Decoded:
    text: str
    # The Python codec finally used.
    charset: str
    # Why the declared charset was not used, or "" when it was.
    defect: str = ""


@lru_cache(maxsize=256)
def normalize_charset(label: str | None) -> str | None:
    """The Python codec name for a MIME charset label, or None when nothing matches it."""
    if not label:
        return None
    name = label.strip().strip("\"'").strip().lower()
    # RFC 2231 values and some clients append a language: "utf-8''", "iso-8859-2*pl".
    name = name.split("*", 1)[0].split("'", 1)[0]
    if name in _ALIASES:
        name = _ALIASES[name]
        if not name:
            return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        pass
    # "windows1250", "cp-1251", "x-windows-1250", "iso88592" and the like.
    compact = re.sub(r"^(x-|windows|win|cp|ms)[-_]?", "", name.replace("_", "-"))
    for candidate in (f"cp{compact}", compact.replace("iso8859", "iso8859-")):
        try:
            return codecs.lookup(candidate).name
        except LookupError:
            continue
    return None


def mojibake_score(text: str) -> int:
    """How many signs of text decoded with the wrong single-byte charset ``text`` shows."""
    soup = sum(1 for word in _ACCENTED_WORD.findall(text) if _mostly_accented(word))
    return len(_MOJIBAKE.findall(text)) + 2 * len(_LATIN_WORD_WITH_CYRILLIC.findall(text)) + soup


def _mostly_accented(word: str) -> bool:
    accented = sum(1 for ch in word if "\u00c0" <= ch <= "\u00ff")
    return len(word) >= 5 and accented * 10 > len(word) * 6


def decode(data: bytes, declared: str | None = None) -> Decoded:
    """Decode ``data`` labelled ``declared`` (possibly absent or wrong); never raises."""
    if not data:
        return Decoded("", normalize_charset(declared) or "ascii")
    if data.isascii():
        codec = normalize_charset(declared)
        # 7-bit charsets that are not ASCII: UTF-7 and the ISO-2022 family (Japanese mail).
        if codec and (codec in _WIDE or codec.startswith("iso2022")):
            try:
                return Decoded(data.decode(codec), codec)
            except UnicodeError:
                pass
        return Decoded(data.decode("ascii"), "ascii")

    codec = normalize_charset(declared)
    defect = ""
    if codec is None:
        defect = f"unknown charset {declared!r}" if declared else "undeclared 8-bit text"
    elif codec == "ascii":
        defect = "8-bit bytes in text declared US-ASCII"
    else:
        try:
            text = data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            defect = f"text is not valid {declared}"
        else:
            if codec not in _OFTEN_MISLABELLED or not mojibake_score(text):
                return Decoded(text, codec)
            better = _detect_ours(data)
            if better and mojibake_score(better.text) < mojibake_score(text):
                return Decoded(
                    better.text,
                    better.charset,
                    f"declared {declared} but looks like {better.charset}",
                )
            return Decoded(text, codec)

    utf8 = _decode_utf8_leniently(data, trust=codec == "utf-8")
    if utf8 is not None:
        return Decoded(utf8, "utf-8", defect)
    detected = _detect(data, first=codec)
    if detected:
        return Decoded(detected.text, detected.charset, defect)
    return Decoded(data.decode("latin-1"), "latin_1", defect or "charset not detected")


def decode_header_bytes(data: bytes) -> str:
    """Raw 8-bit header bytes (no charset anywhere): UTF-8 as RFC 6532 says, else detected."""
    return decode(data, "utf-8").text


def _decode_utf8_leniently(data: bytes, *, trust: bool) -> str | None:
    """UTF-8 text, tolerating a sequence cut off at the end (or a few bad bytes, when declared)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.reason == "unexpected end of data" and error.start >= len(data) - 3:
            return data[: error.start].decode("utf-8", errors="replace")
    if not trust:
        return None
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    wide = sum(1 for ch in text if ord(ch) > 0x7F) - bad
    # Mostly valid UTF-8 with a few broken bytes is still UTF-8; mostly invalid is something else.
    return text if wide and bad * 10 <= wide else None


def _detect_ours(data: bytes, first: str | None = None) -> Decoded | None:
    """The charset of our languages (or ``first``) that ``data`` reads as without mojibake."""
    candidates = [first] if first and first not in PREFERRED else []
    candidates.extend(PREFERRED)
    # A generous threshold: short mails full of diacritics look "chaotic" to the detector; the
    # mojibake check below decides between the candidates it ranks.
    matches = from_bytes(data, cp_isolation=candidates, threshold=0.5, explain=False)
    best: Decoded | None = None
    best_score = 0
    for match in matches:
        text = str(match)
        score = mojibake_score(text)
        if best is None or score < best_score:
            best, best_score = Decoded(text, _canonical(match.encoding)), score
    return best


def _detect(data: bytes, *, first: str | None) -> Decoded | None:
    # Our charsets decide most mail; short texts are ambiguous to statistical detection, so
    # prefer a candidate that decodes without mojibake, in the order of our languages.
    ours = _detect_ours(data, first)
    if ours is not None and not mojibake_score(ours.text):
        return ours
    candidates = [first] if first and first not in PREFERRED else []
    candidates.extend(PREFERRED)
    for candidate in candidates:
        try:
            text = data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
        if not mojibake_score(text) and (candidate != "cp1251" or _CYRILLIC.search(text)):
            return Decoded(text, _canonical(candidate))
    if ours is not None:
        return ours
    guess = from_bytes(data, explain=False).best()
    if guess is not None:
        return Decoded(str(guess), _canonical(guess.encoding))
    return None


def _canonical(name: str) -> str:
    return codecs.lookup(name).name
