"""The widget's script (``/widget/<key>.js``): small, cacheable, with the store's settings and the
texts of the visitor's language before the code; the demo page that embeds it; and the input
cleaning and language choice the endpoints rely on."""

import gzip
import json
import re
from datetime import UTC, datetime

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from zabota.chat.models import ChatSettings
from zabota.chat.tests.chat_world import chat_settings
from zabota.chat.widget_input import Cleaner, callback_window, plain_text
from zabota.chat.widget_texts import widget_language, widget_texts

# The goal of issue 6: the whole widget in at most 30 KB on the wire.
MAX_GZIPPED = 30 * 1024


@pytest.fixture
def chat(world) -> ChatSettings:
    return chat_settings(world, color="#0f766e", language="")


def script(client: Client, key: str = "demo", **headers):
    return client.get(reverse("chat_widget:script", kwargs={"key": key}), **headers)


def embedded_config(body: str) -> dict:
    match = re.search(r"const C = (\{.*?\});\n", body)
    assert match, "the config must come first, in place of the placeholder"
    return json.loads(match.group(1))


def test_script_carries_the_settings_before_the_code_and_is_cacheable(client, chat):
    # when
    response = script(client, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "max-age=300" in response["Cache-Control"]
    assert "public" in response["Cache-Control"]
    assert "Accept-Language" in response["Vary"]
    body = response.content.decode()
    assert "/*CONFIG*/null" not in body
    config = embedded_config(body)
    assert config["key"] == "demo"
    assert config["origin"] == "http://testserver"
    assert config["ws"] == "ws://testserver"
    assert config["color"] == "#0f766e"
    assert config["store"] == "Demo Store"
    assert config["prechat"] == {"name": "optional", "email": "optional", "order": "off"}
    assert config["maxUpload"] > 0
    assert config["language"] == "en"
    assert config["texts"]["send"] == "Send"
    assert config["texts"]["rateLimited"].startswith("You are sending messages too fast")
    # The code follows the config: the script is one self-contained function.
    assert body.index("const C = {") < body.index("function connect()")


def test_script_is_at_most_30_kb_gzipped_and_compressed_on_request(client, chat):
    # when
    plain = script(client)
    compressed = script(client, HTTP_ACCEPT_ENCODING="gzip, br")
    # then
    size = len(gzip.compress(plain.content, compresslevel=6))
    assert size <= MAX_GZIPPED, f"{size} bytes gzipped"
    assert compressed["Content-Encoding"] == "gzip"
    assert len(compressed.content) <= MAX_GZIPPED
    assert gzip.decompress(compressed.content) == plain.content


@pytest.mark.parametrize(
    ("header", "widget_default", "expected"),
    [
        ("pl-PL,pl;q=0.9,en-US;q=0.8", "", "pl"),
        ("de-DE,hu;q=0.5,ru;q=0.7", "", "ru"),  # by quality, not by position
        ("de-DE,de;q=0.9", "hu", "hu"),  # the widget's own default
        ("de-DE,de;q=0.9", "", "en"),  # the store's default
        ("ru;q=0,pl", "", "pl"),  # q=0: not wanted
        ("", "", "en"),
    ],
)
def test_script_speaks_the_visitors_language_else_the_widgets_or_the_stores(
    client, chat, header, widget_default, expected
):
    # given
    ChatSettings.objects.filter(pk=chat.pk).update(language=widget_default)
    # when
    config = embedded_config(script(client, HTTP_ACCEPT_LANGUAGE=header).content.decode())
    # then
    assert config["language"] == expected
    with translation.override(expected):
        assert config["texts"] == widget_texts()


def test_store_default_language_applies_when_the_browser_speaks_none_of_ours(world, chat):
    # given
    world.store.default_language = "pl"
    world.store.save()
    request = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr")
    # when / then
    assert widget_language(request, ChatSettings.objects.get(pk=chat.pk)) == "pl"


def test_an_unsafe_colour_and_script_breaking_store_name_cannot_escape(client, world, chat):
    """Settings end up inside a <script> and a stylesheet: nothing in them may end either."""
    # given
    ChatSettings.objects.filter(pk=chat.pk).update(color="red;}")
    world.store.name = "</script><script>alert(1)</script>"
    world.store.save()
    # when
    body = script(client).content.decode()
    # then
    assert "</script>" not in body
    config = embedded_config(body)
    assert config["color"] == "#2563eb"
    assert config["store"] == "</script><script>alert(1)</script>"


def test_unknown_key_is_a_harmless_script_404(client, world, chat):
    # when
    response = script(client, "nope")
    # then
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/javascript")
    assert response.content.startswith(b"/*")


def test_try_page_embeds_the_script_of_its_widget(client, chat):
    # when
    response = client.get(reverse("chat_widget:try", kwargs={"key": "demo"}))
    missing = client.get(reverse("chat_widget:try", kwargs={"key": "nope"}))
    # then
    assert response.status_code == 200
    assert b'<script src="/widget/demo.js" async></script>' in response.content
    assert b"Demo Store" in response.content
    assert missing.status_code == 404


# --- input cleaning ---------------------------------------------------------------------------


def test_plain_text_drops_invisible_characters_and_keeps_paragraphs():
    assert plain_text("a\u202eb\u2066c\x07d\ufeff") == "abcd"
    assert plain_text(" one \n two ") == "one two"
    assert plain_text("one\r\n\r\n\r\n\r\ntwo  \nthree", multiline=True) == "one\n\ntwo\nthree"
    assert plain_text(None) == plain_text(["x"]) == ""


def test_callback_window_is_read_in_the_stores_zone_and_refused_when_over():
    now = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 16:00 in Warsaw
    # today 17:00–18:00 Warsaw
    cleaner = Cleaner({"when": "today", "from": "17:00", "to": "18:00"})
    window = callback_window(cleaner, "Europe/Warsaw", now=now)
    assert cleaner.errors == {}
    assert window.start == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    assert window.end == datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
    # today 09:00–10:00 is over
    cleaner = Cleaner({"when": "today", "from": "09:00", "to": "10:00"})
    callback_window(cleaner, "Europe/Warsaw", now=now)
    assert set(cleaner.errors) == {"to"}
    # as soon as possible: no window
    cleaner = Cleaner({"when": "asap"})
    assert callback_window(cleaner, "Europe/Warsaw", now=now).start is None
    cleaner = Cleaner({"when": "yesterday"})
    callback_window(cleaner, "Europe/Warsaw", now=now)
    assert set(cleaner.errors) == {"when"}
