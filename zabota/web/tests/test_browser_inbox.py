"""The inbox in a real browser: sign in, filter, switch views, load more, search.

Also produces docs/screenshots/inbox.png from a believable, multilingual inbox.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from zabota.customers.actions import do_create_customer
from zabota.tickets.actions import (
    do_add_customer_message,
    do_add_reply,
    do_assign,
    do_change_status,
    do_change_tags,
    do_confirm_solution,
    do_create_ticket,
    get_or_create_tag,
)
from zabota.tickets.constants import Channel, Priority, Status
from zabota.web.tests.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TAG_COLORS = {
    "damaged": "#e5484d",
    "wrong-size": "#f76b15",
    "refund": "#12a594",
    "late-delivery": "#3e63dd",
    "vip": "#8e4ec6",
    "chargeback": "#ce2c31",
    "subscription": "#0090ff",
    "invoice": "#978365",
    "compliment": "#d6409f",
}

# (first, last, display, language, email, subject, first message, channel, priority, minutes ago,
#  group ("support"/"returns"), assignee ("anna"/"lena"/"piotr"/None), status, tags)
TICKETS = [
    ("Olga", "Smirnova", "Ольга Смирнова", "ru", "olga.smirnova@example.ru",
     "Заказ №48213 пришёл повреждённым", "Коробка была смята, ваза внутри разбита. Что делать?",
     Channel.EMAIL, Priority.HIGH, 4, "support", None, Status.NEW, ["damaged"]),
    ("Anna", "Kovács", "Kovács Anna", "hu", "kovacs.anna@example.hu",
     "Rossz méretű cipőt kaptam", "A 39-es helyett 41-es méretet küldtek. Cserélhető?",
     Channel.CHAT, Priority.NORMAL, 9, "support", "anna", Status.OPEN, ["wrong-size"]),
    ("Emily", "Carter", "Emily Carter", "en", "emily.carter@example.com",
     "Charged twice for order #55120",
     "My card statement shows two charges of €89.90 for one order.",
     Channel.EMAIL, Priority.URGENT, 14, "support", "lena", Status.OPEN, ["chargeback", "vip"]),
    ("Tomasz", "Wiśniewski", "Tomasz Wiśniewski", "pl", "t.wisniewski@example.pl",
     "Zwrot pieniędzy za zamówienie 10482", "Odesłałem paczkę tydzień temu, kiedy dostanę zwrot?",
     Channel.EMAIL, Priority.NORMAL, 26, "returns", "piotr", Status.PENDING, ["refund"]),
    ("Liam", "Walker", "Liam Walker", "en", "liam.walker@example.co.uk",
     "Package marked delivered but not received",
     "Tracking says delivered yesterday at 14:02, nothing here.",
     Channel.WEB, Priority.HIGH, 38, "support", None, Status.NEW, ["late-delivery"]),
    ("Dmitry", "Ivanov", "Дмитрий Иванов", "ru", "d.ivanov@example.ru",
     "Не могу изменить адрес доставки",
     "Переезжаю на следующей неделе, нужно поменять адрес в заказе.",
     Channel.PHONE, Priority.NORMAL, 52, "support", "anna", Status.AWAITING_CONFIRMATION, []),
    ("Péter", "Nagy", "Nagy Péter", "hu", "nagy.peter@example.hu",
     "Mikor érkezik a rendelésem?",
     "Múlt hétfőn rendeltem kerti bútort, még nem kaptam értesítést.",
     Channel.EMAIL, Priority.NORMAL, 75, "support", None, Status.OPEN, ["late-delivery"]),
    ("Agnieszka", "Zielińska", "Agnieszka Zielińska", "pl", "a.zielinska@example.pl",
     "Faktura VAT do zamówienia 10511", "Proszę o fakturę na firmę, NIP w załączeniu.",
     Channel.EMAIL, Priority.LOW, 110, "support", "anna", Status.PENDING, ["invoice"]),
    ("Aleksey", "Kuznetsov", "Алексей Кузнецов", "ru", "kuznetsov@example.ru",
     "Подписка списала деньги повторно",
     "Я отменил подписку в марте, но сегодня снова списали 12 €.",
     Channel.EMAIL, Priority.HIGH, 140, "support", None, Status.NEW, ["subscription"]),
    ("James", "O'Connor", "James O'Connor", "en", "james.oconnor@example.ie",
     "Discount code SPRING20 not working",
     "Checkout says the code is invalid, but it's in your newsletter.",
     Channel.CHAT, Priority.LOW, 190, "support", "lena", Status.OPEN, []),
    ("Eszter", "Szabó", "Szabó Eszter", "hu", "szabo.eszter@example.hu",
     "Sérült termék – kérek cserét", "A lámpa búrája eltörve érkezett. Küldök fotót is.",
     Channel.SOCIAL, Priority.NORMAL, 260, "returns", None, Status.NEW, ["damaged"]),
    ("Sophie", "Martin", "Sophie Martin", "en", "sophie.martin@example.com",
     "Love the new garden chairs!", "Just wanted to say the chairs are lovely and arrived early.",
     Channel.EMAIL, Priority.LOW, 330, "support", "anna", Status.SOLVED, ["compliment"]),
    ("Katarzyna", "Nowak", "Katarzyna Nowak", "pl", "k.nowak@example.pl",
     "Wymiana kurtki na rozmiar M", "Kurtka jest za duża, chciałabym wymienić na M.",
     Channel.WEB, Priority.NORMAL, 420, "returns", "piotr", Status.OPEN, ["wrong-size"]),
    ("Michael", "Brown", "Michael Brown", "en", "m.brown@example.com",
     "Callback: bulk order for our café", "Please call me back about 40 chairs for a café terrace.",
     Channel.CALLBACK, Priority.HIGH, 520, "support", None, Status.NEW, ["vip"]),
    ("Elena", "Popova", "Елена Попова", "ru", "e.popova@example.ru",
     "Где мой возврат денег?", "Возврат одобрили 10 дней назад, деньги так и не пришли.",
     Channel.EMAIL, Priority.NORMAL, 700, "returns", None, Status.OPEN, ["refund"]),
    ("Gábor", "Tóth", "Tóth Gábor", "hu", "toth.gabor@example.hu",
     "Számlázási cím módosítása", "A cégem címe megváltozott, kérem javítsák a számlán.",
     Channel.EMAIL, Priority.LOW, 900, "support", "lena", Status.CLOSED, ["invoice"]),
    ("Olivia", "Johnson", "Olivia Johnson", "en", "olivia.j@example.com",
     "Can I change the colour of my order?",
     "I ordered the sage cushions but would prefer terracotta.",
     Channel.CHAT, Priority.NORMAL, 1300, "support", "anna", Status.AWAITING_CONFIRMATION, []),
    ("Marek", "Lewandowski", "Marek Lewandowski", "pl", "marek.l@example.pl",
     "Uszkodzona przesyłka – zdjęcia w załączniku", "Karton rozerwany, dwie donice pęknięte.",
     Channel.EMAIL, Priority.HIGH, 1900, "support", None, Status.OPEN, ["damaged"]),
]  # fmt: skip


def _busy_inbox(world) -> None:
    """Eighteen more tickets in four languages, spread over the last day and a half."""
    now = timezone.now()
    groups = {"support": world.support, "returns": world.returns}
    people = {"anna": world.anna, "lena": world.lena, "piotr": world.piotr}
    for (
        first, last, display, language, email, subject, body, channel, priority, minutes,
        group, assignee, status, tags,
    ) in TICKETS:  # fmt: skip
        customer = do_create_customer(
            first_name=first,
            last_name=last,
            display_name=display,
            language=language,
            identities=[("email", email)],
            actor=None,
        )
        at = now - timedelta(minutes=minutes)
        ticket = do_create_ticket(
            store=world.store,
            customer=customer,
            subject=subject,
            body_text=body,
            channel=channel,
            priority=priority,
            group=groups[group],
            actor=None,
            at=at - timedelta(minutes=30),
        )
        if assignee:
            do_assign(ticket, assignee=people[assignee], group=groups[group], actor=world.lena)
        if tags:
            tag_objects = []
            for name in tags:
                tag = get_or_create_tag(world.store, name)
                tag.color = TAG_COLORS[name]
                tag.save(update_fields=["color"])
                tag_objects.append(tag)
            do_change_tags(ticket, add=tag_objects, actor=world.lena)
        agent = people[assignee] if assignee else world.lena
        if status == Status.PENDING:
            do_add_reply(ticket, body_text="Checking this for you now.", actor=agent, at=at)
        elif status in (Status.AWAITING_CONFIRMATION, Status.SOLVED, Status.CLOSED):
            do_add_reply(
                ticket,
                body_text="Done — please confirm it works for you.",
                then_status=Status.AWAITING_CONFIRMATION,
                actor=agent,
                at=at,
            )
            if status != Status.AWAITING_CONFIRMATION:
                do_confirm_solution(ticket, actor=None, via="reply")
            if status == Status.CLOSED:
                do_change_status(ticket, status=Status.CLOSED, actor=agent)
        else:
            do_add_customer_message(ticket, body_text=body, at=at)


def test_lead_filters_switches_views_and_searches(page, world):
    """Lena signs in, narrows the inbox by status without a reload, switches views, searches."""
    # given
    _busy_inbox(world)
    login(page, world.lena)

    # when: the default view (open) is shown
    page.wait_for_selector(".ticket-row")
    # then: new and open tickets of both her groups are listed, solved ones are not
    rows = page.locator(".ticket-row")
    assert page.locator(".ticket-row", has_text="Charged twice for order #55120").count() == 1
    assert page.locator(".ticket-row", has_text="Love the new garden chairs!").count() == 0
    open_count = rows.count()

    # when: she filters by status "New"
    page.select_option("select[name=status]", "new")
    page.wait_for_url("**status=new**")
    assert "priority=" not in page.url  # unset filters stay out of the pushed URL
    page.wait_for_function(
        "() => [...document.querySelectorAll('.ticket-row .pill')]"
        ".every(p => p.classList.contains('status-new'))"
    )
    # then: only new tickets remain, the sidebar is still there (no full reload needed)
    assert 0 < rows.count() < open_count
    assert page.locator("#inbox-count").inner_text() == f"{rows.count()} tickets"
    assert page.locator(".sidebar").count() == 1
    assert page.locator(".ticket-row", has_text="Заказ №48213 пришёл повреждённым").count() == 1

    # when: she switches to "Awaiting confirmation"
    page.click(".sidebar-link[data-view=awaiting]")
    page.wait_for_url("**view=awaiting**")
    # then: both tickets waiting for the customer are listed
    subjects = page.locator(".ticket-row .ticket-subject").all_inner_texts()
    assert sorted(subjects) == [
        "Can I change the colour of my order?",
        "Не могу изменить адрес доставки",
    ]

    # when: she searches for the beginning of a Polish word
    page.fill(".sidebar-search input[name=q]", "przesył")
    page.press(".sidebar-search input[name=q]", "Enter")
    page.wait_for_url("**/search/?q=*")
    # then: the Polish ticket is found with the word highlighted
    assert page.locator(".result", has_text="Uszkodzona przesyłka").count() == 1
    assert page.locator(".result mark").first.inner_text().lower().startswith("przesyłk")

    # when: the docs screenshot of the full inbox is taken
    page.goto(page.base_url + "/?view=all")
    page.wait_for_selector(".ticket-row")
    path = screenshot(page, "inbox", docs=True)
    assert path.stat().st_size > 10_000


def test_agent_selects_rows_and_applies_a_bulk_change(page, world):
    """Anna ticks two rows, the bulk bar appears, and "Assign to me" assigns both."""
    # given
    _busy_inbox(world)
    login(page, world.anna)
    page.goto(page.base_url + "/?view=unassigned")
    page.wait_for_selector(".ticket-row")
    assigned_before = world.anna.assigned_tickets.count()
    assert page.locator("#bulk-form").is_hidden()

    # when
    boxes = page.locator(".ticket-row input[data-ticket-select]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    # then
    assert page.locator("#bulk-form").is_visible()
    assert page.locator("[data-bulk-count]").inner_text() == "2"

    # when
    page.select_option("select[name=action]", "assign_me")
    page.click("#bulk-form button[type=submit]")
    page.wait_for_selector(".toast-success")
    # then
    assert "2 tickets updated." in page.locator(".toast-success").inner_text()
    assert world.anna.assigned_tickets.count() == assigned_before + 2
