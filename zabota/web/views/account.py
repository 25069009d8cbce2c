"""The agent's own settings: interface language and personal API tokens."""

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from zabota.accounts.actions import do_create_api_token, do_revoke_api_token, do_set_ui_language
from zabota.accounts.models import User
from zabota.web.forms import ApiTokenForm, LanguageForm, RevokeTokenForm

LANGUAGE = "language"
CREATE = "create_token"
REVOKE = "revoke_token"


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """POST ``action`` is one of: language, create_token (the raw token is rendered in this
    response only — never stored, never put in a message cookie), revoke_token."""
    user = cast(User, request.user)
    language_form = LanguageForm(initial={"language": user.ui_language})
    token_form = ApiTokenForm()
    raw_token = ""
    action = request.POST.get("action") if request.method == "POST" else None
    status = 200
    if action == LANGUAGE:
        language_form = LanguageForm(request.POST)
        if language_form.is_valid():
            do_set_ui_language(user, language=language_form.cleaned_data["language"], actor=user)
            translation.activate(user.ui_language)
            messages.success(request, _("Interface language changed."))
            return redirect("web:account")
        status = 400
    elif action == CREATE:
        token_form = ApiTokenForm(request.POST)
        if token_form.is_valid():
            raw_token = do_create_api_token(user, name=token_form.cleaned_data["name"], actor=user)
            token_form = ApiTokenForm()
        else:
            status = 400
    elif action == REVOKE:
        revoke_form = RevokeTokenForm(request.POST)
        token = (
            user.api_tokens.filter(
                pk=revoke_form.cleaned_data["token"], revoked_at__isnull=True
            ).first()
            if revoke_form.is_valid()
            else None
        )
        if token is None:
            messages.error(request, _("That token does not exist or was already revoked."))
        else:
            do_revoke_api_token(token, actor=user)
            messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
        return redirect("web:account")
    context: dict[str, Any] = {
        "language_form": language_form,
        "token_form": token_form,
        "raw_token": raw_token,
        "tokens": list(user.api_tokens.filter(revoked_at__isnull=True).order_by("-created_at")),
    }
    return render(request, "web/account/account.html", context, status=status)
