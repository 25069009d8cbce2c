"""An auto-responder at the other end: it answers every mail it receives. With acknowledgements on,
the exchange must stop after at most one round, whether the responder marks its answers as
automatic (RFC 3834) or not, and whether it threads them or not."""

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from django.utils import timezone

from zabota.channels.email.models import InboundEmail, OutboundEmail
from zabota.channels.email.tests.inbound_helpers import deliver, mail
from zabota.channels.email.tests.servers import CapturingHandler, run_smtp
from zabota.channels.email.tests.transport_helpers import SUPPORT, smtp_mailbox

PEER = "office@partner.example"
# Far more rounds than a working loop protection allows: the test fails instead of hanging.
MAX_ROUNDS = 10


class AutoResponder(CapturingHandler):
    """Answers every mail it accepts with an out-of-office note, like a vacation responder.

    ``automatic``: marks the answer with ``Auto-Submitted: auto-replied`` (a well-behaved one);
    otherwise no header tells it from a person's mail. ``threaded``: answers to Reply-To with
    In-Reply-To, References and the subject; otherwise it writes to From with a subject of its
    own, so nothing ties the answer to the ticket: a brand-new mail."""

    def __init__(self, *, automatic: bool, threaded: bool) -> None:
        super().__init__()
        self.automatic = automatic
        self.threaded = threaded
        self.answers: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        result = await super().handle_DATA(server, session, envelope)
        received = self.received[-1].message
        answer = EmailMessage()
        answer["From"] = PEER
        # A careless responder also ignores Reply-To (and with it our reply token).
        answer["To"] = str(received["Reply-To"] if self.threaded else received["From"])
        threaded_subject = f"Out of office: {received['Subject']}"
        answer["Subject"] = threaded_subject if self.threaded else "Out of office"
        answer["Date"] = format_datetime(timezone.now())
        answer["Message-ID"] = make_msgid(domain="partner.example")
        if self.threaded:
            answer["In-Reply-To"] = str(received["Message-ID"])
            answer["References"] = str(received["Message-ID"])
        if self.automatic:
            answer["Auto-Submitted"] = "auto-replied"
        answer.set_content("I am out of the office until Monday and will answer then.")
        self.answers.append(answer.as_bytes())
        return result


@pytest.mark.parametrize(
    ("automatic", "threaded"),
    [(True, True), (False, True), (False, False)],
    ids=["rfc3834", "unmarked-threaded", "unmarked-unthreaded"],
)
def test_an_auto_responder_peer_stops_after_one_round(world, automatic, threaded):
    """The peer writes, we acknowledge, the peer's responder answers the acknowledgement, and
    that answer is delivered back to us: nothing more is sent, so the exchange ends there."""
    peer = AutoResponder(automatic=automatic, threaded=threaded)
    with run_smtp(peer) as server:
        # given
        acknowledging = smtp_mailbox(world.store, server, send_acknowledgement=True)
        first = mail(sender=PEER, sender_name="", subject="Wholesale offer", body="Interested?")
        deliver(first, mailbox=acknowledging, envelope_recipient=SUPPORT)
        # when: whatever the peer answers is delivered to our mailbox, round after round
        rounds = 0
        while peer.answers and rounds < MAX_ROUNDS:
            rounds += 1
            deliver(peer.answers.pop(0), mailbox=acknowledging, envelope_recipient=SUPPORT)
        # then
        assert rounds == 1
        assert len(peer.received) == 1  # our acknowledgement, and nothing after it
        assert peer.received[0].message["Auto-Submitted"] == "auto-replied"
        assert OutboundEmail.objects.count() == 1
        assert InboundEmail.objects.filter(sender=PEER).count() == 2
