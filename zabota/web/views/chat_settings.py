"""Chat settings of a store, for admins: the widget (key, enabled, who answers, pre-chat fields,
language, colour), the snippet to paste into the store's site, and how many chats each of the
store's agents holds at once. Anyone else gets a 404, like the store settings."""

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from zabota.accounts.models import User
from zabota.chat import queries
from zabota.chat.access_settings import (
    access_store_for_chat_settings,
    chat_limit_agents,
    chat_settings_stores,
)
from zabota.chat.actions_settings import do_save_chat_settings, do_set_chat_limit
from zabota.chat.models import AgentChatLimit, ChatSettings
from zabota.commerce.models import Store
from zabota.web.forms_chats import ChatLimitForm, ChatSettingsForm

WIDGET = "widget"
LIMIT = "limit"


@login_required
@require_GET
def settings_home(request: HttpRequest) -> HttpResponse:
    """``/chats/settings/``: the first store the admin may configure."""
    store = chat_settings_stores(cast(User, request.user)).first()
    if store is None:
        raise Http404("no chat settings for this user")
    return redirect("web:chat_settings", slug=store.slug)


def _limits(store: Store) -> list[dict[str, Any]]:
    agents = list(chat_limit_agents(store))
    rows = {row.user_id: row.max_chats for row in AgentChatLimit.objects.filter(user__in=agents)}
    default = settings.ZABOTA_CHAT_DEFAULT_CAPACITY
    return [
        {"agent": agent, "max_chats": rows.get(agent.pk, default), "custom": agent.pk in rows}
        for agent in agents
    ]


def _page(
    request: HttpRequest,
    store: Store,
    *,
    widget_form: ChatSettingsForm,
    limit_error: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    key = widget_form.instance.widget_key if widget_form.instance.pk else ""
    context = {
        "store": store,
        "stores": chat_settings_stores(cast(User, request.user)),
        "form": widget_form,
        "chat_settings": widget_form.instance if widget_form.instance.pk else None,
        "snippet": (
            f'<script src="{settings.ZABOTA_PUBLIC_URL}/widget/{key}.js" async></script>'
            if key
            else ""
        ),
        "limits": _limits(store),
        "default_limit": settings.ZABOTA_CHAT_DEFAULT_CAPACITY,
        "limit_error": limit_error or {},
        "section": "chat_settings",
    }
    return render(request, "web/chats/settings.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def store_chat_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """GET shows the settings; POST ``action=widget`` saves the widget, ``action=limit`` one
    agent's concurrent-chat limit (``agent``, ``max_chats``)."""
    user = cast(User, request.user)
    try:
        store = access_store_for_chat_settings(user, slug)
    except Store.DoesNotExist as exc:
        raise Http404("store") from exc
    current = queries.store_chat_settings(store.pk) or ChatSettings(
        store=store, widget_key=store.slug
    )
    if request.method == "GET":
        return _page(request, store, widget_form=ChatSettingsForm(instance=current, store=store))

    action = request.POST.get("action")
    if action == WIDGET:
        form = ChatSettingsForm(request.POST, instance=current, store=store)
        if not form.is_valid():
            return _page(request, store, widget_form=form, status=400)
        do_save_chat_settings(form.save(commit=False), changed=form.changed_data, actor=user)
        messages.success(request, _("Chat settings saved."))
        return redirect("web:chat_settings", slug=store.slug)
    if action == LIMIT:
        limit_form = ChatLimitForm(request.POST, agents=chat_limit_agents(store))
        if not limit_form.is_valid():
            error = {
                "agent": request.POST.get("agent", ""),
                "message": " ".join(
                    str(message) for errors in limit_form.errors.values() for message in errors
                ),
            }
            widget_form = ChatSettingsForm(instance=current, store=store)
            return _page(request, store, widget_form=widget_form, limit_error=error, status=400)
        agent = limit_form.cleaned_data["agent"]
        do_set_chat_limit(agent, max_chats=limit_form.cleaned_data["max_chats"], actor=user)
        messages.success(
            request,
            _("%(agent)s now holds up to %(count)s chats at once.")
            % {"agent": agent.name or agent.email, "count": limit_form.cleaned_data["max_chats"]},
        )
        return redirect("web:chat_settings", slug=store.slug)
    return _page(
        request, store, widget_form=ChatSettingsForm(instance=current, store=store), status=400
    )
