"""What the demo store sells and how it ships: products with their titles in the customers' four
languages, prices, carriers with the shape of their tracking numbers and their public tracking
pages, addresses, currencies and discount codes.

Pure data and small pure functions; :mod:`zabota.demo.orders` builds order histories from it and
:mod:`zabota.demo.conversations` takes its product titles, so that a ticket about the "Rattan
armchair Nora" refers to an order line with that title.
"""

import random
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

# --- products ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Product:
    sku: str
    titles: dict[str, str]  # language → title as the shop shows it in that language
    price: Decimal  # EUR, VAT included
    # Colours or finishes the customer picks from (the line's variant); empty: none.
    options: tuple[str, ...] = ()
    # Breaks in transit now and then (damaged returns are about these).
    fragile: bool = False
    # Large and dear: the big spenders' baskets.
    big: bool = False
    # Popularity in ordinary baskets.
    weight: int = 10


@dataclass(frozen=True)
class SizedProduct:
    """A product bought in a size; a size exchange goes to the next size up."""

    sku: str
    titles: dict[str, str]
    sizes: tuple[tuple[str, Decimal], ...]  # (size, EUR price), smallest first
    # The size most people order and the one they exchange it for.
    usual: str
    exchange: str
    weight: int = 6

    def price(self, size: str) -> Decimal:
        return dict(self.sizes)[size]


def _p(value: str) -> Decimal:
    return Decimal(value)


# The products the conversations talk about, in the order of ``conversations.ITEMS``.
STORY_PRODUCTS: tuple[Product, ...] = (
    Product(
        "BW-LIN-NOR", {"en": "Linen duvet cover Nordic", "ru": "Льняной пододеяльник Nordic",
                       "pl": "Lniana poszwa na kołdrę Nordic", "hu": "Nordic len paplanhuzat"},
        _p("89.00"), options=("Natural", "Sage", "Charcoal"), weight=14,
    ),
    Product(
        "BW-CER-T30", {"en": "Ceramic planter Terra, 30 cm",
                       "ru": "Керамическое кашпо Terra, 30 см",
                       "pl": "Doniczka ceramiczna Terra, 30 cm",
                       "hu": "Terra kerámia kaspó, 30 cm"},
        _p("34.90"), options=("Terracotta", "Sand", "Moss"), fragile=True, weight=16,
    ),
    Product(
        "BW-HOS-25", {"en": "Garden hose FlexPro 25 m", "ru": "Садовый шланг FlexPro 25 м",
                      "pl": "Wąż ogrodowy FlexPro 25 m", "hu": "FlexPro kerti tömlő, 25 m"},
        _p("49.90"), weight=10,
    ),
    Product(
        "BW-SKL-28", {"en": "Cast-iron skillet 28 cm", "ru": "Чугунная сковорода 28 см",
                      "pl": "Patelnia żeliwna 28 cm", "hu": "Öntöttvas serpenyő, 28 cm"},
        _p("59.00"), weight=9,
    ),
    Product(
        "BW-RAT-NOR", {"en": "Rattan armchair Nora", "ru": "Кресло из ротанга Nora",
                       "pl": "Fotel rattanowy Nora", "hu": "Nora rattan fotel"},
        _p("289.00"), options=("Natural", "Black"), big=True, weight=3,
    ),
    Product(
        "BW-MER-THR", {"en": "Merino wool throw", "ru": "Плед из шерсти мериноса",
                       "pl": "Koc z wełny merynosa", "hu": "Merinói gyapjú pléd"},
        _p("119.00"), options=("Oat", "Forest green", "Rust"), weight=7,
    ),
    Product(
        "BW-SOL-10", {"en": "Solar string lights, 10 m",
                      "ru": "Гирлянда на солнечных батареях, 10 м",
                      "pl": "Girlanda solarna, 10 m", "hu": "Napelemes fényfüzér, 10 m"},
        _p("24.90"), weight=16,
    ),
    Product(
        "BW-PRU-BYP", {"en": "Bypass pruning shears", "ru": "Секатор плоскостной",
                       "pl": "Sekator nożycowy", "hu": "Metszőolló"},
        _p("29.90"), weight=12,
    ),
    Product(
        "BW-BAM-TW4", {"en": "Bamboo towel set (4 pcs)",
                       "ru": "Набор бамбуковых полотенец (4 шт.)",
                       "pl": "Komplet ręczników bambusowych (4 szt.)",
                       "hu": "Bambusz törölközőkészlet (4 db)"},
        _p("39.90"), options=("White", "Stone", "Sage"), weight=12,
    ),
    Product(
        "BW-BED-LRC", {"en": "Raised garden bed, larch", "ru": "Высокая грядка из лиственницы",
                       "pl": "Podwyższona grządka z modrzewia", "hu": "Vörösfenyő magaságyás"},
        _p("189.00"), big=True, weight=4,
    ),
    Product(
        "BW-LMP-AAL", {"en": "Table lamp Aalto, oak", "ru": "Настольная лампа Aalto, дуб",
                       "pl": "Lampa stołowa Aalto, dąb", "hu": "Aalto asztali lámpa, tölgy"},
        _p("129.00"), fragile=True, weight=6,
    ),
    Product(
        "BW-JAR-6", {"en": "Glass storage jars (set of 6)",
                     "ru": "Набор стеклянных банок (6 шт.)",
                     "pl": "Zestaw słoików szklanych (6 szt.)",
                     "hu": "Üveg tárolóedény-készlet (6 db)"},
        _p("27.90"), fragile=True, weight=12,
    ),
)  # fmt: skip

# Small things that go into baskets alongside (nobody writes to support about them).
ADD_ONS: tuple[Product, ...] = (
    Product(
        "BW-CND-200", {"en": "Soy candle Birchwood, 200 g", "ru": "Соевая свеча Birchwood, 200 г",
                       "pl": "Świeca sojowa Birchwood, 200 g",
                       "hu": "Birchwood szójagyertya, 200 g"},
        _p("16.90"), options=("Birch & moss", "Fig leaf"), weight=14,
    ),
    Product(
        "BW-SEED-H6", {"en": "Herb seed collection (6 packets)",
                       "ru": "Набор семян пряных трав (6 пакетиков)",
                       "pl": "Zestaw nasion ziół (6 torebek)",
                       "hu": "Fűszernövény-vetőmag készlet (6 tasak)"},
        _p("12.90"), weight=14,
    ),
    Product(
        "BW-CAN-10", {"en": "Zinc watering can, 10 l", "ru": "Оцинкованная лейка, 10 л",
                      "pl": "Konewka cynkowa, 10 l", "hu": "Horganyzott locsolókanna, 10 l"},
        _p("44.90"), weight=8,
    ),
    Product(
        "BW-NAP-4", {"en": "Linen napkins (set of 4)", "ru": "Льняные салфетки (4 шт.)",
                     "pl": "Serwetki lniane (4 szt.)", "hu": "Len szalvéta (4 db)"},
        _p("24.90"), options=("Natural", "Sage", "Charcoal"), weight=10,
    ),
    Product(
        "BW-BRD-FDR", {"en": "Wooden bird feeder", "ru": "Деревянная кормушка для птиц",
                       "pl": "Drewniany karmnik dla ptaków", "hu": "Fa madáretető"},
        _p("32.90"), weight=7,
    ),
)  # fmt: skip

# The products that come in sizes, in the order of ``conversations.SIZED_ITEMS``.
SIZED_PRODUCTS: tuple[SizedProduct, ...] = (
    SizedProduct(
        "BW-SHT-LIN", {"en": "Linen fitted sheet", "ru": "Льняная простыня на резинке",
                       "pl": "Prześcieradło lniane z gumką", "hu": "Gumis len lepedő"},
        (("90×200", _p("39.90")), ("140×200", _p("49.90")), ("160×200", _p("54.90")),
         ("180×200", _p("59.90"))),
        usual="160×200", exchange="180×200", weight=8,
    ),
    SizedProduct(
        "BW-GLV-LTH", {"en": "Leather gardening gloves", "ru": "Кожаные садовые перчатки",
                       "pl": "Skórzane rękawice ogrodowe", "hu": "Bőr kerti kesztyű"},
        (("S", _p("19.90")), ("M", _p("19.90")), ("L", _p("19.90")), ("XL", _p("19.90"))),
        usual="M", exchange="L", weight=10,
    ),
    SizedProduct(
        "BW-SLP-FLT", {"en": "Felted wool slippers", "ru": "Войлочные тапочки",
                       "pl": "Filcowe kapcie z wełny", "hu": "Nemezelt gyapjú papucs"},
        tuple((str(size), _p("34.90")) for size in range(36, 46)),
        usual="38", exchange="40", weight=8,
    ),
    SizedProduct(
        "BW-CUR-DUN", {"en": "Linen curtains Dune", "ru": "Льняные шторы Dune",
                       "pl": "Zasłony lniane Dune", "hu": "Dune len függöny"},
        (("140×250", _p("79.00")), ("140×270", _p("85.00"))),
        usual="140×250", exchange="140×270", weight=5,
    ),
    SizedProduct(
        "BW-RUG-SAH", {"en": "Jute rug Sahara", "ru": "Джутовый ковёр Sahara",
                       "pl": "Dywan jutowy Sahara", "hu": "Sahara juta szőnyeg"},
        (("120×170", _p("149.00")), ("160×230", _p("249.00")), ("200×300", _p("389.00"))),
        usual="120×170", exchange="160×230", weight=3,
    ),
)  # fmt: skip

# The monthly box the subscription conversations are about.
GARDEN_BOX = Product(
    "BW-BOX-MON",
    {
        "en": "Garden Box — monthly subscription",
        "ru": "Garden Box — ежемесячная подписка",
        "pl": "Garden Box — subskrypcja miesięczna",
        "hu": "Garden Box — havi előfizetés",
    },
    _p("29.90"),
)

BASKET_PRODUCTS: tuple[Product, ...] = STORY_PRODUCTS + ADD_ONS

# --- money -------------------------------------------------------------------------------------

STORE_CURRENCY = "EUR"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Currency:
    code: str
    # Base-currency (EUR) units per unit, around which the monthly rates move.
    rate: Decimal
    # Shop prices in this currency end like this: 379.99 zł, 35 190 Ft, £76.99.
    step: Decimal
    ending: Decimal


# Customers who pay in their own currency: the shop shows local prices in Poland, Hungary and
# the United Kingdom; everyone else pays in euros.
LOCAL_CURRENCIES: dict[str, Currency] = {
    "pl": Currency("PLN", Decimal("0.2320"), Decimal(10), Decimal("0.01")),
    "hu": Currency("HUF", Decimal("0.002530"), Decimal(100), Decimal(10)),
    "en": Currency("GBP", Decimal("1.1700"), Decimal(1), Decimal("0.01")),
}
# Share of a customer's orders placed in their local currency (the rest in euros).
LOCAL_CURRENCY_SHARE = 0.15


def local_price(price: Decimal, currency: Currency) -> Decimal:
    """A euro price as the shop shows it in another currency: converted at the usual rate and
    rounded up to the next price ending (89 € → 389.99 zł)."""
    raw = price / currency.rate
    steps = (raw / currency.step).to_integral_value(rounding=ROUND_CEILING)
    return (steps * currency.step - currency.ending).quantize(CENT)


def monthly_rates(rng: random.Random, currency: Currency, months: int) -> list[tuple[int, Decimal]]:
    """(months ago, rate) for the last ``months`` months: a slow wander of a few per cent around
    the usual rate, as exchange rates do."""
    rates = []
    drift = 0.0
    for ago in range(months, -1, -1):
        drift = max(-0.04, min(0.04, drift + rng.gauss(0, 0.008)))
        rates.append((ago, (currency.rate * Decimal(1 + drift)).quantize(Decimal("0.00000001"))))
    return rates


# --- discounts ---------------------------------------------------------------------------------

# Code → per cent off the products (never the shipping).
DISCOUNT_CODES: dict[str, int] = {
    "SPRING15": 15,
    "GARDEN10": 10,
    "WELCOME5": 5,
    "BIRCH20": 20,
    "SORRY10": 10,
}
# Orders with at least this subtotal (EUR) ship free.
FREE_SHIPPING_FROM = Decimal(150)

# --- addresses ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    country: str  # ISO 3166 alpha-2
    text: str  # as the customer writes it, on one line
    city: str
    postcode: str

    def as_dict(self, name: str) -> dict[str, str]:
        return {
            "name": name,
            "address": self.text,
            "city": self.city,
            "postcode": self.postcode,
            "country": self.country,
        }


# (country, streets, (postcode, city) pairs, pattern) per customer language. Russian speakers
# live all over: Berlin, Warsaw, Riga, and a few in Kaliningrad and Almaty.
_PLACES: dict[str, tuple[tuple[str, tuple[str, ...], tuple[tuple[str, str], ...], str], ...]] = {
    "en": (
        ("GB", ("Elm Road", "Harbour Lane", "Park Avenue", "Church Street", "Mill Lane",
                "Victoria Road", "Station Road", "Orchard Close"),
         (("LS6 2AB", "Leeds"), ("BS1 5TT", "Bristol"), ("M20 6RP", "Manchester"),
          ("EH3 9QG", "Edinburgh"), ("NR2 4HJ", "Norwich"), ("CB1 2LA", "Cambridge")),
         "{n} {street}, {city} {postcode}"),
    ),
    "ru": (
        ("DE", ("Berliner Str.", "Kantstr.", "Sonnenallee", "Wilmersdorfer Str."),
         (("10715", "Berlin"), ("10623", "Berlin"), ("12045", "Berlin")),
         "{street} {n}, кв. {flat}, {postcode} {city}"),
        ("PL", ("ul. Hoża", "ul. Marszałkowska", "ul. Puławska"),
         (("00-681", "Warszawa"), ("02-595", "Warszawa")),
         "{street} {n}/{flat}, {postcode} {city}"),
        ("LV", ("Brīvības iela", "Tērbatas iela", "Avotu iela"),
         (("LV-1001", "Rīga"), ("LV-1011", "Rīga")),
         "{street} {n}-{flat}, {city}, {postcode}"),
        ("RU", ("ул. Невского", "Ленинский пр-т", "ул. Горького"),
         (("236022", "Калининград"), ("236040", "Калининград")),
         "{street}, д. {n}, кв. {flat}, {postcode} {city}"),
        ("KZ", ("пр. Абая", "ул. Байзакова", "пр. Достык"),
         (("050000", "Алматы"), ("050010", "Алматы")),
         "{street}, д. {n}, кв. {flat}, {postcode} {city}, Казахстан"),
    ),
    "pl": (
        ("PL", ("ul. Lipowa", "ul. Ogrodowa", "al. Niepodległości", "ul. Słoneczna",
                "ul. Mickiewicza", "ul. Polna", "ul. Leśna", "ul. Kwiatowa"),
         (("31-416", "Kraków"), ("80-298", "Gdańsk"), ("02-577", "Warszawa"),
          ("50-123", "Wrocław"), ("60-101", "Poznań"), ("90-001", "Łódź")),
         "{street} {n}/{flat}, {postcode} {city}"),
    ),
    "hu": (
        ("HU", ("Petőfi Sándor utca", "Kárász utca", "Baross Gábor út", "Kossuth Lajos utca",
                "Rákóczi út", "Fő utca"),
         (("1052", "Budapest"), ("6720", "Szeged"), ("9021", "Győr"), ("4024", "Debrecen"),
          ("7621", "Pécs")),
         "{postcode} {city}, {street} {n}. {floor}/{flat}"),
    ),
}  # fmt: skip
# How a language's speakers spread over their places (same order as _PLACES).
_PLACE_WEIGHTS: dict[str, tuple[int, ...]] = {
    "en": (1,),
    "ru": (8, 5, 4, 2, 2),
    "pl": (1,),
    "hu": (1,),
}


def random_address(rng: random.Random, language: str) -> Address:
    places = _PLACES[language]
    country, streets, towns, pattern = rng.choices(places, weights=_PLACE_WEIGHTS[language])[0]
    postcode, city = rng.choice(towns)
    text = pattern.format(
        n=rng.randint(1, 120),
        street=rng.choice(streets),
        flat=rng.randint(1, 48),
        floor=rng.randint(1, 6),
        postcode=postcode,
        city=city,
    )
    return Address(country, text, city, postcode)


# --- carriers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Carrier:
    name: str
    # How the shop's checkout names the service.
    method: str
    # Public tracking page; {n} is the tracking number.
    url: str
    # Tracking number shape: "d" a digit, "A" a capital letter, anything else literal.
    shape: str
    # Shipping fee in EUR below the free-shipping threshold.
    fee: Decimal
    # The name customers of a language use for it, where it differs.
    local_names: tuple[tuple[str, str], ...] = ()
    # Working days from dispatch to the door.
    transit_days: tuple[int, int] = (1, 3)

    def tracking_number(self, rng: random.Random) -> str:
        out = []
        for ch in self.shape:
            if ch == "d":
                out.append(str(rng.randint(0, 9)))
            elif ch == "A":
                out.append(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ"))
            else:
                out.append(ch)
        return "".join(out)

    def tracking_url(self, number: str) -> str:
        return self.url.format(n=number)

    def name_in(self, language: str) -> str:
        return dict(self.local_names).get(language, self.name)


_DHL_URL = (
    "https://www.dhl.com/global-en/home/tracking/tracking-parcel.html?submit=1&tracking-id={n}"
)

CARRIERS: dict[str, Carrier] = {
    c.name: c
    for c in (
        Carrier("InPost", "InPost Paczkomat 24/7", "https://inpost.pl/sledzenie-przesylek?number={n}",
                "6" + "d" * 23, Decimal("3.49")),
        Carrier("DPD", "DPD Classic", "https://tracking.dpd.de/status/en_US/parcel/{n}",
                "0" + "d" * 13, Decimal("5.90"), transit_days=(1, 4)),
        Carrier("GLS", "GLS BusinessParcel", "https://gls-group.com/EU/en/parcel-tracking?match={n}",
                "d" * 11, Decimal("5.90"), transit_days=(1, 4)),
        Carrier("Magyar Posta", "MPL házhoz szállítás",
                "https://www.posta.hu/nyomkovetes/nyitooldal?searchvalue={n}",
                "JJH30" + "d" * 14, Decimal("6.90"), transit_days=(2, 4)),
        Carrier("Foxpost", "Foxpost csomagautomata", "https://foxpost.hu/csomagkovetes/?code={n}",
                "CLFOX" + "d" * 10, Decimal("4.90"), transit_days=(2, 3)),
        Carrier("Poczta Polska", "Pocztex Kurier",
                "https://emonitoring.poczta-polska.pl/?numer={n}", "00" + "d" * 18,
                Decimal("4.49"), transit_days=(1, 3)),
        Carrier("Russian Post", "Почта России (EMS)",
                "https://www.pochta.ru/tracking?barcode={n}", "CPdddddddddPL", Decimal("14.90"),
                local_names=(("ru", "Почта России"),), transit_days=(6, 14)),
        Carrier("CDEK", "CDEK до пункта выдачи", "https://www.cdek.ru/ru/tracking?order_id={n}",
                "1" + "d" * 9, Decimal("16.90"), local_names=(("ru", "СДЭК"),),
                transit_days=(5, 10)),
        Carrier("DHL", "DHL Parcel", _DHL_URL, "JJD00" + "d" * 16, Decimal("7.90"),
                transit_days=(1, 4)),
        Carrier("DHL Express", "DHL Express", _DHL_URL, "d" * 10, Decimal("19.90"),
                transit_days=(1, 2)),
        Carrier("UPS", "UPS Standard", "https://www.ups.com/track?tracknum={n}",
                "1Z" + "AAAddd" + "68" + "d" * 8, Decimal("9.90"), transit_days=(2, 4)),
        Carrier("Royal Mail", "Royal Mail Tracked 48",
                "https://www.royalmail.com/track-your-item#/tracking-results/{n}",
                "AAdddddddddGB", Decimal("8.90"), transit_days=(3, 5)),
        Carrier("Evri", "Evri Standard", "https://www.evri.com/track/parcel/{n}/details",
                "H0" + "AAA" + "d" * 11, Decimal("7.90"), transit_days=(3, 5)),
    )
}  # fmt: skip

# Carriers the shop offers per destination country, with how often customers pick them.
CARRIERS_BY_COUNTRY: dict[str, tuple[tuple[str, int], ...]] = {
    "PL": (("InPost", 45), ("DPD", 20), ("Poczta Polska", 20), ("DHL", 15)),
    "HU": (("GLS", 35), ("Magyar Posta", 25), ("Foxpost", 20), ("DPD", 20)),
    "GB": (("DPD", 30), ("Royal Mail", 30), ("Evri", 20), ("UPS", 10), ("DHL", 10)),
    "DE": (("DHL", 50), ("DPD", 30), ("GLS", 20)),
    "LV": (("DPD", 50), ("DHL", 30), ("GLS", 20)),
    "RU": (("Russian Post", 70), ("CDEK", 30)),
    "KZ": (("CDEK", 80), ("DHL", 20)),
}
# What goes out when it has to be fast: VIP orders, replacements.
EXPRESS: dict[str, str] = {"GB": "UPS", "RU": "CDEK", "KZ": "CDEK"}


def pick_carrier(rng: random.Random, country: str) -> Carrier:
    options = CARRIERS_BY_COUNTRY[country]
    name = rng.choices([n for n, _w in options], weights=[w for _n, w in options])[0]
    return CARRIERS[name]


def express_carrier(country: str) -> Carrier:
    return CARRIERS[EXPRESS.get(country, "DHL Express")]


# --- returns -----------------------------------------------------------------------------------

# Return reasons as the shop's returns form records them.
WRONG_SIZE = "Wrong size"
DAMAGED = "Damaged in transit"
CHANGED_MIND = "Changed mind"
NOT_AS_DESCRIBED = "Not as described"
DEFECTIVE = "Defective"
