"""Which of the UI's languages a message is written in."""

from django.conf import settings
from django.utils import translation


def first_supported(*codes: str) -> str:
    """The first of ``codes`` (in order of preference; empty ones skipped) that the UI has a
    variant of ("pt-br" → "pt-br" or "pt"), else the site's default language."""
    for code in codes:
        if not code:
            continue
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE
