"""IMAP polling against a real dovecot: mail becomes tickets, the server is told only after the
commit, a worker killed mid-batch loses and duplicates nothing, UIDVALIDITY changes, claims.

These tests commit for real (``transactional_db``): crash safety is about what is committed.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from imapclient import SEEN, IMAPClient

from zabota.channels.email import imap
from zabota.channels.email.constants import InboundStatus, Source
from zabota.channels.email.models import InboundEmail, Mailbox
from zabota.channels.email.tests.inbound_helpers import mail
from zabota.channels.email.tests.servers import dovecot_server  # noqa: F401 - fixture "dovecot"
from zabota.channels.email.tests.transport_helpers import imap_mailbox
from zabota.core.housekeeping import poll_mailboxes
from zabota.tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def account(dovecot):
    return dovecot.new_user()


def _mails(count: int, prefix: str = "Order") -> list[bytes]:
    return [
        mail(sender=f"buyer{i}@example.com", sender_name="", subject=f"{prefix} {i}", body=f"#{i}")
        for i in range(1, count + 1)
    ]


def _append(dovecot, account, raws, *, folder: str = "INBOX", flags=()) -> None:
    with dovecot.client(*account) as client:
        for raw in raws:
            client.append(folder, raw, flags=flags)


def _flags(dovecot, account, folder: str = "INBOX") -> dict[int, bool]:
    """UID → whether the message is \\Seen."""
    with dovecot.client(*account) as client:
        client.select_folder(folder, readonly=True)
        fetched = client.fetch(client.search("ALL"), ["FLAGS"])
        return {uid: SEEN in data[b"FLAGS"] for uid, data in fetched.items()}


def _subjects() -> list[str]:
    return sorted(
        Ticket.objects.filter(subject__startswith="Order").values_list("subject", flat=True)
    )


def test_appended_messages_become_tickets_after_a_poll(world, dovecot, account, monkeypatch):
    """Mail put into the INBOX by an IMAP client is stored (source IMAP), processed into tickets,
    flagged as read on the server, and the UID bookkeeping moves on, batch by batch."""
    # given
    monkeypatch.setattr(imap, "BATCH_SIZE", 2)
    mailbox = imap_mailbox(world.store, dovecot, *account)
    _append(dovecot, account, _mails(5))
    # when
    stored = imap.poll_mailbox(mailbox.pk)
    # then
    assert stored == 5
    assert _subjects() == [f"Order {i}" for i in range(1, 6)]
    assert set(InboundEmail.objects.values_list("source", "status")) == {
        (Source.IMAP, InboundStatus.PROCESSED)
    }
    assert _flags(dovecot, account) == {uid: True for uid in range(1, 6)}
    mailbox.refresh_from_db()
    assert mailbox.imap_last_uid == 5 and mailbox.imap_uidvalidity is not None
    assert mailbox.last_poll_at is not None and mailbox.last_poll_error == ""
    assert mailbox.imap_claimed_until is None
    # and a second poll finds nothing new
    assert imap.poll_mailbox(mailbox.pk) == 0


@pytest.mark.parametrize("tracking", [False, True], ids=["first-poll", "tracked"])
def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(
    world, dovecot, account, monkeypatch, tracking
):
    """The worker dies after message 3 was committed but before the server heard of it: the next
    poll takes messages 3 to 5 again, and each of the five mails is exactly one ticket."""
    # given
    mailbox = imap_mailbox(world.store, dovecot, *account)
    if tracking:
        imap.poll_mailbox(mailbox.pk)  # UID tracking is set up on the empty folder
    _append(dovecot, account, _mails(5))
    real_acknowledge = imap.acknowledge
    calls = []

    def dies_on_the_third(client: IMAPClient, box: Mailbox, uid: int) -> None:
        calls.append(uid)
        if len(calls) == 3:
            raise SystemExit("worker killed")
        real_acknowledge(client, box, uid)

    monkeypatch.setattr(imap, "acknowledge", dies_on_the_third)
    with pytest.raises(SystemExit):
        imap.poll_mailbox(mailbox.pk)
    assert InboundEmail.objects.count() == 3
    assert _flags(dovecot, account) == {1: True, 2: True, 3: False, 4: False, 5: False}
    monkeypatch.setattr(imap, "acknowledge", real_acknowledge)
    # when the worker is back
    stored = imap.poll_mailbox(mailbox.pk)
    # then
    assert stored == 2
    assert InboundEmail.objects.count() == 5
    assert _subjects() == [f"Order {i}" for i in range(1, 6)]
    assert _flags(dovecot, account) == {uid: True for uid in range(1, 6)}
    mailbox.refresh_from_db()
    assert mailbox.imap_last_uid == 5
    assert mailbox.last_poll_error == ""


@pytest.mark.parametrize("move", [True, False], ids=["MOVE", "COPY+EXPUNGE"])
def test_an_archive_folder_receives_what_was_taken(world, dovecot, account, monkeypatch, move):
    """With an archive folder, taken mail is moved there (created on first use); servers without
    MOVE get COPY, \\Deleted and UID EXPUNGE."""
    # given
    if not move:
        original = IMAPClient.has_capability
        monkeypatch.setattr(
            IMAPClient,
            "has_capability",
            lambda self, name: name.upper() != "MOVE" and original(self, name),
        )
    mailbox = imap_mailbox(world.store, dovecot, *account, imap_archive_folder="Processed")
    _append(dovecot, account, _mails(2))
    # when
    stored = imap.poll_mailbox(mailbox.pk)
    # then
    assert stored == 2
    with dovecot.client(*account) as client:
        assert client.select_folder("INBOX")[b"EXISTS"] == 0
        assert client.select_folder("Processed")[b"EXISTS"] == 2


def test_a_new_uidvalidity_starts_tracking_again_without_duplicates(world, dovecot, account):
    """The folder is recreated on the server (new UIDVALIDITY, UIDs from 1 again): a new mail
    under an old UID is still taken, and a mail that was already taken is not stored twice."""
    # given
    with dovecot.client(*account) as client:
        client.create_folder("Support")
    old_a, old_b = _mails(2)
    mailbox = imap_mailbox(world.store, dovecot, *account, imap_folder="Support")
    _append(dovecot, account, [old_a, old_b], folder="Support")
    imap.poll_mailbox(mailbox.pk)
    mailbox.refresh_from_db()
    first_validity = mailbox.imap_uidvalidity
    with dovecot.client(*account) as client:
        client.delete_folder("Support")
        client.create_folder("Support")
    [new] = _mails(1, prefix="Order new")
    _append(dovecot, account, [old_b, new], folder="Support")
    # when
    stored = imap.poll_mailbox(mailbox.pk)
    # then
    mailbox.refresh_from_db()
    assert mailbox.imap_uidvalidity != first_validity
    assert stored == 1
    assert _subjects() == ["Order 1", "Order 2", "Order new 1"]
    assert InboundEmail.objects.count() == 3
    assert mailbox.imap_last_uid == 2


def test_the_first_poll_leaves_read_history_alone(world, dovecot, account):
    """Connecting an existing mailbox does not turn its read history into tickets; from then on
    every new message counts, read or not."""
    # given
    history = _mails(2, prefix="Order old")
    _append(dovecot, account, history, flags=[SEEN])
    _append(dovecot, account, _mails(1, prefix="Order unread"))
    mailbox = imap_mailbox(world.store, dovecot, *account)
    # when
    first = imap.poll_mailbox(mailbox.pk)
    _append(dovecot, account, _mails(1, prefix="Order read-on-phone"), flags=[SEEN])
    second = imap.poll_mailbox(mailbox.pk)
    # then
    assert (first, second) == (1, 1)
    assert _subjects() == ["Order read-on-phone 1", "Order unread 1"]


def test_a_mailbox_claimed_by_another_worker_is_not_polled(world, dovecot, account):
    """While another worker's claim holds, a poll does nothing; a claim that ran out (its worker
    died) is taken over."""
    # given
    mailbox = imap_mailbox(world.store, dovecot, *account)
    _append(dovecot, account, _mails(1))
    Mailbox.objects.filter(pk=mailbox.pk).update(
        imap_claimed_until=timezone.now() + timedelta(minutes=4)
    )
    # when
    busy = imap.poll_mailbox(mailbox.pk)
    # then
    assert busy == 0 and not InboundEmail.objects.exists()
    # when the claim ran out
    Mailbox.objects.filter(pk=mailbox.pk).update(
        imap_claimed_until=timezone.now() - timedelta(seconds=1)
    )
    assert imap.poll_mailbox(mailbox.pk) == 1


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"imap_password": "wrong"}, "Authentication failed"),
        ({"imap_folder": "Nope"}, "Mailbox doesn't exist: Nope"),
    ],
)
def test_a_failing_poll_is_reported_on_the_mailbox(world, dovecot, account, fields, error):
    """Wrong password, missing folder: the poll ends quietly with the server's words on the
    mailbox for the admin, and the claim is released for the next attempt."""
    # given
    username, password = account
    mailbox = imap_mailbox(world.store, dovecot, username, password, **fields)
    # when
    stored = imap.poll_mailbox(mailbox.pk)
    # then
    mailbox.refresh_from_db()
    assert stored == 0
    assert error in mailbox.last_poll_error
    assert mailbox.last_poll_at is not None
    assert mailbox.imap_claimed_until is None


def test_the_worker_polls_every_active_imap_mailbox(world, dovecot, account):
    """The housekeeping job queues a poll for each active mailbox with IMAP on, and only those."""
    # given
    polled = imap_mailbox(world.store, dovecot, *account)
    other_account = dovecot.new_user()
    imap_mailbox(world.store, dovecot, *other_account, address="off@store.example", is_active=False)
    _append(dovecot, account, _mails(1))
    _append(dovecot, other_account, _mails(1, prefix="Order off"))
    # when
    queued = poll_mailboxes()
    # then
    assert queued == 1
    assert _subjects() == ["Order 1"]
    polled.refresh_from_db()
    assert polled.imap_last_uid == 1
