"""The library of proven questions, grouped by what the store wants to learn, to add to a survey
with one click. Written in our own words; every text in English, Russian, Polish and Hungarian,
the choices in the same order in every language (answers store a choice's position).

A question is added as a copy (``Question.library_key`` remembers where it came from): editing
it never changes the library, and changing the library never changes a running survey."""

from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zabota.surveys.constants import (
    CES_MAX,
    NPS_MAX,
    SURVEY_LANGUAGES,
    Display,
    Metric,
    QuestionKind,
)

# One text in the four languages, in the order of SURVEY_LANGUAGES: (en, ru, pl, hu).
Four = tuple[str, str, str, str]


@dataclass(frozen=True)
class LibraryQuestion:
    key: str
    kind: QuestionKind
    texts: dict[str, dict[str, Any]]
    scale_max: int = 5
    display: Display = Display.NUMBERS
    metric: Metric = Metric.NONE


@dataclass(frozen=True)
class Goal:
    key: str
    label: Promise
    questions: tuple[LibraryQuestion, ...] = field(default_factory=tuple)


def four_texts(
    text: Four,
    *,
    low: Four | None = None,
    high: Four | None = None,
    choices: list[Four] | None = None,
) -> dict[str, dict[str, Any]]:
    """Per-language texts from parallel tuples, so that no language can get its choices in
    another order or miss one."""
    texts: dict[str, dict[str, Any]] = {}
    for index, language in enumerate(SURVEY_LANGUAGES):
        entry: dict[str, Any] = {"text": text[index]}
        if low is not None:
            entry["low"] = low[index]
        if high is not None:
            entry["high"] = high[index]
        if choices is not None:
            entry["choices"] = [choice[index] for choice in choices]
        texts[language] = entry
    return texts


def question(
    key: str,
    kind: QuestionKind,
    text: Four,
    *,
    low: Four | None = None,
    high: Four | None = None,
    choices: list[Four] | None = None,
    scale_max: int = 5,
    display: Display = Display.NUMBERS,
    metric: Metric = Metric.NONE,
) -> LibraryQuestion:
    if kind == QuestionKind.NPS:
        scale_max = NPS_MAX
    elif kind == QuestionKind.CES:
        scale_max = CES_MAX
    return LibraryQuestion(
        key=key,
        kind=kind,
        texts=four_texts(text, low=low, high=high, choices=choices),
        scale_max=scale_max,
        display=display,
        metric=metric,
    )


# End labels used by several questions.
POOR_EXCELLENT: tuple[Four, Four] = (
    ("Very poor", "Очень плохо", "Bardzo źle", "Nagyon rossz"),
    ("Excellent", "Отлично", "Doskonale", "Kiváló"),
)
NOT_AT_ALL_COMPLETELY: tuple[Four, Four] = (
    ("Not at all", "Совсем нет", "Wcale", "Egyáltalán nem"),
    ("Completely", "Полностью", "W pełni", "Teljes mértékben"),
)
DISSATISFIED_SATISFIED: tuple[Four, Four] = (
    ("Very dissatisfied", "Совсем не доволен", "Bardzo niezadowolony", "Nagyon elégedetlen"),
    ("Very satisfied", "Очень доволен", "Bardzo zadowolony", "Nagyon elégedett"),
)
AGREEMENT: tuple[Four, Four] = (
    (
        "Strongly disagree",
        "Совершенно не согласен",
        "Zdecydowanie się nie zgadzam",
        "Egyáltalán nem értek egyet",
    ),
    ("Strongly agree", "Полностью согласен", "Zdecydowanie się zgadzam", "Teljesen egyetértek"),
)
NPS_ENDS: tuple[Four, Four] = (
    (
        "Not at all likely",
        "Совсем маловероятно",
        "Zupełnie nieprawdopodobne",
        "Egyáltalán nem valószínű",
    ),
    ("Extremely likely", "Очень вероятно", "Bardzo prawdopodobne", "Nagyon valószínű"),
)

RATING = QuestionKind.RATING
TEXT = QuestionKind.TEXT
SINGLE = QuestionKind.SINGLE
MULTIPLE = QuestionKind.MULTIPLE
YES_NO = QuestionKind.YES_NO

GOALS: tuple[Goal, ...] = (
    Goal(
        "service_quality",
        _("Service quality"),
        (
            question(
                "service_overall",
                RATING,
                (
                    "How would you rate our service overall?",
                    "Как вы оцениваете наше обслуживание в целом?",
                    "Jak oceniasz naszą obsługę ogólnie?",
                    "Összességében hogyan értékeli a szolgáltatásunkat?",
                ),
                low=POOR_EXCELLENT[0],
                high=POOR_EXCELLENT[1],
                display=Display.STARS,
                metric=Metric.CSAT,
            ),
            question(
                "service_courtesy",
                RATING,
                (
                    "How polite and friendly were we with you?",
                    "Насколько вежливо и доброжелательно мы с вами общались?",
                    "Jak uprzejmi i życzliwi byliśmy w kontakcie z Tobą?",
                    "Mennyire voltunk udvariasak és barátságosak Önnel?",
                ),
                low=("Not at all", "Совсем нет", "Wcale", "Egyáltalán nem"),
                high=("Very", "Очень", "Bardzo", "Nagyon"),
            ),
            question(
                "service_expectations",
                SINGLE,
                (
                    "Did our service meet your expectations?",
                    "Оправдало ли наше обслуживание ваши ожидания?",
                    "Czy nasza obsługa spełniła Twoje oczekiwania?",
                    "Megfelelt a szolgáltatásunk az elvárásainak?",
                ),
                choices=[
                    ("It exceeded them", "Превзошло их", "Przekroczyła je", "Felülmúlta őket"),
                    ("It met them", "Оправдало", "Spełniła je", "Megfelelt nekik"),
                    ("It fell short", "Не оправдало", "Nie spełniła ich", "Elmaradt tőlük"),
                ],
            ),
            question(
                "service_one_thing",
                TEXT,
                (
                    "What one thing would have made our service better for you?",
                    "Что одно сделало бы наше обслуживание лучше для вас?",
                    "Jedna rzecz, która sprawiłaby, że nasza obsługa byłaby dla Ciebie lepsza?",
                    "Mi az az egy dolog, amitől jobb lett volna Önnek a szolgáltatásunk?",
                ),
            ),
        ),
    ),
    Goal(
        "solving_problems",
        _("Solving problems"),
        (
            question(
                "problem_solved",
                YES_NO,
                (
                    "Was your problem solved?",
                    "Ваша проблема решена?",
                    "Czy Twój problem został rozwiązany?",
                    "Megoldódott a problémája?",
                ),
            ),
            question(
                "problem_speed",
                RATING,
                (
                    "How quickly did we solve your problem?",
                    "Насколько быстро мы решили вашу проблему?",
                    "Jak szybko rozwiązaliśmy Twój problem?",
                    "Milyen gyorsan oldottuk meg a problémáját?",
                ),
                low=("Far too slowly", "Слишком медленно", "Zdecydowanie za wolno", "Túl lassan"),
                high=("Very quickly", "Очень быстро", "Bardzo szybko", "Nagyon gyorsan"),
                display=Display.STARS,
                metric=Metric.SPEED,
            ),
            question(
                "problem_quality",
                RATING,
                (
                    "How good was the solution we offered?",
                    "Насколько хорошим было предложенное нами решение?",
                    "Jak oceniasz zaproponowane przez nas rozwiązanie?",
                    "Mennyire volt jó az általunk javasolt megoldás?",
                ),
                low=POOR_EXCELLENT[0],
                high=POOR_EXCELLENT[1],
                display=Display.STARS,
                metric=Metric.QUALITY,
            ),
            question(
                "problem_contacts",
                SINGLE,
                (
                    "How many times did you have to contact us about this?",
                    "Сколько раз вам пришлось обращаться к нам по этому вопросу?",
                    "Ile razy trzeba było się z nami kontaktować w tej sprawie?",
                    "Hányszor kellett ezzel kapcsolatban felvennie velünk a kapcsolatot?",
                ),
                choices=[
                    ("Once", "Один раз", "Raz", "Egyszer"),
                    ("Twice", "Два раза", "Dwa razy", "Kétszer"),
                    (
                        "Three times or more",
                        "Три раза или больше",
                        "Trzy razy lub więcej",
                        "Háromszor vagy többször",
                    ),
                ],
            ),
        ),
    ),
    Goal(
        "strengths",
        _("Showing strengths"),
        (
            question(
                "strength_best",
                TEXT,
                (
                    "What did you like most about dealing with us?",
                    "Что вам больше всего понравилось в общении с нами?",
                    "Co najbardziej podobało Ci się w kontakcie z nami?",
                    "Mi tetszett a legjobban a velünk való kapcsolatban?",
                ),
            ),
            question(
                "strength_why_us",
                MULTIPLE,
                (
                    "Why do you choose us?",
                    "Почему вы выбираете нас?",
                    "Dlaczego wybierasz właśnie nas?",
                    "Miért minket választ?",
                ),
                choices=[
                    ("Prices", "Цены", "Ceny", "Az árak"),
                    ("Product range", "Ассортимент", "Asortyment", "A választék"),
                    ("Fast delivery", "Быстрая доставка", "Szybka dostawa", "A gyors szállítás"),
                    (
                        "Helpful service",
                        "Внимательное обслуживание",
                        "Pomocna obsługa",
                        "A segítőkész ügyfélszolgálat",
                    ),
                    (
                        "A recommendation",
                        "Рекомендация знакомых",
                        "Polecenie znajomych",
                        "Ismerős ajánlása",
                    ),
                ],
            ),
            question(
                "strength_one_word",
                TEXT,
                (
                    "Describe us in one word.",
                    "Опишите нас одним словом.",
                    "Opisz nas jednym słowem.",
                    "Jellemezzen minket egy szóval.",
                ),
            ),
        ),
    ),
    Goal(
        "product_improvement",
        _("Improving the product"),
        (
            question(
                "product_quality",
                RATING,
                (
                    "How do you rate the quality of the product you bought?",
                    "Как вы оцениваете качество купленного товара?",
                    "Jak oceniasz jakość kupionego produktu?",
                    "Hogyan értékeli a megvásárolt termék minőségét?",
                ),
                low=POOR_EXCELLENT[0],
                high=POOR_EXCELLENT[1],
                display=Display.STARS,
            ),
            question(
                "product_change",
                SINGLE,
                (
                    "What should we change about the product first?",
                    "Что в товаре нам стоит изменить в первую очередь?",
                    "Co w produkcie powinniśmy zmienić w pierwszej kolejności?",
                    "Mit változtassunk elsőként a terméken?",
                ),
                choices=[
                    ("The price", "Цену", "Cenę", "Az árát"),
                    ("The quality", "Качество", "Jakość", "A minőségét"),
                    ("The design", "Дизайн", "Wygląd", "A kinézetét"),
                    ("Size or fit", "Размер или посадку", "Rozmiar lub krój", "A méretét"),
                    ("The packaging", "Упаковку", "Opakowanie", "A csomagolását"),
                ],
            ),
            question(
                "product_missing",
                TEXT,
                (
                    "What is missing from our products?",
                    "Чего не хватает нашим товарам?",
                    "Czego brakuje w naszych produktach?",
                    "Mi hiányzik a termékeinkből?",
                ),
            ),
        ),
    ),
    Goal(
        "needs",
        _("Understanding needs"),
        (
            question(
                "needs_goal",
                TEXT,
                (
                    "What did you need this purchase for?",
                    "Для какой задачи вам понадобилась эта покупка?",
                    "Do czego był Ci potrzebny ten zakup?",
                    "Mire volt szüksége ehhez a vásárláshoz?",
                ),
            ),
            question(
                "needs_met",
                RATING,
                (
                    "How well does our product meet your needs?",
                    "Насколько наш товар отвечает вашим потребностям?",
                    "Na ile nasz produkt odpowiada Twoim potrzebom?",
                    "Mennyire felel meg a termékünk az igényeinek?",
                ),
                low=NOT_AT_ALL_COMPLETELY[0],
                high=NOT_AT_ALL_COMPLETELY[1],
            ),
            question(
                "needs_next",
                TEXT,
                (
                    "What else would you like to be able to buy from us?",
                    "Что ещё вы хотели бы покупать у нас?",
                    "Jakich jeszcze produktów szukasz w naszym sklepie?",
                    "Mit vásárolna még szívesen nálunk?",
                ),
            ),
        ),
    ),
    Goal(
        "customers",
        _("Understanding customers"),
        (
            question(
                "customer_frequency",
                SINGLE,
                (
                    "How often do you shop with us?",
                    "Как часто вы делаете у нас покупки?",
                    "Jak często robisz u nas zakupy?",
                    "Milyen gyakran vásárol nálunk?",
                ),
                choices=[
                    ("This is my first time", "Впервые", "To mój pierwszy raz", "Most először"),
                    (
                        "A few times a year",
                        "Несколько раз в год",
                        "Kilka razy w roku",
                        "Évente néhányszor",
                    ),
                    ("Every month", "Каждый месяц", "Co miesiąc", "Havonta"),
                    ("Every week", "Каждую неделю", "Co tydzień", "Hetente"),
                ],
            ),
            question(
                "customer_for_whom",
                SINGLE,
                (
                    "Who did you buy for?",
                    "Для кого вы сделали покупку?",
                    "Dla kogo był ten zakup?",
                    "Kinek vásárolt?",
                ),
                choices=[
                    ("Myself", "Для себя", "Dla siebie", "Magamnak"),
                    ("My family", "Для семьи", "Dla rodziny", "A családomnak"),
                    ("As a gift", "В подарок", "Na prezent", "Ajándékba"),
                    ("My business", "Для бизнеса", "Dla firmy", "A vállalkozásomnak"),
                ],
            ),
            question(
                "customer_found_us",
                SINGLE,
                (
                    "How did you first hear about us?",
                    "Как вы впервые узнали о нас?",
                    "Skąd dowiedziałeś(-aś) się o nas?",
                    "Honnan hallott először rólunk?",
                ),
                choices=[
                    ("A search engine", "Поисковик", "Wyszukiwarka", "Keresőből"),
                    ("Social media", "Соцсети", "Media społecznościowe", "Közösségi médiából"),
                    (
                        "A friend's recommendation",
                        "Совет друга",
                        "Polecenie znajomego",
                        "Ismerős ajánlásából",
                    ),
                    ("An advertisement", "Реклама", "Reklama", "Hirdetésből"),
                    ("Somewhere else", "Другое", "Inne", "Máshonnan"),
                ],
            ),
        ),
    ),
    Goal(
        "marketing_message",
        _("Marketing message"),
        (
            question(
                "message_clear",
                RATING,
                (
                    "How clearly does our advertising say what we offer?",
                    "Насколько понятно из нашей рекламы, что мы предлагаем?",
                    "Na ile nasze reklamy jasno mówią, co oferujemy?",
                    "Mennyire érthető a hirdetéseinkből, hogy mit kínálunk?",
                ),
                low=(
                    "Not clear at all",
                    "Совсем непонятно",
                    "Zupełnie niejasno",
                    "Egyáltalán nem érthető",
                ),
                high=("Perfectly clear", "Совершенно понятно", "Całkiem jasno", "Teljesen érthető"),
            ),
            question(
                "message_reason",
                TEXT,
                (
                    "In your own words: why should someone buy from us?",
                    "Своими словами: почему стоит покупать у нас?",
                    "Własnymi słowami: dlaczego warto u nas kupować?",
                    "Saját szavaival: miért érdemes nálunk vásárolni?",
                ),
            ),
            question(
                "message_channel",
                SINGLE,
                (
                    "Where would you like to hear about our offers?",
                    "Где вам удобнее узнавать о наших предложениях?",
                    "Gdzie chcesz dowiadywać się o naszych ofertach?",
                    "Hol szeretne értesülni az ajánlatainkról?",
                ),
                choices=[
                    ("By e-mail", "По электронной почте", "E-mailem", "E-mailben"),
                    ("By text message", "По SMS", "SMS-em", "SMS-ben"),
                    (
                        "On social media",
                        "В соцсетях",
                        "W mediach społecznościowych",
                        "A közösségi médiában",
                    ),
                    (
                        "Nowhere, thank you",
                        "Нигде, спасибо",
                        "Nigdzie, dziękuję",
                        "Sehol, köszönöm",
                    ),
                ],
            ),
        ),
    ),
    Goal(
        "competitors",
        _("Competitors"),
        (
            question(
                "competitor_considered",
                YES_NO,
                (
                    "Did you consider buying elsewhere?",
                    "Думали ли вы о покупке в другом магазине?",
                    "Czy rozważałeś(-aś) zakup w innym sklepie?",
                    "Fontolgatta, hogy máshol vásárol?",
                ),
            ),
            question(
                "competitor_compare",
                RATING,
                (
                    "Compared with other shops, how do we do?",
                    "Как мы выглядим по сравнению с другими магазинами?",
                    "Jak wypadamy w porównaniu z innymi sklepami?",
                    "Hogyan teljesítünk más üzletekhez képest?",
                ),
                low=("Much worse", "Намного хуже", "Dużo gorzej", "Sokkal rosszabbul"),
                high=("Much better", "Намного лучше", "Dużo lepiej", "Sokkal jobban"),
            ),
            question(
                "competitor_better",
                TEXT,
                (
                    "What do other shops do better than us?",
                    "Что другие магазины делают лучше нас?",
                    "Co inne sklepy robią lepiej od nas?",
                    "Mit csinálnak jobban nálunk más üzletek?",
                ),
            ),
        ),
    ),
    Goal(
        "website",
        _("Website"),
        (
            question(
                "website_found",
                YES_NO,
                (
                    "Did you find what you were looking for on our website?",
                    "Вы нашли на нашем сайте то, что искали?",
                    "Czy udało się znaleźć na naszej stronie to, czego szukasz?",
                    "Megtalálta a weboldalunkon, amit keresett?",
                ),
            ),
            question(
                "website_easy",
                RATING,
                (
                    "How easy is our website to use?",
                    "Насколько удобно пользоваться нашим сайтом?",
                    "Jak łatwo korzysta się z naszej strony?",
                    "Mennyire könnyű használni a weboldalunkat?",
                ),
                low=("Very hard", "Очень неудобно", "Bardzo trudno", "Nagyon nehéz"),
                high=("Very easy", "Очень удобно", "Bardzo łatwo", "Nagyon könnyű"),
                display=Display.EMOJI,
            ),
            question(
                "website_fix",
                TEXT,
                (
                    "What on our website should we fix first?",
                    "Что на сайте нам стоит исправить в первую очередь?",
                    "Co na naszej stronie powinniśmy poprawić w pierwszej kolejności?",
                    "Mit javítsunk elsőként a weboldalunkon?",
                ),
            ),
        ),
    ),
    Goal(
        "new_products",
        _("Testing new products"),
        (
            question(
                "new_interest",
                RATING,
                (
                    "How interested are you in this new product?",
                    "Насколько вам интересен этот новый товар?",
                    "Jak bardzo interesuje Cię ten nowy produkt?",
                    "Mennyire érdekli ez az új termék?",
                ),
                low=("Not at all", "Совсем не интересен", "Wcale", "Egyáltalán nem"),
                high=("Very much", "Очень интересен", "Bardzo", "Nagyon"),
            ),
            question(
                "new_would_buy",
                SINGLE,
                (
                    "Would you buy it?",
                    "Купили бы вы его?",
                    "Czy zdecydujesz się go kupić?",
                    "Megvásárolná?",
                ),
                choices=[
                    ("Definitely", "Точно да", "Zdecydowanie tak", "Biztosan"),
                    ("Probably", "Скорее да", "Raczej tak", "Valószínűleg"),
                    ("Not sure yet", "Пока не знаю", "Trudno powiedzieć", "Még nem tudom"),
                    ("Probably not", "Скорее нет", "Raczej nie", "Valószínűleg nem"),
                    ("Definitely not", "Точно нет", "Zdecydowanie nie", "Biztosan nem"),
                ],
            ),
            question(
                "new_fair_price",
                TEXT,
                (
                    "What price would feel fair to you?",
                    "Какая цена кажется вам справедливой?",
                    "Jaka cena wydaje Ci się uczciwa?",
                    "Milyen árat tartana méltányosnak?",
                ),
            ),
        ),
    ),
    Goal(
        "purchase",
        _("Purchase experience"),
        (
            question(
                "purchase_easy",
                QuestionKind.CES,
                (
                    "It was easy to place my order.",
                    "Оформить заказ было легко.",
                    "Złożenie zamówienia było łatwe.",
                    "Könnyű volt leadni a rendelést.",
                ),
                low=AGREEMENT[0],
                high=AGREEMENT[1],
                metric=Metric.CES,
            ),
            question(
                "purchase_delivery",
                RATING,
                (
                    "How do you rate the delivery?",
                    "Как вы оцениваете доставку?",
                    "Jak oceniasz dostawę?",
                    "Hogyan értékeli a szállítást?",
                ),
                low=POOR_EXCELLENT[0],
                high=POOR_EXCELLENT[1],
                display=Display.STARS,
            ),
            question(
                "purchase_as_described",
                YES_NO,
                (
                    "Did the product match its description?",
                    "Соответствовал ли товар описанию?",
                    "Czy produkt był zgodny z opisem?",
                    "Megfelelt a termék a leírásnak?",
                ),
            ),
            question(
                "purchase_hardest",
                SINGLE,
                (
                    "Which part of buying was the least convenient?",
                    "Какой этап покупки был самым неудобным?",
                    "Który etap zakupów był najmniej wygodny?",
                    "A vásárlás melyik része volt a legkevésbé kényelmes?",
                ),
                choices=[
                    (
                        "Finding the product",
                        "Поиск товара",
                        "Znalezienie produktu",
                        "A termék megtalálása",
                    ),
                    (
                        "Checkout",
                        "Оформление заказа",
                        "Składanie zamówienia",
                        "A rendelés leadása",
                    ),
                    ("Payment", "Оплата", "Płatność", "A fizetés"),
                    ("Delivery", "Доставка", "Dostawa", "A szállítás"),
                    (
                        "Nothing, it all went well",
                        "Всё было удобно",
                        "Nic, wszystko poszło dobrze",
                        "Semmi, minden rendben volt",
                    ),
                ],
            ),
        ),
    ),
    Goal(
        "staff",
        _("Staff evaluation"),
        (
            question(
                "staff_knowledge",
                RATING,
                (
                    "How well did our colleague know the subject?",
                    "Насколько хорошо наш сотрудник разбирался в вопросе?",
                    "Jak dobrze nasz pracownik znał temat?",
                    "Mennyire volt jártas a témában a munkatársunk?",
                ),
                low=("Very poorly", "Очень плохо", "Bardzo słabo", "Nagyon kevéssé"),
                high=("Very well", "Очень хорошо", "Bardzo dobrze", "Nagyon jól"),
            ),
            question(
                "staff_listened",
                RATING,
                (
                    "Did we listen to you and understand what you needed?",
                    "Выслушали ли мы вас и поняли ли, что вам нужно?",
                    "Czy wysłuchaliśmy Cię i zrozumieliśmy, czego potrzebujesz?",
                    "Meghallgattuk és megértettük, mire van szüksége?",
                ),
                low=NOT_AT_ALL_COMPLETELY[0],
                high=NOT_AT_ALL_COMPLETELY[1],
            ),
            question(
                "staff_thanks",
                TEXT,
                (
                    "Would you like to thank someone on our team? Tell us who and why.",
                    "Хотите поблагодарить кого-то из нашей команды? Напишите, кого и за что.",
                    "Chcesz podziękować komuś z naszego zespołu? Napisz komu i za co.",
                    "Szeretne megköszönni valamit a csapatunk egyik tagjának? Írja meg, kinek "
                    "és miért.",
                ),
            ),
        ),
    ),
    Goal(
        "metrics",
        _("Quantifiable metrics"),
        (
            question(
                "metric_csat",
                RATING,
                (
                    "How satisfied are you with us?",
                    "Насколько вы нами довольны?",
                    "Jak oceniasz swoje zadowolenie z naszych usług?",
                    "Mennyire elégedett velünk?",
                ),
                low=DISSATISFIED_SATISFIED[0],
                high=DISSATISFIED_SATISFIED[1],
                display=Display.EMOJI,
                metric=Metric.CSAT,
            ),
            question(
                "metric_nps",
                QuestionKind.NPS,
                (
                    "How likely are you to recommend us to a friend or colleague?",
                    "Насколько вероятно, что вы порекомендуете нас другу или коллеге?",
                    "Jak bardzo prawdopodobne jest, że polecisz nas znajomemu lub koledze?",
                    "Mennyire valószínű, hogy ajánlana minket egy barátjának vagy kollégájának?",
                ),
                low=NPS_ENDS[0],
                high=NPS_ENDS[1],
                metric=Metric.NPS,
            ),
            question(
                "metric_ces",
                QuestionKind.CES,
                (
                    "It was easy to get my issue handled.",
                    "Решить мой вопрос было легко.",
                    "Załatwienie mojej sprawy było łatwe.",
                    "Könnyű volt elintézni az ügyemet.",
                ),
                low=AGREEMENT[0],
                high=AGREEMENT[1],
                metric=Metric.CES,
            ),
            question(
                "metric_buy_again",
                SINGLE,
                (
                    "How likely are you to buy from us again?",
                    "Насколько вероятно, что вы снова купите у нас?",
                    "Jak prawdopodobne jest, że znów zrobisz u nas zakupy?",
                    "Mennyire valószínű, hogy újra vásárol nálunk?",
                ),
                choices=[
                    ("Very likely", "Очень вероятно", "Bardzo prawdopodobne", "Nagyon valószínű"),
                    ("Likely", "Вероятно", "Prawdopodobne", "Valószínű"),
                    ("Unlikely", "Маловероятно", "Mało prawdopodobne", "Nem valószínű"),
                    (
                        "Very unlikely",
                        "Совсем маловероятно",
                        "Bardzo mało prawdopodobne",
                        "Egyáltalán nem valószínű",
                    ),
                ],
            ),
        ),
    ),
    Goal(
        "nps_follow_up",
        _("NPS follow-ups"),
        (
            question(
                "nps_reason",
                TEXT,
                (
                    "What is the main reason for your score?",
                    "Какова главная причина вашей оценки?",
                    "Co jest głównym powodem Twojej oceny?",
                    "Mi a fő oka az értékelésének?",
                ),
            ),
            question(
                "nps_higher",
                TEXT,
                (
                    "What could we do to earn a higher score from you?",
                    "Что нам сделать, чтобы заслужить у вас более высокую оценку?",
                    "Co możemy zrobić, aby zasłużyć u Ciebie na wyższą ocenę?",
                    "Mit tehetnénk, hogy magasabb értékelést érdemeljünk Öntől?",
                ),
            ),
            question(
                "nps_value",
                TEXT,
                (
                    "What do you value most about us?",
                    "Что вы цените в нас больше всего?",
                    "Co najbardziej w nas cenisz?",
                    "Mit értékel bennünk a legjobban?",
                ),
            ),
            question(
                "nps_disappointed",
                TEXT,
                (
                    "What disappointed you?",
                    "Что вас разочаровало?",
                    "Co Cię rozczarowało?",
                    "Mi okozott csalódást?",
                ),
            ),
        ),
    ),
)

QUESTIONS: dict[str, LibraryQuestion] = {q.key: q for goal in GOALS for q in goal.questions}


def library_question(key: str) -> LibraryQuestion | None:
    return QUESTIONS.get(key)
