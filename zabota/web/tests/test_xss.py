"""Hostile content from customers never runs in the agent's browser.

A customer message carries the usual payloads (script, event handlers, javascript: links, SVG,
iframes, style, a mutation-XSS gadget); names, subject, tags and file names carry markup too,
and an SVG attachment contains a script. The page must render all of it inert, and the SVG
must only ever be a download.
"""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from zabota.customers.actions import do_create_customer
from zabota.tickets.actions import (
    NewAttachment,
    do_add_customer_message,
    do_change_tags,
    do_create_ticket,
    get_or_create_tag,
)
from zabota.tickets.models import Attachment
from zabota.web.tests.conftest import login

HOSTILE_HTML = """
<p>Hello<script>window.__xss = 1; alert(1)</script></p>
<img src="x" onerror="window.__xss = 2; alert(2)">
<a href="javascript:window.__xss = 3; alert(3)">track my parcel</a>
<a href="jav&#x09;ascript:alert(3)">tabbed scheme</a>
<svg onload="window.__xss = 4; alert(4)"><circle r="5"></circle></svg>
<iframe src="javascript:alert(5)"></iframe>
<iframe srcdoc="&lt;script&gt;parent.__xss = 5&lt;/script&gt;"></iframe>
<style>body { background: url("javascript:alert(6)") }</style>
<math><mtext><table><mglyph><style><img src=x onerror="window.__xss = 7"></style>
</mglyph></table></mtext></math>
<form action="javascript:alert(8)"><button>Claim refund</button></form>
<p>See the logo: <img src="cid:logo@shop"></p>
"""
HOSTILE_NAME = '<img src=x onerror="window.__xss = 9">'
HOSTILE_SUBJECT = "</title><script>window.__xss = 10</script>"
HOSTILE_TAG = '<b onmouseover="window.__xss = 11">vip</b>'
SVG_WITH_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="window.__xss = 12">'
    b"<script>window.__xss = 13; alert(13)</script></svg>"
)


class Collector(HTMLParser):
    """Every start tag of the page, and which of them sit inside a message body."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.in_body: list[tuple[str, dict[str, str]]] = []
        self._depth = 0  # open elements inside the current .msg-body, 0 when outside

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        if self._depth:
            self.in_body.append((tag, attributes))
            if tag not in ("img", "br", "hr", "input", "col"):
                self._depth += 1
        elif tag == "div" and "msg-body" in attributes.get("class", "").split():
            self._depth = 1

    def handle_endtag(self, tag):
        if self._depth:
            self._depth -= 1


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def hostile_ticket(world):
    customer = do_create_customer(
        first_name=HOSTILE_NAME,
        last_name="",
        identities=[("email", "mallory@example.com")],
        actor=None,
    )
    ticket = do_create_ticket(
        store=world.store,
        customer=customer,
        subject=HOSTILE_SUBJECT,
        body_text="First message",
        actor=None,
    )
    do_add_customer_message(
        ticket,
        body_text="",
        body_html=HOSTILE_HTML,
        attachments=[
            NewAttachment(
                filename='logo"><script>window.__xss=14</script>.svg',
                content_type="image/svg+xml",
                data=SVG_WITH_SCRIPT,
                content_id="<logo@shop>",
            )
        ],
    )
    do_change_tags(ticket, add=[get_or_create_tag(world.store, HOSTILE_TAG)], actor=world.lena)
    return ticket


def test_ticket_page_renders_hostile_content_inert(client, world, hostile_ticket):
    """No script of the customer's, no event handler, no javascript: URL, no SVG, iframe,
    style or form inside message bodies; the markup in names and subjects is escaped text."""
    # given
    client.force_login(world.lena)
    # when
    response = client.get(reverse("web:ticket", args=[hostile_ticket.pk]))
    # then
    html = response.content.decode()
    page = Collector()
    page.feed(html)
    scripts = [attrs for tag, attrs in page.tags if tag == "script"]
    assert scripts and all(attrs.get("src", "").startswith("/static/") for attrs in scripts)
    handlers = [(tag, name) for tag, attrs in page.tags for name in attrs if name.startswith("on")]
    assert handlers == []
    urls = [
        value.replace("\t", "").strip().lower()
        for _tag, attrs in page.tags
        for name, value in attrs.items()
        if name in ("href", "src", "action", "formaction", "srcdoc")
    ]
    assert not [u for u in urls if u.startswith("javascript:")]
    body_tags = {tag for tag, _attrs in page.in_body}
    assert body_tags.isdisjoint({"script", "svg", "iframe", "style", "form", "math", "button"})
    assert not [attrs for _tag, attrs in page.in_body if "style" in attrs or "srcdoc" in attrs]
    assert "track my parcel" in html  # the harmless text survives
    assert "&lt;img src=x onerror=" in html  # the customer's "name", shown as text
    assert "&lt;/title&gt;&lt;script&gt;" in html


def test_svg_attachment_is_a_download_never_an_image(client, world, hostile_ticket):
    """The SVG referenced as cid: is not inlined; it is a download link, served as an
    attachment with sniffing disabled."""
    # given
    client.force_login(world.lena)
    attachment = Attachment.objects.get(message__ticket=hostile_ticket)
    download_url = reverse("web:attachment", args=[attachment.pk])
    # when
    html = client.get(reverse("web:ticket", args=[hostile_ticket.pk])).content.decode()
    download = client.get(download_url)
    # then
    page = Collector()
    page.feed(html)
    image_sources = [attrs["src"] for tag, attrs in page.tags if tag == "img"]
    assert "cid:logo@shop" in image_sources and download_url not in image_sources
    links = [attrs for tag, attrs in page.tags if tag == "a" and attrs.get("href") == download_url]
    assert len(links) == 1 and "download" in links[0]
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == SVG_WITH_SCRIPT


def test_inline_raster_image_is_shown_from_its_download_url(client, world):
    """A PNG referenced by cid: is displayed through the attachment URL and not listed again."""
    # given
    message = do_add_customer_message(
        world.maria_ticket,
        body_text="",
        body_html='<p>Broken vase:</p><img src="cid:photo%40mail" alt="photo">',
        attachments=[
            NewAttachment("vase.png", "image/png", b"\x89PNG\r\n\x1a\n", content_id="<photo@mail>"),
            NewAttachment("invoice.pdf", "application/pdf", b"%PDF-1.4"),
        ],
    )
    png, pdf = message.attachments.order_by("filename").reverse()
    client.force_login(world.lena)
    # when
    html = client.get(reverse("web:ticket", args=[world.maria_ticket.pk])).content.decode()
    # then
    png_url = reverse("web:attachment", args=[png.pk])
    pdf_url = reverse("web:attachment", args=[pdf.pk])
    assert f'<img src="{png_url}" alt="photo">' in html
    assert f'href="{png_url}" download' not in html
    assert f'href="{pdf_url}" download' in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_nothing_runs_in_the_browser(page, world, hostile_ticket):
    """Opened in Chromium, the hostile ticket raises no dialog and sets no global."""
    # given
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login(page, world.lena)
    # when
    page.goto(page.base_url + reverse("web:ticket", args=[hostile_ticket.pk]))
    page.wait_for_selector(".msg-body")
    page.hover(".chip")
    page.wait_for_timeout(500)
    # then
    assert dialogs == []
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator(".msg-body", has_text="track my parcel").count() == 1
