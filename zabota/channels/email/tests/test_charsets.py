"""Charset decoding: declared, misspelt, mislabelled and missing charsets of our languages."""

import pytest

from zabota.channels.email.charsets import decode, decode_header_bytes, normalize_charset

POLISH = "Zażółć gęślą jaźń: ą ę ł ń ó ś ź ż, Ą Ę Ł Ń Ó Ś Ź Ż. Proszę o zwrot pieniędzy."
HUNGARIAN = "Árvíztűrő tükörfúrógép: ő ű Ő Ű á é í ó ö ú ü. Kérem a visszatérítést."
RUSSIAN = "Съешь же ещё этих мягких французских булок, да выпей чаю: ё й Ё Й. Где мой заказ?"


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("win-1251", "cp1251"),
        ("x-cp1250", "cp1250"),
        ("utf8", "utf-8"),
        ("unicode-1-1-utf-8", "utf-8"),
        ("ks_c_5601-1987", "cp949"),
        ('"ISO-8859-2"', "iso8859-2"),
        ("windows1250", "cp1250"),
        ("iso88592", "iso8859-2"),
        ("KOI8-R", "koi8-r"),
        ("iso-8859-1", "cp1252"),
        ("gb2312", "gb18030"),
        ("utf-8''", "utf-8"),
    ],
)
def test_normalize_charset_maps_aliases_seen_in_mail(label, codec):
    """Misspelt and vendor charset labels resolve to the codec that decodes such mail."""
    # when
    resolved = normalize_charset(label)

    # then
    assert resolved == codec


@pytest.mark.parametrize("label", ["x-unknown", "unknown-8bit", "klingon-1", "", None])
def test_normalize_charset_returns_none_for_unknown_labels(label):
    """A label no codec matches is reported as unknown, not guessed."""
    assert normalize_charset(label) is None


@pytest.mark.parametrize(
    ("text", "codec", "label"),
    [
        (POLISH, "iso8859_2", "ISO-8859-2"),
        (POLISH, "cp1250", "windows-1250"),
        (HUNGARIAN, "iso8859_2", "iso-8859-2"),
        (RUSSIAN, "cp1251", "windows-1251"),
        (RUSSIAN, "koi8_r", "koi8-r"),
        (POLISH, "cp1250", "win-1250"),
        (RUSSIAN, "cp1251", "win-1251"),
        (POLISH, "utf-8", "utf8"),
    ],
)
def test_decode_with_the_declared_charset(text, codec, label):
    """Correctly labelled text decodes exactly and without a defect."""
    # given
    data = text.encode(codec)

    # when
    decoded = decode(data, label)

    # then
    assert decoded.text == text
    assert decoded.defect == ""


@pytest.mark.parametrize(
    ("text", "codec", "label"),
    [
        (POLISH, "cp1250", "iso-8859-1"),  # a Western default in the sender's client
        (POLISH, "cp1250", "ISO-8859-2"),  # ś and ź differ between the two
        (HUNGARIAN, "iso8859_2", "iso-8859-1"),
        (RUSSIAN, "cp1251", "iso-8859-1"),
        (RUSSIAN, "koi8_r", "windows-1252"),
        (POLISH, "cp1250", "x-no-such-charset"),
        (RUSSIAN, "cp1251", "x-no-such-charset"),
        (RUSSIAN, "koi8_r", "klingon"),
        (RUSSIAN, "cp1251", "us-ascii"),
        (POLISH, "iso8859_2", "utf-8"),  # declared UTF-8, is not
        (HUNGARIAN, "iso8859_2", None),  # no charset at all
    ],
)
def test_decode_repairs_mislabelled_and_unknown_charsets(text, codec, label):
    """A wrong or unknown label falls back to detection biased to our languages' charsets."""
    # given
    data = text.encode(codec)

    # when
    decoded = decode(data, label)

    # then
    assert decoded.text == text
    assert decoded.defect != ""


def test_decode_keeps_western_text_labelled_latin_1():
    """Genuine ISO-8859-1 text is not "repaired" into another charset."""
    # given
    text = "Grüße aus Köln. C'est sûr, à bientôt, café naïve."

    # when
    decoded = decode(text.encode("latin-1"), "iso-8859-1")

    # then
    assert decoded.text == text
    assert decoded.defect == ""


def test_decode_never_raises_on_arbitrary_bytes():
    """Bytes that are no text in any charset still decode to something (latin-1 at worst)."""
    # given
    data = bytes(range(256)) * 4

    # when
    decoded = decode(data, "utf-8")

    # then
    assert isinstance(decoded.text, str)
    assert len(decoded.text) > 0


def test_decode_tolerates_utf8_cut_in_the_middle_of_a_character():
    """UTF-8 truncated inside a multibyte character keeps everything before the cut."""
    # given
    data = "Картинка".encode()[:-1]

    # when
    decoded = decode(data, "utf-8")

    # then
    assert decoded.text.startswith("Картинк")
    assert decoded.charset == "utf-8"


@pytest.mark.parametrize(
    ("text", "codec"),
    [(RUSSIAN, "utf-8"), (RUSSIAN, "cp1251"), (POLISH, "cp1250"), (HUNGARIAN, "utf-8")],
)
def test_decode_header_bytes_prefers_utf8_then_detects(text, codec):
    """Raw 8-bit header bytes are UTF-8 (RFC 6532) or else detected."""
    assert decode_header_bytes(text.encode(codec)) == text
