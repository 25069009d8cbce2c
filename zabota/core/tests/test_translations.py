"""English and Russian are complete: every translatable string in the code has a Russian
translation (Polish and Hungarian follow and are only checked for being well-formed)."""

import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

SOURCE = Path(settings.BASE_DIR) / "zabota"
LOCALE = SOURCE / "locale"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[str, polib.POFile]:
    """Run makemessages on a copy of the source (without its catalogues) and return the result."""
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext is required to extract messages (make system-deps)")
    root = tmp_path_factory.mktemp("i18n")
    shutil.copytree(
        SOURCE, root / "zabota", ignore=shutil.ignore_patterns("locale", "tests", "__pycache__")
    )
    out = root / "locale"
    out.mkdir()
    import os

    cwd = os.getcwd()
    os.chdir(root)
    try:
        with override_settings(LOCALE_PATHS=[str(out)]):
            for domain in ("django", "djangojs"):
                call_command(
                    "makemessages", locale=["ru"], domain=domain, verbosity=0, no_location=True
                )
    finally:
        os.chdir(cwd)
    return {
        domain: polib.pofile(str(path))
        for domain in ("django", "djangojs")
        if (path := out / "ru" / "LC_MESSAGES" / f"{domain}.po").exists()
    }


def _translated(po: polib.POFile) -> set[tuple[str, str]]:
    return {
        (entry.msgctxt or "", entry.msgid)
        for entry in po
        if not entry.obsolete
        and "fuzzy" not in entry.flags
        and (entry.msgstr or all(entry.msgstr_plural.values()))
    }


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_russian_catalogue_is_complete(extracted, domain):
    if domain not in extracted:
        pytest.skip(f"no {domain} strings")
    catalogue = LOCALE / "ru" / "LC_MESSAGES" / f"{domain}.po"
    assert catalogue.exists(), f"missing {catalogue}"
    done = _translated(polib.pofile(str(catalogue)))
    missing = [e.msgid for e in extracted[domain] if (e.msgctxt or "", e.msgid) not in done]
    assert missing == [], f"{len(missing)} untranslated Russian strings, e.g. {missing[:10]}"


@pytest.mark.parametrize("language", ["ru", "pl", "hu"])
def test_catalogues_parse_and_keep_placeholders(language):
    """A translation must keep the placeholders of its original, or rendering breaks."""
    import re

    placeholder = re.compile(r"%\(\w+\)[sd]|\{\{ ?\w+(?:\.\w+)* ?\}\}|%[sd]")
    for path in (LOCALE / language / "LC_MESSAGES").glob("*.po"):
        for entry in polib.pofile(str(path)):
            if entry.msgstr and not entry.obsolete and "fuzzy" not in entry.flags:
                assert sorted(placeholder.findall(entry.msgid)) == sorted(
                    placeholder.findall(entry.msgstr)
                ), f"{path.name}: {entry.msgid!r}"
