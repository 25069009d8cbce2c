"""The surveys section's navigation shows each person the pages they may open, and agents
reach the paper comment cards from the sidebar."""

import re

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _nav(user) -> list[str]:
    client = Client()
    client.force_login(user)
    html = client.get(reverse("web:survey_paper")).content.decode()
    found = re.search(r'<nav class="survey-nav".*?</nav>', html, re.S)
    return re.findall(r'href="([^"]+)"', found.group(0)) if found else []


def test_an_admin_sees_every_surveys_page(world):
    assert _nav(world.ada) == [
        reverse("web:surveys"),
        reverse("web:surveys_reports"),
        reverse("web:surveys_responses"),
        reverse("web:survey_invitations"),
        reverse("web:survey_paper"),
        reverse("web:survey_settings"),
    ]


def test_a_lead_sees_all_but_the_settings(world):
    assert reverse("web:survey_settings") not in _nav(world.lena)
    assert reverse("web:surveys_reports") in _nav(world.lena)


def test_an_agent_gets_no_section_navigation_but_a_sidebar_link_to_paper_cards(world):
    # when
    client = Client()
    client.force_login(world.anna)
    html = client.get(reverse("web:inbox")).content.decode()
    # then
    assert _nav(world.anna) == []
    assert f'href="{reverse("web:survey_paper")}"' in html
    assert f'href="{reverse("web:surveys")}"' not in html
