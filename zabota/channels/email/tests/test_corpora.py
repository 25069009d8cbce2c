"""Every file of the shared corpora (real and deliberately broken mail from mikel/mail,
mailgun/flanker and MimeKit) goes through parse_email without an unhandled exception."""

import time
from pathlib import Path

import pytest
from django.conf import settings

from zabota.channels.email.parse import ParseError, parse_email
from zabota.channels.email.parsed import Address, ParsedEmail

CORPORA = Path(settings.BASE_DIR).parent / "shared" / "corpora"
FILES = sorted(path for path in CORPORA.rglob("*") if path.is_file())
MAIL_SUFFIXES = {".eml", ".txt"}
# Not messages: raw TNEF streams, MimeKit's expected file lists, the corpora's own READMEs.
NOT_MAIL_SUFFIXES = {".tnef", ".list", ".md"}


def parse(relative: str) -> ParsedEmail:
    return parse_email((CORPORA / relative).read_bytes())


def test_the_corpora_are_present():
    """The shared corpora are where the tests expect them: 185 mails among 227 files."""
    assert len(FILES) == 227
    assert sum(path.suffix in MAIL_SUFFIXES for path in FILES) == 185


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(CORPORA)) for p in FILES])
def test_every_corpus_file_parses_or_is_refused_with_a_reason(path):
    """Mail parses (in bounded time); only files that are not mail raise ParseError, and
    always with a reason."""
    # given
    raw = path.read_bytes()

    # when
    started = time.perf_counter()
    try:
        parsed = parse_email(raw)
    except ParseError as error:
        # then
        assert path.suffix in NOT_MAIL_SUFFIXES
        assert error.reason
        return
    elapsed = time.perf_counter() - started

    # then
    assert path.suffix in MAIL_SUFFIXES
    assert elapsed < 2.0
    assert isinstance(parsed.subject, str) and isinstance(parsed.text, str)
    assert len(parsed.defects) <= 50
    assert "\x00" not in parsed.text
    assert all(a.filename and "/" not in a.filename for a in parsed.attachments)


def test_cyrillic_subject_and_body():
    """A bilingual mail keeps its Cyrillic subject."""
    # when
    parsed = parse("mailgun-flanker/bilingual-simple.eml")

    # then
    assert parsed.subject == "Simple text. How are you? Как ты поживаешь?"


def test_koi8_r_body_with_tnef_part():
    """Exchange's KOI8-R quoted-printable body decodes (Ukrainian "шостий")."""
    # when
    parsed = parse("mimekit/tnef/ukr.eml")

    # then
    assert parsed.text.startswith("шостий")


def test_windows_1251_encoded_display_name():
    """A windows-1251 encoded word in a quoted display name decodes."""
    # when
    parsed = parse("mikel-mail/plain_emails/raw_email_bad_time.eml")

    # then
    assert parsed.from_ == Address("yusuf75thu@auracom.net", "Атиковa")


def test_raw_utf8_headers_rfc6532():
    """UTF-8 header bytes (RFC 6532) decode, in the subject and the address itself."""
    # when
    parsed = parse("mikel-mail/rfc6532/utf8_headers.eml")

    # then
    assert parsed.subject == "Säying Hello"
    assert parsed.from_ is not None
    assert parsed.from_.email == "jdöe@mächine.example"


def test_raw_8bit_attachment_name_cut_mid_character():
    """A raw UTF-8 Cyrillic file name cut off inside a character keeps what is readable."""
    # when
    parsed = parse("mailgun-flanker/russian-attachment-yahoo.eml")

    # then
    assert parsed.attachments[0].filename.startswith("Картинка с очень, очень длинным")


@pytest.mark.parametrize(
    ("relative", "reported"),
    [
        (
            "mailgun-flanker/bounce/gmail-invalid-address.eml",
            "CAKsfaBUUGqVZiaMrmH3TRPfq1odQPtM7Ey5YW1SgyJJRHtAjgw@mail.gmail.com",
        ),
        (
            "mimekit/messages/bounce.txt",
            "44565655.JitbitHelpdesk.13439.691a0afc-a0a0-457c-8208-f20b7c4a4cb1@jitbit.com",
        ),
        (
            "mailgun-flanker/bounce/office365.eml",
            "20171013111011.20866.254C2F3A4D7AA526@ninomail.com",
        ),
        ("mimekit/messages/delivery-status.txt", "31FC7EB4.41C6@netscape.com"),
        (
            "mikel-mail/multipart_report_emails/report_530.eml",
            "200712232303.lBNN3jDq002941@mail12.rrrr.com.au",
        ),
        ("mimekit/messages/disposition-notification.txt", "199509192301.23456@example.org"),
    ],
)
def test_bounces_report_the_original_message_id(relative, reported):
    """Bounces and reports are marked and name the message they are about."""
    # when
    parsed = parse(relative)

    # then
    assert parsed.is_delivery_report is True
    assert parsed.reported_message_id == reported


def test_non_standard_bounce_is_recognised():
    """A plain-text bounce from the mailer daemon (no multipart/report) is still a report."""
    # when
    parsed = parse("mailgun-flanker/bounce/gmail-no-dns.eml")

    # then
    assert parsed.is_delivery_report is True
    assert parsed.headers["x-failed-recipients"] == "user@example.comm"
    assert parsed.headers["return-path"] == "<>"


@pytest.mark.parametrize(
    "relative", ["mailgun-flanker/text-only.eml", "mikel-mail/plain_emails/basic_email.eml"]
)
def test_ordinary_mail_is_not_a_report(relative):
    """Plain mail is not taken for a bounce."""
    assert parse(relative).is_delivery_report is False


def test_tnef_message_yields_the_files_inside_winmail_dat():
    """A message with winmail.dat carries the files MimeKit's list names for its stream."""
    # when
    parsed = parse("mimekit/tnef/rich-text.eml")

    # then
    names = [a.filename for a in parsed.attachments]
    assert "kitten-playing-with-a-christmas-tree.jpg" in names
    assert "winmail.dat" not in names
    assert parsed.text


def test_135_kb_encoded_word_header_is_capped():
    """MimeKit's header-parser DoS sample parses quickly with the To header truncated."""
    # when
    started = time.perf_counter()
    parsed = parse("mimekit/messages/stack-overflow.txt")

    # then
    assert time.perf_counter() - started < 1.0
    assert any("truncated" in defect for defect in parsed.defects)
    assert parsed.subject == "Message Subject"


def test_3040_part_message_is_bounded():
    """flanker's part-count explosion parses in bounded time and keeps the enclosed message."""
    # when
    started = time.perf_counter()
    parsed = parse("mailgun-flanker/enclosed-endless.eml")

    # then
    assert time.perf_counter() - started < 2.0
    assert [a.filename for a in parsed.attachments] == ["Thanks!.eml"]


def test_japanese_and_korean_charsets():
    """ISO-2022-JP subjects and ks_c_5601-1987 bodies decode."""
    assert parse("mikel-mail/multi_charset/japanese_iso_2022.eml").subject == "まみむめも"
    assert parse("mikel-mail/plain_emails/raw_email.eml").subject == "NOTE: 한국말로 하는 것"


def test_transfer_encoding_with_a_stray_semicolon_is_decoded():
    """ "Content-Transfer-Encoding: quoted-printable;" still decodes as quoted-printable."""
    # when
    parsed = parse("mikel-mail/error_emails/content_transfer_encoding_with_semi_colon.eml")

    # then
    assert "pre-approved for a $402,000 Home Loan" in parsed.html.replace("\n", " ")
    assert "=3D" not in parsed.html
