"""Signing in and out of the agent UI."""

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from zabota.commerce.models import Store
from zabota.core import ratelimit

# Accounts created by `zabota demo` (zabota/demo); shown on the sign-in page of demo installs only.
DEMO_STORE_SLUG = "demo"
DEMO_LOGINS = ("admin@example.com", "lead@example.com", "agent@example.com")
DEMO_PASSWORD = "zabota-demo"  # noqa: S105 — the published password of the demo accounts


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Refuse guessing: too many failed sign-ins from one address or for one account."""
        ip = ratelimit.client_ip(request)
        account = str(request.POST.get("username", "")).strip().casefold()
        if ratelimit.is_limited(ratelimit.LOGIN_PER_IP, ip) or ratelimit.is_limited(
            ratelimit.LOGIN_PER_ACCOUNT, account
        ):
            form = self.get_form()
            minutes = max(1, ratelimit.retry_after(ratelimit.LOGIN_PER_IP) // 60)
            form.add_error(
                None,
                _("Too many failed sign-in attempts. Try again in %(minutes)d minutes.")
                % {"minutes": minutes},
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        ratelimit.hit(ratelimit.LOGIN_PER_IP, ratelimit.client_ip(self.request))
        account = str(self.request.POST.get("username", "")).strip().casefold()
        ratelimit.hit(ratelimit.LOGIN_PER_ACCOUNT, account)
        return super().form_invalid(form)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if Store.objects.filter(slug=DEMO_STORE_SLUG).exists():
            context["demo_logins"] = DEMO_LOGINS
            context["demo_password"] = DEMO_PASSWORD
        return context


login_view = LoginView.as_view()
# POST only (Django's LogoutView refuses GET), so a link elsewhere cannot sign an agent out.
logout_view = auth_views.LogoutView.as_view()
