"""Attachment downloads: only through a ticket the user may see, never rendered inline."""

import pytest
from django.test import Client
from django.urls import reverse

from zabota.tickets.actions import NewAttachment, do_add_customer_message, do_add_note
from zabota.tickets.models import Attachment

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _attach(ticket, filename: str, content_type: str, data: bytes) -> Attachment:
    message = do_add_customer_message(
        ticket,
        body_text="See the attached file.",
        attachments=[NewAttachment(filename=filename, content_type=content_type, data=data)],
    )
    return message.attachments.get()


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_visible_attachment_is_served_as_a_sandboxed_download(world):
    """Anna downloads Maria's photo: attachment disposition, no sniffing, CSP sandbox."""
    # given
    attachment = _attach(world.maria_ticket, "parcel photo.jpg", "image/jpeg", b"\xff\xd8\xffjpeg")
    # when
    response = _client(world.anna).get(reverse("web:attachment", args=[attachment.pk]))
    # then
    assert response.status_code == 200
    assert _body(response) == b"\xff\xd8\xffjpeg"
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == 'attachment; filename="parcel photo.jpg"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"


def test_svg_with_script_is_a_download_not_a_page(world):
    """An SVG carrying scripts is still only offered for download, sandboxed."""
    # given
    attachment = _attach(world.maria_ticket, "drawing.svg", "image/svg+xml", SVG)
    # when
    response = _client(world.lena).get(reverse("web:attachment", args=[attachment.pk]))
    # then
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == "sandbox"
    assert _body(response) == SVG


def test_non_ascii_file_names_survive(world):
    """A Cyrillic file name is sent RFC 5987-encoded."""
    # given
    attachment = _attach(world.maria_ticket, "фото посылки.png", "image/png", b"\x89PNG")
    # when
    response = _client(world.anna).get(reverse("web:attachment", args=[attachment.pk]))
    # then
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%D1%84%D0%BE%D1%82%D0%BE%20"
        "%D0%BF%D0%BE%D1%81%D1%8B%D0%BB%D0%BA%D0%B8.png"
    )


@pytest.mark.parametrize(("persona", "status"), [("anna", 404), ("piotr", 404), ("lena", 200)])
def test_attachment_of_an_invisible_ticket_is_404(world, persona, status):
    """Ivan's unassigned Returns ticket: hidden from Anna and Piotr, visible to lead Lena."""
    # given
    attachment = _attach(world.ivan_ticket, "receipt.pdf", "application/pdf", b"%PDF-1.7")
    # when
    response = _client(getattr(world, persona)).get(reverse("web:attachment", args=[attachment.pk]))
    # then
    assert response.status_code == status


def test_note_attachments_follow_the_same_rule(world):
    """Files on internal notes are downloadable by whoever sees the ticket."""
    # given
    note = do_add_note(
        world.maria_ticket,
        body_text="Label scan",
        attachments=[NewAttachment("label.txt", "text/plain", b"DPD 0123")],
        actor=world.lena,
    )
    attachment = note.attachments.get()
    # when
    response = _client(world.anna).get(reverse("web:attachment", args=[attachment.pk]))
    # then
    assert _body(response) == b"DPD 0123"


def test_unknown_attachment_and_anonymous_user(world):
    """A missing id is 404; an anonymous visitor is sent to sign in."""
    # given
    attachment = _attach(world.maria_ticket, "a.txt", "text/plain", b"a")
    # when
    missing = _client(world.ada).get(reverse("web:attachment", args=[attachment.pk + 1000]))
    anonymous = Client().get(reverse("web:attachment", args=[attachment.pk]))
    # then
    assert missing.status_code == 404
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("web:login"))


def test_file_missing_on_disk_is_404(world):
    """If storage lost the file the download is 404, not a server error."""
    # given
    attachment = _attach(world.maria_ticket, "gone.txt", "text/plain", b"gone")
    attachment.file.storage.delete(attachment.file.name)
    # when
    response = _client(world.ada).get(reverse("web:attachment", args=[attachment.pk]))
    # then
    assert response.status_code == 404
