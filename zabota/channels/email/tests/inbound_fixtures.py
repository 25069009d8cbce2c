"""Fixtures of the inbound pipeline tests (loaded with ``pytest_plugins``): the demo store's
support mailbox, and an SMTP server that receives what we send."""

import socket

import pytest
from aiosmtpd.controller import Controller

from zabota.channels.email.constants import Security
from zabota.channels.email.models import Mailbox
from zabota.channels.email.tests.inbound_helpers import SUPPORT, SmtpSink


@pytest.fixture
def mailbox(world) -> Mailbox:
    """The demo store's support mailbox (no IMAP/SMTP: mail arrives by pipe or webhook)."""
    return Mailbox.objects.create(store=world.store, name="Support", address=SUPPORT)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_sink():
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        sink.port = controller.port
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def sending_mailbox(world, smtp_sink) -> Mailbox:
    """The demo store's support mailbox, sending through ``smtp_sink``."""
    return Mailbox.objects.create(
        store=world.store,
        name="Support",
        address=SUPPORT,
        smtp_enabled=True,
        smtp_host="127.0.0.1",
        smtp_port=smtp_sink.port,
        smtp_security=Security.NONE,
    )
