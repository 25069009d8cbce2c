"""Survey texts in the respondent's language, with fallbacks: the asked language, then the
survey's default language, then English, then any language that has the text."""

from typing import Any

from zabota.surveys.constants import SURVEY_LANGUAGES


def pick_language(requested: str | None, available: list[str], default: str) -> str:
    """The language to show a survey in: the requested one if the survey speaks it (``pl-PL``
    counts as ``pl``), else the survey's default."""
    code = (requested or "").split("-")[0].lower()
    if code in available:
        return code
    return default


def text_for(texts: dict[str, Any], language: str, key: str, default_language: str = "en") -> Any:
    """``texts[language][key]`` falling back as the module says; "" when no language has it."""
    order = [language, default_language, "en", *SURVEY_LANGUAGES, *texts.keys()]
    for code in order:
        value = (texts.get(code) or {}).get(key)
        if value:
            return value
    return ""


def languages_of(texts: dict[str, Any]) -> list[str]:
    """The languages that have any text, in the product's order."""
    return [code for code in SURVEY_LANGUAGES if any((texts.get(code) or {}).values())]
