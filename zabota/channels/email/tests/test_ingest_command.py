"""`zabota ingest-email`: one message from stdin, stored, with sendmail exit codes."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError

from zabota.channels.email.constants import InboundStatus, Source
from zabota.channels.email.management.commands import ingest_email
from zabota.channels.email.models import InboundEmail, Mailbox
from zabota.channels.email.tests.inbound_helpers import SUPPORT, mail
from zabota.commerce.models import Store

ZABOTA = Path(sys.executable).with_name("zabota")


def _stdin(monkeypatch, raw: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))


def _ingest(monkeypatch, raw: bytes, *args: str) -> int:
    """Run the command in-process like the console script does; its exit code."""
    _stdin(monkeypatch, raw)
    try:
        call_command("ingest_email", *args)
    except CommandError as exc:
        return exc.returncode
    return 0


def test_stores_the_message_and_routes_it_by_recipient(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    """Exit 0 once the mail is stored; the queued task routes it to the store that owns the
    recipient address (the demo store answers support@store.example)."""
    # when
    with django_capture_on_commit_callbacks(execute=True):
        code = _ingest(monkeypatch, mail(to="anyone@else.example"), "--recipient", SUPPORT)
    # then
    assert code == 0
    inbound = InboundEmail.objects.get()
    assert (inbound.source, inbound.envelope_recipient) == (Source.PIPE, SUPPORT)
    assert inbound.status == InboundStatus.PROCESSED and inbound.ticket.store == world.store


def test_store_option_delivers_to_that_store(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    """--store routes to the store's mailbox whatever the headers say."""
    # given
    other = Store.objects.create(slug="other", name="Other", email="help@other.example")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        code = _ingest(monkeypatch, mail(to="anyone@else.example"), "--store", "other")
    # then
    inbound = InboundEmail.objects.get()
    assert code == 0 and inbound.mailbox == Mailbox.objects.get(store=other)
    assert inbound.ticket.store == other


def test_unparsable_input_is_still_accepted(world, monkeypatch, django_capture_on_commit_callbacks):
    """A mail that cannot be parsed is stored and quarantined: the MTA must not bounce it."""
    with django_capture_on_commit_callbacks(execute=True):
        code = _ingest(monkeypatch, b"\x89PNG\r\n\x1a\n not a mail", "--recipient", SUPPORT)
    assert code == 0
    assert InboundEmail.objects.get().status == InboundStatus.QUARANTINED


def test_empty_input_is_a_data_error(db, monkeypatch):
    """Nothing (or only whitespace) on stdin: 65 EX_DATAERR, nothing stored."""
    assert _ingest(monkeypatch, b"") == ingest_email.EX_DATAERR == 65
    assert _ingest(monkeypatch, b" \r\n") == 65
    assert not InboundEmail.objects.exists()


def test_database_failure_is_a_temporary_failure(world, monkeypatch):
    """When the mail cannot be stored the MTA is told to retry later: 75 EX_TEMPFAIL."""

    # given
    def database_down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(ingest_email, "store_raw", database_down)
    # when
    code = _ingest(monkeypatch, mail())
    # then
    assert code == ingest_email.EX_TEMPFAIL == 75
    assert not InboundEmail.objects.exists()


def test_unknown_store_is_a_temporary_failure(world, monkeypatch):
    """A wrong --store is a configuration error the admin can fix while the MTA retries."""
    assert _ingest(monkeypatch, mail(), "--store", "no-such-store") == 75


def _console(args: list[str], raw: bytes, **env: str) -> subprocess.CompletedProcess[bytes]:
    environment = {**os.environ, "ZABOTA_SECRET_KEY": settings.SECRET_KEY, **env}
    return subprocess.run(
        [str(ZABOTA), *args], input=raw, capture_output=True, env=environment, timeout=60
    )


@pytest.mark.skipif(not ZABOTA.exists(), reason="the zabota console script is not installed")
def test_console_script_exit_codes_when_nothing_can_be_stored(tmp_path):
    """The installed `zabota ingest-email` as an MTA runs it: 65 for empty input, 75 when the
    database is unreachable (a closed port stands in for a database server that is down)."""
    # when
    empty = _console(["ingest-email"], b"", ZABOTA_VAR_DIR=str(tmp_path))
    down = _console(
        ["ingest-email", "--recipient", SUPPORT],
        mail(),
        ZABOTA_VAR_DIR=str(tmp_path),
        DATABASE_URL="postgres://postgres@127.0.0.1:9/unreachable",
    )
    # then
    assert empty.returncode == 65, empty.stderr
    assert down.returncode == 75, down.stderr
    assert b"try again later" in down.stderr
