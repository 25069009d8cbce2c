"""Phone numbers typed by customers become E.164; a national number needs a country."""

import pytest

from zabota.callbacks.errors import CallbackError
from zabota.callbacks.phone import country_from_language, normalize_callback_phone, phone_region


@pytest.mark.parametrize(
    ("typed", "region", "expected"),
    [
        ("+48 601 234 567", "", "+48601234567"),
        ("0048 601-234-567", "", "+48601234567"),
        ("(+48) 601.234.567", "", "+48601234567"),
        ("601 234 567", "PL", "+48601234567"),
        ("06 30 123 4567", "HU", "+36301234567"),  # Hungarian trunk prefix 06 dropped
        ("8 (912) 345-67-89", "RU", "+79123456789"),  # Russian trunk prefix 8 dropped
        ("+44 20 7946 0958", "PL", "+442079460958"),  # an international number ignores region
        ("+1 (650) 253-0000", "", "+16502530000"),
    ],
)
def test_numbers_in_many_formats_become_e164(typed, region, expected):
    assert normalize_callback_phone(typed, region=region) == expected


@pytest.mark.parametrize(
    ("typed", "region"),
    [
        ("", ""),
        ("   ", "PL"),
        ("601 234 567", ""),  # national, no country to read it in
        ("+48 123", ""),  # too short
        ("+48 601 234 567 999 999", ""),  # too long
        ("call me maybe", "PL"),
        ("+999 123 456 789", ""),  # no such country code
        ("+48 000 000 000", ""),  # right length, not a valid Polish number
    ],
)
def test_invalid_numbers_are_refused_with_a_phone_message(typed, region):
    with pytest.raises(CallbackError) as caught:
        normalize_callback_phone(typed, region=region)
    assert set(caught.value.errors) == {"phone"}
    assert caught.value.errors["phone"]


def test_a_national_number_without_a_country_asks_for_the_country_code():
    with pytest.raises(CallbackError) as caught:
        normalize_callback_phone("601 234 567")
    assert "country code" in caught.value.errors["phone"]


@pytest.mark.parametrize(
    ("language", "country"),
    [("pl", "PL"), ("hu", "HU"), ("ru", "RU"), ("en-GB", "GB"), ("pt_BR", "BR"), ("en", "")],
)
def test_country_is_guessed_from_the_language(language, country):
    assert country_from_language(language) == country


def test_the_store_country_wins_over_the_language():
    assert phone_region(store_country="hu", language="pl") == "HU"
    assert phone_region(store_country="", language="pl") == "PL"
    assert phone_region() == ""
