"""Answering surveys in a real browser: the e-mailed link, the pop-up on a store's page (a
different site, as in real life) and the shop kiosk — two answers in a row, the second after
the idle reset, and one sent while offline (docs/screenshots/surveys-answer.png,
surveys-popup.png, surveys-kiosk.png)."""

import secrets

import pytest

from zabota.surveys.constants import Display, Metric, QuestionKind, SurveyChannel
from zabota.surveys.models import Response, Survey
from zabota.surveys.tests.answering import add_question, every_kind_survey, invite
from zabota.surveys.tokens import answer_url
from zabota.web.tests.conftest import screenshot, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def allow_local_network(page) -> None:
    """The store's page is another (public) site, served by the test itself, and Zabota's live
    server is on this machine: Chromium lets a public page reach a local address only from a
    secure context (the shop is https://) with the local-network permission (a real shop and
    Zabota are both public sites, which needs neither)."""
    page.context.grant_permissions(["local-network-access"])


def shop_survey(store, *, idle: int = 45) -> Survey:
    """A short survey for the shop floor: stars, smileys, a comment."""
    survey = Survey.objects.create(
        store=store,
        name="In the shop",
        public_key=secrets.token_hex(8),
        kiosk_idle_seconds=idle,
        popup_paths=["/checkout/"],
        texts={
            "en": {
                "title": "How was your visit today?",
                "intro": "Tap to answer — it takes ten seconds.",
                "thanks": "Thank you, see you soon!",
            }
        },
    )
    add_question(
        survey,
        QuestionKind.RATING,
        "",
        scale_max=5,
        display=Display.STARS,
        metric=Metric.CSAT,
        required=True,
        texts={
            "en": {
                "text": "How happy are you with your visit?",
                "low": "Not at all",
                "high": "Very happy",
            }
        },
    )
    add_question(
        survey,
        QuestionKind.RATING,
        "",
        scale_max=5,
        display=Display.EMOJI,
        metric=Metric.QUALITY,
        texts={"en": {"text": "How helpful was our staff?"}},
    )
    add_question(survey, QuestionKind.TEXT, "Anything we could do better?")
    return survey


def test_a_customer_answers_by_the_emailed_link(page, world, settings, live_server):
    """Maria opens her link with the score she clicked in the mail (4) preselected, answers
    the NPS with a low score, so the follow-up question appears, and sends. Her answers were
    kept as a partial response meanwhile; sending completes that one."""
    # given
    settings.ZABOTA_PUBLIC_URL = live_server.url
    survey = every_kind_survey(world.store)
    invitation = invite(survey, world.maria, ticket=world.maria_ticket, agent=world.anna)
    speed, nps, why = survey.q["speed"], survey.q["nps"], survey.q["why"]
    # when
    page.goto(answer_url(invitation) + f"?q={speed.pk}&v=4")
    assert page.locator(f"input[name=q{speed.pk}][value='4']").is_checked()
    assert not Response.objects.exists()  # opening never stores
    assert page.locator(f"#sv-q{why.pk}").is_hidden()
    page.locator(f"#sv-q{nps.pk} label:has(input[value='5'])").click()
    page.locator(f"#sv-q{why.pk} textarea").fill("Answer the phone faster")
    page.locator(f"#sv-q{survey.q['csat'].pk} label:has(input[value='3'])").click()
    page.locator(f"#sv-q{survey.q['where'].pk} label:has-text('Search')").click()
    page.locator(f"#sv-q{survey.q['what'].pk} label:has-text('Shoes')").click()
    page.locator(f"#sv-q{survey.q['what'].pk} label:has-text('Bags')").click()
    page.locator(f"#sv-q{nps.pk}").scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "surveys-answer", docs=True)
    # the answers so far are kept (autosave) in case Maria stops here
    wait_for(lambda: Response.objects.filter(submitted_at__isnull=True).exists())
    page.click("button.sv-submit")
    # then
    page.wait_for_selector("text=Thank you!")
    response = Response.objects.get()
    assert (response.channel, response.customer_id, response.ticket_id) == (
        SurveyChannel.EMAIL,
        world.maria.pk,
        world.maria_ticket.pk,
    )
    assert (response.speed, response.nps, response.csat) == (4, 5, 3)
    assert response.answers.get(question=why).text == "Answer the phone faster"
    assert response.answers.get(question=survey.q["what"]).choices == [0, 2]
    # the link is used now
    page.set_viewport_size({"width": 390, "height": 700})  # opened again on the phone
    page.goto(answer_url(invitation))
    assert page.locator("h1").inner_text() == "You have already answered, thank you!"
    screenshot(page, "surveys-answer-used", docs=True)


def test_a_missing_answer_is_pointed_out_on_a_phone(page, world, settings, live_server):
    """On a phone, Maria sends without the required first answer: the page comes back with her
    other answers kept and the message at the question; then she completes it."""
    settings.ZABOTA_PUBLIC_URL = live_server.url
    survey = every_kind_survey(world.store)
    invitation = invite(survey, world.maria)
    page.set_viewport_size({"width": 390, "height": 760})
    page.goto(answer_url(invitation))
    page.locator(f"#sv-q{survey.q['nps'].pk} label:has(input[value='9'])").click()
    page.click("button.sv-submit")
    page.wait_for_selector(".sv-error")
    assert page.locator(f"#sv-q{survey.q['speed'].pk} .sv-error").inner_text() == (
        "Please answer this question."
    )
    assert page.locator(f"input[name=q{survey.q['nps'].pk}][value='9']").is_checked()
    assert not Response.objects.exists()
    screenshot(page, "surveys-answer-error", docs=True)
    page.locator(f"#sv-q{survey.q['speed'].pk} label:has(input[value='3'])").click()
    page.click("button.sv-submit")
    page.wait_for_selector("text=Thank you!")
    assert (Response.objects.get().speed, Response.objects.get().nps) == (3, 9)


def test_a_hidden_follow_up_question_is_not_sent(page, world, settings, live_server):
    settings.ZABOTA_PUBLIC_URL = live_server.url
    survey = every_kind_survey(world.store)
    invitation = invite(survey, world.maria)
    nps, why = survey.q["nps"], survey.q["why"]
    page.goto(answer_url(invitation))
    page.locator(f"#sv-q{survey.q['speed'].pk} label:has(input[value='5'])").click()
    page.locator(f"#sv-q{nps.pk} label:has(input[value='2'])").click()
    page.locator(f"#sv-q{why.pk} textarea").fill("typed, then changed my mind")
    page.locator(f"#sv-q{nps.pk} label:has(input[value='10'])").click()
    assert page.locator(f"#sv-q{why.pk}").is_hidden()
    page.click("button.sv-submit")
    page.wait_for_selector("text=Thank you!")
    response = Response.objects.get()
    assert response.nps == 10
    assert not response.answers.filter(question=why).exists()


def test_the_popup_appears_on_a_store_page_and_submits(page, world, live_server):
    """The store's checkout page (another site) carries our snippet; the card appears in the
    corner, the visitor answers, the card thanks; on the next visit it does not come back."""
    # given
    survey = shop_survey(world.store)
    shop_page = (
        "<!doctype html><html><head><title>Demo Store — Order placed</title>"
        "<style>body{font:16px system-ui;margin:0;background:#fafaf7}"
        "header{background:#1f2937;color:#fff;padding:18px 32px;font-weight:600}"
        "main{padding:40px 32px;max-width:720px}</style></head><body>"
        "<header>Demo Store</header><main><h1>Thank you for your order!</h1>"
        "<p>Order #1042 is confirmed. We will e-mail you when it ships.</p></main>"
        f'<script src="{live_server.url}/s/embed/demo.js" async></script></body></html>'
    )
    allow_local_network(page)
    page.route(
        "https://shop.example/**",
        lambda route: route.fulfill(status=200, body=shop_page, content_type="text/html"),
    )
    # when
    page.goto("https://shop.example/checkout/done?order=1042")
    card = page.locator(f"[data-zabota-survey='{survey.public_key}']")
    card.wait_for()
    frame = page.frame_locator(f"[data-zabota-survey='{survey.public_key}'] iframe")
    frame.locator("text=How happy are you with your visit?").wait_for()
    assert frame.locator("textarea").count() == 0  # only the first two questions
    frame.locator(".sv-point:has(input[value='4'])").first.click()
    frame.locator(".sv-display-emoji .sv-point:has(input[value='5'])").click()
    screenshot(page, "surveys-popup", docs=True)
    frame.locator("button.sv-submit").click()
    # then
    frame.locator("text=Thank you, see you soon!").wait_for()
    response = Response.objects.get()
    assert (response.channel, response.source, response.csat, response.quality) == (
        SurveyChannel.POPUP,
        "/checkout/done",
        4,
        5,
    )
    card.wait_for(state="detached", timeout=8000)  # it closes by itself
    # the same visitor is not asked again on the next visit
    page.goto("https://shop.example/checkout/done")
    page.wait_for_timeout(1500)
    assert card.count() == 0


def test_the_popup_can_be_closed(page, world, live_server):
    survey = shop_survey(world.store)
    html = f'<html><body><script src="{live_server.url}/s/embed/demo.js"></script></body></html>'
    allow_local_network(page)
    page.route(
        "https://shop.example/**", lambda route: route.fulfill(body=html, content_type="text/html")
    )
    page.goto("https://shop.example/checkout/")
    card = page.locator(f"[data-zabota-survey='{survey.public_key}']")
    card.wait_for()
    page.get_by_role("button", name="Close").click()
    assert card.count() == 0
    # a page outside the pop-up paths shows nothing
    page.evaluate("localStorage.clear()")
    page.goto("https://shop.example/about")
    page.wait_for_timeout(1000)
    assert card.count() == 0


def current_question(page) -> str:
    """The text of the question the kiosk shows now (one at a time)."""
    return page.locator("#kiosk-form .sv-q:not(.sv-step-off) legend").inner_text().strip(" *\n")


def test_the_kiosk_takes_two_answers_in_a_row_and_resets_when_idle(page, world, live_server):
    """The first visitor answers (a tap on a scale steps on to the next question) and is
    thanked; the kiosk returns to the first question. The next one starts, walks away — after
    the idle time the answers are cleared — and the one after answers again."""
    # given
    survey = shop_survey(world.store, idle=2)
    page.set_viewport_size({"width": 1180, "height": 820})  # a tablet, landscape
    page.goto(f"{live_server.url}/s/{survey.public_key}/kiosk/")
    happy = survey.questions.get(position=0)
    assert current_question(page).startswith("How happy are you with your visit?")
    assert page.locator("#kiosk-progress").inner_text() == "1 / 3"
    # when the first visitor answers
    page.locator(".sv-display-stars .sv-point:has(input[value='4'])").hover()
    screenshot(page, "surveys-kiosk", docs=True)
    page.locator(".sv-display-stars .sv-point:has(input[value='5'])").click()
    page.wait_for_selector("#kiosk-progress:has-text('2 / 3')")
    page.locator(".sv-display-emoji .sv-point:has(input[value='4'])").click()
    page.wait_for_selector("#kiosk-progress:has-text('3 / 3')")
    assert current_question(page) == "Anything we could do better?"
    page.click("#kiosk-send")
    # then thanks, then back to the first question, empty
    page.wait_for_selector("#kiosk-thanks:not([hidden])")
    wait_for(lambda: Response.objects.count() == 1)
    page.wait_for_selector("#kiosk-form:not([hidden])", timeout=8000)
    assert page.locator("#kiosk-form input:checked").count() == 0
    assert page.locator("#kiosk-progress").inner_text() == "1 / 3"
    # when the next visitor starts and walks away
    page.locator(".sv-display-stars .sv-point:has(input[value='2'])").click()
    page.wait_for_selector("#kiosk-progress:has-text('2 / 3')")
    assert page.locator("#kiosk-form input:checked").count() == 1
    page.wait_for_function(
        "document.querySelectorAll('#kiosk-form input:checked').length === 0", timeout=6000
    )
    assert page.locator("#kiosk-progress").inner_text() == "1 / 3"
    # then the one after answers, skipping the optional second question
    page.locator(".sv-display-stars .sv-point:has(input[value='3'])").click()
    page.wait_for_selector("#kiosk-progress:has-text('2 / 3')")
    page.click("#kiosk-next")
    page.fill("textarea", "Nice music")
    page.click("#kiosk-send")
    wait_for(lambda: Response.objects.count() == 2)
    assert sorted(r.csat or 0 for r in Response.objects.filter(survey=survey)) == [3, 5]
    assert set(Response.objects.values_list("channel", flat=True)) == {SurveyChannel.KIOSK}
    assert Response.objects.get(csat=3).answers.get(question__kind="text").text == "Nice music"
    assert not Response.objects.filter(csat=2).exists()
    assert happy.answers.count() == 2


def test_the_kiosk_does_not_step_past_a_required_question(page, world, live_server):
    survey = shop_survey(world.store)
    page.goto(f"{live_server.url}/s/{survey.public_key}/kiosk/")
    page.click("#kiosk-next")
    assert page.locator("#kiosk-error").is_visible()
    assert page.locator("#kiosk-progress").inner_text() == "1 / 3"
    page.locator(".sv-display-stars .sv-point:has(input[value='1'])").click()
    page.wait_for_selector("#kiosk-progress:has-text('2 / 3')")
    assert page.locator("#kiosk-error").is_hidden()
    page.click("#kiosk-back")
    assert page.locator("input[value='1']").first.is_checked()


def test_a_kiosk_answer_given_offline_is_sent_once_back_online(page, world, live_server):
    # given
    survey = shop_survey(world.store)
    page.goto(f"{live_server.url}/s/{survey.public_key}/kiosk/")
    page.context.set_offline(True)
    # when
    page.locator(".sv-display-stars .sv-point:has(input[value='4'])").click()
    page.wait_for_selector("#kiosk-progress:has-text('2 / 3')")
    page.click("#kiosk-next")
    page.click("#kiosk-send")
    page.wait_for_selector("#kiosk-thanks:not([hidden])")
    page.wait_for_timeout(500)
    # then it waits on the device
    assert not Response.objects.exists()
    queued = page.evaluate(f"JSON.parse(localStorage.getItem('zabota-kiosk-{survey.public_key}'))")
    assert len(queued) == 1
    assert page.locator("#kiosk-pending").is_visible()
    # when the connection is back
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    # then it is stored, once, and leaves the queue
    wait_for(lambda: Response.objects.count() == 1)
    page.wait_for_function(
        f"JSON.parse(localStorage.getItem('zabota-kiosk-{survey.public_key}')).length === 0"
    )
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_timeout(500)
    assert Response.objects.count() == 1
    assert Response.objects.get().csat == 4
