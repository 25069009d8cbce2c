"""The workload page (leads and admins) and the sidebar's availability control."""

from django.test import Client
from django.urls import reverse

from zabota.routing.actions import availability_of, do_set_availability
from zabota.routing.constants import Availability


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_lead_sees_agents_status_and_load(world):
    """Lena sees Anna online with her active tickets against her capacity."""
    # given
    do_set_availability(world.anna, status=Availability.ONLINE, actor=world.anna)

    # when
    response = _client(world.lena).get(reverse("web:workload"))

    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-agent="anna@example.com"' in html
    assert 'data-status="online"' in html
    assert f'data-load="0/{world.anna.capacity}"' in html


def test_agent_is_refused_the_workload(world):
    assert _client(world.anna).get(reverse("web:workload")).status_code == 403


def test_availability_control_sets_the_status(world):
    """The htmx POST stores the status and answers with the control showing it."""
    # when
    response = _client(world.anna).post(
        reverse("web:availability"), {"availability": "away"}, headers={"HX-Request": "true"}
    )

    # then
    assert response.status_code == 200
    assert '<option value="away" selected>' in response.content.decode()
    assert availability_of(world.anna) == Availability.AWAY


def test_availability_control_refuses_an_unknown_status(world):
    response = _client(world.anna).post(reverse("web:availability"), {"availability": "asleep"})
    assert response.status_code == 400
    assert availability_of(world.anna) == Availability.OFFLINE


def test_plain_form_post_redirects_back_to_the_workload(world):
    """Without JavaScript the strategy form posts and returns to the page."""
    # when
    response = _client(world.lena).post(
        reverse("web:group_strategy", args=[world.support.pk]), {"strategy": "round_robin"}
    )

    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("web:workload")
    page = _client(world.lena).get(reverse("web:workload")).content.decode()
    assert 'data-strategy="round_robin"' in page


def test_sidebar_footer_puts_the_availability_beneath_the_name(world):
    """The name shares its row only with sign-out; the availability control is a line of its
    own beneath (a narrow row cut the name to "Len…")."""
    # when
    response = _client(world.anna).get(reverse("web:inbox"))

    # then
    html = response.content.decode()
    footer = html[html.index('class="sidebar-footer"') :]
    row = footer.index('class="sidebar-footer-row"')
    row_end = footer.index("</div>", row)  # the row holds no other div
    assert row < footer.index("Anna Agent") < row_end
    assert footer.index('id="availability"') > row_end
