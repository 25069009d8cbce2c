"""Every file of the shared corpora (real and deliberately broken mail from other projects)
through the whole inbound pipeline: nothing raises, nothing is lost.

Each file ends as a message in a ticket, a note attached to a ticket, a mail ignored with its
outcome (noise, catch-all), held by the burst limit, quarantined with a reason, or — when its
content equals a file stored before — that same stored mail.
"""

from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from zabota.channels.email.constants import InboundStatus, Source
from zabota.channels.email.inbound import store_raw
from zabota.channels.email.models import InboundEmail
from zabota.channels.email.process import process_inbound

pytest_plugins = ["zabota.channels.email.tests.inbound_fixtures"]

CORPORA = Path(settings.BASE_DIR).parent / "shared" / "corpora"


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPORA.rglob("*") if p.is_file())


def _accounted_for(inbound: InboundEmail) -> str | None:
    """Why the row is not a lost mail, or None if it is."""
    if inbound.status == InboundStatus.PROCESSED and inbound.ticket and inbound.message:
        return "in a ticket"
    if inbound.status == InboundStatus.ATTACHED and inbound.ticket and inbound.message:
        return "attached"
    if inbound.status == InboundStatus.IGNORED and inbound.outcome:
        return "ignored with outcome"
    if inbound.status == InboundStatus.HELD and inbound.outcome:
        return "held"
    if inbound.status == InboundStatus.QUARANTINED and inbound.error:
        return "quarantined with reason"
    return None


@pytest.mark.skipif(not CORPORA.is_dir(), reason=f"corpora not found at {CORPORA}")
def test_every_corpus_file_goes_through_the_pipeline(world, mailbox, capsys):
    """0 unhandled exceptions, 0 lost; counts per outcome are printed."""
    # given
    files = corpus_files()
    assert len(files) > 200
    crashed: list[str] = []
    lost: list[str] = []
    outcomes: Counter[str] = Counter()
    # when
    for path in files:
        name = str(path.relative_to(CORPORA))
        try:
            inbound, created = store_raw(path.read_bytes(), source=Source.IMAP, mailbox=mailbox)
            inbound = process_inbound(inbound.pk)
        except Exception as exc:
            crashed.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        if not created:
            outcomes["same content as an earlier file"] += 1
            continue
        if _accounted_for(inbound) is None:
            lost.append(f"{name}: {inbound.status} {inbound.outcome!r} {inbound.error!r}")
        outcomes[f"{inbound.status}: {inbound.outcome}"] += 1
    # then
    with capsys.disabled():
        print(f"\n{len(files)} corpus files through the inbound pipeline:")
        for outcome, count in sorted(outcomes.items()):
            print(f"  {count:4d}  {outcome}")
    assert crashed == []
    assert lost == []
    assert sum(outcomes.values()) == len(files)
    assert outcomes[f"{InboundStatus.PROCESSED}: new_ticket"] > 50
    assert InboundEmail.objects.filter(status=InboundStatus.QUARANTINED, error="").count() == 0
