"""Files of a chat, for both of its sides, by signed link (the visitor has no sign-in). Served
as downloads like every customer file: never rendered, no sniffing, sandboxed."""

from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from zabota.chat.tokens import file_from_token
from zabota.tickets.models import Attachment
from zabota.web.views.attachments import as_download


@require_GET
def download(request: HttpRequest, token: str) -> FileResponse:
    attachment_id = file_from_token(token)
    attachment = (
        Attachment.objects.filter(pk=attachment_id, message__chat_line__isnull=False).first()
        if attachment_id is not None
        else None
    )
    if attachment is None:
        raise Http404
    return as_download(attachment)
