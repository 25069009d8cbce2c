"""``zabota api-token``: the token on the last line of output authenticates API requests."""

import sys
from io import StringIO

import pytest
from django.core import management
from django.core.management import CommandError, call_command
from django.test import Client

from zabota.accounts.models import ApiToken
from zabota.cli import main


def test_last_line_is_a_working_token(world):
    """Scripts take the token with `tail -1` and can use it right away."""
    # when
    out = StringIO()
    call_command("api_token", "Lena@Example.com", "--name", "zapier", stdout=out)
    # then
    token = out.getvalue().strip().splitlines()[-1]
    response = Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/tickets")
    assert response.status_code == 200
    assert len(response.json()["items"]) == 2  # what Lena sees
    assert ApiToken.objects.get(user=world.lena).name == "zapier"


def test_console_script_accepts_the_dashed_name(monkeypatch):
    """`zabota api-token EMAIL` runs the api_token command (Django names commands after their
    modules). Only the dispatch is checked here: running a command in-process closes the test's
    database connection."""
    # given
    calls = []
    monkeypatch.setattr(sys, "argv", ["zabota", "api-token", "anna@example.com", "--name", "x-y"])
    monkeypatch.setattr(management, "execute_from_command_line", calls.append)
    # when
    main()
    # then
    assert calls == [["zabota", "api_token", "anna@example.com", "--name", "x-y"]]


def test_unknown_email_is_an_error(world):
    with pytest.raises(CommandError, match=r"nobody@example\.com"):
        call_command("api_token", "nobody@example.com", stdout=StringIO())
    assert not ApiToken.objects.exists()
