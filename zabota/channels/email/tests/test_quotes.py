"""Separating the new text from quoted history and signatures, in our four languages."""

import time

import pytest

from zabota.channels.email.quotes import split_reply

REPLIES = [
    pytest.param(
        "Thanks, the parcel arrived.\n\n"
        "On Mon, 5 Aug 2024 at 10:00, Anna <anna@store.example> wrote:\n"
        "> Your parcel was sent today.\n> Anna\n",
        "Thanks, the parcel arrived.",
        "On Mon, 5 Aug 2024 at 10:00, Anna <anna@store.example> wrote:",
        id="en-gmail",
    ),
    pytest.param(
        "Thanks!\n\nOn Mon, 5 Aug 2024 at 10:00, Anna Kowalska <\nanna@store.example> wrote:\n\n"
        "> Sent today.\n",
        "Thanks!",
        "On Mon, 5 Aug 2024 at 10:00, Anna Kowalska <",
        id="en-wrapped-attribution",
    ),
    pytest.param(
        "Спасибо, посылка пришла.\n\n"
        "5 авг. 2024 г., в 10:00, Анна <anna@store.example> написал(а):\n"
        "> Ваша посылка отправлена.\n",
        "Спасибо, посылка пришла.",
        "5 авг. 2024 г., в 10:00, Анна <anna@store.example> написал(а):",
        id="ru-apple-mail",
    ),
    pytest.param(
        "Спасибо!\n\nпн, 5 авг. 2024 г. в 10:00, Анна <anna@store.example>:\n> Отправлено.\n",
        "Спасибо!",
        "пн, 5 авг. 2024 г. в 10:00, Анна <anna@store.example>:",
        id="ru-gmail",
    ),
    pytest.param(
        "Ответ ниже не нужен.\n\n05.08.2024 10:00, Анна пишет:\n> Посылка в пути.\n",
        "Ответ ниже не нужен.",
        "05.08.2024 10:00, Анна пишет:",
        id="ru-thunderbird",
    ),
    pytest.param(
        "Dziękuję, paczka dotarła.\n\n"
        "W dniu 5.08.2024 o 10:00, Anna <anna@store.example> pisze:\n"
        "> Paczka została wysłana.\n",
        "Dziękuję, paczka dotarła.",
        "W dniu 5.08.2024 o 10:00, Anna <anna@store.example> pisze:",
        id="pl-thunderbird",
    ),
    pytest.param(
        "Dziękuję.\n\npon., 5 sie 2024 o 10:00 Anna <anna@store.example> napisał(a):\n> Wysłane.\n",
        "Dziękuję.",
        "pon., 5 sie 2024 o 10:00 Anna <anna@store.example> napisał(a):",
        id="pl-gmail",
    ),
    pytest.param(
        "Köszönöm, megérkezett.\n\n2024.08.05. 10:00 keltezéssel, Anna írta:\n"
        "> A csomagot feladtuk.\n",
        "Köszönöm, megérkezett.",
        "2024.08.05. 10:00 keltezéssel, Anna írta:",
        id="hu-thunderbird",
    ),
    pytest.param(
        "Köszönöm!\n\nAnna <anna@store.example> ezt írta (időpont: 2024. aug. 5., H, 10:00):\n\n"
        "> A csomagot feladtuk.\n",
        "Köszönöm!",
        "Anna <anna@store.example> ezt írta (időpont: 2024. aug. 5., H, 10:00):",
        id="hu-gmail",
    ),
    pytest.param(
        "Answer above.\n\n-----Original Message-----\nFrom: Anna\nSent: Monday\nTo: Maria\n"
        "Subject: Order\n\nOld text\n",
        "Answer above.",
        "-----Original Message-----",
        id="en-outlook-separator",
    ),
    pytest.param(
        "Ответ.\n\n-----Исходное сообщение-----\nОт: Анна\nОтправлено: 5 августа 2024 г.\n"
        "Кому: Иван\nТема: Заказ\n\nСтарый текст\n",
        "Ответ.",
        "-----Исходное сообщение-----",
        id="ru-outlook-separator",
    ),
    pytest.param(
        "Odpowiedź.\n\nOd: Anna <anna@store.example>\nWysłano: poniedziałek, 5 sierpnia 2024\n"
        "Do: Maria\nTemat: Zamówienie\n\nStary tekst\n",
        "Odpowiedź.",
        "Od: Anna <anna@store.example>",
        id="pl-outlook-block",
    ),
    pytest.param(
        "Válasz.\n\n________________________________\nFeladó: Anna <anna@store.example>\n"
        "Elküldve: 2024. augusztus 5. 10:00\nCímzett: Maria\nTárgy: Rendelés\n\nRégi szöveg\n",
        "Válasz.",
        "________________________________",
        id="hu-outlook-underscores",
    ),
    pytest.param(
        "Answer.\n\n*From:* Anna <anna@store.example>\n*Sent:* Monday\n*To:* Maria\n\nOld\n",
        "Answer.",
        "*From:* Anna <anna@store.example>",
        id="en-outlook-bold-block",
    ),
    pytest.param(
        "> Did the parcel arrive?\n\nYes, yesterday.\n",
        "Yes, yesterday.",
        "> Did the parcel arrive?",
        id="bottom-posting",
    ),
]


@pytest.mark.parametrize(("body", "new", "quoted_starts"), REPLIES)
def test_split_reply_separates_quoted_history(body, new, quoted_starts):
    """The new text is what the sender wrote; the history starts at its attribution line."""
    # when
    split = split_reply(body)

    # then
    assert split.new == new
    assert split.quoted.startswith(quoted_starts)


SIGNATURES = [
    pytest.param(
        "Still waiting.\n\n-- \nMaria Nowak\n+48 600 000 000\n", "Maria Nowak", id="dashes"
    ),
    pytest.param("Ok\n\nSent from my iPhone\n", "Sent from my iPhone", id="en-iphone"),
    pytest.param("Хорошо\n\nОтправлено с iPhone\n", "Отправлено с iPhone", id="ru-iphone"),
    pytest.param("Dobrze\n\nWysłane z iPhone'a\n", "Wysłane z iPhone'a", id="pl-iphone"),
    pytest.param("Rendben\n\nKüldve iPhone-ról\n", "Küldve iPhone-ról", id="hu-iphone"),
    pytest.param("Ok\n\nGet Outlook for Android\n", "Get Outlook for Android", id="outlook-mobile"),
]


@pytest.mark.parametrize(("body", "signature_starts"), SIGNATURES)
def test_split_reply_separates_signatures(body, signature_starts):
    """The "-- " delimiter and mobile-client signatures are split off the new text."""
    # when
    split = split_reply(body)

    # then
    assert split.signature.startswith(signature_starts)
    assert signature_starts not in split.new
    assert split.new.strip()


def test_split_reply_keeps_interleaved_answers():
    """Answers written between quoted lines stay in the new text: nothing the sender wrote is
    hidden."""
    # given
    body = (
        "On Mon, 5 Aug 2024 Anna wrote:\n> Did it arrive?\nYes it did.\n"
        "> And the invoice?\nNot yet.\n"
    )

    # when
    split = split_reply(body)

    # then
    assert "Yes it did." in split.new
    assert "Not yet." in split.new
    assert split.quoted == ""


def test_split_reply_does_not_take_prose_for_an_attribution():
    """ "As Anna wrote:" in the sender's own text, with no quote after it, is new text."""
    # given
    body = "As your colleague Anna wrote:\n\nthe parcel is late, please check.\n"

    # when
    split = split_reply(body)

    # then
    assert split.new == body.strip()
    assert split.quoted == ""


def test_split_reply_never_leaves_the_new_text_empty():
    """A mail that is only a quote keeps its text as new text rather than hiding all of it."""
    # given
    body = "On Mon, 5 Aug 2024 Anna wrote:\n> only the quote\n"

    # when
    split = split_reply(body)

    # then
    assert "only the quote" in split.new


def test_split_reply_with_signature_and_history():
    """Text, signature and history come apart in one mail."""
    # given
    body = (
        "Proszę o fakturę.\n\n-- \nJan Kowalski\n\n"
        "W dniu 5.08.2024 o 10:00, Anna <anna@store.example> pisze:\n> Dzień dobry\n"
    )

    # when
    split = split_reply(body)

    # then
    assert split.new == "Proszę o fakturę."
    assert split.signature == "Jan Kowalski"
    assert split.quoted.startswith("W dniu 5.08.2024")


def test_split_reply_is_linear_on_long_interleaved_text():
    """120,000 alternating quoted and plain lines split in well under a second."""
    # given
    body = "> question\nanswer\n" * 60_000

    # when
    started = time.perf_counter()
    split = split_reply(body)
    elapsed = time.perf_counter() - started

    # then
    assert elapsed < 2.0
    assert split.quoted == ""


GMAIL_REPLY = (
    b"From: Maria <maria@example.pl>\r\nTo: support@store.example\r\nSubject: Re: Order\r\n"
    b"Message-ID: <r1@example.pl>\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
    b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Still nothing, sorry.\r\n\r\n"
    b"On Mon, 2 Nov 2026 at 10:00, Support <support@store.example> wrote:\r\n"
    b"> We shipped it yesterday.\r\n"
    b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    b'<div dir="ltr"><b>Still nothing</b>, sorry.</div><br><div class="gmail_quote">'
    b'<div class="gmail_attr">On Mon, 2 Nov 2026 at 10:00, Support wrote:</div>'
    b"<blockquote>We shipped it yesterday.</blockquote></div>\r\n"
    b"--b--\r\n"
)


def test_html_body_leaves_out_the_quoted_history():
    """The history is shown collapsed from ``quoted``, so the HTML body must not repeat it."""
    from zabota.channels.email.parse import parse_email

    parsed = parse_email(GMAIL_REPLY)
    assert "<b>Still nothing</b>" in parsed.html
    assert "shipped" not in parsed.html
    assert "shipped" in parsed.quoted


def test_html_without_marker_or_only_history_is_kept():
    from zabota.channels.email.quotes import strip_html_history

    plain = "<p>Hello</p><blockquote>old</blockquote>"
    assert strip_html_history(plain) == plain
    only_history = '<div class="gmail_quote"><blockquote>old</blockquote></div>'
    assert strip_html_history(only_history) == only_history
    outlook = (
        '<p>New text</p><div style="border:none;border-top:solid #E1E1E1 1.0pt"><p>From: x</p>'
    )
    assert strip_html_history(outlook) == "<p>New text</p>"
