"""The OpenAPI document and the interactive docs are served without a token."""

from django.test import Client


def test_openapi_document_describes_the_api(db):
    """Every endpoint is listed, with bearer authentication on all but the health check."""
    # when
    response = Client().get("/api/v1/openapi.json")
    # then
    assert response.status_code == 200
    spec = response.json()
    assert spec["info"]["title"] == "Zabota API"
    assert spec["info"]["version"] == "1"
    paths = spec["paths"]
    assert {
        "/api/v1/tickets",
        "/api/v1/tickets/{ticket_id}",
        "/api/v1/tickets/{ticket_id}/merge",
        "/api/v1/tickets/{ticket_id}/confirm",
        "/api/v1/tickets/{ticket_id}/messages",
        "/api/v1/customers",
        "/api/v1/customers/{customer_id}",
        "/api/v1/customers/{customer_id}/merge",
        "/api/v1/customers/{customer_id}/orders",
        "/api/v1/orders",
        "/api/v1/orders/{order_id}",
        "/api/v1/tags",
        "/api/v1/macros",
        "/api/v1/macros/{macro_id}/render",
        "/api/v1/health",
        "/api/v1/agents/me/availability",
        "/api/v1/notifications",
        "/api/v1/notifications/read",
        "/api/v1/surveys",
        "/api/v1/surveys/{survey_id}",
        "/api/v1/surveys/{survey_id}/responses",
        "/api/v1/surveys/responses",
        "/api/v1/surveys/report",
        "/api/v1/callbacks",
        "/api/v1/callbacks/{callback_id}",
        "/api/v1/callbacks/{callback_id}/calls",
        "/api/v1/inbound/email",
        "/api/v1/webhooks/shopify/{store_slug}",
        "/api/v1/webhooks/woocommerce/{store_slug}",
    } == set(paths)
    assert [s["type"] for s in spec["components"]["securitySchemes"].values()] == ["http"]
    assert "security" in paths["/api/v1/tickets"]["get"]
    assert "security" not in paths["/api/v1/health"]["get"]
    assert "security" not in paths["/api/v1/webhooks/shopify/{store_slug}"]["post"]
    # the priority is documented by name
    ticket = spec["components"]["schemas"]["TicketOut"]["properties"]
    priority_ref = ticket["priority"]["$ref"].rsplit("/", 1)[-1]
    assert spec["components"]["schemas"][priority_ref]["enum"] == [
        "low",
        "normal",
        "high",
        "urgent",
    ]


def test_interactive_docs_load(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
    assert b"/api/v1/openapi.json" in response.content
    # Self-hosted: the Swagger UI comes from our static files, never from a CDN.
    assert b"cdn.jsdelivr" not in response.content and b"/static/ninja/" in response.content
