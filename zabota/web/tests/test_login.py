"""Signing in and out of the agent UI."""

from django.test import Client
from django.urls import reverse

from zabota.commerce.models import Store
from zabota.conftest import PASSWORD, make_user


def test_login_page_offers_demo_logins_only_on_a_demo_install(db):
    """The demo hint appears only when a store with slug "demo" exists."""
    # given
    client = Client()
    Store.objects.create(slug="kotik", name="Kotik", email="support@kotik.example")
    # when
    response = client.get(reverse("web:login"))
    # then
    assert response.status_code == 200
    assert "demo_logins" not in response.context
    assert b"zabota-demo" not in response.content

    # given
    Store.objects.create(slug="demo", name="Demo", email="support@store.example")
    # when
    response = client.get(reverse("web:login"))
    # then
    assert "admin@example.com" in response.content.decode()
    assert b"zabota-demo" in response.content


def test_agent_signs_in_by_email_and_lands_in_the_inbox(world):
    """Email (any case) and password sign in; the inbox follows."""
    # given
    client = Client()
    # when
    response = client.post(
        reverse("web:login"), {"username": "ANNA@example.com", "password": PASSWORD}
    )
    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("web:inbox")
    assert client.get(reverse("web:inbox")).context["user"] == world.anna


def test_wrong_password_is_refused_with_a_message(world):
    """A wrong password re-renders the form with an error and no session."""
    # given
    client = Client()
    # when
    response = client.post(reverse("web:login"), {"username": "anna@example.com", "password": "x"})
    # then
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


def test_deactivated_agent_cannot_sign_in(db):
    """An agent whose account was switched off stays out."""
    # given
    gone = make_user("gone@example.com", "Gone Agent")
    gone.is_active = False
    gone.save()
    # when
    response = Client().post(
        reverse("web:login"), {"username": "gone@example.com", "password": PASSWORD}
    )
    # then
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


def test_pages_require_a_session(db):
    """Anonymous visitors are sent to the sign-in page with ``next``."""
    # when
    response = Client().get(reverse("web:inbox") + "?view=all")
    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("web:login") + "?next=/%3Fview%3Dall"


def test_logout_is_post_only_and_ends_the_session(world):
    """GET cannot sign anyone out; POST does, and the inbox then asks for a login."""
    # given
    client = Client()
    client.force_login(world.anna)
    # when
    refused = client.get(reverse("web:logout"))
    # then
    assert refused.status_code == 405
    assert client.get(reverse("web:inbox")).status_code == 200

    # when
    response = client.post(reverse("web:logout"))
    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("web:login")
    assert client.get(reverse("web:inbox")).status_code == 302


def test_login_and_logout_enforce_csrf(world):
    """Without the CSRF token neither the login nor the logout form is accepted."""
    # given
    client = Client(enforce_csrf_checks=True)
    # when
    login = client.post(
        reverse("web:login"), {"username": "anna@example.com", "password": PASSWORD}
    )
    # then
    assert login.status_code == 403

    # given
    client.force_login(world.anna)
    # when
    logout = client.post(reverse("web:logout"))
    # then
    assert logout.status_code == 403
    assert client.get(reverse("web:inbox")).status_code == 200


def test_failed_sign_ins_are_rate_limited_per_account(world):
    """After 10 wrong passwords for one account, even the right one is refused for a while."""
    from django.core.cache import cache

    from zabota.conftest import PASSWORD

    cache.clear()
    client = Client()
    for _ in range(10):
        wrong = client.post("/login/", {"username": world.anna.email, "password": "nope"})
        assert wrong.status_code == 200
    blocked = client.post("/login/", {"username": world.anna.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "Too many failed sign-in attempts" in blocked.content.decode()
    # another account from another address is unaffected
    other = Client(REMOTE_ADDR="10.9.9.9").post(
        "/login/", {"username": world.lena.email, "password": PASSWORD}
    )
    assert other.status_code == 302
    cache.clear()
