"""The account page: interface language and personal API tokens."""

import re

from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from zabota.accounts.actions import authenticate_token, do_create_api_token
from zabota.accounts.models import ApiToken


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _html_lang(response) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.content.decode())
    assert match is not None
    return match.group(1)


def test_language_switch_changes_the_rendered_language(world):
    """Choosing Polish stores it on the agent and every page renders in Polish from then on."""
    # given
    client = _client(world.anna)
    assert _html_lang(client.get(reverse("web:inbox"))) == "en"
    # when
    response = client.post(reverse("web:account"), {"action": "language", "language": "pl"})
    # then
    assert response.status_code == 302
    world.anna.refresh_from_db()
    assert world.anna.ui_language == "pl"
    page = client.get(reverse("web:inbox"))
    assert _html_lang(page) == "pl"
    assert page["Content-Language"] == "pl"


def test_unknown_language_is_refused(world):
    """Only the four interface languages can be chosen."""
    # when
    response = _client(world.anna).post(
        reverse("web:account"), {"action": "language", "language": "de"}
    )
    # then
    assert response.status_code == 400
    world.anna.refresh_from_db()
    assert world.anna.ui_language == "en"


def test_created_token_is_shown_once_and_works(world):
    """The raw token appears in the creation response only; it authenticates as its owner."""
    # given
    client = _client(world.anna)
    # when
    created = client.post(reverse("web:account"), {"action": "create_token", "name": "Shop sync"})
    # then
    raw = created.context["raw_token"]
    assert raw.startswith(ApiToken.PREFIX)
    assert raw in created.content.decode()
    assert authenticate_token(raw) == world.anna
    later = client.get(reverse("web:account"))
    assert raw not in later.content.decode()
    assert "Shop sync" in later.content.decode()
    assert created["Cache-Control"].startswith("max-age=0")
    assert "no-store" in created["Cache-Control"]


def test_token_needs_a_name(world):
    """An unnamed token is not created."""
    # when
    response = _client(world.anna).post(
        reverse("web:account"), {"action": "create_token", "name": ""}
    )
    # then
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_revoked_token_stops_working(world):
    """Revoking a token takes it off the list and out of service."""
    # given
    raw = do_create_api_token(world.anna, name="Old script", actor=world.anna)
    token = ApiToken.objects.get()
    # when
    response = _client(world.anna).post(
        reverse("web:account"), {"action": "revoke_token", "token": token.pk}
    )
    # then
    assert response.status_code == 302
    assert authenticate_token(raw) is None
    assert "Old script" not in _client(world.anna).get(reverse("web:account")).content.decode()
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Token “Old script” revoked."]


def test_nobody_revokes_someone_elses_token(world):
    """Anna cannot revoke Lena's token, even knowing its id."""
    # given
    raw = do_create_api_token(world.lena, name="Lena's", actor=world.lena)
    token = ApiToken.objects.get()
    # when
    response = _client(world.anna).post(
        reverse("web:account"), {"action": "revoke_token", "token": token.pk}
    )
    # then
    assert authenticate_token(raw) == world.lena
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]
    assert "Lena's" not in _client(world.anna).get(reverse("web:account")).content.decode()


def test_account_forms_enforce_csrf(world):
    """Without the CSRF token neither the language nor a token can be changed."""
    # given
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.anna)
    # when
    language = client.post(reverse("web:account"), {"action": "language", "language": "ru"})
    token = client.post(reverse("web:account"), {"action": "create_token", "name": "x"})
    # then
    assert (language.status_code, token.status_code) == (403, 403)
    world.anna.refresh_from_db()
    assert world.anna.ui_language == "en"
    assert not ApiToken.objects.exists()
