"""The rule pages: admins list, create and test rules; errors are shown; agents get a 403."""

import pytest

from zabota.automation.models import Rule, RuleApplication
from zabota.core import event_types
from zabota.tickets.constants import Priority

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada_client(client, world):
    client.force_login(world.ada)
    return client


def _post(world, **overrides):
    data = {
        "name": "VIP first",
        "store": str(world.store.pk),
        "order": "1",
        "is_active": "on",
        "triggers": [event_types.TICKET_CREATED],
        "match": "all",
        "cond_field": ["customer.segment", "ticket.channel"],
        "cond_op": ["has", "is"],
        "cond_value": ["vip", "email"],
        "act_type": ["add_tag", "set_priority", "assign_group"],
        "act_value": ["VIP", str(Priority.HIGH), "Returns"],
    }
    data.update(overrides)
    return data


def test_admin_creates_a_rule_with_a_group_typed_by_name(world, ada_client):
    """The form's rows become the rule's conditions and actions; the group is stored by id."""
    # when
    response = ada_client.post("/automation/rules/new/", _post(world))
    # then
    assert response.status_code == 302
    rule = Rule.objects.get()
    assert rule.store == world.store
    assert rule.conditions == [
        {"field": "customer.segment", "op": "has", "value": "vip"},
        {"field": "ticket.channel", "op": "is", "value": "email"},
    ]
    assert rule.actions == [
        {"type": "add_tag", "params": {"tag": "VIP"}},
        {"type": "set_priority", "params": {"priority": Priority.HIGH}},
        {"type": "assign_group", "params": {"group": world.returns.pk}},
    ]
    assert 'data-rule="VIP first"' in ada_client.get("/automation/rules/").content.decode()


def test_the_form_shows_what_is_wrong_and_saves_nothing(world, ada_client):
    """A bad operator and an unknown group are named with their rows."""
    # when
    response = ada_client.post(
        "/automation/rules/new/",
        _post(world, cond_op=["gte", "is"], act_value=["VIP", "30", "Nowhere"]),
    )
    # then
    assert response.status_code == 400
    page = response.content.decode()
    assert "Condition 1: Operator “gte” cannot be used with Customer segment." in page
    assert "Action 3: Choose a group of the rule&#x27;s store." in page
    assert not Rule.objects.exists()


def test_the_add_row_endpoint_returns_an_empty_row(ada_client):
    """htmx appends it to the form."""
    # when
    response = ada_client.get("/automation/rules/row/action/")
    # then
    assert response.status_code == 200
    assert 'name="act_type"' in response.content.decode()


def test_testing_a_rule_lists_matches_and_changes_nothing(world, ada_client):
    """Maria's ticket mentions a parcel; the test view lists it with what would happen."""
    # given
    ada_client.post(
        "/automation/rules/new/",
        _post(
            world,
            cond_field=["message.subject"],
            cond_op=["contains"],
            cond_value=["parcel"],
            act_type=["set_priority"],
            act_value=["30"],
        ),
    )
    rule = Rule.objects.get()
    # when
    response = ada_client.get(f"/automation/rules/{rule.pk}/test/")
    # then
    page = response.content.decode()
    assert f'data-ticket="{world.maria_ticket.number}"' in page
    assert f'data-ticket="{world.ivan_ticket.number}"' not in page
    assert "set priority High" in page
    world.maria_ticket.refresh_from_db()
    assert world.maria_ticket.priority == Priority.NORMAL
    assert not RuleApplication.objects.exists()


def test_agents_cannot_open_the_rules(world, client):
    # given
    client.force_login(world.anna)
    # when
    response = client.get("/automation/rules/")
    # then
    assert response.status_code == 403


def test_the_form_suggests_values_for_the_chosen_field_and_action(world, ada_client):
    """Datalists offer the segments, the store's groups and the agents; each row's value field
    points at the list of its field or action."""
    # given
    ada_client.post("/automation/rules/new/", _post(world))
    rule = Rule.objects.get()
    # when
    page = ada_client.get(f"/automation/rules/{rule.pk}/").content.decode()
    # then
    assert '<datalist id="opts-cond-customer.segment">' in page
    assert '<option value="vip">VIP</option>' in page
    groups = page.split('<datalist id="opts-act-assign_group">')[1].split("</datalist>")[0]
    assert '<option value="Returns">Returns</option>' in groups
    agents = page.split('<datalist id="opts-act-assign_agent">')[1].split("</datalist>")[0]
    assert f'<option value="{world.anna.email}">' in agents
    assert 'list="opts-act-assign_group"' in page
    assert 'list="opts-cond-customer.segment"' in page
