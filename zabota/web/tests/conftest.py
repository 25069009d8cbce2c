"""Browser-test fixtures: Playwright for Python driving Debian's Chromium against live_server.

Screenshots go to test-artifacts/; the ones the docs show are refreshed in docs/screenshots/ when
ZABOTA_DOCS_SCREENSHOTS=1 (`make screenshots`), so ordinary test runs leave the work tree clean.
"""

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from zabota.conftest import PASSWORD

# Tests render templates without running collectstatic: the manifest storage of production
# would fail on {% static %}, so the plain storage (same URLs, no hashes) is used instead.
STATIC_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    settings.STORAGES = STATIC_STORAGES


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.base_url = live_server.url  # type: ignore[attr-defined]
    yield page
    close_quietly(context)


def close_quietly(context) -> None:
    """Close a browser context without the requests a closing page still sends (the ticket
    page's "leave" beacon, a presence poll): on SQLite the live server shares the test's
    in-memory connection, and such a request racing the database flush after the test breaks it
    (and leaves the next test a dirty database)."""
    context.route("**/*", lambda route: route.abort())
    context.close()


def login(page, user, password: str = PASSWORD) -> None:
    """Sign in through the real login form and land on the inbox."""
    page.goto(page.base_url + "/login/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(page.base_url + "/**")


def screenshot(page, name: str, *, docs: bool = False) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    if docs and os.environ.get("ZABOTA_DOCS_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_SCREENSHOTS / f"{name}.png"), full_page=False)
    return path


def wait_for(predicate, timeout: float = 10.0) -> None:
    """Poll the database until what the browser did there shows up."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the condition")
        time.sleep(0.1)
