"""What demo customers and agents write, in English, Russian, Polish and Hungarian.

A :class:`Scenario` is one recurring problem (where is my parcel, wrong size, chargeback …) with
its lines in every language. Texts are ``str.format`` templates over :class:`Facts` (order
number, product, carrier …); ``[[masculine|feminine]]`` picks the speaker's grammatical gender,
since Russian and Polish past tenses agree with it.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from zabota.demo.data import RETURNS, STORE_NAME, SUPPORT
from zabota.demo.names import FEMALE
from zabota.tickets.constants import Priority

_GENDERED = re.compile(r"\[\[([^|\]]*)\|([^\]]*)\]\]")


def gendered(text: str, gender: str) -> str:
    """Resolve ``[[masculine|feminine]]`` for a speaker of the given gender."""
    return _GENDERED.sub(lambda m: m.group(2) if gender == FEMALE else m.group(1), text)


@dataclass(frozen=True)
class Facts:
    """The particulars of one conversation, filled into every line of it."""

    order: str
    item: str
    carrier: str
    days: int
    amount: str
    size: str
    size2: str
    address: str
    code: str
    tracking: str

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def money(language: str, value: Decimal, currency: str = "EUR") -> str:
    """An amount as a customer of that language writes it: €89.00, 89,00 €, 389,99 zł,
    35 190 Ft, £76.99."""
    comma = f"{value:.2f}".replace(".", ",")
    match currency:
        case "EUR":
            return f"€{value:.2f}" if language == "en" else f"{comma} €"
        case "PLN":
            return f"{comma} zł"
        case "HUF":
            return f"{value:,.0f}".replace(",", "\N{NO-BREAK SPACE}") + "\N{NO-BREAK SPACE}Ft"
        case "GBP":
            return f"£{value:.2f}"
    return f"{value:.2f} {currency}"


@dataclass(frozen=True)
class Lines:
    """One scenario in one language. Empty strings where a macro speaks instead."""

    subjects: tuple[str, ...]
    openings: tuple[str, ...]
    question: str = ""
    answer: str = ""
    solution: str = ""
    note: str = ""


@dataclass(frozen=True)
class Scenario:
    key: str
    weight: int
    team: str
    tags: tuple[str, ...]
    priorities: tuple[int, ...]
    lines: dict[str, Lines]
    # Macros an agent uses for the question / the proposed solution instead of own words.
    question_macro: str = ""
    solution_macro: str = ""
    # The agent writes first (a proactive notice); the customer answers.
    outbound: bool = False
    # Uses a product that comes in sizes ({item} is then that product).
    sized: bool = False


N, H, U, L = Priority.NORMAL, Priority.HIGH, Priority.URGENT, Priority.LOW

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "parcel",
        weight=22,
        team=SUPPORT,
        tags=("late-delivery",),
        priorities=(N, N, N, N, H, L),
        solution_macro="tracking",
        lines={
            "en": Lines(
                subjects=("Where is my order {order}?", "Parcel still not here"),
                openings=(
                    'I ordered "{item}" {days} days ago (order {order}) and it still hasn\'t '
                    "arrived. The tracking page hasn't changed for three days. Could you check "
                    "what is going on?",
                    "My order {order} was supposed to arrive last week. {carrier} says nothing "
                    "useful. Where is my parcel?",
                ),
                question=(
                    "Thank you for getting in touch. I can see order {order}, but the carrier's "
                    "record shows an incomplete address. Could you confirm the full delivery "
                    "address, including the flat number?"
                ),
                answer="Sure, it is {address}. Sorry about that!",
                note=(
                    "Carrier {carrier} lost the scan after the sorting hub; asked them to "
                    "prioritise. Tracking {tracking}."
                ),
            ),
            "ru": Lines(
                subjects=("Где мой заказ {order}?", "Посылка до сих пор не пришла"),
                openings=(
                    "Заказ {order} («{item}») оформлен {days} дней назад, но до сих пор не "
                    "доставлен. Статус отслеживания не меняется уже три дня. Проверьте, "
                    "пожалуйста, что происходит.",
                    "Заказ {order} должен был прийти на прошлой неделе, а {carrier} ничего "
                    "толком не сообщает. Где моя посылка?",
                ),
                question=(
                    "Спасибо, что написали. Заказ {order} вижу, но у перевозчика адрес указан "
                    "не полностью. Подтвердите, пожалуйста, полный адрес доставки с номером "
                    "квартиры."
                ),
                answer=(
                    "Да, конечно: {address}. [[Извините, я сам ошибся|Извините, я сама ошиблась]]."
                ),
                note=(
                    "У {carrier} посылка потерялась после сортировочного центра, попросили "
                    "ускорить. Трек {tracking}."
                ),
            ),
            "pl": Lines(
                subjects=("Gdzie jest moje zamówienie {order}?", "Paczka wciąż nie dotarła"),
                openings=(
                    "Zamówienie {order} („{item}”) złożone {days} dni temu wciąż nie dotarło. "
                    "Status przesyłki nie zmienił się od trzech dni. Czy mogą Państwo "
                    "sprawdzić, co się dzieje?",
                    "Zamówienie {order} miało przyjść w zeszłym tygodniu, a {carrier} nic "
                    "konkretnego nie mówi. Gdzie jest moja paczka?",
                ),
                question=(
                    "Dziękuję za wiadomość. Widzę zamówienie {order}, ale przewoźnik ma "
                    "niepełny adres. Czy może Pani/Pan potwierdzić pełny adres dostawy, razem "
                    "z numerem mieszkania?"
                ),
                answer=(
                    "Oczywiście: {address}. Przepraszam, [[pomyliłem|pomyliłam]] się przy "
                    "zamówieniu."
                ),
                note=(
                    "{carrier} zgubił skan po sortowni, poprosiliśmy o priorytet. "
                    "Numer przesyłki {tracking}."
                ),
            ),
            "hu": Lines(
                subjects=(
                    "Hol van a(z) {order} rendelésem?",
                    "Még mindig nem érkezett meg a csomag",
                ),
                openings=(
                    "{days} napja rendeltem („{item}”, rendelésszám: {order}), de még mindig "
                    "nem érkezett meg. A csomagkövetés három napja nem változott. Meg tudnák "
                    "nézni, mi történt?",
                    "A(z) {order} rendelésemnek a múlt héten kellett volna megérkeznie, a(z) "
                    "{carrier} pedig semmi érdemlegeset nem mond. Hol van a csomagom?",
                ),
                question=(
                    "Köszönöm, hogy írt. Látom a(z) {order} rendelést, de a futárnál hiányos a "
                    "cím. Megerősítené a teljes szállítási címet, az ajtószámmal együtt?"
                ),
                answer="Persze: {address}. Elnézést, elírtam a rendelésnél.",
                note=(
                    "A(z) {carrier} elvesztette a szkennelést a válogatóközpont után, kértük a "
                    "soron kívüli kezelést. Követőszám: {tracking}."
                ),
            ),
        },
    ),
    Scenario(
        "not_received",
        weight=6,
        team=SUPPORT,
        tags=("lost-parcel",),
        priorities=(N, H, H),
        lines={
            "en": Lines(
                subjects=("Marked as delivered but I never got it", "Order {order} not received"),
                openings=(
                    "Tracking says my parcel {tracking} was delivered yesterday, but nothing "
                    "came. I was at home all day. Order {order}.",
                    "{carrier} marked order {order} as delivered, but there is no parcel at my "
                    "door or in the mailbox.",
                ),
                question=(
                    "I'm sorry to hear that. Couriers sometimes leave parcels with a neighbour "
                    "or in a safe place. Could you check with your neighbours and around the "
                    "building? If it's not there, I'll start a claim right away."
                ),
                answer="I asked the neighbours and checked everywhere — nothing.",
                solution=(
                    "Thank you for checking. I've opened a claim with {carrier} and sent you a "
                    'new "{item}" by express today — you don\'t need to wait for the claim. '
                    "Please let me know when it arrives."
                ),
                note="Claim opened with {carrier} for {tracking}; reshipped express at our cost.",
            ),
            "ru": Lines(
                subjects=("Статус «доставлено», но посылки нет", "Заказ {order} не получен"),
                openings=(
                    "По отслеживанию посылка {tracking} доставлена вчера, но мне ничего не "
                    "приносили, хотя я весь день [[был|была]] дома. Заказ {order}.",
                    "{carrier} отметил заказ {order} как доставленный, но ни у двери, ни в "
                    "почтовом ящике посылки нет.",
                ),
                question=(
                    "Очень жаль. Курьеры иногда оставляют посылку у соседей или в укромном "
                    "месте. Не могли бы вы спросить соседей и посмотреть у подъезда? Если её "
                    "там нет, я сразу открою претензию."
                ),
                answer="Соседей [[спросил|спросила]], всё [[обошёл|обошла]] — посылки нигде нет.",
                solution=(
                    "Спасибо, что проверили. Я [[открыл|открыла]] претензию в {carrier} и сегодня "
                    "же [[отправил|отправила]] вам новый товар «{item}» экспресс-доставкой — ждать "
                    "итогов претензии не нужно. Напишите, пожалуйста, когда получите."
                ),
                note="Претензия в {carrier} по {tracking}; переотправили экспрессом за наш счёт.",
            ),
            "pl": Lines(
                subjects=(
                    "Status „doręczono”, a paczki nie ma",
                    "Nie [[otrzymałem|otrzymałam]] zamówienia {order}",
                ),
                openings=(
                    "Według śledzenia paczka {tracking} została wczoraj doręczona, ale nic do "
                    "mnie nie dotarło, a cały dzień [[byłem|byłam]] w domu. Zamówienie {order}.",
                    "{carrier} oznaczył zamówienie {order} jako doręczone, ale paczki nie ma ani "
                    "pod drzwiami, ani w skrzynce.",
                ),
                question=(
                    "Bardzo mi przykro. Kurierzy czasem zostawiają paczki u sąsiadów albo w "
                    "bezpiecznym miejscu. Czy może Pani/Pan zapytać sąsiadów i rozejrzeć się "
                    "przy budynku? Jeśli jej tam nie ma, od razu złożę reklamację."
                ),
                answer="[[Pytałem|Pytałam]] sąsiadów i wszędzie [[sprawdziłem|sprawdziłam]] — nic.",
                solution=(
                    "Dziękuję za sprawdzenie. [[Złożyłem|Złożyłam]] reklamację w {carrier} i "
                    "jeszcze dziś [[wysłałem|wysłałam]] kurierem ekspresowym nowy produkt "
                    "„{item}” — nie trzeba czekać na wynik reklamacji. Proszę dać znać, gdy "
                    "dotrze."
                ),
                note=(
                    "Reklamacja w {carrier} dla {tracking}; ponowna wysyłka ekspresowa na nasz "
                    "koszt."
                ),
            ),
            "hu": Lines(
                subjects=(
                    "Kézbesítettnek jelölték, de nem kaptam meg",
                    "Nem érkezett meg a(z) {order} rendelés",
                ),
                openings=(
                    "A nyomkövetés szerint a(z) {tracking} csomagot tegnap kézbesítették, de "
                    "semmit nem kaptam, pedig egész nap otthon voltam. Rendelésszám: {order}.",
                    "A(z) {carrier} kézbesítettnek jelölte a(z) {order} rendelést, de sem az "
                    "ajtó előtt, sem a postaládában nincs csomag.",
                ),
                question=(
                    "Nagyon sajnálom. A futárok néha a szomszédnál vagy egy biztonságos helyen "
                    "hagyják a csomagot. Megkérdezné a szomszédokat, és körülnézne a ház körül? "
                    "Ha ott sincs, azonnal reklamációt indítok."
                ),
                answer="Megkérdeztem a szomszédokat, mindenhol megnéztem — semmi.",
                solution=(
                    "Köszönöm, hogy utánanézett. Reklamációt indítottam a(z) {carrier} felé, és "
                    "ma expresszel küldtünk Önnek egy új „{item}” terméket — nem kell megvárnia "
                    "a reklamáció eredményét. Kérem, jelezzen, ha megérkezett."
                ),
                note=(
                    "Reklamáció a(z) {carrier} felé ({tracking}); expressz újraküldés a mi "
                    "költségünkön."
                ),
            ),
        },
    ),
    Scenario(
        "wrong_size",
        weight=12,
        team=RETURNS,
        tags=("wrong-size",),
        priorities=(N, N, L),
        solution_macro="exchange",
        sized=True,
        lines={
            "en": Lines(
                subjects=("Wrong size — can I exchange?", "Exchange {item} for size {size2}"),
                openings=(
                    'The "{item}" from order {order} is size {size}, but I need {size2}. Can '
                    "I exchange it?",
                    'I ordered "{item}" in {size} and it\'s too small. Could you send {size2} '
                    "instead? Order {order}.",
                ),
                question=(
                    'Of course. Just to be sure: would you like the same "{item}" in size '
                    "{size2}, same colour?"
                ),
                answer="Yes please, {size2}, same colour.",
                note="Size {size2} in stock; exchange approved.",
            ),
            "ru": Lines(
                subjects=(
                    "Не подошёл размер — можно обменять?",
                    "Обмен: «{item}» на размер {size2}",
                ),
                openings=(
                    "Товар «{item}» из заказа {order} — размер {size}, а мне нужен {size2}. "
                    "Можно обменять?",
                    "[[Заказал|Заказала]] «{item}» в размере {size}, оказалось мало. Можете "
                    "прислать {size2}? Заказ {order}.",
                ),
                question=(
                    "Конечно. Уточню: вам тот же товар «{item}» в размере {size2}, того же цвета?"
                ),
                answer="Да, {size2}, цвет тот же.",
                note="Размер {size2} есть на складе; обмен одобрен.",
            ),
            "pl": Lines(
                subjects=(
                    "Zły rozmiar — czy mogę wymienić?",
                    "Wymiana: „{item}” na rozmiar {size2}",
                ),
                openings=(
                    "Produkt „{item}” z zamówienia {order} jest w rozmiarze {size}, a "
                    "potrzebuję {size2}. Czy mogę go wymienić?",
                    "[[Zamówiłem|Zamówiłam]] „{item}” w rozmiarze {size} i jest za mały. Czy "
                    "mogą Państwo przysłać {size2}? Zamówienie {order}.",
                ),
                question=(
                    "Oczywiście. Dla pewności: chodzi o ten sam produkt „{item}” w rozmiarze "
                    "{size2}, w tym samym kolorze?"
                ),
                answer="Tak, poproszę {size2}, kolor ten sam.",
                note="Rozmiar {size2} dostępny; wymiana zatwierdzona.",
            ),
            "hu": Lines(
                subjects=("Rossz méret — kicserélhetem?", "Csere: „{item}” {size2} méretre"),
                openings=(
                    "A(z) {order} rendelésben érkezett „{item}” {size} méretű, de nekem {size2} "
                    "kellene. Kicserélhetem?",
                    "{size} méretben rendeltem a(z) „{item}” terméket, és kicsi. Küldenének "
                    "helyette {size2} méretet? Rendelésszám: {order}.",
                ),
                question=(
                    "Természetesen. A biztonság kedvéért: ugyanazt a(z) „{item}” terméket "
                    "kéri {size2} méretben, ugyanabban a színben?"
                ),
                answer="Igen, {size2} méretben, ugyanabban a színben.",
                note="{size2} méret raktáron; csere jóváhagyva.",
            ),
        },
    ),
    Scenario(
        "damaged",
        weight=10,
        team=RETURNS,
        tags=("damaged",),
        priorities=(N, H, H),
        question_macro="damage_photos",
        solution_macro="replacement",
        lines={
            "en": Lines(
                subjects=("Item arrived broken", "Damaged delivery — order {order}"),
                openings=(
                    'The "{item}" arrived today and it\'s broken — the box was crushed on one '
                    "side. Order {order}. What can you do?",
                    'Unpacked my order {order} and the "{item}" is damaged. Really '
                    "disappointed, it was meant to be a gift.",
                ),
                answer=(
                    "Photos attached: the damage and the box. The box was already dented when it "
                    "came."
                ),
                note=(
                    "Photos confirm transport damage; claim against {carrier}. Replacement "
                    "approved."
                ),
            ),
            "ru": Lines(
                subjects=("Товар пришёл разбитым", "Повреждённая доставка — заказ {order}"),
                openings=(
                    "Сегодня пришёл товар «{item}», и он разбит — коробка с одной стороны "
                    "смята. Заказ {order}. Что можно сделать?",
                    "[[Распаковал|Распаковала]] заказ {order}, а «{item}» повреждён. Очень "
                    "обидно, это был подарок.",
                ),
                answer="Фото прикладываю: повреждение и коробка. Коробка пришла уже помятой.",
                note="По фото — повреждение при перевозке; претензия к {carrier}. Замена одобрена.",
            ),
            "pl": Lines(
                subjects=(
                    "Produkt przyszedł uszkodzony",
                    "Uszkodzona przesyłka — zamówienie {order}",
                ),
                openings=(
                    "Dziś przyszedł produkt „{item}” i jest uszkodzony — karton był zgnieciony "
                    "z jednej strony. Zamówienie {order}. Co mogą Państwo zrobić?",
                    "[[Rozpakowałem|Rozpakowałam]] zamówienie {order}, a „{item}” jest "
                    "uszkodzony. Bardzo szkoda, to miał być prezent.",
                ),
                answer=(
                    "W załączniku zdjęcia uszkodzenia i kartonu. Karton był wgnieciony już przy "
                    "odbiorze."
                ),
                note=(
                    "Zdjęcia potwierdzają uszkodzenie w transporcie; reklamacja do {carrier}. "
                    "Wymiana OK."
                ),
            ),
            "hu": Lines(
                subjects=("Törötten érkezett a termék", "Sérült szállítmány — {order} rendelés"),
                openings=(
                    "Ma megérkezett a(z) „{item}”, és törött — a doboz az egyik oldalán be "
                    "volt nyomódva. Rendelésszám: {order}. Mit tudnak tenni?",
                    "Kicsomagoltam a(z) {order} rendelést, és a(z) „{item}” sérült. Nagyon "
                    "sajnálom, ajándéknak szántam.",
                ),
                answer=(
                    "Csatolom a fotókat a sérülésről és a dobozról. A doboz már érkezéskor horpadt "
                    "volt."
                ),
                note=(
                    "A fotók szállítási sérülést igazolnak; reklamáció a(z) {carrier} felé. Csere "
                    "jóváhagyva."
                ),
            ),
        },
    ),
    Scenario(
        "refund",
        weight=10,
        team=RETURNS,
        tags=("return",),
        priorities=(N, N, H),
        solution_macro="refund",
        lines={
            "en": Lines(
                subjects=("Refund request for order {order}", "When will I get my money back?"),
                openings=(
                    'I sent back the "{item}" ({order}) {days} days ago with {carrier}. I '
                    "haven't received the refund of {amount} yet.",
                    "I'd like to return the \"{item}\" from order {order} — it doesn't fit our "
                    "space. How do I get a refund?",
                ),
                question=(
                    "Thanks for writing. Could you send me the return tracking number, so I can "
                    "match your parcel in our warehouse?"
                ),
                answer="The return tracking number is {tracking}.",
                note="Return {tracking} received at the warehouse, item in resalable condition.",
            ),
            "ru": Lines(
                subjects=("Возврат денег по заказу {order}", "Когда вернут деньги?"),
                openings=(
                    "{days} дней назад [[отправил|отправила]] обратно товар «{item}» ({order}) "
                    "через {carrier}. Возврат {amount} до сих пор не пришёл.",
                    "Хочу вернуть товар «{item}» из заказа {order} — не подошёл к интерьеру. "
                    "Как получить деньги обратно?",
                ),
                question=(
                    "Спасибо за обращение. Пришлите, пожалуйста, трек-номер возврата, чтобы я "
                    "[[нашёл|нашла]] вашу посылку на складе."
                ),
                answer="Трек-номер возврата: {tracking}.",
                note="Возврат {tracking} получен складом, товар в товарном виде.",
            ),
            "pl": Lines(
                subjects=("Zwrot pieniędzy za zamówienie {order}", "Kiedy dostanę zwrot?"),
                openings=(
                    "{days} dni temu [[odesłałem|odesłałam]] produkt „{item}” ({order}) przez "
                    "{carrier}. Zwrotu {amount} wciąż nie ma.",
                    "Chcę zwrócić produkt „{item}” z zamówienia {order} — nie pasuje do "
                    "wnętrza. Jak mogę otrzymać zwrot pieniędzy?",
                ),
                question=(
                    "Dziękuję za wiadomość. Czy może Pani/Pan podać numer przesyłki zwrotnej? "
                    "Odszukam paczkę w magazynie."
                ),
                answer="Numer przesyłki zwrotnej: {tracking}.",
                note="Zwrot {tracking} przyjęty w magazynie, towar pełnowartościowy.",
            ),
            "hu": Lines(
                subjects=("Visszatérítés a(z) {order} rendeléshez", "Mikor kapom vissza a pénzem?"),
                openings=(
                    "{days} napja visszaküldtem a(z) „{item}” terméket ({order}) a(z) "
                    "{carrier} futárral. A(z) {amount} visszatérítés még nem érkezett meg.",
                    "Szeretném visszaküldeni a(z) {order} rendelésből a(z) „{item}” terméket — "
                    "nem illik a lakásba. Hogyan kaphatom vissza a pénzt?",
                ),
                question=(
                    "Köszönöm a levelét. Elküldené a visszaküldés csomagszámát, hogy "
                    "megtaláljam a csomagot a raktárban?"
                ),
                answer="A visszaküldés csomagszáma: {tracking}.",
                note="A(z) {tracking} visszaküldés beérkezett a raktárba, a termék újra eladható.",
            ),
        },
    ),
    Scenario(
        "address_change",
        weight=7,
        team=SUPPORT,
        tags=(),
        priorities=(N, H),
        solution_macro="address_changed",
        lines={
            "en": Lines(
                subjects=("Change delivery address", "Wrong address on order {order}"),
                openings=(
                    "I've just noticed I used my old address for order {order}. Can you still "
                    "change it before it ships?",
                    "Please change the delivery address of {order} — I'm moving this week.",
                ),
                question="No problem, it hasn't shipped yet. What is the new address?",
                answer="The new address is {address}.",
                note="Order {order} held at packing; address updated in the shop system.",
            ),
            "ru": Lines(
                subjects=("Изменить адрес доставки", "Неверный адрес в заказе {order}"),
                openings=(
                    "Только что [[заметил|заметила]], что в заказе {order} указан старый адрес. "
                    "Можно ещё поменять, пока не отправили?",
                    "Измените, пожалуйста, адрес доставки заказа {order} — на этой неделе я "
                    "переезжаю.",
                ),
                question="Без проблем, заказ ещё не отправлен. Какой новый адрес?",
                answer="Новый адрес: {address}.",
                note="Заказ {order} придержали на упаковке; адрес обновлён в системе магазина.",
            ),
            "pl": Lines(
                subjects=("Zmiana adresu dostawy", "Błędny adres w zamówieniu {order}"),
                openings=(
                    "Właśnie [[zauważyłem|zauważyłam]], że w zamówieniu {order} "
                    "poda[[łem|łam]] stary adres. Czy można go jeszcze zmienić przed wysyłką?",
                    "Proszę o zmianę adresu dostawy zamówienia {order} — w tym tygodniu się "
                    "przeprowadzam.",
                ),
                question="Nie ma problemu, zamówienie jeszcze nie wyszło. Jaki jest nowy adres?",
                answer="Nowy adres: {address}.",
                note=(
                    "Zamówienie {order} wstrzymane na pakowaniu; adres zmieniony w systemie sklepu."
                ),
            ),
            "hu": Lines(
                subjects=("Szállítási cím módosítása", "Rossz cím a(z) {order} rendelésen"),
                openings=(
                    "Most vettem észre, hogy a(z) {order} rendelésnél a régi címemet adtam "
                    "meg. Módosítható még feladás előtt?",
                    "Kérem, módosítsák a(z) {order} rendelés szállítási címét — ezen a héten "
                    "költözöm.",
                ),
                question="Semmi gond, még nem adtuk fel. Mi az új cím?",
                answer="Az új cím: {address}.",
                note="A(z) {order} rendelést visszatartottuk a csomagolásnál; a cím frissítve.",
            ),
        },
    ),
    Scenario(
        "subscription",
        weight=6,
        team=SUPPORT,
        tags=("subscription",),
        priorities=(N, N, H),
        lines={
            "en": Lines(
                subjects=("Why was I charged again?", "Cancel Garden Box subscription"),
                openings=(
                    'I was charged {amount} for a "Garden Box" this month. I thought it was '
                    "a one-off purchase, not a subscription! Please explain.",
                    "How do I cancel the Garden Box? I never meant to subscribe and I've been "
                    "charged {amount} again.",
                ),
                question=(
                    "I'm sorry for the confusion. Would you like me to cancel the subscription "
                    "and refund this month's box, or keep it and stop from next month?"
                ),
                answer="Cancel it and refund this month, please.",
                solution=(
                    "Done: the Garden Box subscription is cancelled and {amount} is on its way "
                    "back to your card. You won't be charged again. Keep this month's box as "
                    "our apology."
                ),
                note="Checkout didn't make the subscription clear — flagged to the web team.",
            ),
            "ru": Lines(
                subjects=("Почему с меня снова списали деньги?", "Отменить подписку Garden Box"),
                openings=(
                    "В этом месяце с меня списали {amount} за «Garden Box». Я [[думал|думала]], "
                    "это разовая покупка, а не подписка! Объясните, пожалуйста.",
                    "Как отменить Garden Box? Я не [[собирался|собиралась]] подписываться, а с "
                    "меня снова списали {amount}.",
                ),
                question=(
                    "Простите за путаницу. Отменить подписку и вернуть деньги за этот месяц "
                    "или оставить текущую коробку и прекратить со следующего?"
                ),
                answer="Отменить и вернуть деньги за этот месяц, пожалуйста.",
                solution=(
                    "Готово: подписка Garden Box отменена, {amount} возвращаются на вашу карту. "
                    "Больше списаний не будет. Коробку этого месяца оставьте себе — в качестве "
                    "извинения."
                ),
                note="На кассе подписка неочевидна — передали веб-команде.",
            ),
            "pl": Lines(
                subjects=("Dlaczego znowu pobrano opłatę?", "Rezygnacja z subskrypcji Garden Box"),
                openings=(
                    "W tym miesiącu pobrano ode mnie {amount} za „Garden Box”. "
                    "[[Myślałem|Myślałam]], że to jednorazowy zakup, a nie subskrypcja! Proszę "
                    "o wyjaśnienie.",
                    "Jak zrezygnować z Garden Box? Nie [[chciałem|chciałam]] subskrypcji, a "
                    "znowu pobrano {amount}.",
                ),
                question=(
                    "Przepraszam za zamieszanie. Czy anulować subskrypcję i zwrócić pieniądze "
                    "za ten miesiąc, czy zostawić bieżące pudełko i zakończyć od przyszłego?"
                ),
                answer="Proszę anulować i zwrócić pieniądze za ten miesiąc.",
                solution=(
                    "Gotowe: subskrypcja Garden Box anulowana, {amount} wraca na kartę. Kolejnych "
                    "obciążeń nie będzie. Pudełko z tego miesiąca proszę zatrzymać — w ramach "
                    "przeprosin."
                ),
                note="W koszyku subskrypcja jest mało widoczna — zgłoszone zespołowi sklepu.",
            ),
            "hu": Lines(
                subjects=("Miért vontak le újra pénzt?", "Garden Box előfizetés lemondása"),
                openings=(
                    "Ebben a hónapban {amount} összeget vontak le egy „Garden Box”-ért. Azt "
                    "hittem, egyszeri vásárlás, nem előfizetés! Kérem, magyarázzák meg.",
                    "Hogyan mondhatom le a Garden Boxot? Nem akartam előfizetni, és megint "
                    "levontak {amount} összeget.",
                ),
                question=(
                    "Elnézést a félreértésért. Lemondjam az előfizetést és visszatérítsem az "
                    "e havi dobozt, vagy maradjon ez, és csak jövő hónaptól álljon le?"
                ),
                answer="Mondja le, és kérem vissza az e havi összeget.",
                solution=(
                    "Kész: a Garden Box előfizetést lemondtuk, a(z) {amount} visszamegy a "
                    "kártyájára. Több terhelés nem lesz. Az e havi dobozt tartsa meg "
                    "bocsánatkérésként."
                ),
                note="A pénztárnál nem egyértelmű az előfizetés — jeleztük a webes csapatnak.",
            ),
        },
    ),
    Scenario(
        "chargeback",
        weight=3,
        team=RETURNS,
        tags=("threat",),
        priorities=(H, U, U),
        solution_macro="chargeback",
        lines={
            "en": Lines(
                subjects=("Refund now or I call my bank", "Chargeback — order {order}"),
                openings=(
                    "Nobody answered my last two e-mails about order {order}. If I don't get my "
                    "{amount} back by Friday I'm filing a chargeback with my bank.",
                    'I have disputed the payment for {order} with my bank. Your "{item}" never '
                    "worked properly.",
                ),
                question=(
                    "I'm sorry our earlier replies didn't reach you. What exactly is wrong with "
                    'the "{item}"? A short description or a photo is enough.'
                ),
                answer="It stopped working after two days. I want my money back, not a repair.",
                note=(
                    "Chargeback threat — standard process: full refund once the item is back, no "
                    "extra compensation because of the threat. Bank dispute answered with "
                    "tracking {tracking}."
                ),
            ),
            "ru": Lines(
                subjects=("Верните деньги, или я обращусь в банк", "Чарджбэк — заказ {order}"),
                openings=(
                    "На два моих письма по заказу {order} никто не ответил. Если до пятницы не "
                    "вернёте {amount}, я оспорю платёж через банк.",
                    "Я [[оспорил|оспорила]] платёж за {order} в банке. Ваш товар «{item}» ни "
                    "разу нормально не работал.",
                ),
                question=(
                    "Простите, что предыдущие ответы до вас не дошли. Что именно не так с "
                    "товаром «{item}»? Достаточно короткого описания или фото."
                ),
                answer="Через два дня перестал работать. Хочу деньги назад, а не ремонт.",
                note=(
                    "Угроза чарджбэка — стандартный процесс: полный возврат после получения "
                    "товара, без доп. компенсации из-за угрозы. Банку ответили с треком "
                    "{tracking}."
                ),
            ),
            "pl": Lines(
                subjects=("Zwrot albo idę do banku", "Chargeback — zamówienie {order}"),
                openings=(
                    "Nikt nie odpowiedział na moje dwa e-maile w sprawie {order}. Jeśli do "
                    "piątku nie dostanę zwrotu {amount}, zgłoszę chargeback w banku.",
                    "[[Zgłosiłem|Zgłosiłam]] w banku reklamację płatności za {order}. Produkt "
                    "„{item}” nigdy nie działał jak należy.",
                ),
                question=(
                    "Przykro mi, że wcześniejsze odpowiedzi nie dotarły. Co dokładnie jest nie "
                    "tak z produktem „{item}”? Wystarczy krótki opis lub zdjęcie."
                ),
                answer="Po dwóch dniach przestał działać. Chcę zwrotu pieniędzy, nie naprawy.",
                note=(
                    "Groźba chargebacku — standardowa procedura: pełny zwrot po otrzymaniu "
                    "towaru, bez dodatkowej rekompensaty z powodu groźby. Bankowi odpowiedziano "
                    "z numerem {tracking}."
                ),
            ),
            "hu": Lines(
                subjects=(
                    "Térítsék vissza, vagy a bankhoz fordulok",
                    "Chargeback — {order} rendelés",
                ),
                openings=(
                    "A(z) {order} rendelésről írt két e-mailemre senki nem válaszolt. Ha "
                    "péntekig nem kapom vissza a(z) {amount} összeget, visszaterhelést kérek a "
                    "bankomtól.",
                    "A bankomnál vitattam a(z) {order} rendelés fizetését. A(z) „{item}” soha "
                    "nem működött rendesen.",
                ),
                question=(
                    "Sajnálom, hogy a korábbi válaszaink nem jutottak el Önhöz. Pontosan mi a "
                    "gond a(z) „{item}” termékkel? Elég egy rövid leírás vagy egy fotó."
                ),
                answer="Két nap után leállt. A pénzemet kérem vissza, nem javítást.",
                note=(
                    "Chargeback-fenyegetés — szokásos eljárás: teljes visszatérítés a termék "
                    "visszaérkezése után, a fenyegetés miatt nincs extra kompenzáció. A banknak "
                    "a(z) {tracking} számmal válaszoltunk."
                ),
            ),
        },
    ),
    Scenario(
        "review_threat",
        weight=2,
        team=SUPPORT,
        tags=("threat",),
        priorities=(H, H, U),
        lines={
            "en": Lines(
                subjects=("50% off or a 1-star review", "Your service is a joke"),
                openings=(
                    'The "{item}" has a scratch. Give me 50% back or I\'ll post a 1-star review '
                    "everywhere I can, with photos.",
                    'Two weeks for a parcel?! Send me a free "{item}" or I\'ll tell everyone '
                    "online how you treat customers.",
                ),
                question=(
                    "I'm sorry about the scratch. Could you send a photo of it? If it's damage "
                    "from delivery we'll replace the item or refund it, as for every customer."
                ),
                answer="Fine, photo attached.",
                solution=(
                    "Thank you. The scratch is from transport, so you can choose: a replacement "
                    '"{item}" or a full refund of {amount} once it\'s back with us. Just tell '
                    "me which you prefer."
                ),
                note=(
                    "Review threat — answered with the standard remedy only; no discount in "
                    "exchange for reviews."
                ),
            ),
            "ru": Lines(
                subjects=("Скидка 50% или отзыв на 1 звезду", "Ваш сервис — это шутка"),
                openings=(
                    "На товаре «{item}» царапина. Верните 50%, иначе я оставлю отзыв на одну "
                    "звезду везде, где смогу, с фотографиями.",
                    "Две недели ждать посылку?! Пришлите мне бесплатно «{item}», или я всем в "
                    "интернете расскажу, как вы обращаетесь с покупателями.",
                ),
                question=(
                    "Сожалею о царапине. Пришлите, пожалуйста, её фото. Если это повреждение "
                    "при доставке, мы заменим товар или вернём деньги — как любому покупателю."
                ),
                answer="Ладно, фото прикладываю.",
                solution=(
                    "Спасибо. Царапина получена при перевозке, поэтому на выбор: замена товара "
                    "«{item}» или полный возврат {amount} после того, как товар вернётся к нам. "
                    "Напишите, что вам удобнее."
                ),
                note="Угроза отзывом — ответили стандартным решением; скидок за отзывы не даём.",
            ),
            "pl": Lines(
                subjects=("50% zniżki albo opinia na 1 gwiazdkę", "Wasza obsługa to żart"),
                openings=(
                    "Produkt „{item}” jest porysowany. Oddajcie 50% albo wystawię opinię na "
                    "jedną gwiazdkę wszędzie, gdzie się da, ze zdjęciami.",
                    "Dwa tygodnie na paczkę?! Przyślijcie mi gratis „{item}” albo opiszę w "
                    "internecie, jak traktujecie klientów.",
                ),
                question=(
                    "Przykro mi z powodu rysy. Czy może Pani/Pan przesłać jej zdjęcie? Jeśli to "
                    "uszkodzenie z transportu, wymienimy produkt lub zwrócimy pieniądze — jak "
                    "każdemu klientowi."
                ),
                answer="Dobrze, zdjęcie w załączniku.",
                solution=(
                    "Dziękuję. Rysa powstała w transporcie, więc do wyboru: wymiana produktu "
                    "„{item}” albo pełny zwrot {amount} po jego odesłaniu. Proszę dać znać, co "
                    "woli Pani/Pan."
                ),
                note="Groźba opinią — odpowiedź standardowa; nie dajemy rabatów za opinie.",
            ),
            "hu": Lines(
                subjects=(
                    "50% kedvezmény vagy egycsillagos értékelés",
                    "Az ügyfélszolgálatuk vicc",
                ),
                openings=(
                    "A(z) „{item}” karcos. Adják vissza az árának felét, különben mindenhol "
                    "egycsillagos értékelést írok, fotókkal.",
                    "Két hét egy csomag?! Küldjenek ingyen egy „{item}” terméket, vagy "
                    "mindenkinek elmondom a neten, hogyan bánnak a vásárlókkal.",
                ),
                question=(
                    "Sajnálom a karcot. Küldene róla egy fotót? Ha szállítási sérülés, kicseréljük "
                    "a terméket vagy visszatérítjük az árát — mint minden vásárlónknak."
                ),
                answer="Jó, csatolom a fotót.",
                solution=(
                    "Köszönöm. A karc szállítás közben keletkezett, így választhat: csere "
                    "„{item}” termékre, vagy a(z) {amount} teljes visszatérítése, miután "
                    "visszaküldte. Kérem, írja meg, melyiket szeretné."
                ),
                note=(
                    "Értékeléssel fenyegetés — szokásos megoldást ajánlottunk; értékelésért nincs "
                    "kedvezmény."
                ),
            ),
        },
    ),
    Scenario(
        "compliment",
        weight=5,
        team=SUPPORT,
        tags=(),
        priorities=(L, L, N),
        solution_macro="thanks",
        lines={
            "en": Lines(
                subjects=("Thank you!", "Lovely packaging and quick delivery"),
                openings=(
                    'Just wanted to say thank you — the "{item}" is even nicer than in the '
                    "photos and arrived in two days. I'll be back!",
                    "Order {order} arrived beautifully packed, with a handwritten note. That "
                    "made my day. Thank you!",
                ),
            ),
            "ru": Lines(
                subjects=("Спасибо!", "Чудесная упаковка и быстрая доставка"),
                openings=(
                    "Хочу просто сказать спасибо — «{item}» даже лучше, чем на фото, и пришёл "
                    "за два дня. Обязательно закажу ещё!",
                    "Заказ {order} пришёл в красивой упаковке, с открыткой от руки. Это было "
                    "очень приятно. Спасибо!",
                ),
            ),
            "pl": Lines(
                subjects=("Dziękuję!", "Piękne opakowanie i szybka dostawa"),
                openings=(
                    "Chciał[[em|am]] po prostu podziękować — „{item}” jest jeszcze ładniejszy "
                    "niż na zdjęciach i dotarł w dwa dni. Na pewno wrócę!",
                    "Zamówienie {order} przyszło pięknie zapakowane, z odręcznym liścikiem. "
                    "Zrobiło mi to dzień. Dziękuję!",
                ),
            ),
            "hu": Lines(
                subjects=("Köszönöm!", "Gyönyörű csomagolás, gyors szállítás"),
                openings=(
                    "Csak meg szerettem volna köszönni — a(z) „{item}” még szebb, mint a "
                    "képeken, és két nap alatt megérkezett. Biztosan rendelek még!",
                    "A(z) {order} rendelés gyönyörűen becsomagolva érkezett, kézzel írt "
                    "üdvözlőkártyával. Feldobta a napomat. Köszönöm!",
                ),
            ),
        },
    ),
    Scenario(
        "promo_code",
        weight=5,
        team=SUPPORT,
        tags=("promo-code",),
        priorities=(L, N, N),
        lines={
            "en": Lines(
                subjects=("Discount code {code} doesn't work", "Promo code problem"),
                openings=(
                    'The code {code} from your newsletter says "invalid" at checkout. Can you '
                    "help before I place the order?",
                    "I used {code} on order {order} but the discount wasn't applied. Can I "
                    "still get it?",
                ),
                question="Could you tell me what is in your basket? Some codes exclude sale items.",
                answer='Only the "{item}", full price.',
                solution=(
                    "Thanks! The code had expired a day early by mistake on our side. I've "
                    'refunded the difference for "{item}" to your card — sorry for the hassle.'
                ),
                note="{code} end date was set wrong in the shop admin; marketing informed.",
            ),
            "ru": Lines(
                subjects=("Промокод {code} не работает", "Проблема с промокодом"),
                openings=(
                    "Промокод {code} из вашей рассылки при оформлении пишет «недействителен». "
                    "Поможете, пока я не [[оформил|оформила]] заказ?",
                    "Я [[ввёл|ввела]] {code} в заказе {order}, но скидка не применилась. Можно "
                    "её ещё получить?",
                ),
                question=(
                    "Подскажите, что у вас в корзине? Некоторые коды не действуют на товары со "
                    "скидкой."
                ),
                answer="Только «{item}», по полной цене.",
                solution=(
                    "Спасибо! По нашей ошибке код истёк на день раньше. Разницу за «{item}» я "
                    "[[вернул|вернула]] на вашу карту — простите за неудобство."
                ),
                note="Дата окончания {code} была неверной в админке магазина; маркетинг в курсе.",
            ),
            "pl": Lines(
                subjects=("Kod rabatowy {code} nie działa", "Problem z kodem promocyjnym"),
                openings=(
                    "Kod {code} z newslettera przy płatności jest „nieważny”. Czy mogą Państwo "
                    "pomóc, zanim złożę zamówienie?",
                    "[[Wpisałem|Wpisałam]] {code} w zamówieniu {order}, ale rabat się nie "
                    "naliczył. Czy mogę go jeszcze dostać?",
                ),
                question="Co jest w koszyku? Niektóre kody nie obejmują produktów w promocji.",
                answer="Tylko „{item}”, w pełnej cenie.",
                solution=(
                    "Dziękuję! Kod przez nasz błąd wygasł dzień wcześniej. Różnicę za „{item}” "
                    "[[zwróciłem|zwróciłam]] na kartę — przepraszamy za kłopot."
                ),
                note=(
                    "Data końca {code} była źle ustawiona w panelu sklepu; marketing poinformowany."
                ),
            ),
            "hu": Lines(
                subjects=("Nem működik a(z) {code} kuponkód", "Probléma a kuponkóddal"),
                openings=(
                    "A hírlevélből kapott {code} kód a pénztárnál „érvénytelen”. Tudnának "
                    "segíteni, mielőtt leadom a rendelést?",
                    "A(z) {order} rendelésnél megadtam a(z) {code} kódot, de a kedvezményt nem "
                    "vonták le. Megkaphatom még?",
                ),
                question="Mi van a kosarában? Néhány kód nem érvényes akciós termékekre.",
                answer="Csak a(z) „{item}”, teljes áron.",
                solution=(
                    "Köszönöm! A kód a mi hibánkból egy nappal korábban lejárt. A(z) „{item}” "
                    "árkülönbözetét visszatérítettem a kártyájára — elnézést a kellemetlenségért."
                ),
                note="A(z) {code} lejárati dátuma rosszul volt beállítva; a marketing tud róla.",
            ),
        },
    ),
    Scenario(
        "delay_notice",
        weight=3,
        team=SUPPORT,
        tags=("late-delivery", "follow-up"),
        priorities=(N, L),
        outbound=True,
        lines={
            "en": Lines(
                subjects=("Your order {order} is delayed",),
                openings=(
                    'We\'re sorry: the "{item}" from order {order} will ship {days} days later '
                    "than planned because our supplier is late. As an apology, here is a 10% "
                    "code for your next order: SORRY10. Would you like to wait, or shall we "
                    "cancel and refund?",
                ),
                answer="Thanks for letting me know. I'll wait, no problem.",
                solution=(
                    'Thank you for your patience! Your "{item}" has just shipped with '
                    "{carrier}, tracking {tracking}."
                ),
                note="Supplier delay on this product; customers informed proactively.",
            ),
            "ru": Lines(
                subjects=("Заказ {order} задерживается",),
                openings=(
                    "Приносим извинения: товар «{item}» из заказа {order} будет отправлен на "
                    "{days} дн. позже запланированного — поставщик задерживает поставку. В "
                    "качестве извинения — код на 10% к следующему заказу: SORRY10. Вы готовы "
                    "подождать или отменить заказ с возвратом денег?",
                ),
                answer="Спасибо, что предупредили. Подожду, ничего страшного.",
                solution=(
                    "Спасибо за терпение! Товар «{item}» только что отправлен через {carrier}, "
                    "трек-номер {tracking}."
                ),
                note="Задержка у поставщика по этому товару; покупателей предупредили заранее.",
            ),
            "pl": Lines(
                subjects=("Zamówienie {order} jest opóźnione",),
                openings=(
                    "Przepraszamy: produkt „{item}” z zamówienia {order} wyślemy {days} dni "
                    "później niż planowaliśmy, bo dostawca się spóźnia. W ramach przeprosin "
                    "kod -10% na kolejne zakupy: SORRY10. Czy poczeka Pani/Pan, czy mamy "
                    "anulować zamówienie i zwrócić pieniądze?",
                ),
                answer="Dziękuję za informację. Poczekam, nie ma problemu.",
                solution=(
                    "Dziękujemy za cierpliwość! Produkt „{item}” właśnie wyszedł przez "
                    "{carrier}, numer przesyłki {tracking}."
                ),
                note="Opóźnienie dostawcy tego produktu; klienci poinformowani z wyprzedzeniem.",
            ),
            "hu": Lines(
                subjects=("Késik a(z) {order} rendelése",),
                openings=(
                    "Elnézést kérünk: a(z) {order} rendelés „{item}” termékét {days} nappal a "
                    "tervezettnél később adjuk fel, mert a beszállítónk késik. Kárpótlásul egy "
                    "10%-os kód a következő rendeléshez: SORRY10. Megvárja, vagy töröljük a "
                    "rendelést és visszatérítjük az árát?",
                ),
                answer="Köszönöm, hogy szóltak. Megvárom, semmi gond.",
                solution=(
                    "Köszönjük a türelmét! A(z) „{item}” most indult útnak a(z) {carrier} "
                    "futárral, csomagszám: {tracking}."
                ),
                note="Beszállítói késés ennél a terméknél; a vásárlókat előre értesítettük.",
            ),
        },
    ),
    Scenario(
        "warranty",
        weight=7,
        team=SUPPORT,
        tags=("warranty",),
        priorities=(N, N, L),
        lines={
            "en": Lines(
                subjects=(
                    "Broken after a year — is it under warranty?",
                    "Warranty claim for order {order}",
                ),
                openings=(
                    'The "{item}" I bought from you last year (order {order}) has stopped doing '
                    "its job. Is it still under warranty?",
                    'I bought the "{item}" from you a while ago — order {order} — and it has '
                    "broken. What are my options?",
                ),
                question=(
                    "I'm sorry to hear that. Could you send a photo of the fault and tell me "
                    "roughly when it started?"
                ),
                answer="Photo attached. It started about two weeks ago; we used it normally.",
                solution=(
                    'Thank you. The "{item}" is covered by our two-year guarantee, so a '
                    "replacement is on its way with {carrier}, tracking {tracking}. There is no "
                    "need to send the old one back."
                ),
                note=(
                    "Order {order} is within the two-year guarantee; replacement sent at our "
                    "cost, {carrier} {tracking}."
                ),
            ),
            "ru": Lines(
                subjects=(
                    "Сломалось через год — это гарантия?",
                    "Гарантийный случай по заказу {order}",
                ),
                openings=(
                    "Товар «{item}», который я [[купил|купила]] у вас в прошлом году (заказ "
                    "{order}), перестал нормально работать. Гарантия на него ещё действует?",
                    "Некоторое время назад я [[купил|купила]] у вас «{item}» (заказ {order}), "
                    "и товар сломался. Что можно сделать?",
                ),
                question=(
                    "Очень жаль. Пришлите, пожалуйста, фото неисправности и напишите, когда "
                    "примерно она появилась."
                ),
                answer="Фото прилагаю. Началось недели две назад, пользовались как обычно.",
                solution=(
                    "Спасибо. На товар «{item}» действует наша двухлетняя гарантия, поэтому "
                    "замену мы уже отправили через {carrier}, трек-номер {tracking}. Старый "
                    "товар возвращать не нужно."
                ),
                note=(
                    "Заказ {order} в пределах двухлетней гарантии; замена за наш счёт, "
                    "{carrier} {tracking}."
                ),
            ),
            "pl": Lines(
                subjects=(
                    "Zepsuło się po roku — czy to gwarancja?",
                    "Reklamacja gwarancyjna — zamówienie {order}",
                ),
                openings=(
                    "Produkt „{item}”, który [[kupiłem|kupiłam]] u Państwa w zeszłym roku "
                    "(zamówienie {order}), przestał działać jak należy. Czy jest jeszcze na "
                    "gwarancji?",
                    "Jakiś czas temu [[kupiłem|kupiłam]] u Państwa „{item}” (zamówienie "
                    "{order}) i niestety produkt się zepsuł. Jakie mam możliwości?",
                ),
                question=(
                    "Bardzo mi przykro. Czy może Pani/Pan przesłać zdjęcie usterki i napisać, "
                    "kiedy mniej więcej się pojawiła?"
                ),
                answer=(
                    "Zdjęcie w załączniku. Zaczęło się jakieś dwa tygodnie temu, używaliśmy "
                    "normalnie."
                ),
                solution=(
                    "Dziękuję. Produkt „{item}” jest objęty naszą dwuletnią gwarancją, więc nowy "
                    "egzemplarz jest już w drodze: {carrier}, numer przesyłki {tracking}. "
                    "Starego nie trzeba odsyłać."
                ),
                note=(
                    "Zamówienie {order} w okresie dwuletniej gwarancji; wymiana na nasz koszt, "
                    "{carrier} {tracking}."
                ),
            ),
            "hu": Lines(
                subjects=(
                    "Egy év után elromlott — garanciális?",
                    "Garanciális igény — {order} rendelés",
                ),
                openings=(
                    "A tavaly Önöktől vásárolt „{item}” (rendelésszám: {order}) már nem működik "
                    "rendesen. Érvényes még rá a garancia?",
                    "Egy ideje vettem Önöktől egy „{item}” terméket (rendelésszám: {order}), "
                    "és elromlott. Milyen lehetőségeim vannak?",
                ),
                question=(
                    "Sajnálattal hallom. Küldene egy fotót a hibáról, és megírná, nagyjából "
                    "mikor kezdődött?"
                ),
                answer=(
                    "Csatoltam a fotót. Körülbelül két hete kezdődött, rendeltetésszerűen "
                    "használtuk."
                ),
                solution=(
                    "Köszönöm. A(z) „{item}” termékre kétéves garanciát vállalunk, ezért a "
                    "cseretermék már úton van a(z) {carrier} futárral, csomagszám: {tracking}. "
                    "A régit nem kell visszaküldenie."
                ),
                note=(
                    "A(z) {order} rendelés a kétéves garancián belül van; csere a mi "
                    "költségünkön, {carrier} {tracking}."
                ),
            ),
        },
    ),
)

SCENARIOS_BY_KEY = {s.key: s for s in SCENARIOS}

# A customer chasing an answer.
NUDGES: dict[str, tuple[str, ...]] = {
    "en": (
        "Any news on this?",
        "Hello? Still waiting for an answer about {order}.",
        "I also tried the chat but nobody answered. Could someone please look at this?",
    ),
    "ru": (
        "Есть новости?",
        "Здравствуйте! Всё ещё жду ответа по заказу {order}.",
        "Писал[[|а]] ещё в чат, но там не ответили. Посмотрите, пожалуйста.",
    ),
    "pl": (
        "Czy są jakieś wieści?",
        "Dzień dobry, wciąż czekam na odpowiedź w sprawie {order}.",
        "Pisał[[em|am]] też na czacie, ale nikt nie odpowiedział. Czy ktoś może to sprawdzić?",
    ),
    "hu": (
        "Van valami hír?",
        "Jó napot! Még mindig várom a választ a(z) {order} rendeléssel kapcsolatban.",
        "A chaten is írtam, de senki nem válaszolt. Megnézné valaki, kérem?",
    ),
}

CUSTOMER_GREETINGS = {
    "en": "Hello,",
    "ru": "Здравствуйте!",
    "pl": "Dzień dobry,",
    "hu": "Jó napot!",
}
CUSTOMER_SIGN_OFFS = {"en": "Thanks,", "ru": "Спасибо,", "pl": "Pozdrawiam,", "hu": "Köszönöm:"}
AGENT_GREETINGS = {
    "en": "Hello {name},",
    "ru": "Здравствуйте, {name}!",
    "pl": "Dzień dobry,",
    "hu": "Kedves {name}!",
}
AGENT_SIGN_OFFS = {
    "en": "Best regards,",
    "ru": "С уважением,",
    "pl": "Pozdrawiam serdecznie,",
    "hu": "Üdvözlettel:",
}
# Channels where people write letters (greeting and signature) rather than chat lines.
LETTER_CHANNELS = ("email", "web")


_HU_ARTICLE = re.compile(r"(?<!\w)([Aa])\(z\)(\s+)([„\"«#]?)(\w+)")
_HU_VOWELS = "aáeéiíoóöőuúüű"
# Letters whose Hungarian name starts with a vowel (ef, el, em …), for acronyms such as "LED".
_HU_VOWEL_LETTERS = "AEFILMNORSUXÁÉÍÓÖŐÚÜŰ"


def _hu_article(word: str) -> str:
    """The article before ``word``: "az" before a vowel sound, else "a"."""
    first = word[0]
    if word.isdigit():
        # Read aloud: öt…, egy, ezer…, egymillió… start with a vowel; tíz…, száz… do not.
        return "az" if first == "5" or (first == "1" and len(word) % 3 == 1) else "a"
    if len(word) > 1 and word.isupper():
        return "az" if first in _HU_VOWEL_LETTERS else "a"
    return "az" if first.lower() in _HU_VOWELS else "a"


def hungarian_articles(text: str) -> str:
    """Replace the template's "a(z)" with the article the next word needs."""

    def fix(m: re.Match[str]) -> str:
        article = _hu_article(m.group(4))
        if m.group(1) == "A":
            article = article.capitalize()
        return f"{article}{m.group(2)}{m.group(3)}{m.group(4)}"

    return _HU_ARTICLE.sub(fix, text)


def fill(template: str, *, language: str, gender: str, facts: Facts) -> str:
    """Resolve the speaker's gender, fill in the facts, and fix Hungarian articles."""
    text = gendered(template, gender).format(**facts.as_dict())
    return hungarian_articles(text) if language == "hu" else text


def customer_text(
    body: str, *, language: str, channel: str, gender: str, signature: str, facts: Facts
) -> str:
    text = fill(body, language=language, gender=gender, facts=facts)
    if channel not in LETTER_CHANNELS:
        return text
    greeting, sign_off = CUSTOMER_GREETINGS[language], CUSTOMER_SIGN_OFFS[language]
    return f"{greeting}\n\n{text}\n\n{sign_off}\n{signature}"


def agent_text(
    body: str,
    *,
    language: str,
    channel: str,
    gender: str,
    customer_first_name: str,
    agent_first_name: str,
    facts: Facts,
) -> str:
    text = fill(body, language=language, gender=gender, facts=facts)
    if channel not in LETTER_CHANNELS:
        return text
    greeting = AGENT_GREETINGS[language].format(name=customer_first_name)
    sign_off = AGENT_SIGN_OFFS[language]
    return f"{greeting}\n\n{text}\n\n{sign_off}\n{agent_first_name}\n{STORE_NAME}"
