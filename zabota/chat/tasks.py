"""Background tasks of live chat; each takes ids and can run again without harm."""

from django.tasks import task

from zabota.chat.transcript import send_transcript


@task()
def send_transcript_task(conversation_id: int, address: str) -> str:
    """E-mail a chat's transcript (asked for when the chat ended). A failure raises, so the
    task result shows it; the visitor can ask again from the widget."""
    return "sent" if send_transcript(conversation_id, address) else "deleted"
