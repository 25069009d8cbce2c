"""The public scores page of a store (``/scores/<slug>/``): shown only when the store publishes
its scores (else 404, as if there were no such page), in the visitor's language when it is one
of the survey languages (``?lang=`` first, then the browser's), else the store's. The figures
are cached briefly and the page is rate-limited per address."""

from dataclasses import asdict
from typing import Any

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.http import require_GET

from zabota.commerce.models import Store
from zabota.core import ratelimit
from zabota.surveys.constants import SURVEY_LANGUAGES
from zabota.surveys.metrics import Scores
from zabota.surveys.models import SurveySettings
from zabota.surveys.reports import QuarterScores, public_scores

# The figures change with each answer; a minute old is fresh enough for a public page.
CACHE_SECONDS = 60


def _language(request: HttpRequest, store: Store) -> str:
    asked = (request.GET.get("lang") or "").lower()
    if asked in SURVEY_LANGUAGES:
        return asked
    header = request.headers.get("Accept-Language", "")
    for part in header.split(","):
        code = part.split(";")[0].strip().split("-")[0].lower()
        if code in SURVEY_LANGUAGES:
            return code
    return store.default_language if store.default_language in SURVEY_LANGUAGES else "en"


def _quarters(store: Store) -> list[QuarterScores]:
    today = timezone.localdate()
    key = f"zabota:scores:{store.pk}:{today.isoformat()}"
    cached: list[dict[str, Any]] | None = cache.get(key)
    if cached is None:
        quarters = public_scores(store, today=today)
        cache.set(
            key,
            [{"start": q.start, "label": q.label, "scores": asdict(q.scores)} for q in quarters],
            CACHE_SECONDS,
        )
        return quarters
    return [QuarterScores(row["start"], row["label"], Scores(**row["scores"])) for row in cached]


@require_GET
def scores_page(request: HttpRequest, slug: str) -> HttpResponse:
    if not ratelimit.hit(ratelimit.SCORES_PAGE_PER_IP, ratelimit.client_ip(request)):
        response = HttpResponse(status=429)
        response["Retry-After"] = str(ratelimit.retry_after(ratelimit.SCORES_PAGE_PER_IP))
        return response
    store = Store.objects.filter(slug=slug).first()
    if store is None or not SurveySettings.objects.filter(store=store, public_scores=True).exists():
        raise Http404("no public scores")
    quarters = _quarters(store)
    language = _language(request, store)
    with translation.override(language):
        response = render(
            request,
            "web/surveys/scores/page.html",
            {
                "store": store,
                "quarters": quarters,
                "language": language,
                "languages": SURVEY_LANGUAGES,
                "has_answers": any(q.scores.responses for q in quarters),
            },
        )
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    response["Content-Language"] = language
    return response
