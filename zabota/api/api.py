"""The REST API, mounted at /api/v1/. Interactive docs: /api/v1/docs; schema: /api/v1/openapi.json.

Every operation needs a personal API token (``Authorization: Bearer <token>``, created on the
account page or with ``zabota api-token EMAIL``) except the health check and the signed
webhooks (inbound e-mail, store platforms). The token acts as its user: the API shows and
changes exactly what that user could in the agent UI.
"""

from ninja import NinjaAPI

from zabota.api import (
    agents,
    callbacks,
    customers,
    health,
    inbound,
    macros,
    notifications,
    orders,
    surveys,
    tags,
    tickets,
    webhooks,
)
from zabota.api.auth import ApiTokenAuth
from zabota.api.error_handlers import install_error_handlers

api = NinjaAPI(
    title="Zabota API",
    version="1",
    description=(
        "Tickets, customers, tags and macros of a Zabota helpdesk. Lists are cursor-paginated: "
        'pass the `next` value of a page as `cursor` to get the next one. Errors are `{"code": '
        '…, "message": …}` with a stable code.'
    ),
    urls_namespace="api",
    auth=ApiTokenAuth(),
)
install_error_handlers(api)

api.add_router("/tickets", tickets.router)
api.add_router("/customers", customers.router)
api.add_router("/tags", tags.router)
api.add_router("/macros", macros.router)
api.add_router("/health", health.router)
api.add_router("/inbound", inbound.router)
api.add_router("/orders", orders.router)
api.add_router("/webhooks", webhooks.router)
api.add_router("/agents", agents.router)
api.add_router("/notifications", notifications.router)
api.add_router("/surveys", surveys.router)
api.add_router("/callbacks", callbacks.router)
