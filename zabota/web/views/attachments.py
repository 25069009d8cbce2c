"""Attachment downloads. Files customers send are never rendered by the browser: they are
served as downloads, sniffing is off and the response is sandboxed even if opened directly."""

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from zabota.accounts.models import User
from zabota.tickets.access import access_ticket_by_id
from zabota.tickets.error_codes import TicketError
from zabota.tickets.models import Attachment


@login_required
@require_GET
def download(request: HttpRequest, attachment_id: int) -> FileResponse:
    """The attachment's ticket decides who may download it; anyone else gets 404."""
    user = cast(User, request.user)
    attachment = Attachment.objects.select_related("message").filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    try:
        access_ticket_by_id(user, attachment.message.ticket_id)
    except TicketError as exc:
        raise Http404 from exc
    return as_download(attachment)


def as_download(attachment: Attachment) -> FileResponse:
    """The file as a download, never rendered; 404 when its file is gone."""
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
