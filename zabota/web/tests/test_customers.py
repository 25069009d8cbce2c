"""The customer page: who may see it, editing details, identities, tickets, audit, merging."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from zabota.customers.actions import do_create_customer
from zabota.customers.models import Customer, CustomerEvent, Identity
from zabota.tickets.actions import do_create_ticket
from zabota.tickets.models import Ticket

MERGE_CANDIDATES = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "merge-candidates"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    ("persona", "customer", "status"),
    [
        ("anna", "maria", 200),  # through the unassigned Support ticket
        ("anna", "ivan", 404),  # only reachable through a Returns ticket she cannot see
        ("piotr", "ivan", 404),  # Returns hides unassigned tickets from members
        ("lena", "ivan", 200),
        ("ada", "maria", 200),
    ],
)
def test_customer_page_follows_ticket_visibility(world, persona, customer, status):
    """Agents see customers of tickets they can see; anyone else's is "not found"."""
    # when
    response = _client(getattr(world, persona)).get(
        reverse("web:customer", args=[getattr(world, customer).pk])
    )
    # then
    assert response.status_code == status


def test_every_post_on_an_invisible_customer_is_404(world):
    """Anna can neither edit, add identities to, nor merge into Ivan."""
    # given
    client = _client(world.anna)
    url = reverse("web:customer", args=[world.ivan.pk])
    # when
    update = client.post(url, {"action": "update", "notes": "hacked"})
    identity = client.post(url, {"action": "identity", "kind": "email", "value": "x@example.com"})
    merge = client.post(reverse("web:customer_merge", args=[world.ivan.pk]), {"source": 1})
    # then
    assert (update.status_code, identity.status_code, merge.status_code) == (404, 404, 404)
    world.ivan.refresh_from_db()
    assert world.ivan.notes == ""
    assert not Identity.objects.filter(value="x@example.com").exists()


def test_page_shows_identities_tickets_and_audit(world):
    """Identities, the tickets the viewer can see, and the audit trail are on the page."""
    # given
    do_create_ticket(
        store=world.store,
        customer=world.maria,
        subject="Invoice for order 10511",
        body_text="Please send an invoice.",
        actor=None,
    )
    # when
    response = _client(world.anna).get(reverse("web:customer", args=[world.maria.pk]))
    # then
    html = response.content.decode()
    assert "maria@example.pl" in html
    assert "Where is my parcel?" in html
    assert "Invoice for order 10511" in html
    assert [t.subject for t in response.context["tickets"]] == [
        "Invoice for order 10511",
        "Where is my parcel?",
    ]
    assert "Customer created" in html


def test_tickets_the_viewer_cannot_see_are_not_listed(world):
    """Maria's Returns ticket stays hidden from Anna even on Maria's page."""
    # given
    do_create_ticket(
        store=world.store,
        customer=world.maria,
        subject="Return a lamp",
        body_text="Broken.",
        group=world.returns,
        actor=None,
    )
    # when
    anna_sees = _client(world.anna).get(reverse("web:customer", args=[world.maria.pk]))
    lena_sees = _client(world.lena).get(reverse("web:customer", args=[world.maria.pk]))
    # then
    assert "Return a lamp" not in anna_sees.content.decode()
    assert "Return a lamp" in lena_sees.content.decode()


def test_agent_edits_name_language_and_notes_with_an_audit_row(world):
    """Saving details calls do_update_customer, which records who changed what."""
    # when
    response = _client(world.anna).post(
        reverse("web:customer", args=[world.maria.pk]),
        {
            "action": "update",
            "display_name": "Maria Kowalska-Nowak",
            "language": "pl",
            "notes": "Prefers phone calls after 17:00.",
        },
    )
    # then
    assert response.status_code == 302
    world.maria.refresh_from_db()
    assert world.maria.display_name == "Maria Kowalska-Nowak"
    assert world.maria.language == "pl"
    assert world.maria.notes == "Prefers phone calls after 17:00."
    event = CustomerEvent.objects.filter(customer=world.maria, kind="updated").get()
    assert event.actor == world.anna
    assert event.data["fields"] == ["display_name", "language", "notes"]
    assert _messages(response) == [("success", "Customer saved.")]


def test_unknown_language_is_refused(world):
    """The language must be one of the interface languages."""
    # when
    response = _client(world.anna).post(
        reverse("web:customer", args=[world.maria.pk]), {"action": "update", "language": "xx"}
    )
    # then
    assert response.status_code == 400
    world.maria.refresh_from_db()
    assert world.maria.language == ""


def test_add_identity_normalises_it(world):
    """A phone number with spaces is stored in E.164 form and audited."""
    # when
    response = _client(world.anna).post(
        reverse("web:customer", args=[world.maria.pk]),
        {"action": "identity", "kind": "phone", "value": "+48 601 234 567"},
    )
    # then
    assert response.status_code == 302
    assert world.maria.identities.filter(kind="phone", value="+48601234567").exists()
    assert CustomerEvent.objects.filter(customer=world.maria, kind="identity_added").exists()


def test_identity_of_another_customer_is_refused_with_the_reason(world):
    """An identity belongs to one customer only; the form says it is taken (merge instead)."""
    # when
    response = _client(world.lena).post(
        reverse("web:customer", args=[world.maria.pk]),
        {"action": "identity", "kind": "email", "value": "IVAN@example.ru"},
    )
    # then
    assert response.status_code == 400
    assert "Already belongs to another customer: email:ivan@example.ru" in (
        response.content.decode()
    )
    assert world.maria.identities.count() == 1


def test_invalid_identity_is_refused(world):
    """Something that is not an e-mail address is not stored as one."""
    # when
    response = _client(world.anna).post(
        reverse("web:customer", args=[world.maria.pk]),
        {"action": "identity", "kind": "email", "value": "not an address"},
    )
    # then
    assert response.status_code == 400
    assert world.maria.identities.count() == 1


def test_lead_merges_a_duplicate_into_the_customer(world):
    """Lena merges a duplicate Maria: identities and tickets move, the duplicate is retired."""
    # given
    duplicate = do_create_customer(
        first_name="Maria",
        last_name="K.",
        identities=[("phone", "+48601234567")],
        actor=None,
    )
    ticket = do_create_ticket(
        store=world.store, customer=duplicate, subject="Call me", body_text="…", actor=None
    )
    # when
    response = _client(world.lena).post(
        reverse("web:customer_merge", args=[world.maria.pk]), {"source": duplicate.pk}
    )
    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("web:customer", args=[world.maria.pk])
    duplicate.refresh_from_db()
    assert duplicate.merged_into == world.maria
    assert Ticket.objects.get(pk=ticket.pk).customer == world.maria
    assert world.maria.identities.filter(kind="phone").exists()
    assert _messages(response) == [("success", "Maria K. was merged into Maria Kowalska.")]


def test_agents_cannot_merge(world):
    """Merging is for leads and admins: Anna's attempt changes nothing and says why."""
    # given
    duplicate = do_create_customer(first_name="Maria", identities=[], actor=None)
    do_create_ticket(store=world.store, customer=duplicate, subject="Hi", body_text="…", actor=None)
    # when
    response = _client(world.anna).post(
        reverse("web:customer_merge", args=[world.maria.pk]), {"source": duplicate.pk}
    )
    # then
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None
    assert _messages(response) == [("error", "Only leads and admins merge customers.")]
    page = _client(world.anna).get(reverse("web:customer", args=[world.maria.pk]))
    assert "Merge a duplicate" not in page.content.decode()


def test_merge_into_itself_is_refused(world):
    """A customer cannot swallow themselves."""
    # when
    response = _client(world.lena).post(
        reverse("web:customer_merge", args=[world.maria.pk]), {"source": world.maria.pk}
    )
    # then
    assert _messages(response) == [("error", "A customer cannot be merged into themselves.")]
    assert Customer.objects.get(pk=world.maria.pk).merged_into is None


def test_merge_candidates_are_searched_with_htmx(world):
    """The merge box lists matching customers other than the target, with merge buttons."""
    # given
    duplicate = do_create_customer(
        first_name="Maria", last_name="Kowalska", identities=[], actor=None
    )
    # when
    response = _client(world.lena).get(
        reverse("web:search"), {"q": "kowalska", "into": world.maria.pk}, **MERGE_CANDIDATES
    )
    # then
    assert response.status_code == 200
    assert [c.pk for c in response.context["candidates"]] == [duplicate.pk]
    html = response.content.decode()
    assert html.startswith('<div id="merge-candidates"')
    assert reverse("web:customer_merge", args=[world.maria.pk]) in html
    assert f'name="source" value="{duplicate.pk}"' in html


def test_agents_get_no_merge_candidates(world):
    """The candidate search is refused for agents, who may not merge."""
    # when
    response = _client(world.anna).get(
        reverse("web:search"), {"q": "maria", "into": world.maria.pk}, **MERGE_CANDIDATES
    )
    # then
    assert response.status_code == 400


def test_customer_forms_enforce_csrf(world):
    """Without the CSRF token nothing on the customer page can be changed."""
    # given
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.lena)
    # when
    update = client.post(
        reverse("web:customer", args=[world.maria.pk]), {"action": "update", "notes": "x"}
    )
    merge = client.post(
        reverse("web:customer_merge", args=[world.maria.pk]), {"source": world.ivan.pk}
    )
    # then
    assert (update.status_code, merge.status_code) == (403, 403)
    world.ivan.refresh_from_db()
    assert world.ivan.merged_into is None
