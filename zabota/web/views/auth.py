"""Signing in and out of the agent UI."""

from typing import Any

from django.contrib.auth import views as auth_views

from zabota.commerce.models import Store

# Accounts created by `zabota demo` (zabota/demo); shown on the sign-in page of demo installs only.
DEMO_STORE_SLUG = "demo"
DEMO_LOGINS = ("admin@example.com", "lead@example.com", "agent@example.com")
DEMO_PASSWORD = "zabota-demo"  # noqa: S105 — the published password of the demo accounts


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if Store.objects.filter(slug=DEMO_STORE_SLUG).exists():
            context["demo_logins"] = DEMO_LOGINS
            context["demo_password"] = DEMO_PASSWORD
        return context


login_view = LoginView.as_view()
# POST only (Django's LogoutView refuses GET), so a link elsewhere cannot sign an agent out.
logout_view = auth_views.LogoutView.as_view()
