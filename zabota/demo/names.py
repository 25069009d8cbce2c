"""Names, e-mail addresses and phone numbers of demo customers in English, Russian, Polish and
Hungarian.

Russian and Polish family names agree with the person's gender (Иванов/Иванова,
Kowalski/Kowalska); Hungarian names are shown family name first (Nagy Eszter). Every address
uses a ``.example`` domain (RFC 2606), so nothing the demo generates can reach a real mailbox.
"""

import random
import unicodedata
from dataclasses import dataclass

LANGUAGES = ("en", "ru", "pl", "hu")

FEMALE = "f"
MALE = "m"

FIRST_NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        FEMALE: (
            "Emma", "Olivia", "Sophie", "Charlotte", "Amelia", "Grace", "Chloe", "Lucy",
            "Hannah", "Emily", "Jessica", "Rachel", "Laura", "Megan", "Sarah", "Claire",
        ),
        MALE: (
            "James", "Oliver", "Harry", "Jack", "George", "Thomas", "William", "Daniel",
            "Matthew", "Samuel", "Joseph", "Ryan", "Adam", "Michael", "David", "Chris",
        ),
    },
    "ru": {
        FEMALE: (
            "Анна", "Мария", "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана",
            "Екатерина", "Юлия", "Анастасия", "Дарья", "Ксения", "Вера", "Алина", "Полина",
        ),
        MALE: (
            "Иван", "Алексей", "Дмитрий", "Сергей", "Андрей", "Михаил", "Николай", "Павел",
            "Артём", "Максим", "Владимир", "Егор", "Кирилл", "Роман", "Олег", "Григорий",
        ),
    },
    "pl": {
        FEMALE: (
            "Anna", "Katarzyna", "Małgorzata", "Agnieszka", "Magdalena", "Joanna", "Ewa",
            "Monika", "Aleksandra", "Natalia", "Zofia", "Karolina", "Justyna", "Marta",
            "Beata", "Dorota",
        ),
        MALE: (
            "Piotr", "Krzysztof", "Tomasz", "Paweł", "Michał", "Marcin", "Jakub", "Łukasz",
            "Grzegorz", "Mateusz", "Wojciech", "Kamil", "Adam", "Marek", "Bartosz", "Jan",
        ),
    },
    "hu": {
        FEMALE: (
            "Eszter", "Katalin", "Zsófia", "Anna", "Réka", "Dóra", "Ildikó", "Erzsébet",
            "Judit", "Nóra", "Krisztina", "Boglárka", "Lilla", "Petra", "Ágnes", "Viktória",
        ),
        MALE: (
            "László", "István", "Zoltán", "Péter", "Gábor", "Attila", "Tamás", "Balázs",
            "Bence", "Dávid", "Ádám", "Levente", "Márton", "Csaba", "Gergely", "Norbert",
        ),
    },
}  # fmt: skip

# Family names: (masculine, feminine). Identical forms where the language does not inflect.
LAST_NAMES: dict[str, tuple[tuple[str, str], ...]] = {
    "en": tuple(
        (n, n)
        for n in (
            "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
            "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
            "Hall", "Wood", "Jackson", "Clarke", "Hughes", "Edwards", "Turner", "Harris",
        )
    ),
    "ru": (
        ("Иванов", "Иванова"), ("Смирнов", "Смирнова"), ("Кузнецов", "Кузнецова"),
        ("Попов", "Попова"), ("Соколов", "Соколова"), ("Лебедев", "Лебедева"),
        ("Козлов", "Козлова"), ("Новиков", "Новикова"), ("Морозов", "Морозова"),
        ("Волков", "Волкова"), ("Павлов", "Павлова"), ("Семёнов", "Семёнова"),
        ("Егоров", "Егорова"), ("Орлов", "Орлова"), ("Никитин", "Никитина"),
        ("Захаров", "Захарова"), ("Белов", "Белова"), ("Тихонов", "Тихонова"),
        ("Фёдоров", "Фёдорова"), ("Крылов", "Крылова"), ("Жуков", "Жукова"),
        ("Комаров", "Комарова"), ("Воробьёв", "Воробьёва"), ("Гусев", "Гусева"),
    ),
    "pl": (
        ("Nowak", "Nowak"), ("Kowalski", "Kowalska"), ("Wiśniewski", "Wiśniewska"),
        ("Wójcik", "Wójcik"), ("Kowalczyk", "Kowalczyk"), ("Kamiński", "Kamińska"),
        ("Lewandowski", "Lewandowska"), ("Zieliński", "Zielińska"),
        ("Szymański", "Szymańska"), ("Woźniak", "Woźniak"), ("Dąbrowski", "Dąbrowska"),
        ("Kozłowski", "Kozłowska"), ("Jankowski", "Jankowska"), ("Mazur", "Mazur"),
        ("Kwiatkowski", "Kwiatkowska"), ("Krawczyk", "Krawczyk"), ("Piotrowski", "Piotrowska"),
        ("Grabowski", "Grabowska"), ("Nowakowski", "Nowakowska"), ("Pawłowski", "Pawłowska"),
        ("Michalski", "Michalska"), ("Zając", "Zając"), ("Wróbel", "Wróbel"),
        ("Jabłoński", "Jabłońska"),
    ),
    "hu": tuple(
        (n, n)
        for n in (
            "Nagy", "Kovács", "Tóth", "Szabó", "Horváth", "Varga", "Kiss", "Molnár",
            "Németh", "Farkas", "Balogh", "Papp", "Takács", "Juhász", "Lakatos", "Mészáros",
            "Oláh", "Simon", "Rácz", "Fekete", "Szilágyi", "Török", "Fehér", "Balázs",
        )
    ),
}  # fmt: skip

EMAIL_DOMAINS: dict[str, tuple[str, ...]] = {
    "en": ("mail.example", "inbox.example", "post.example", "webmail.example"),
    "ru": ("pochta.example", "yandex.example", "mail-ru.example", "rambler.example"),
    "pl": ("poczta.example", "wp.example", "onet.example", "interia.example"),
    "hu": ("freemail.example", "citromail.example", "posta.example", "t-online.example"),
}

# Mobile numbers: (country calling code, national mobile prefixes, national digits after prefix).
PHONE_PLANS: dict[str, tuple[str, tuple[str, ...], int]] = {
    "en": ("44", ("7700", "7701", "7712", "7723", "7734"), 6),
    "ru": ("7", ("903", "915", "916", "925", "926", "977"), 7),
    "pl": ("48", ("501", "502", "601", "602", "691", "781"), 6),
    "hu": ("36", ("20", "30", "70"), 7),
}

SOCIAL_NETWORKS = ("instagram", "facebook", "x")

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
}  # fmt: skip


def ascii_slug(text: str) -> str:
    """Lower-case ASCII for e-mail local parts: Cyrillic transliterated, diacritics dropped."""
    text = "".join(_CYRILLIC.get(ch, ch) for ch in text.lower())
    text = text.replace("ł", "l")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum())


@dataclass(frozen=True)
class Person:
    language: str
    gender: str
    first_name: str
    last_name: str

    @property
    def display_name(self) -> str:
        if self.language == "hu":
            return f"{self.last_name} {self.first_name}"
        return f"{self.first_name} {self.last_name}"

    @property
    def first_slug(self) -> str:
        return ascii_slug(self.first_name)

    @property
    def last_slug(self) -> str:
        return ascii_slug(self.last_name)


def random_person(rng: random.Random, language: str) -> Person:
    gender = rng.choice((FEMALE, MALE))
    first = rng.choice(FIRST_NAMES[language][gender])
    masculine, feminine = rng.choice(LAST_NAMES[language])
    return Person(language, gender, first, feminine if gender == FEMALE else masculine)


def email_candidates(rng: random.Random, person: Person) -> list[str]:
    """A few believable addresses for a person, most likely first.

    None of them ends in a dot followed by digits: that shape is reserved for
    :func:`numbered_email`, so the two generators can never produce the same address.
    """
    domain = rng.choice(EMAIL_DOMAINS[person.language])
    first, last = person.first_slug, person.last_slug
    year = rng.randint(62, 99) if rng.random() < 0.7 else rng.randint(0, 9)
    locals_ = [
        f"{first}.{last}",
        f"{first[0]}.{last}",
        f"{last}.{first}",
        f"{first}{last}{year:02d}",
        f"{first}_{last}{rng.randint(1, 999)}",
    ]
    if person.language == "hu":
        # Hungarians often write the family name first in addresses too.
        locals_.insert(0, f"{last}.{first}")
    return [f"{local}@{domain}" for local in locals_]


def numbered_email(person: Person, number: int) -> str:
    """An address unique by construction, for generated crowds of customers."""
    domain = EMAIL_DOMAINS[person.language][number % len(EMAIL_DOMAINS[person.language])]
    return f"{person.first_slug}.{person.last_slug}.{number}@{domain}"


def random_phone(rng: random.Random, language: str) -> str:
    """A mobile number in E.164 form from the language's home country."""
    country, prefixes, digits = PHONE_PLANS[language]
    subscriber = "".join(str(rng.randint(0, 9)) for _ in range(digits))
    return f"+{country}{rng.choice(prefixes)}{subscriber}"


def numbered_phone(language: str, number: int) -> str:
    """Unique by construction: a prefix :func:`random_phone` never uses, then ``number``."""
    country, _prefixes, digits = PHONE_PLANS[language]
    reserved = {"en": "7911", "ru": "999", "pl": "799", "hu": "31"}[language]
    return f"+{country}{reserved}{number % 10**digits:0{digits}d}"


def social_handle(rng: random.Random, person: Person) -> str:
    network = rng.choice(SOCIAL_NETWORKS)
    return f"{network}:{person.first_slug}.{person.last_slug}{rng.randint(1, 99)}"
