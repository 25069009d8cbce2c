"""The surveys section's navigation: the pages of the section the signed-in person may open."""

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zabota.surveys import access

register = template.Library()

# (url name, label, who may open it) in the order shown.
PAGES = (
    ("web:surveys", _("Surveys"), access.can_view_surveys),
    ("web:surveys_reports", _("Reports"), access.can_view_reports),
    ("web:surveys_responses", _("Responses"), access.can_view_reports),
    ("web:survey_invitations", _("Invitations"), access.can_view_invitations),
    ("web:survey_paper", _("Paper cards"), access.can_enter_paper_cards),
    ("web:survey_settings", _("Settings"), access.can_manage_surveys),
)


@register.inclusion_tag("web/surveys/_nav.html", takes_context=True)
def survey_nav(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    current = request.resolver_match.view_name if request.resolver_match else ""
    return {
        "links": [
            {"url": reverse(name), "label": label, "current": name == current}
            for name, label, allowed in PAGES
            if allowed(request.user)
        ]
    }
