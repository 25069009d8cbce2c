"""Background tasks of surveys. Each takes ids and is idempotent."""

from django.tasks import task

from zabota.surveys.sending import send_one


@task()
def send_invitation(invitation_id: int) -> str:
    """Send one invitation's e-mail if it is still due (see ``sending``); a failure waits for
    its backoff and is queued again by the housekeeping job "survey invitations"."""
    return send_one(invitation_id)


@task()
def send_portal_sign_in(store_id: int, email: str, language: str) -> bool:
    """The portal's sign-in link, e-mailed only if a customer has the address; queued for
    every request alike, so the page answers the same for known and unknown addresses."""
    from zabota.surveys.portal import send_sign_in_link

    return send_sign_in_link(store_id, email, language)


@task()
def process_submissions() -> int:
    """Make the waiting public submissions into responses, in batches, for a couple of seconds
    (``submissions.process_waiting``); returns how many. Queued at most a few times a second
    by the requests that store them, and by the housekeeping job "survey submissions"."""
    from zabota.surveys.submissions import process_waiting

    return process_waiting()
