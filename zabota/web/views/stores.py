"""Store settings in the agent UI: segment thresholds, how many customers each segment holds,
exchange rates. Admins change them; leads read them for their stores; agents get a 404."""

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from zabota.accounts.models import User
from zabota.commerce.access import (
    access_store_settings,
    can_change_store_settings,
    settings_stores,
)
from zabota.commerce.actions import (
    Recompute,
    check_add_exchange_rate,
    check_change_segment_settings,
)
from zabota.commerce.error_codes import CommerceError, CommerceErrorCode
from zabota.commerce.models import Store
from zabota.commerce.queries import (
    customers_with_figures,
    exchange_rates,
    segment_counts,
    segment_settings,
    unconverted_currencies,
)
from zabota.web.forms import ExchangeRateForm, SegmentSettingsForm

SEGMENTS = "segments"
RATE = "rate"


@login_required
@require_GET
def settings_home(request: HttpRequest) -> HttpResponse:
    """The sidebar's "Store settings": the first store the user may open."""
    store = settings_stores(cast(User, request.user)).first()
    if store is None:
        raise Http404("no store settings for this user")
    return redirect("web:store_settings", slug=store.slug)


def _recompute_message(request: HttpRequest, recompute: Recompute | None) -> None:
    if recompute is None:
        return
    if recompute.queued:
        text = ngettext(
            "%(count)s customer is being recomputed in the background.",
            "%(count)s customers are being recomputed in the background.",
            recompute.customers,
        )
    else:
        text = ngettext(
            "%(count)s customer recomputed.",
            "%(count)s customers recomputed.",
            recompute.customers,
        )
    messages.info(request, text % {"count": recompute.customers})


@login_required
@require_http_methods(["GET", "POST"])
def store_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """GET shows the settings; POST ``action=segments`` saves the thresholds (and recomputes the
    store's customers), ``action=rate`` adds an exchange rate."""
    user = cast(User, request.user)
    try:
        store = access_store_settings(user, slug)
    except Store.DoesNotExist as exc:
        raise Http404("store") from exc
    current = segment_settings(store)
    segments_form = SegmentSettingsForm(initial=SegmentSettingsForm.initial_from(current))
    rate_form = ExchangeRateForm()
    action = request.POST.get("action") if request.method == "POST" else None
    status = 200
    try:
        if action == SEGMENTS:
            segments_form = SegmentSettingsForm(request.POST)
            if segments_form.is_valid():
                changed, recompute = check_change_segment_settings(
                    store, values=segments_form.settings_values(), actor=user
                )
                if changed:
                    messages.success(request, _("Segment settings saved."))
                else:
                    messages.info(request, _("Nothing changed."))
                _recompute_message(request, recompute)
                return redirect("web:store_settings", slug=store.slug)
            status = 400
        elif action == RATE:
            rate_form = ExchangeRateForm(request.POST)
            if rate_form.is_valid():
                rate, recompute = check_add_exchange_rate(
                    store, actor=user, **rate_form.cleaned_data
                )
                messages.success(request, _("Exchange rate saved: %(rate)s") % {"rate": rate})
                _recompute_message(request, recompute)
                return redirect(f"{request.path}#rates")
            status = 400
    except CommerceError as exc:
        messages.error(request, exc.message)
        status = 403 if exc.code == CommerceErrorCode.SETTINGS_DENIED else 400
    context: dict[str, Any] = {
        "store": store,
        "stores": list(settings_stores(user)),
        "can_edit": can_change_store_settings(user),
        "segments_form": segments_form,
        "rate_form": rate_form,
        "counts": segment_counts(store),
        "customers_with_figures": customers_with_figures(store),
        "rates": list(exchange_rates(store)),
        "missing_rates": unconverted_currencies(store),
    }
    return render(request, "web/stores/settings.html", context, status=status)
