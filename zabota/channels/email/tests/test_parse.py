"""parse_email on authored mails: our languages' charsets in headers and bodies, MIME structure,
attachments, reports, loop headers, and bounded work on hostile input."""

import base64
import quopri
import time
from datetime import UTC, datetime

import pytest

from zabota.channels.email.parse import MAX_PARTS, ParseError, parse_email
from zabota.channels.email.parsed import Address

POLISH = "Zażółć gęślą jaźń: ą ę ł ń ó ś ź ż, Ą Ę Ł Ń Ó Ś Ź Ż. Proszę o zwrot pieniędzy."
HUNGARIAN = "Árvíztűrő tükörfúrógép: ő ű Ő Ű á é í ó ö ú ü. Kérem a visszatérítést."
RUSSIAN = "Съешь же ещё этих мягких французских булок, да выпей чаю: ё й Ё Й. Где мой заказ?"


def build(headers: list[tuple[str, str | bytes]], body: bytes = b"Hello\r\n") -> bytes:
    """A raw message from header fields (str or raw bytes values) and a body."""
    lines = [
        name.encode() + b": " + (v if isinstance(v, bytes) else v.encode()) for name, v in headers
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def standard_headers(**extra: str) -> list[tuple[str, str | bytes]]:
    headers: list[tuple[str, str | bytes]] = [
        ("From", "Maria <maria@example.com>"),
        ("To", "support@store.example"),
        ("Subject", "Order"),
        ("Message-ID", "<m1@example.com>"),
        ("Date", "Mon, 05 Aug 2024 10:00:00 +0200"),
        ("MIME-Version", "1.0"),
    ]
    headers.extend(extra.items())
    return headers


def encoded_word(text: str, charset: str, codec: str, encoding: str) -> str:
    data = text.encode(codec)
    if encoding == "B":
        return f"=?{charset}?B?{base64.b64encode(data).decode()}?="
    quoted = "".join(
        chr(b) if chr(b).isalnum() and b < 128 else "_" if b == 32 else f"={b:02X}" for b in data
    )
    return f"=?{charset}?Q?{quoted}?="


def text_mail(text: str, charset: str, codec: str, transfer: str) -> bytes:
    data = text.encode(codec)
    if transfer == "base64":
        body = base64.encodebytes(data).replace(b"\n", b"\r\n")
    elif transfer == "quoted-printable":
        body = quopri.encodestring(data).replace(b"\n", b"\r\n")
    else:
        body = data
    return build(
        [
            *standard_headers(),
            ("Content-Type", f'text/plain; charset="{charset}"'),
            ("Content-Transfer-Encoding", transfer),
        ],
        body,
    )


CHARSET_CASES = [
    (POLISH, "ISO-8859-2", "iso8859_2"),
    (POLISH, "windows-1250", "cp1250"),
    (HUNGARIAN, "ISO-8859-2", "iso8859_2"),
    (RUSSIAN, "windows-1251", "cp1251"),
    (RUSSIAN, "KOI8-R", "koi8_r"),
]


@pytest.mark.parametrize(("text", "charset", "codec"), CHARSET_CASES)
@pytest.mark.parametrize("transfer", ["quoted-printable", "base64", "8bit"])
def test_body_in_our_charsets_decodes_exactly(text, charset, codec, transfer):
    """Polish, Hungarian and Russian bodies decode exactly in each transfer encoding."""
    # given
    raw = text_mail(text, charset, codec, transfer)

    # when
    parsed = parse_email(raw)

    # then
    assert parsed.text == text
    assert parsed.defects == []


@pytest.mark.parametrize(("text", "charset", "codec"), CHARSET_CASES)
@pytest.mark.parametrize("encoding", ["Q", "B"])
def test_encoded_word_subject_and_name_decode_exactly(text, charset, codec, encoding):
    """RFC 2047 subjects and display names in our charsets decode exactly."""
    # given
    subject = encoded_word(text, charset, codec, encoding)
    name = encoded_word(text.split(":")[0], charset, codec, encoding)
    raw = build(
        [
            ("From", f"{name} <Customer@Example.COM>"),
            ("To", "support@store.example"),
            ("Subject", subject),
        ]
    )

    # when
    parsed = parse_email(raw)

    # then
    assert parsed.subject == text
    assert parsed.from_ == Address(email="customer@example.com", name=text.split(":")[0])


def test_encoded_words_split_inside_a_character_are_joined():
    """A UTF-8 character split over two encoded words (as some encoders do) survives."""
    # given
    data = "Zażółć".encode()
    first, second = data[:3], data[3:]  # "Za" + first byte of "ż"
    subject = (
        f"=?utf-8?B?{base64.b64encode(first).decode()}?=\r\n"
        f" =?utf-8?B?{base64.b64encode(second).decode()}?= gęślą"
    )
    raw = build([("From", "a@example.com"), ("Subject", subject.replace("gęślą", "ok"))])

    # when
    parsed = parse_email(raw)

    # then
    assert parsed.subject == "Zażółć ok"


@pytest.mark.parametrize(
    ("text", "codec"), [(RUSSIAN, "utf-8"), (POLISH, "utf-8"), (RUSSIAN, "cp1251")]
)
def test_raw_8bit_headers_are_decoded(text, codec):
    """Unencoded 8-bit header bytes are read as UTF-8 (RFC 6532) or detected."""
    # given
    name = " ".join(word.strip(",:.") for word in text.split()[:3])
    raw = build(
        [
            ("From", name.encode(codec) + b" <ivan@example.com>"),
            ("Subject", text.encode(codec)),
        ]
    )

    # when
    parsed = parse_email(raw)

    # then
    assert parsed.subject == text
    assert parsed.from_ == Address("ivan@example.com", name)


def test_mislabelled_latin1_body_with_windows_1250_bytes():
    """A body declared ISO-8859-1 but written in windows-1250 decodes as the Polish it is."""
    # given
    raw = text_mail(POLISH, "iso-8859-1", "cp1250", "quoted-printable")

    # when
    parsed = parse_email(raw)

    # then
    assert parsed.text == POLISH
    assert any("iso-8859-1" in defect for defect in parsed.defects)


@pytest.mark.parametrize(("text", "codec"), [(POLISH, "cp1250"), (RUSSIAN, "koi8_r")])
def test_unknown_charset_label_is_detected(text, codec):
    """A charset label no codec knows falls back to detection."""
    # given
    raw = text_mail(text, "x-mystery-charset", codec, "8bit")

    # when
    parsed = parse_email(raw)

    # then
    assert parsed.text == text
    assert "unknown charset 'x-mystery-charset'" in parsed.defects


@pytest.mark.parametrize("label", ["win-1250", "x-cp1250", "utf8"])
def test_charset_aliases_in_bodies(label):
    """Misspelt labels used by real mailers decode as the charset they mean."""
    # given
    codec = "utf-8" if label == "utf8" else "cp1250"
    raw = text_mail(POLISH, label, codec, "base64")

    # when
    parsed = parse_email(raw)

    # then
    assert parsed.text == POLISH


def test_headers_addresses_ids_and_date():
    """Addresses, Message-IDs and the date come out normalised."""
    # given
    raw = build(
        [
            ("From", '"Kowalski, Jan" <Jan.Kowalski@Example.PL>'),
            ("Reply-To", "=?utf-8?Q?Kowalski=2C_Jan?= <reply@example.pl>"),
            ("To", "Support <support@store.example>, other@store.example"),
            ("Cc", "Undisclosed recipients:;"),
            ("Subject", "Re: Zamówienie"),
            ("Message-ID", " <abc@example.pl> "),
            ("In-Reply-To", "<zabota.1.x.y@store.example> (Anna's message)"),
            ("References", "<root@example.pl>\r\n <zabota.1.x.y@store.example>"),
            ("Date", "Mon, 5 Aug 2024 10:00:00"),
        ]
    )

    # when
    parsed = parse_email(raw)

    # then
    assert parsed.from_ == Address("jan.kowalski@example.pl", "Kowalski, Jan")
    assert parsed.reply_to == [Address("reply@example.pl", "Kowalski, Jan")]
    assert [a.email for a in parsed.to] == ["support@store.example", "other@store.example"]
    assert parsed.cc == []
    assert parsed.message_id == "abc@example.pl"
    assert parsed.in_reply_to == ["zabota.1.x.y@store.example"]
    assert parsed.references == ["root@example.pl", "zabota.1.x.y@store.example"]
    assert parsed.date == datetime(2024, 8, 5, 10, 0, tzinfo=UTC)


def test_malformed_from_still_yields_the_address():
    """A From without angle brackets ("Name addr@x") gives the address and a defect."""
    # given
    raw = build([("From", "Big Bug bb@Bug.com"), ("Subject", "x")])

    # when
    parsed = parse_email(raw)

    # then
    assert parsed.from_ == Address("bb@bug.com")
    assert "from header is malformed" in parsed.defects


def test_loop_headers_are_exposed():
    """The headers the loop protection reads are passed on, decoded and lower-cased."""
    # given
    raw = build(
        [
            *standard_headers(),
            ("Auto-Submitted", "auto-replied"),
            ("Precedence", "bulk"),
            ("X-Autoreply", "yes"),
            ("X-Auto-Response-Suppress", "All"),
            ("Return-Path", "<>"),
            ("List-Id", "<news.example.com>"),
            ("X-Mailer", "not needed"),
        ]
    )

    # when
    parsed = parse_email(raw)

    # then
    assert parsed.headers["auto-submitted"] == "auto-replied"
    assert parsed.headers["precedence"] == "bulk"
    assert parsed.headers["x-autoreply"] == "yes"
    assert parsed.headers["x-auto-response-suppress"] == "All"
    assert parsed.headers["return-path"] == "<>"
    assert parsed.headers["list-id"] == "<news.example.com>"
    assert "x-mailer" not in parsed.headers


def multipart(subtype: str, parts: list[bytes], boundary: str = "b1", params: str = "") -> bytes:
    """A multipart entity (headers and body) from already built parts."""
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + part + b"\r\n" for part in parts)
    body += b"--" + boundary.encode() + b"--\r\n"
    head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"{params}\r\n\r\n'
    return head.encode() + body


def part(content_type: str, body: bytes, *extra: str) -> bytes:
    head = "".join(f"{line}\r\n" for line in (f"Content-Type: {content_type}", *extra))
    return head.encode() + b"\r\n" + body


def with_body(entity: bytes, **extra: str) -> bytes:
    """A complete message whose top-level entity is ``entity`` (its own headers first)."""
    return build(standard_headers(**extra), b"")[:-2] + entity


def test_alternative_prefers_text_for_text_and_html_for_html():
    """multipart/alternative: text from the text part, sanitised HTML from the HTML part."""
    # given
    raw = with_body(
        multipart(
            "alternative",
            [
                part("text/plain; charset=utf-8", "Dzień dobry, plain".encode()),
                part(
                    "text/html; charset=utf-8",
                    b"<p>Dzie\xc5\x84 dobry, <b>html</b></p><script>alert(1)</script>"
                    b'<a href="javascript:alert(1)" onclick="x()">link</a>',
                ),
            ],
        )
    )

    # when
    parsed = parse_email(raw)

    # then
    assert parsed.text == "Dzień dobry, plain"
    assert "<b>html</b>" in parsed.html
    assert "script" not in parsed.html
    assert "javascript" not in parsed.html
    assert "onclick" not in parsed.html


def test_html_only_mail_gets_a_derived_text():
    """Without a text part, the text is derived from the HTML."""
    # given
    raw = with_body(
        part("text/html; charset=koi8-r", "<p>Привет</p><p>Где заказ?</p>".encode("koi8_r"))
    )

    # when
    parsed = parse_email(raw)

    # then
    assert parsed.text.splitlines() == ["Привет", "Где заказ?"]
    assert "<p>Привет</p>" in parsed.html


def test_related_inline_image_keeps_its_content_id():
    """An image referenced as cid: from the HTML is an inline attachment with its Content-ID."""
    # given
    png = b"\x89PNG\r\n\x1a\nfake"
    raw = with_body(
        multipart(
            "related",
            [
                part("text/html; charset=utf-8", b'<p>See <img src="cid:logo@x"></p>'),
                part(
                    "image/png",
                    base64.encodebytes(png),
                    "Content-Transfer-Encoding: base64",
                    "Content-ID: <logo@x>",
                ),
            ],
        )
    )

    # when
    parsed = parse_email(raw)

    # then
    assert len(parsed.attachments) == 1
    image = parsed.attachments[0]
    assert (image.content_id, image.inline, image.data) == ("logo@x", True, png)
    assert image.filename == "attachment-1.png"
    assert 'src="cid:logo@x"' in parsed.html


def test_rfc2231_and_encoded_word_file_names():
    """File names in RFC 2231 (with a charset) and in RFC 2047 encoded words are decoded, and
    paths are stripped."""
    # given
    koi8_name = encoded_word("счёт.txt", "koi8-r", "koi8_r", "B")
    raw = with_body(
        multipart(
            "mixed",
            [
                part("text/plain", b"See attached"),
                part(
                    "application/pdf",
                    b"%PDF-1",
                    "Content-Disposition: attachment;\r\n"
                    " filename*=utf-8''faktura%20%C5%BC%C3%B3%C5%82w.pdf",
                ),
                part(
                    "application/octet-stream",
                    b"data",
                    f'Content-Disposition: attachment; filename="{koi8_name}"',
                ),
                part(
                    "text/plain",
                    b"x",
                    'Content-Disposition: attachment; filename="..\\..\\etc\\passwd"',
                ),
            ],
        )
    )

    # when
    parsed = parse_email(raw)

    # then
    assert [a.filename for a in parsed.attachments] == ["faktura żółw.pdf", "счёт.txt", "passwd"]
    assert parsed.text == "See attached"


def test_oversized_attachment_is_reported_not_loaded():
    """An attachment over the limit is listed with its size and not loaded."""
    # given
    big = b"x" * 3000
    raw = with_body(
        multipart(
            "mixed",
            [
                part("text/plain", b"Photos attached"),
                part(
                    "image/jpeg",
                    base64.encodebytes(big),
                    "Content-Transfer-Encoding: base64",
                    'Content-Disposition: attachment; filename="photo.jpg"',
                ),
                part("text/csv", b"a,b", 'Content-Disposition: attachment; filename="small.csv"'),
            ],
        )
    )

    # when
    parsed = parse_email(raw, max_attachment_bytes=1000)

    # then
    assert [a.filename for a in parsed.attachments] == ["small.csv"]
    assert len(parsed.oversized) == 1
    oversized = parsed.oversized[0]
    assert (oversized.filename, oversized.content_type) == ("photo.jpg", "image/jpeg")
    assert 2900 <= oversized.size <= 3100


def test_attached_message_is_kept_as_eml():
    """A forwarded message/rfc822 becomes an .eml attachment named after its subject."""
    # given
    inner = build([("From", "shop@example.com"), ("Subject", "Your order 123")], b"Inner text")
    raw = with_body(
        multipart("mixed", [part("text/plain", b"Forwarding"), part("message/rfc822", inner)])
    )

    # when
    parsed = parse_email(raw)

    # then
    assert parsed.text == "Forwarding"
    assert [a.filename for a in parsed.attachments] == ["Your order 123.eml"]
    assert b"Inner text" in parsed.attachments[0].data


def test_delivery_status_report_finds_the_original_message_id():
    """An RFC 3464 bounce is marked as a report and names the message it bounced."""
    # given
    original = build(
        [("From", "support@store.example"), ("Message-ID", "<zabota.7.ab.cd@store.example>")], b"Hi"
    )
    raw = build(
        [
            ("From", "Mail Delivery System <MAILER-DAEMON@mx.example.com>"),
            ("To", "support@store.example"),
            ("Subject", "Undelivered Mail Returned to Sender"),
            ("Message-ID", "<bounce1@mx.example.com>"),
            ("Content-Type", 'multipart/report; report-type=delivery-status; boundary="r"'),
        ],
        multipart(
            "report",
            [
                part("text/plain", b"The mail could not be delivered."),
                part(
                    "message/delivery-status",
                    b"Reporting-MTA: dns; mx\r\n\r\n"
                    b"Final-Recipient: rfc822; x@y\r\nAction: failed\r\nStatus: 5.1.1\r\n",
                ),
                part("message/rfc822", original),
            ],
            boundary="r",
        ).split(b"\r\n\r\n", 1)[1],
    )

    # when
    parsed = parse_email(raw)

    # then
    assert parsed.is_delivery_report is True
    assert parsed.reported_message_id == "zabota.7.ab.cd@store.example"
    assert parsed.text == "The mail could not be delivered."
    assert "delivery-status.txt" in [a.filename for a in parsed.attachments]


def test_non_standard_bounce_finds_the_message_id_in_the_returned_headers():
    """A plain-text bounce from the mailer daemon is a report; the original Message-ID is
    taken from the headers it returns."""
    # given
    raw = build(
        [
            ("From", "MAILER-DAEMON@mx.example.com"),
            ("Subject", "failure notice"),
            ("Message-ID", "<own@mx.example.com>"),
        ],
        b"Sorry, we were unable to deliver your message.\r\n\r\n"
        b"--- Below this line is a copy\r\n\r\n"
        b"From: support@store.example\r\nMessage-ID:\r\n <zabota.9.ef.01@store.example>\r\n",
    )

    # when
    parsed = parse_email(raw)

    # then
    assert parsed.is_delivery_report is True
    assert parsed.reported_message_id == "zabota.9.ef.01@store.example"


def test_ordinary_mail_is_not_a_report():
    """A customer's mail mentioning delivery is not taken for a bounce."""
    # given
    raw = build(standard_headers(), b"Delivery failed? My parcel did not arrive.")

    # when
    parsed = parse_email(raw)

    # then
    assert parsed.is_delivery_report is False
    assert parsed.reported_message_id == ""


def test_quoted_history_and_signature_are_separated():
    """The parser hands the new text, the history and the signature separately."""
    # given
    body = (
        "Dziękuję, paczka dotarła.\r\n\r\n-- \r\nJan Kowalski\r\n\r\n"
        "W dniu 5.08.2024 o 10:00, Anna <anna@store.example> pisze:\r\n> Paczka wysłana.\r\n"
    ).encode("iso8859_2")
    raw = build([*standard_headers(), ("Content-Type", "text/plain; charset=iso-8859-2")], body)

    # when
    parsed = parse_email(raw)

    # then
    assert parsed.text == "Dziękuję, paczka dotarła."
    assert parsed.signature == "Jan Kowalski"
    assert parsed.quoted.startswith("W dniu 5.08.2024")


def test_tnef_attachment_is_unpacked():
    """winmail.dat is replaced by the files inside it."""
    # given
    from zabota.channels.email.tests.test_tnef import TNEF_DIR

    stream = (TNEF_DIR / "two-files.tnef").read_bytes()
    raw = with_body(
        multipart(
            "mixed",
            [
                part("text/plain", b"Files attached"),
                part(
                    'application/ms-tnef; name="winmail.dat"',
                    base64.encodebytes(stream),
                    "Content-Transfer-Encoding: base64",
                    'Content-Disposition: attachment; filename="winmail.dat"',
                ),
            ],
        )
    )

    # when
    parsed = parse_email(raw)

    # then
    assert sorted(a.filename for a in parsed.attachments) == ["AUTHORS", "README"]


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\r\n\r\n",
        b"\x78\x9f\x3e\x22\x00\x01binary",
        b"just a line of text\nand more",
        b"# Title\n",
    ],
    ids=["empty", "blank", "binary", "prose", "markdown"],
)
def test_bytes_that_are_not_mail_raise_parse_error_with_a_reason(raw):
    """Only data that is not an e-mail at all raises, and always with a reason."""
    with pytest.raises(ParseError) as raised:
        parse_email(raw)
    assert raised.value.reason


def test_huge_encoded_word_header_parses_in_bounded_time():
    """A 400 KB Subject of encoded words is capped: parsing stays fast and says so."""
    # given
    subject = " ".join(["=?utf-8?B?0J/RgNC40LLQtdGC?="] * 14_000)
    raw = build([("From", "a@example.com"), ("Subject", subject), ("To", subject)])

    # when
    started = time.perf_counter()
    parsed = parse_email(raw)
    elapsed = time.perf_counter() - started

    # then
    assert elapsed < 1.0
    assert parsed.subject.startswith("ПриветПривет")
    assert len(parsed.subject) < 10_000
    assert any("truncated" in defect for defect in parsed.defects)


def test_many_parts_are_capped():
    """A message with 3,000 parts processes at most MAX_PARTS of them and records it."""
    # given
    parts = [
        part("application/octet-stream", b"x", f'Content-Disposition: attachment; filename="f{i}"')
        for i in range(3000)
    ]
    raw = with_body(multipart("mixed", [part("text/plain", b"Many"), *parts]))

    # when
    started = time.perf_counter()
    parsed = parse_email(raw)
    elapsed = time.perf_counter() - started

    # then
    assert elapsed < 2.0
    assert parsed.text == "Many"
    assert len(parsed.attachments) == MAX_PARTS - 2  # the multipart and the text count too
    assert any("part limit" in defect for defect in parsed.defects)


def test_deep_nesting_is_cut_off():
    """Multiparts nested hundreds deep stop at the depth limit without recursion errors."""
    # given
    entity = part("text/plain", b"deep")
    for level in range(200):
        entity = multipart("mixed", [entity], boundary=f"n{level}")
    raw = with_body(entity)

    # when
    parsed = parse_email(raw)

    # then
    assert any("nesting" in defect for defect in parsed.defects)
