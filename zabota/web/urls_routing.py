"""Agent UI routes for routing (same ``web`` namespace): the workload's settings and a
customer's personal managers. /workload/ and /availability/ are in ``web.urls``."""

from django.urls import URLPattern, path

from zabota.web.views import routing

urlpatterns: list[URLPattern] = [
    path(
        "workload/groups/<int:group_id>/strategy/",
        routing.group_strategy,
        name="group_strategy",
    ),
    path("workload/agents/<int:agent_id>/profile/", routing.agent_profile, name="agent_profile"),
    path(
        "customers/<int:customer_id>/managers/",
        routing.customer_manager,
        name="customer_managers",
    ),
]
