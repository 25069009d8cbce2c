"""Demo surveys: the five ready-made surveys in the demo store and about 300 answers over the
last six months from every channel — e-mail links after solved tickets (with the agent and group
they are about), the website pop-up, the shop's kiosk, paper comment cards, the public link and
the QR code on parcels — with comments in the customers' own languages.

Every answer goes through ``do_submit_response``, so the day sums, the reports, the public
scores page and the follow-ups of bad answers come out as in real use."""

import random
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from zabota.accounts.models import User
from zabota.commerce.models import Store
from zabota.core.events import dispatch_together
from zabota.customers.models import Customer
from zabota.surveys.builder import do_create_survey
from zabota.surveys.constants import CES_MAX, NPS_MAX, QuestionKind, SurveyChannel
from zabota.surveys.models import Question, Survey, SurveySettings
from zabota.surveys.presets import PRESETS
from zabota.surveys.respond import choice_count, do_submit_response
from zabota.tickets.constants import Status
from zabota.tickets.models import Ticket

# Where the answers come from (share of all) and which presets each channel asks.
CHANNELS: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    (SurveyChannel.EMAIL, 46, ("post_resolution", "post_resolution", "nps")),
    (SurveyChannel.POPUP, 14, ("ces_after_purchase", "nps")),
    (SurveyChannel.KIOSK, 12, ("nps",)),
    (SurveyChannel.PAPER, 8, ("post_resolution", "nps")),
    (SurveyChannel.PUBLIC_LINK, 8, ("nps", "ces_after_purchase")),
    (SurveyChannel.QR, 8, ("ces_after_purchase",)),
    (SurveyChannel.EXIT, 4, ("exit",)),
)
# Where the public link and QR code were printed.
SOURCES = {SurveyChannel.PUBLIC_LINK: ("newsletter", "receipt"), SurveyChannel.QR: ("parcel",)}
# Most customers are content; a few are not (and their answers open follow-ups).
MOODS = (("happy", 64), ("neutral", 23), ("unhappy", 13))
DAYS_BACK = 182

COMMENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "happy": {
        "en": (
            "Quick and friendly, thank you!",
            "The parcel arrived a day early and the replacement was sorted in one e-mail.",
            "Great advice on sizes — the jacket fits perfectly.",
            "You answered on a Sunday. Impressive.",
        ),
        "ru": (
            "Быстро и вежливо, спасибо!",
            "Заменили товар без лишних вопросов. Буду заказывать ещё.",
            "Очень помогли с выбором размера.",
            "Ответили даже в выходной — приятно удивлена.",
        ),
        "pl": (
            "Szybko i sprawnie, dziękuję!",
            "Bardzo miła obsługa, wymiana poszła bez problemu.",
            "Paczka dotarła dzień wcześniej, super.",
            "Pani Anna świetnie doradziła w sprawie rozmiaru.",
        ),
        "hu": (
            "Gyors és kedves ügyintézés, köszönöm!",
            "A csere egyetlen e-maillel megoldódott.",
            "Nagyon segítőkészek voltak a méretválasztásban.",
            "Hétvégén is válaszoltak, ez meglepett.",
        ),
    },
    "neutral": {
        "en": (
            "Fine in the end, but I had to write twice.",
            "The tracking link did not work for a few days.",
            "OK, though the return label was hard to find.",
        ),
        "ru": (
            "В итоге всё решили, но пришлось писать дважды.",
            "Ссылка для отслеживания несколько дней не работала.",
            "Нормально, но этикетку для возврата было сложно найти.",
        ),
        "pl": (
            "W końcu się udało, ale musiałam pisać dwa razy.",
            "Link do śledzenia przesyłki przez kilka dni nie działał.",
            "W porządku, choć etykietę zwrotną trudno było znaleźć.",
        ),
        "hu": (
            "Végül megoldódott, de kétszer kellett írnom.",
            "A nyomkövetési link napokig nem működött.",
            "Rendben volt, bár a visszaküldési címkét nehéz volt megtalálni.",
        ),
    },
    "unhappy": {
        "en": (
            "Nobody answered for four days.",
            "The refund took three weeks and I had to chase it.",
            "I got a copy-paste answer that did not address my question.",
        ),
        "ru": (
            "Четыре дня никто не отвечал.",
            "Возврат денег занял три недели, пришлось напоминать.",
            "Прислали шаблонный ответ, который не касался моего вопроса.",
        ),
        "pl": (
            "Przez cztery dni nikt nie odpowiedział.",
            "Zwrot pieniędzy trwał trzy tygodnie i musiałam się upominać.",
            "Dostałam szablonową odpowiedź, która nie dotyczyła mojego pytania.",
        ),
        "hu": (
            "Négy napig senki nem válaszolt.",
            "A visszatérítés három hétig tartott, és többször rá kellett kérdeznem.",
            "Sablonválaszt kaptam, ami nem a kérdésemre felelt.",
        ),
    },
}


def _weighted(rng: random.Random, options: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([value for value, _w in options], [w for _v, w in options])[0]


def _number(rng: random.Random, mood: str, low: int, high: int) -> int:
    """A score on low–high as a person of that mood gives it."""
    span = high - low
    if mood == "happy":
        share = rng.choice((0.8, 0.9, 1.0, 1.0))
    elif mood == "neutral":
        share = rng.choice((0.5, 0.6, 0.7, 0.75))
    else:
        share = rng.choice((0.0, 0.1, 0.2, 0.3, 0.4))
    return low + round(span * share)


def answers_for(
    rng: random.Random, questions: list[Question], mood: str, language: str, default: str
) -> dict[int, object]:
    """Answers to every question (those the branching hides are dropped when stored)."""
    answers: dict[int, object] = {}
    for question in questions:
        kind = question.kind
        if kind == QuestionKind.NPS:
            answers[question.pk] = _number(rng, mood, 0, NPS_MAX)
        elif kind == QuestionKind.CES:
            answers[question.pk] = _number(rng, mood, 1, CES_MAX)
        elif kind == QuestionKind.RATING:
            answers[question.pk] = _number(rng, mood, 1, question.scale_max)
        elif kind == QuestionKind.YES_NO:
            answers[question.pk] = int(mood != "unhappy" or rng.random() < 0.2)
        elif kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            count = choice_count(question, default)
            if count:
                picked = rng.sample(range(count), k=min(count, rng.choice((1, 1, 2))))
                answers[question.pk] = picked if kind == QuestionKind.MULTIPLE else picked[0]
        elif kind == QuestionKind.TEXT:
            chance = {"happy": 0.35, "neutral": 0.55, "unhappy": 0.8}[mood]
            if rng.random() < chance:
                answers[question.pk] = rng.choice(COMMENTS[mood][language])
    return answers


def demo_surveys(store: Store, admin: User | None) -> dict[str, Survey]:
    """The five preset surveys of the store (made once; found by name on a second run)."""
    surveys: dict[str, Survey] = {}
    for key, preset in PRESETS.items():
        name = str(preset.label)
        survey = Survey.objects.filter(store=store, name=name).first()
        if survey is None:
            survey = do_create_survey(
                store, name=name, purpose=preset.purpose, actor=admin, preset=preset
            )
        surveys[key] = survey
    return surveys


def add_demo_surveys(
    store: Store,
    *,
    seed: int = 7,
    responses: int = 300,
    now: datetime | None = None,
) -> int:
    """Create the surveys and ``responses`` answers spread over the last six months; returns
    how many answers were stored. The store publishes its scores (``/scores/<slug>/``)."""
    rng = random.Random(seed)
    now = now or timezone.now()
    admin = User.objects.filter(role="admin", is_active=True).order_by("pk").first()
    surveys = demo_surveys(store, admin)
    SurveySettings.objects.update_or_create(store=store, defaults={"public_scores": True})
    questions = {
        key: list(survey.questions.order_by("position", "pk")) for key, survey in surveys.items()
    }
    since = now - timedelta(days=DAYS_BACK)
    solved = list(
        Ticket.objects.filter(
            Q(status__in=(Status.SOLVED, Status.CLOSED)),
            store=store,
            assignee__isnull=False,
            last_activity_at__gte=since,
        )
        .select_related("customer", "assignee", "group")
        .order_by("pk")
    )
    rng.shuffle(solved)
    customers = list(Customer.objects.filter(tickets__store=store).distinct().order_by("pk")[:400])
    channels = tuple((channel, weight) for channel, weight, _keys in CHANNELS)
    presets_of = {channel: keys for channel, _weight, keys in CHANNELS}
    stored = 0
    with dispatch_together():
        for _index in range(responses):
            channel = _weighted(rng, channels)
            key = rng.choice(presets_of[channel])
            survey = surveys[key]
            mood = _weighted(rng, MOODS)
            links: dict[str, Any] = {}
            at = since + timedelta(seconds=rng.randrange(DAYS_BACK * 86400))
            customer = None
            if channel == SurveyChannel.EMAIL and solved:
                ticket = solved.pop()
                customer = ticket.customer
                links = {
                    "ticket": ticket,
                    "agent": ticket.assignee,
                    "group": ticket.group,
                }
                at = min(ticket.last_activity_at + timedelta(hours=rng.randint(2, 40)), now)
            elif channel in (SurveyChannel.POPUP, SurveyChannel.EXIT) and customers:
                customer = rng.choice(customers)
            elif channel in (SurveyChannel.PAPER, SurveyChannel.KIOSK) and customers:
                # Shop visitors: a few leave their e-mail on the card.
                customer = rng.choice(customers) if rng.random() < 0.25 else None
            language = (customer.language if customer else "") or rng.choice(
                ("pl", "pl", "en", "ru", "hu")
            )
            if language not in COMMENTS["happy"]:
                language = "en"
            if channel == SurveyChannel.PAPER:
                links["is_paper"] = True
                links["entered_by"] = admin
            if channel in SOURCES:
                links["source"] = rng.choice(SOURCES[channel])
            response = do_submit_response(
                survey,
                answers=answers_for(rng, questions[key], mood, language, survey.default_language),
                channel=channel,
                submission_key=f"demo-{secrets.token_hex(10)}",
                language=language,
                customer=customer,
                at=at,
                **links,
            )
            stored += response.submitted_at is not None
    return stored
