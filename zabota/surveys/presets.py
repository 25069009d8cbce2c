"""Ready-made surveys to start from: each is a purpose, the survey's own texts (title, intro,
thanks) and its questions with their branching, in all four languages. Creating a survey from a
preset copies all of it (``builder.do_create_survey``); the copy is then the store's own."""

from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zabota.surveys.constants import SURVEY_LANGUAGES, Display, Metric, Purpose, QuestionKind
from zabota.surveys.library import (
    AGREEMENT,
    DISSATISFIED_SATISFIED,
    POOR_EXCELLENT,
    QUESTIONS,
    Four,
    LibraryQuestion,
    question,
)


@dataclass(frozen=True)
class PresetQuestion:
    question: LibraryQuestion
    required: bool = False
    # (position of an earlier numeric question, at least, at most): shown only then.
    show_if: tuple[int, int | None, int | None] | None = None


@dataclass(frozen=True)
class Preset:
    key: str
    label: Promise
    description: Promise
    purpose: Purpose
    texts: dict[str, dict[str, str]]
    questions: tuple[PresetQuestion, ...] = field(default_factory=tuple)


def survey_texts(title: Four, intro: Four, thanks: Four) -> dict[str, dict[str, str]]:
    return {
        language: {"title": title[i], "intro": intro[i], "thanks": thanks[i]}
        for i, language in enumerate(SURVEY_LANGUAGES)
    }


THANKS: Four = (
    "Thank you! Your answer helps us do better.",
    "Спасибо! Ваш ответ помогает нам становиться лучше.",
    "Dziękujemy! Twoja odpowiedź pomaga nam działać lepiej.",
    "Köszönjük! A válasza segít nekünk jobbá válni.",
)

POST_RESOLUTION = Preset(
    key="post_resolution",
    label=_("Post-resolution: speed and quality"),
    description=_(
        "Sent after the customer confirms the solution: speed, quality, overall satisfaction, "
        "and what to do better when the answer is 3 or lower."
    ),
    purpose=Purpose.POST_RESOLUTION,
    texts=survey_texts(
        (
            "How did we do?",
            "Как мы справились?",
            "Jak nam poszło?",
            "Hogyan teljesítettünk?",
        ),
        (
            "Your request is solved. Three quick questions about how we handled it.",
            "Ваш вопрос решён. Три коротких вопроса о том, как мы с ним справились.",
            "Twoja sprawa została załatwiona. Trzy krótkie pytania o to, jak sobie poradziliśmy.",
            "A kérését megoldottuk. Három rövid kérdés arról, hogyan intéztük.",
        ),
        THANKS,
    ),
    questions=(
        PresetQuestion(QUESTIONS["problem_speed"], required=True),
        PresetQuestion(QUESTIONS["problem_quality"], required=True),
        PresetQuestion(
            question(
                "resolution_csat",
                QuestionKind.RATING,
                (
                    "Overall, how satisfied are you with our help?",
                    "В целом, насколько вы довольны нашей помощью?",
                    "Jak ogólnie oceniasz naszą pomoc?",
                    "Összességében mennyire elégedett a segítségünkkel?",
                ),
                low=DISSATISFIED_SATISFIED[0],
                high=DISSATISFIED_SATISFIED[1],
                display=Display.EMOJI,
                metric=Metric.CSAT,
            ),
            required=True,
        ),
        PresetQuestion(
            question(
                "resolution_better",
                QuestionKind.TEXT,
                (
                    "What could we do better?",
                    "Что мы могли бы сделать лучше?",
                    "Co moglibyśmy zrobić lepiej?",
                    "Mit csinálhattunk volna jobban?",
                ),
            ),
            show_if=(2, 1, 3),
        ),
    ),
)

NPS = Preset(
    key="nps",
    label=_("NPS"),
    description=_(
        "Would they recommend you? One 0–10 question and a follow-up worded for detractors, "
        "passives and promoters."
    ),
    purpose=Purpose.NPS,
    texts=survey_texts(
        (
            "Would you recommend us?",
            "Порекомендуете ли вы нас?",
            "Czy polecisz nas innym?",
            "Ajánlana minket másoknak?",
        ),
        (
            "One question, and a second if you like. It takes less than a minute.",
            "Один вопрос и, если захотите, ещё один. Это займёт меньше минуты.",
            "Jedno pytanie i, jeśli zechcesz, drugie. To zajmie mniej niż minutę.",
            "Egy kérdés, és ha kedve van, még egy. Kevesebb mint egy percig tart.",
        ),
        THANKS,
    ),
    questions=(
        PresetQuestion(QUESTIONS["metric_nps"], required=True),
        # Detractors (0–6), passives (7–8), promoters (9–10): each sees the follow-up written
        # for them.
        PresetQuestion(QUESTIONS["nps_disappointed"], show_if=(0, 0, 6)),
        PresetQuestion(QUESTIONS["nps_higher"], show_if=(0, 7, 8)),
        PresetQuestion(QUESTIONS["nps_value"], show_if=(0, 9, 10)),
    ),
)

CES_AFTER_PURCHASE = Preset(
    key="ces_after_purchase",
    label=_("CES after purchase"),
    description=_(
        "Sent some days after delivery: how easy buying was (agreement 1–7), and what was not."
    ),
    purpose=Purpose.AFTER_DELIVERY,
    texts=survey_texts(
        (
            "How was your purchase?",
            "Как прошла ваша покупка?",
            "Jak przebiegły Twoje zakupy?",
            "Milyen volt a vásárlás?",
        ),
        (
            "Your order has arrived. Tell us how easy it was to buy from us.",
            "Ваш заказ доставлен. Расскажите, легко ли было у нас купить.",
            "Twoje zamówienie dotarło. Powiedz nam, czy łatwo było u nas kupić.",
            "A rendelése megérkezett. Mondja el, mennyire volt könnyű nálunk vásárolni.",
        ),
        THANKS,
    ),
    questions=(
        PresetQuestion(
            question(
                "purchase_ces",
                QuestionKind.CES,
                (
                    "It was easy to buy from you and get my order.",
                    "Купить у вас и получить заказ было легко.",
                    "Zakup u Was i odebranie zamówienia były łatwe.",
                    "Könnyű volt Önöknél vásárolni és megkapni a rendelést.",
                ),
                low=AGREEMENT[0],
                high=AGREEMENT[1],
                metric=Metric.CES,
            ),
            required=True,
        ),
        PresetQuestion(
            question(
                "purchase_harder",
                QuestionKind.TEXT,
                (
                    "What could have been easier?",
                    "Что могло бы быть проще?",
                    "Co mogło być prostsze?",
                    "Mi lehetett volna egyszerűbb?",
                ),
            )
        ),
    ),
)

MANAGER_REVIEW = Preset(
    key="manager_review",
    label=_("Quarterly personal-manager review"),
    description=_(
        "Once a quarter in the customer portal: how the personal manager works, how fast they "
        "answer, and what to change next quarter."
    ),
    purpose=Purpose.MANAGER_REVIEW,
    texts=survey_texts(
        (
            "Your personal manager this quarter",
            "Ваш персональный менеджер в этом квартале",
            "Twój opiekun klienta w tym kwartale",
            "Az Ön személyes ügyintézője ebben a negyedévben",
        ),
        (
            "Help us look after you better: a short review of the last three months.",
            "Помогите нам заботиться о вас лучше: короткий отзыв о последних трёх месяцах.",
            "Pomóż nam lepiej o Ciebie dbać: krótka ocena ostatnich trzech miesięcy.",
            "Segítsen, hogy még jobban gondoskodhassunk Önről: rövid értékelés az elmúlt három "
            "hónapról.",
        ),
        THANKS,
    ),
    questions=(
        PresetQuestion(
            question(
                "manager_quality",
                QuestionKind.RATING,
                (
                    "How do you rate your personal manager's work this quarter?",
                    "Как вы оцениваете работу вашего персонального менеджера в этом квартале?",
                    "Jak oceniasz pracę swojego opiekuna klienta w tym kwartale?",
                    "Hogyan értékeli személyes ügyintézője munkáját ebben a negyedévben?",
                ),
                low=POOR_EXCELLENT[0],
                high=POOR_EXCELLENT[1],
                display=Display.STARS,
                metric=Metric.QUALITY,
            ),
            required=True,
        ),
        PresetQuestion(
            question(
                "manager_speed",
                QuestionKind.RATING,
                (
                    "How quickly does your manager get back to you?",
                    "Насколько быстро менеджер вам отвечает?",
                    "Jak szybko opiekun odpowiada na Twoje wiadomości?",
                    "Milyen gyorsan válaszol Önnek az ügyintézője?",
                ),
                low=("Far too slowly", "Слишком медленно", "Zdecydowanie za wolno", "Túl lassan"),
                high=("Very quickly", "Очень быстро", "Bardzo szybko", "Nagyon gyorsan"),
                display=Display.STARS,
                metric=Metric.SPEED,
            )
        ),
        PresetQuestion(
            question(
                "manager_understands",
                QuestionKind.YES_NO,
                (
                    "Does your manager understand what your business needs?",
                    "Понимает ли менеджер, что нужно вашему бизнесу?",
                    "Czy opiekun rozumie potrzeby Twojej firmy?",
                    "Érti az ügyintézője, mire van szüksége a vállalkozásának?",
                ),
            )
        ),
        PresetQuestion(
            question(
                "manager_next_quarter",
                QuestionKind.TEXT,
                (
                    "What should your manager do differently next quarter?",
                    "Что менеджеру стоит делать иначе в следующем квартале?",
                    "Co opiekun powinien robić inaczej w przyszłym kwartale?",
                    "Mit csináljon másként az ügyintézője a következő negyedévben?",
                ),
            )
        ),
    ),
)

EXIT = Preset(
    key="exit",
    label=_("Exit / cancellation"),
    description=_(
        "For customers who cancel or leave: the main reason, and what could make them stay."
    ),
    purpose=Purpose.EXIT,
    texts=survey_texts(
        (
            "Sorry to see you go",
            "Жаль, что вы уходите",
            "Szkoda, że odchodzisz",
            "Sajnáljuk, hogy távozik",
        ),
        (
            "Tell us why, so we can do better for you and others.",
            "Расскажите почему — так мы сможем стать лучше для вас и других.",
            "Powiedz nam dlaczego, abyśmy mogli działać lepiej dla Ciebie i innych.",
            "Mondja el, miért, hogy jobbak lehessünk Önnek és másoknak.",
        ),
        (
            "Thank you for your honesty. You are always welcome back.",
            "Спасибо за откровенность. Мы всегда будем рады вам снова.",
            "Dziękujemy za szczerość. Zawsze chętnie Cię ugościmy ponownie.",
            "Köszönjük az őszinteségét. Mindig szívesen látjuk újra.",
        ),
    ),
    questions=(
        PresetQuestion(
            question(
                "exit_reason",
                QuestionKind.SINGLE,
                (
                    "What is the main reason you are leaving?",
                    "Какова главная причина вашего ухода?",
                    "Jaki jest główny powód Twojej rezygnacji?",
                    "Mi a fő oka annak, hogy távozik?",
                ),
                choices=[
                    (
                        "The prices are too high",
                        "Слишком высокие цены",
                        "Za wysokie ceny",
                        "Túl magasak az árak",
                    ),
                    (
                        "I found a better offer elsewhere",
                        "Нашлось предложение получше",
                        "Gdzie indziej jest lepsza oferta",
                        "Máshol jobb ajánlatot találtam",
                    ),
                    (
                        "Product quality",
                        "Качество товаров",
                        "Jakość produktów",
                        "A termékek minősége",
                    ),
                    (
                        "Delivery problems",
                        "Проблемы с доставкой",
                        "Problemy z dostawą",
                        "Szállítási problémák",
                    ),
                    ("Customer service", "Обслуживание", "Obsługa klienta", "Az ügyfélszolgálat"),
                    (
                        "I no longer need it",
                        "Больше не нужно",
                        "Już tego nie potrzebuję",
                        "Már nincs rá szükségem",
                    ),
                    ("Something else", "Другое", "Coś innego", "Egyéb"),
                ],
            ),
            required=True,
        ),
        PresetQuestion(
            question(
                "exit_keep",
                QuestionKind.TEXT,
                (
                    "Is there anything we could do to keep you?",
                    "Можем ли мы что-то сделать, чтобы вы остались?",
                    "Czy możemy coś zrobić, żeby zatrzymać Cię u nas?",
                    "Tehetünk valamit azért, hogy maradjon?",
                ),
            )
        ),
    ),
)

PRESETS: dict[str, Preset] = {
    preset.key: preset
    for preset in (POST_RESOLUTION, NPS, CES_AFTER_PURCHASE, MANAGER_REVIEW, EXIT)
}


def preset_texts(preset: Preset) -> dict[str, Any]:
    """A deep copy of the preset's survey texts, for a new survey to own."""
    return {language: dict(entry) for language, entry in preset.texts.items()}
