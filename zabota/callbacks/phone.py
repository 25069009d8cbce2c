"""Reading the number a customer typed into E.164.

A national number ("0601 234 567") needs a country: the store's if it records one, else a
guess from the visitor's language ("pl" → Poland); without either, only international numbers
("+48 …", "0048 …") are accepted, because guessing the country wrong would dial a stranger.
"""

import phonenumbers
from django.utils.translation import gettext as _

from zabota.callbacks.errors import CallbackError
from zabota.customers.normalize import InvalidIdentity, normalize_phone

# Languages spoken mostly in one country. English, Spanish, Portuguese, German … are spoken in
# many, so they give no guess.
_LANGUAGE_COUNTRY = {
    "pl": "PL",
    "hu": "HU",
    "ru": "RU",
    "uk": "UA",
    "cs": "CZ",
    "sk": "SK",
    "lt": "LT",
    "lv": "LV",
    "et": "EE",
    "ro": "RO",
    "bg": "BG",
    "hr": "HR",
    "sl": "SI",
    "it": "IT",
    "fi": "FI",
    "da": "DK",
    "ja": "JP",
}


def country_from_language(language: str) -> str:
    """ "pl" → "PL", "en-GB" → "GB" (a region in the tag wins), "en" → "" (no guess)."""
    code, _sep, region = language.replace("_", "-").partition("-")
    region = region.split("-")[0].upper()
    if len(region) == 2 and region.isalpha():
        return region
    return _LANGUAGE_COUNTRY.get(code.lower(), "")


def phone_region(*, store_country: str = "", language: str = "") -> str:
    """The country a national number is read in ("" when there is none to go by)."""
    return store_country.upper() or country_from_language(language)


def normalize_callback_phone(value: str, *, region: str = "") -> str:
    """E.164 form of ``value``; raises ``CallbackError({"phone": …})`` when it is empty, lacks a
    country code and ``region`` is empty, or is not a valid number (right length and prefix
    for its country)."""
    if not value.strip():
        raise CallbackError({"phone": _("Enter the phone number to call.")})
    try:
        number = normalize_phone(value, region)
    except InvalidIdentity as exc:
        if "country code" in str(exc):
            raise CallbackError(
                {"phone": _("Enter the number with its country code, e.g. +48 601 234 567.")}
            ) from exc
        raise CallbackError({"phone": _("This is not a valid phone number.")}) from exc
    if not phonenumbers.is_valid_number(phonenumbers.parse(number)):
        raise CallbackError({"phone": _("This is not a valid phone number.")})
    return number


def readable_phone(e164: str) -> str:
    """ "+48601234567" → "+48 601 234 567": what the agent reads out and checks at a glance (the
    ``tel:`` link keeps the E.164 form)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
