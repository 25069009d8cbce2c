"""Surveys, their questions, the invitations sent and the responses received from every channel.

A response keeps its scores on its own row (``nps``, ``csat`` …, copied from the answers of the
questions that feed those metrics) and adds them to the day's ``ScoreDay`` row in the same
transaction, so that reports read a few thousand day rows however many responses there are."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zabota.surveys.constants import (
    Display,
    InvitationStatus,
    Metric,
    Purpose,
    QuestionKind,
    SurveyChannel,
    Trigger,
)


class Survey(models.Model):
    """A questionnaire of one store. ``texts`` holds per language (en, ru, pl, hu) its
    ``title``, ``intro`` and ``thanks``; ``public_key`` names it in public links, QR codes, the
    kiosk and the website pop-up."""

    store = models.ForeignKey(
        "commerce.Store", on_delete=models.CASCADE, related_name="surveys", verbose_name=_("store")
    )
    name = models.CharField(_("name"), max_length=150)
    purpose = models.CharField(
        _("purpose"), max_length=24, choices=Purpose.choices, default=Purpose.GENERAL
    )
    texts = models.JSONField(_("texts"), default=dict, blank=True)
    default_language = models.CharField(
        _("default language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Responses keep no customer, ticket, order or agent: the link is never stored.
    anonymous = models.BooleanField(_("anonymous"), default=False)
    public_key = models.CharField(_("public key"), max_length=32, unique=True)
    # The website pop-up: shown on pages whose path starts with one of these (none: nowhere).
    popup_paths = models.JSONField(_("pop-up on pages"), default=list, blank=True)
    # Kiosk: back to the first question after this many seconds without a touch.
    kiosk_idle_seconds = models.PositiveSmallIntegerField(_("kiosk reset after (s)"), default=45)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["store", "name"]
        indexes = [
            models.Index(fields=["store", "purpose", "is_active"], name="survey_purpose_idx")
        ]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    """One question. ``texts`` per language: ``text``, ``low`` and ``high`` (a scale's end
    labels), ``labels`` (one per point, optional) and ``choices`` (for choice questions, in the
    same order in every language; answers store the position). Shown only if ``show_if`` was
    answered with a number in [``show_if_min``, ``show_if_max``] when that is set."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("type"), max_length=16, choices=QuestionKind.choices)
    required = models.BooleanField(_("required"), default=False)
    # Rating: 3, 5, 7 or 10 points; NPS 0–10 and CES 1–7 are fixed.
    scale_max = models.PositiveSmallIntegerField(_("points"), default=5)
    display = models.CharField(
        _("display"), max_length=16, choices=Display.choices, default=Display.NUMBERS
    )
    metric = models.CharField(
        _("counts towards"), max_length=16, choices=Metric.choices, default=Metric.NONE, blank=True
    )
    texts = models.JSONField(_("texts"), default=dict, blank=True)
    show_if = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("show only if"),
    )
    show_if_min = models.SmallIntegerField(_("answer at least"), null=True, blank=True)
    show_if_max = models.SmallIntegerField(_("answer at most"), null=True, blank=True)
    # The library question it was added from, if any.
    library_key = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["survey", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.survey_id}#{self.position} {self.kind}"


class SurveySettings(models.Model):
    """A store's contact-pressure budget and what its automatic surveys do."""

    store = models.OneToOneField(
        "commerce.Store", on_delete=models.CASCADE, related_name="survey_settings"
    )
    # At most one survey to a customer per this many days, whatever its kind.
    min_days_between = models.PositiveSmallIntegerField(_("days between surveys"), default=14)
    # Never more than one survey about the same ticket.
    once_per_ticket = models.BooleanField(_("one survey per ticket"), default=True)
    # The survey after a delivery goes this many days after the delivery.
    after_delivery_days = models.PositiveSmallIntegerField(_("days after delivery"), default=3)
    # Links in e-mails expire after this many days.
    link_valid_days = models.PositiveSmallIntegerField(_("links valid for (days)"), default=14)
    # A score at or below this (on 1–5; scaled for other scales) or an NPS detractor opens a
    # follow-up for the group lead.
    follow_up_at_most = models.PositiveSmallIntegerField(_("follow up ratings up to"), default=2)
    follow_up_detractors = models.BooleanField(_("follow up NPS detractors"), default=True)
    # Agent-level reports hide agents with fewer answers than this.
    min_answers_per_agent = models.PositiveSmallIntegerField(
        _("minimum answers per agent"), default=5
    )
    # The public scores page of the store (off unless the store opts in).
    public_scores = models.BooleanField(_("publish scores"), default=False)

    class Meta:
        verbose_name = _("survey settings")
        verbose_name_plural = _("survey settings")

    def __str__(self) -> str:
        return f"survey settings of store {self.store_id}"


class Invitation(models.Model):
    """A survey offered to a customer (by e-mail, the portal, an exit link) or skipped with the
    reason why. The link carries the invitation's id and ``nonce`` signed: single-use (answered
    sets ``answered_at``), expiring at ``expires_at``."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    store = models.ForeignKey("commerce.Store", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="survey_invitations"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    order = models.ForeignKey(
        "commerce.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The agent and group the answer is about (the ticket's when it was sent).
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    group = models.ForeignKey(
        "accounts.Group", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(
        _("channel"), max_length=16, choices=SurveyChannel.choices, default=SurveyChannel.EMAIL
    )
    trigger = models.CharField(_("why"), max_length=16, choices=Trigger.choices)
    status = models.CharField(_("status"), max_length=16, choices=InvitationStatus.choices)
    skip_reason = models.CharField(_("skipped because"), max_length=300, blank=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    email = models.CharField(_("e-mail"), max_length=320, blank=True)
    nonce = models.CharField(max_length=32)
    # Idempotency: one invitation per (survey, key), e.g. "ticket:12:solved".
    dedupe_key = models.CharField(max_length=120)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # When it is due to go (the delivery survey waits some days); sent_at once it went.
    send_after = models.DateTimeField(_("send after"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    send_attempts = models.PositiveSmallIntegerField(default=0)
    send_error = models.TextField(blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "dedupe_key"], name="survey_invitation_unique_dedupe"
            )
        ]
        indexes = [
            # The budget: a customer's latest invitations in a store.
            models.Index(
                fields=["store", "customer", "-created_at"], name="survey_invitation_budget_idx"
            ),
            # The sender: invitations waiting to go.
            models.Index(
                fields=["send_after"],
                name="survey_invitation_due_idx",
                condition=Q(status="sent", sent_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"invitation {self.pk} to {self.survey_id} ({self.status})"


class Response(models.Model):
    """One person's answers to a survey, from any channel. Scores of the questions that feed a
    metric are copied here (the last such answer of each metric). ``submitted_at`` is empty
    while the respondent is still answering (a partial response, kept)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    store = models.ForeignKey("commerce.Store", on_delete=models.CASCADE, related_name="+")
    invitation = models.OneToOneField(
        Invitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="response"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=SurveyChannel.choices)
    # Where a public link or QR code was printed ("receipt", "parcel"), the page of a pop-up.
    source = models.CharField(_("source"), max_length=200, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_responses",
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    order = models.ForeignKey(
        "commerce.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    group = models.ForeignKey(
        "accounts.Group", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    language = models.CharField(_("language"), max_length=8, default="en")
    anonymous = models.BooleanField(_("anonymous"), default=False)
    # Typed in by staff from a paper comment card.
    is_paper = models.BooleanField(_("paper card"), default=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Idempotency of a submission (the form's key): a double submit stores one response.
    submission_key = models.CharField(max_length=64, unique=True)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    nps = models.PositiveSmallIntegerField(null=True, blank=True)
    csat = models.PositiveSmallIntegerField(null=True, blank=True)
    csat_max = models.PositiveSmallIntegerField(null=True, blank=True)
    ces = models.PositiveSmallIntegerField(null=True, blank=True)
    speed = models.PositiveSmallIntegerField(null=True, blank=True)
    speed_max = models.PositiveSmallIntegerField(null=True, blank=True)
    quality = models.PositiveSmallIntegerField(null=True, blank=True)
    quality_max = models.PositiveSmallIntegerField(null=True, blank=True)
    # The follow-up a low score opened (a ticket for the group lead).
    follow_up = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        indexes = [
            models.Index(fields=["store", "-submitted_at"], name="survey_response_recent_idx"),
            models.Index(fields=["survey", "-submitted_at"], name="survey_response_survey_idx"),
            models.Index(fields=["customer", "-started_at"], name="survey_response_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"response {self.pk} to {self.survey_id}"


class Answer(models.Model):
    """The answer to one question: a number (ratings, NPS, CES, yes = 1 / no = 0), the chosen
    positions (choice questions) or text."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    number = models.SmallIntegerField(null=True, blank=True)
    choices = models.JSONField(default=list, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="survey_answer_unique")
        ]

    def __str__(self) -> str:
        return f"answer {self.pk} to question {self.question_id}"


class ScoreDay(models.Model):
    """The scores of one day's submitted responses of a survey, per channel, agent and group
    (0: none), summed as they are submitted: what the reports and the public page read."""

    store = models.ForeignKey("commerce.Store", on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    channel = models.CharField(max_length=16, choices=SurveyChannel.choices)
    agent_key = models.PositiveIntegerField(default=0)
    group_key = models.PositiveIntegerField(default=0)
    responses = models.PositiveIntegerField(default=0)
    nps_n = models.PositiveIntegerField(default=0)
    nps_promoters = models.PositiveIntegerField(default=0)
    nps_detractors = models.PositiveIntegerField(default=0)
    csat_n = models.PositiveIntegerField(default=0)
    csat_top = models.PositiveIntegerField(default=0)
    # CSAT on a 0–100 scale, summed: (answer − 1) / (points − 1) × 100.
    csat_sum = models.PositiveIntegerField(default=0)
    ces_n = models.PositiveIntegerField(default=0)
    ces_sum = models.PositiveIntegerField(default=0)
    ces_agree = models.PositiveIntegerField(default=0)
    # Speed and quality on a 1–5 scale ×100 (other scales converted), summed.
    speed_n = models.PositiveIntegerField(default=0)
    speed_sum = models.PositiveIntegerField(default=0)
    quality_n = models.PositiveIntegerField(default=0)
    quality_sum = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["store", "survey", "day", "channel", "agent_key", "group_key"],
                name="survey_scoreday_unique",
            )
        ]
        indexes = [models.Index(fields=["store", "day"], name="survey_scoreday_store_idx")]

    def __str__(self) -> str:
        return f"scores of {self.survey_id} on {self.day}"


class Submission(models.Model):
    """A public submission (public link, QR code, kiosk, pop-up) as it was accepted: the
    validated answers, stored before anything else so the visitor is thanked at once, then made
    into a ``Response`` by the worker (``submissions.process_waiting``) in batches.

    ``submission_key`` is unique: a double submit inserts nothing the second time. A row stays
    after processing (``processed_at``); one that failed keeps its ``last_error`` and is tried
    again after a backoff, ``MAX_ATTEMPTS`` times in all, then waits for an admin."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="submissions")
    submission_key = models.CharField(max_length=64, unique=True)
    # {"answers": {question id: [number, choices, text]}, "scores": {...}, "lowest": n}
    payload = models.JSONField(default=dict)
    channel = models.CharField(_("channel"), max_length=16, choices=SurveyChannel.choices)
    source = models.CharField(_("source"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # After a failure: not taken again before this time.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("survey submission")
        verbose_name_plural = _("survey submissions")
        indexes = [
            # The worker's and the sweep's "what is waiting": a small partial index, since
            # processed rows (nearly all) leave it.
            models.Index(
                fields=["received_at"],
                name="survey_submission_waiting_idx",
                condition=Q(processed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"submission {self.submission_key} to {self.survey_id}"
