"""Sanitising of HTML that comes from outside (customers, integrations) before it is stored."""

import html
import re

import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del",
    "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd",
    "li", "ol", "p", "pre", "q", "s", "small", "span", "strike", "strong", "sub", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
    "*": {"dir", "lang"},
}
# cid: keeps inline e-mail images addressable; the web layer rewrites them to download URLs.
URL_SCHEMES = {"http", "https", "mailto", "tel", "cid"}


def sanitize_html(raw: str) -> str:
    """Return HTML safe to render inside the agent UI: no scripts, handlers or javascript: URLs."""
    return nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


_BLOCK_END = re.compile(r"</(p|div|li|tr|h[1-6]|blockquote)>|<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def html_to_text(raw: str) -> str:
    """A readable plain-text rendering of HTML, for search and for the text part of replies."""
    cleaned = nh3.clean(raw, tags={"p", "div", "li", "tr", "br", "blockquote", "h1", "h2", "h3"})
    text = _TAG.sub("", _BLOCK_END.sub("\n", cleaned))
    lines = [line.strip() for line in html.unescape(text).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def text_to_html(text: str) -> str:
    """Escape plain text and keep its paragraphs and line breaks."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "".join(
        "<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs if p.strip()
    )
