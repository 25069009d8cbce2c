"""The demo store's configuration: the brand, the team, its groups, tags and macros.

Pure data; :mod:`zabota.demo.build` turns it into rows. Team members are referred to by a short
key (``"lead"``, ``"dmitri"``) so that conversation plans can name them before they exist.
"""

from dataclasses import dataclass

from zabota.accounts.constants import Role
from zabota.demo.names import FEMALE, MALE
from zabota.tickets.constants import Status

STORE_SLUG = "demo"
STORE_NAME = "Birchwood Home & Garden"
STORE_EMAIL = "support@store.example"
STORE_TIME_ZONE = "Europe/Warsaw"
STORE_CURRENCY = "EUR"
STORE_LANGUAGE = "en"

PASSWORD = "zabota-demo"  # noqa: S105 - the published password of the demo logins

# Customers with an e-mail on these domains were made up by the demo (see names.EMAIL_DOMAINS);
# ``--reset`` deletes only those.
DEMO_EMAIL_SUFFIX = ".example"


@dataclass(frozen=True)
class Member:
    key: str
    email: str
    name: str
    role: str
    gender: str
    languages: tuple[str, ...]
    ui_language: str = "en"
    capacity: int = 8

    @property
    def first_name(self) -> str:
        return self.name.split(" ")[0]


TEAM: tuple[Member, ...] = (
    Member("admin", "admin@example.com", "Alex Morgan", Role.ADMIN, MALE, ("en", "pl")),
    Member(
        "lead", "lead@example.com", "Lena Fischer", Role.LEAD, FEMALE, ("en", "ru", "pl"),
        capacity=6,
    ),
    Member("agent", "agent@example.com", "Anna Nowak", Role.AGENT, FEMALE, ("en", "pl")),
    Member(
        "dmitri", "dmitri@example.com", "Dmitri Sokolov", Role.AGENT, MALE, ("ru", "en"),
        ui_language="ru", capacity=10,
    ),
    Member(
        "zsofia", "zsofia@example.com", "Zsófia Kiss", Role.AGENT, FEMALE, ("hu", "en"),
        ui_language="hu",
    ),
    Member(
        "piotr", "piotr@example.com", "Piotr Wiśniewski", Role.AGENT, MALE, ("pl", "en", "ru"),
        ui_language="pl",
    ),
    Member("olga", "olga@example.com", "Olga Melnikova", Role.AGENT, FEMALE, ("ru", "en")),
    Member(
        "bence", "bence@example.com", "Bence Tóth", Role.AGENT, MALE, ("hu", "en"),
        ui_language="hu", capacity=6,
    ),
    Member("emily", "emily@example.com", "Emily Carter", Role.AGENT, FEMALE, ("en",), capacity=12),
    Member(
        "katarzyna", "katarzyna@example.com", "Katarzyna Zielińska", Role.LEAD, FEMALE,
        ("pl", "en", "hu"), ui_language="pl", capacity=4,
    ),
)  # fmt: skip

TEAM_BY_KEY = {m.key: m for m in TEAM}

# Printed at the end of `zabota demo`: one login per role first, then every agent.
LOGINS = tuple((m.role, m.email) for m in TEAM)


@dataclass(frozen=True)
class GroupSpec:
    key: str
    name: str
    lead: str
    members: tuple[str, ...]
    members_see_unassigned: bool = True


SUPPORT, RETURNS, VIP = "support", "returns", "vip"

GROUPS: tuple[GroupSpec, ...] = (
    GroupSpec(SUPPORT, "Support", "lead", ("agent", "dmitri", "zsofia", "bence", "emily")),
    # The lead triages returns: refunds cost money, so agents see only what they were given.
    GroupSpec(
        RETURNS, "Returns & Refunds", "lead", ("piotr", "olga", "zsofia"),
        members_see_unassigned=False,
    ),
    GroupSpec(VIP, "VIP care", "katarzyna", ("dmitri", "emily", "zsofia")),
)  # fmt: skip

DEFAULT_GROUP = SUPPORT
GROUPS_BY_KEY = {g.key: g for g in GROUPS}

TAGS: dict[str, str] = {
    "late-delivery": "#f59e0b",
    "lost-parcel": "#b45309",
    "damaged": "#dc2626",
    "wrong-size": "#7c3aed",
    "exchange": "#8b5cf6",
    "refund": "#0891b2",
    "return": "#0e7490",
    "address-change": "#2563eb",
    "subscription": "#db2777",
    "chargeback": "#991b1b",
    "threat": "#7f1d1d",
    "vip": "#ca8a04",
    "compliment": "#16a34a",
    "promo-code": "#4f46e5",
    "follow-up": "#64748b",
    "warranty": "#0f766e",
}


@dataclass(frozen=True)
class MacroSpec:
    key: str
    name: str
    texts: dict[str, str]
    set_status: str = ""
    add_tags: tuple[str, ...] = ()


MACROS: tuple[MacroSpec, ...] = (
    MacroSpec(
        "tracking",
        "Parcel on its way (tracking)",
        {
            "en": (
                "Hello {{ customer.first_name }},\n\n"
                "I have checked ticket #{{ ticket.number }}: your parcel left our warehouse and "
                "is with the carrier now. The tracking link in your shipping e-mail shows every "
                "scan; it usually arrives within 2 working days from here.\n\n"
                "If it has not arrived by then, just reply and I will open an investigation "
                "with the carrier.\n\nBest regards,\n{{ agent.first_name }}\n{{ store.name }}"
            ),
            "ru": (
                "Здравствуйте, {{ customer.first_name }}!\n\n"
                "Я проверил(а) обращение №{{ ticket.number }}: посылка покинула наш склад и уже "
                "у перевозчика. Все этапы доставки видны по ссылке для отслеживания в письме об "
                "отправке; обычно отсюда она идёт не больше 2 рабочих дней.\n\n"
                "Если к этому сроку посылки не будет, просто ответьте на это письмо — я открою "
                "розыск у перевозчика.\n\nС уважением,\n{{ agent.first_name }}\n{{ store.name }}"
            ),
            "pl": (
                "Dzień dobry,\n\n"
                "sprawdziłam/sprawdziłem zgłoszenie nr {{ ticket.number }}: paczka opuściła nasz "
                "magazyn i jest już u przewoźnika. Link do śledzenia z e-maila o wysyłce pokazuje "
                "każdy etap; zwykle dotarcie zajmuje stąd do 2 dni roboczych.\n\n"
                "Jeśli do tego czasu paczka nie dotrze, proszę odpowiedzieć na tę wiadomość — "
                "zgłoszę reklamację u przewoźnika.\n\n"
                "Pozdrawiam serdecznie,\n{{ agent.first_name }}\n{{ store.name }}"
            ),
            "hu": (
                "Kedves {{ customer.first_name }}!\n\n"
                "Megnéztem az ügyét (#{{ ticket.number }}): a csomag elhagyta a raktárunkat, "
                "és már a futárszolgálatnál van. A feladásról szóló e-mailben található "
                "nyomkövetési linken minden állomás látható; innen általában legfeljebb 2 "
                "munkanap a kézbesítés.\n\n"
                "Ha addig nem érkezik meg, kérem, válaszoljon erre a levélre, és reklamációt "
                "indítok a futárnál.\n\nÜdvözlettel:\n{{ agent.first_name }}\n{{ store.name }}"
            ),
        },
        set_status=Status.AWAITING_CONFIRMATION,
        add_tags=("late-delivery",),
    ),
    MacroSpec(
        "damage_photos",
        "Damaged item: ask for photos",
        {
            "en": (
                "Hello {{ customer.first_name }},\n\n"
                "I am sorry the item arrived damaged. Could you send us two or three photos of "
                "the damage and of the outer box? That is all we need to arrange a replacement "
                "or a refund, whichever you prefer.\n\n"
                "Best regards,\n{{ agent.first_name }}\n{{ store.name }}"
            ),
            "ru": (
                "Здравствуйте, {{ customer.first_name }}!\n\n"
                "Очень жаль, что товар пришёл повреждённым. Пришлите, пожалуйста, две-три "
                "фотографии повреждения и внешней коробки — этого достаточно, чтобы оформить "
                "замену или возврат денег, как вам удобнее.\n\n"
                "С уважением,\n{{ agent.first_name }}\n{{ store.name }}"
            ),
            "pl": (
                "Dzień dobry,\n\n"
                "bardzo przepraszamy, że produkt dotarł uszkodzony. Prosimy o dwa–trzy zdjęcia "
                "uszkodzenia i kartonu zewnętrznego — to wszystko, czego potrzebujemy, aby wysłać "
                "nowy egzemplarz albo zwrócić pieniądze, zależnie od Pani/Pana wyboru.\n\n"
                "Pozdrawiam serdecznie,\n{{ agent.first_name }}\n{{ store.name }}"
            ),
            "hu": (
                "Kedves {{ customer.first_name }}!\n\n"
                "Sajnálom, hogy a termék sérülten érkezett. Kérem, küldjön két-három fotót a "
                "sérülésről és a külső dobozról — ennyi elég ahhoz, hogy cserét vagy "
                "visszatérítést intézzünk, ahogy Önnek kényelmesebb.\n\n"
                "Üdvözlettel:\n{{ agent.first_name }}\n{{ store.name }}"
            ),
        },
        set_status=Status.PENDING,
        add_tags=("damaged",),
    ),
    MacroSpec(
        "replacement",
        "Replacement shipped",
        {
            "en": (
                "Hello {{ customer.first_name }},\n\n"
                "Thank you for the photos. A replacement is on its way today at no cost to you, "
                "and there is no need to send the damaged one back.\n\n"
                "Could you let us know once it arrives safely?\n\n"
                "Best regards,\n{{ agent.first_name }}\n{{ store.name }}"
            ),
            "ru": (
                "Здравствуйте, {{ customer.first_name }}!\n\n"
                "Спасибо за фотографии. Замену отправляем сегодня за наш счёт, повреждённый "
                "товар возвращать не нужно.\n\n"
                "Сообщите, пожалуйста, когда посылка благополучно дойдёт.\n\n"
                "С уважением,\n{{ agent.first_name }}\n{{ store.name }}"
            ),
            "pl": (
                "Dzień dobry,\n\n"
                "dziękujemy za zdjęcia. Nowy egzemplarz wysyłamy dziś na nasz koszt; uszkodzonego "
                "produktu nie trzeba odsyłać.\n\n"
                "Prosimy o informację, gdy paczka szczęśliwie dotrze.\n\n"
                "Pozdrawiam serdecznie,\n{{ agent.first_name }}\n{{ store.name }}"
            ),
            "hu": (
                "Kedves {{ customer.first_name }}!\n\n"
                "Köszönjük a fotókat. A cseretermék ma útnak indul, költségmentesen, a sérült "
                "darabot nem kell visszaküldenie.\n\n"
                "Kérem, jelezzen, ha épségben megérkezett.\n\n"
                "Üdvözlettel:\n{{ agent.first_name }}\n{{ store.name }}"
            ),
        },
        set_status=Status.AWAITING_CONFIRMATION,
    ),
    MacroSpec(
        "exchange",
        "Exchange for another size",
        {
            "en": (
                "Hello {{ customer.first_name }},\n\n"
                "No problem at all — we will exchange it. I have e-mailed you a prepaid return "
                "label; the new size ships as soon as the carrier scans your parcel, so you do "
                "not have to wait for it to reach us.\n\n"
                "Best regards,\n{{ agent.first_name }}\n{{ store.name }}"
            ),
            "ru": (
                "Здравствуйте, {{ customer.first_name }}!\n\n"
                "Конечно, обменяем. Я отправил(а) вам на почту оплаченную этикетку для возврата; "
                "новый размер уйдёт к вам, как только перевозчик примет посылку, — ждать, пока "
                "она доедет до нас, не нужно.\n\n"
                "С уважением,\n{{ agent.first_name }}\n{{ store.name }}"
            ),
            "pl": (
                "Dzień dobry,\n\n"
                "oczywiście, wymienimy produkt. Etykieta zwrotna (opłacona) jest już w Pani/Pana "
                "skrzynce; nowy rozmiar wyślemy, gdy tylko przewoźnik zeskanuje paczkę — nie "
                "trzeba czekać, aż do nas dotrze.\n\n"
                "Pozdrawiam serdecznie,\n{{ agent.first_name }}\n{{ store.name }}"
            ),
            "hu": (
                "Kedves {{ customer.first_name }}!\n\n"
                "Természetesen kicseréljük. E-mailben elküldtem egy előre kifizetett "
                "visszaküldési címkét; az új méretet már akkor feladjuk, amikor a futár "
                "beszkenneli a csomagot, nem kell megvárnia, hogy hozzánk érjen.\n\n"
                "Üdvözlettel:\n{{ agent.first_name }}\n{{ store.name }}"
            ),
        },
        set_status=Status.AWAITING_CONFIRMATION,
        add_tags=("wrong-size", "exchange"),
    ),
    MacroSpec(
        "refund",
        "Refund issued",
        {
            "en": (
                "Hello {{ customer.first_name }},\n\n"
                "Your refund for ticket #{{ ticket.number }} has been issued to the original "
                "payment method. Banks usually show it within 3–5 working days.\n\n"
                "Is there anything else I can help with?\n\n"
                "Best regards,\n{{ agent.first_name }}\n{{ store.name }}"
            ),
            "ru": (
                "Здравствуйте, {{ customer.first_name }}!\n\n"
                "Возврат по обращению №{{ ticket.number }} оформлен на исходный способ оплаты. "
                "Обычно банк зачисляет деньги в течение 3–5 рабочих дней.\n\n"
                "Могу ли я помочь чем-то ещё?\n\n"
                "С уважением,\n{{ agent.first_name }}\n{{ store.name }}"
            ),
            "pl": (
                "Dzień dobry,\n\n"
                "zwrot w sprawie nr {{ ticket.number }} został zlecony na pierwotną metodę "
                "płatności. Bank zwykle księguje go w ciągu 3–5 dni roboczych.\n\n"
                "Czy mogę jeszcze w czymś pomóc?\n\n"
                "Pozdrawiam serdecznie,\n{{ agent.first_name }}\n{{ store.name }}"
            ),
            "hu": (
                "Kedves {{ customer.first_name }}!\n\n"
                "Az ügyéhez (#{{ ticket.number }}) tartozó visszatérítést elindítottuk az "
                "eredeti fizetési módra. A bankok általában 3–5 munkanapon belül jóváírják.\n\n"
                "Segíthetek még valamiben?\n\n"
                "Üdvözlettel:\n{{ agent.first_name }}\n{{ store.name }}"
            ),
        },
        set_status=Status.AWAITING_CONFIRMATION,
        add_tags=("refund",),
    ),
    MacroSpec(
        "address_changed",
        "Delivery address changed",
        {
            "en": (
                "Hello {{ customer.first_name }},\n\n"
                "Done — the parcel will go to the new address. You will get a fresh tracking "
                "e-mail once it is handed to the carrier.\n\n"
                "Best regards,\n{{ agent.first_name }}\n{{ store.name }}"
            ),
            "ru": (
                "Здравствуйте, {{ customer.first_name }}!\n\n"
                "Готово — посылка поедет по новому адресу. Когда мы передадим её перевозчику, "
                "придёт письмо с новым номером для отслеживания.\n\n"
                "С уважением,\n{{ agent.first_name }}\n{{ store.name }}"
            ),
            "pl": (
                "Dzień dobry,\n\n"
                "gotowe — paczka zostanie wysłana na nowy adres. Po przekazaniu jej "
                "przewoźnikowi przyjdzie e-mail z nowym numerem do śledzenia.\n\n"
                "Pozdrawiam serdecznie,\n{{ agent.first_name }}\n{{ store.name }}"
            ),
            "hu": (
                "Kedves {{ customer.first_name }}!\n\n"
                "Kész — a csomagot az új címre küldjük. Amint átadjuk a futárnak, kap egy új "
                "nyomkövetési e-mailt.\n\n"
                "Üdvözlettel:\n{{ agent.first_name }}\n{{ store.name }}"
            ),
        },
        set_status=Status.AWAITING_CONFIRMATION,
        add_tags=("address-change",),
    ),
    MacroSpec(
        "chargeback",
        "Chargeback: standard process",
        {
            "en": (
                "Hello {{ customer.first_name }},\n\n"
                "We have received the notice of a payment dispute for ticket "
                "#{{ ticket.number }}. We handle it the same way as any other request: once the "
                "item is back with us or the carrier confirms the loss, the money is returned in "
                "full. The bank will tell you its decision as well.\n\n"
                "Best regards,\n{{ agent.first_name }}\n{{ store.name }}"
            ),
            "ru": (
                "Здравствуйте, {{ customer.first_name }}!\n\n"
                "Мы получили уведомление об оспаривании платежа по обращению "
                "№{{ ticket.number }}. Мы рассматриваем его так же, как любую другую заявку: как "
                "только товар вернётся к нам или перевозчик подтвердит утрату, деньги будут "
                "возвращены полностью. Банк также сообщит вам своё решение.\n\n"
                "С уважением,\n{{ agent.first_name }}\n{{ store.name }}"
            ),
            "pl": (
                "Dzień dobry,\n\n"
                "otrzymaliśmy informację o reklamacji płatności (chargeback) w sprawie nr "
                "{{ ticket.number }}. Rozpatrujemy ją tak jak każde inne zgłoszenie: gdy produkt "
                "wróci do nas lub przewoźnik potwierdzi zaginięcie, zwrócimy całą kwotę. Bank "
                "również poinformuje o swojej decyzji.\n\n"
                "Pozdrawiam serdecznie,\n{{ agent.first_name }}\n{{ store.name }}"
            ),
            "hu": (
                "Kedves {{ customer.first_name }}!\n\n"
                "Megkaptuk az értesítést az ügyéhez (#{{ ticket.number }}) tartozó "
                "fizetési vitáról (chargeback). Ugyanúgy kezeljük, mint bármely más kérést: "
                "amint a termék visszaérkezik hozzánk, vagy a futár igazolja az elvesztést, a "
                "teljes összeget visszatérítjük. A bank is értesíti majd a döntéséről.\n\n"
                "Üdvözlettel:\n{{ agent.first_name }}\n{{ store.name }}"
            ),
        },
        add_tags=("chargeback",),
    ),
    MacroSpec(
        "thanks",
        "Thank you for the kind words",
        {
            "en": (
                "Hello {{ customer.first_name }},\n\n"
                "Thank you so much for taking the time to write — I have passed your message on "
                "to the whole team. Enjoy your new things!\n\n"
                "Warm regards,\n{{ agent.first_name }}\n{{ store.name }}"
            ),
            "ru": (
                "Здравствуйте, {{ customer.first_name }}!\n\n"
                "Большое спасибо, что нашли время написать, — я передал(а) ваши слова всей "
                "команде. Пусть покупка радует!\n\n"
                "С уважением,\n{{ agent.first_name }}\n{{ store.name }}"
            ),
            "pl": (
                "Dzień dobry,\n\n"
                "serdecznie dziękujemy za miłe słowa — przekazałam/przekazałem je całemu "
                "zespołowi. Niech zakupy dobrze służą!\n\n"
                "Pozdrawiam serdecznie,\n{{ agent.first_name }}\n{{ store.name }}"
            ),
            "hu": (
                "Kedves {{ customer.first_name }}!\n\n"
                "Nagyon köszönjük, hogy időt szánt rá és írt nekünk — továbbítottam az egész "
                "csapatnak. Sok örömet a vásárolt termékekhez!\n\n"
                "Üdvözlettel:\n{{ agent.first_name }}\n{{ store.name }}"
            ),
        },
        set_status=Status.AWAITING_CONFIRMATION,
        add_tags=("compliment",),
    ),
)

MACROS_BY_KEY = {m.key: m for m in MACROS}
