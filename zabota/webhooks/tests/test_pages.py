"""The webhook pages of the agent UI: admins list, create and edit subscriptions (secret shown
once, SSRF guard), rotate secrets, send test events, and read, filter and retry the delivery
log; leads and agents get a 403 everywhere."""

import pytest
from django.urls import reverse

from zabota.core import event_types
from zabota.webhooks.access import (
    access_delivery_by_id,
    access_subscription_by_id,
    can_manage_webhooks,
    check_webhooks_access,
)
from zabota.webhooks.constants import (
    DELIVERIES_PER_PAGE,
    EVENT_TYPE_LABELS,
    TEST_EVENT,
    DeliveryStatus,
)
from zabota.webhooks.error_codes import WebhookError, WebhookErrorCode
from zabota.webhooks.models import Delivery, Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada_client(client, world):
    client.force_login(world.ada)
    return client


def _form(world, receiver, **overrides):
    data = {
        "name": "Shop backend",
        "store": str(world.store.pk),
        "url": receiver.url,
        "event_types": [event_types.TICKET_CREATED, event_types.ORDER_CREATED],
        "is_active": "on",
        "allow_private_network": "on",
    }
    data.update(overrides)
    return data


def _delivery(subscription, status, *, error="", n=1) -> list[Delivery]:
    return [
        Delivery.objects.create(
            subscription=subscription,
            event_type="ticket.created",
            payload={"type": "ticket.created", "data": {"ticket_id": i}},
            status=status,
            attempts=8 if status == DeliveryStatus.FAILED else 1,
            error=error,
            response_status=500 if error else 200,
            response_excerpt="boom" if error else "ok",
        )
        for i in range(n)
    ]


# Access, per role


def test_only_admins_manage_webhooks(world, subscription):
    # then
    assert can_manage_webhooks(world.ada)
    assert access_subscription_by_id(world.ada, subscription.pk) == subscription
    for user in (world.lena, world.anna):
        assert not can_manage_webhooks(user)
        with pytest.raises(WebhookError) as error:
            check_webhooks_access(user)
        assert error.value.code == WebhookErrorCode.NOT_ALLOWED
        with pytest.raises(WebhookError):
            access_subscription_by_id(user, subscription.pk)
    world.ada.is_active = False
    assert not can_manage_webhooks(world.ada)


def test_a_delivery_is_reached_only_through_its_subscription(world, subscription):
    # given
    [delivery] = _delivery(subscription, DeliveryStatus.FAILED)
    other = Subscription.objects.create(name="CRM", url="https://crm.example.com/")
    # then
    assert access_delivery_by_id(world.ada, subscription, delivery.pk) == delivery
    with pytest.raises(Delivery.DoesNotExist):
        access_delivery_by_id(world.ada, other, delivery.pk)
    with pytest.raises(WebhookError):
        access_delivery_by_id(world.anna, subscription, delivery.pk)


@pytest.mark.parametrize("persona", ["lena", "anna"])
def test_leads_and_agents_get_403_on_every_webhook_page(world, client, subscription, persona):
    # given
    [delivery] = _delivery(subscription, DeliveryStatus.FAILED)
    client.force_login(getattr(world, persona))
    pk = subscription.pk
    gets = [
        reverse("web:webhooks"),
        reverse("web:webhook_new"),
        reverse("web:webhook", args=[pk]),
        reverse("web:webhook_deliveries", args=[pk]),
    ]
    posts = [
        reverse("web:webhook_new"),
        reverse("web:webhook", args=[pk]),
        reverse("web:webhook_rotate", args=[pk]),
        reverse("web:webhook_test", args=[pk]),
        reverse("web:webhook_retry", args=[pk, delivery.pk]),
    ]
    old_secret = subscription.secret
    # then
    for url in gets:
        assert client.get(url).status_code == 403, url
    for url in posts:
        assert (
            client.post(url, {"name": "Hijack", "url": "https://evil.example/"}).status_code == 403
        )
    subscription.refresh_from_db()
    assert (subscription.name, subscription.secret) == ("Shop backend", old_secret)
    assert Delivery.objects.count() == 1
    assert Delivery.objects.get().status == DeliveryStatus.FAILED


def test_signed_out_visitors_are_sent_to_sign_in(client, subscription):
    response = client.get(reverse("web:webhooks"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# The list


def test_the_list_shows_last_status_and_failures_of_the_last_day(
    world, ada_client, subscription, django_assert_max_num_queries
):
    # given: two deliveries failing (one still retried), one old failure, then a success
    failing = _delivery(subscription, DeliveryStatus.FAILED, error="HTTP 500")
    failing += _delivery(subscription, DeliveryStatus.PENDING, error="timed out")
    [old] = _delivery(subscription, DeliveryStatus.FAILED, error="HTTP 500")
    Delivery.objects.filter(pk=old.pk).update(
        updated_at=old.updated_at.replace(year=old.updated_at.year - 1)
    )
    _delivery(subscription, DeliveryStatus.SUCCEEDED)
    Subscription.objects.create(name="Quiet", url="https://q.example.com/", event_types=["*"])
    ada_client.get(reverse("web:webhooks"))  # the sidebar's counts are cached from now on
    # when: the session, the user, the sidebar's cached lookups, and one for the whole list
    with django_assert_max_num_queries(5):
        response = ada_client.get(reverse("web:webhooks"))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    shop = html[html.index('data-subscription="Shop backend"') :]
    assert 'data-last-status="succeeded"' in shop[: shop.index("</tr>")]
    assert 'data-failures="2"' in shop[: shop.index("</tr>")]
    quiet = html[html.index('data-subscription="Quiet"') :]
    assert 'data-failures="0"' in quiet[: quiet.index("</tr>")]
    assert "All events" in quiet[: quiet.index("</tr>")]
    assert "New subscription" in html


# Create and edit


def test_admin_creates_a_subscription_and_sees_the_secret_once(world, ada_client, receiver):
    # when
    form = ada_client.get(reverse("web:webhook_new"))
    response = ada_client.post(reverse("web:webhook_new"), _form(world, receiver))
    # then
    assert form.status_code == 200
    assert str(EVENT_TYPE_LABELS[event_types.SLA_BREACHED]) in form.content.decode()
    assert response.status_code == 200
    subscription = Subscription.objects.get()
    assert subscription.created_by == world.ada
    assert subscription.store == world.store
    assert subscription.event_types == ["ticket.created", "order.created"]
    assert subscription.allow_private_network
    html = response.content.decode()
    assert "data-new-secret" in html
    assert subscription.secret in html
    assert subscription.secret not in str(response.cookies)
    edit = ada_client.get(reverse("web:webhook", args=[subscription.pk]))
    assert subscription.secret not in edit.content.decode()


def test_a_private_url_is_refused_with_a_clear_message(world, ada_client, receiver):
    # when
    response = ada_client.post(
        reverse("web:webhook_new"), _form(world, receiver, allow_private_network="")
    )
    # then
    assert response.status_code == 400
    assert "Refused: 127.0.0.1 is a loopback address." in response.content.decode()
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"event_types": []}, "Choose at least one event type."),
        ({"url": "ftp://example.com/x"}, "Only http and https URLs can receive webhooks."),
        ({"url": "not a url"}, "Enter a valid URL."),
        ({"url": "http://169.254.169.254/latest/"}, "is a cloud metadata address"),
        ({"name": ""}, "This field is required."),
    ],
)
def test_the_form_names_what_is_wrong(world, ada_client, receiver, overrides, message):
    response = ada_client.post(reverse("web:webhook_new"), _form(world, receiver, **overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Subscription.objects.exists()


def test_admin_edits_a_subscription_and_all_events_wins(world, ada_client, receiver, subscription):
    # given
    secret = subscription.secret
    # when
    response = ada_client.post(
        reverse("web:webhook", args=[subscription.pk]),
        _form(
            world,
            receiver,
            name="Shop",
            store="",
            event_types=["*", "ticket.created"],
            is_active="",
        ),
    )
    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("web:webhooks")
    subscription.refresh_from_db()
    assert (subscription.name, subscription.store, subscription.is_active) == ("Shop", None, False)
    assert subscription.event_types == ["*"]
    assert subscription.secret == secret


def test_admin_rotates_the_secret_and_sees_the_new_one_once(world, ada_client, subscription):
    # given
    old = subscription.secret
    # when
    response = ada_client.post(reverse("web:webhook_rotate", args=[subscription.pk]))
    # then
    subscription.refresh_from_db()
    assert subscription.secret != old
    assert len(subscription.secret) >= 40
    assert subscription.secret in response.content.decode()
    assert ada_client.get(reverse("web:webhook_rotate", args=[subscription.pk])).status_code == 405


# Test event, log, retry


def test_admin_sends_a_test_event_and_finds_it_in_the_log(
    world, ada_client, receiver, subscription, django_capture_on_commit_callbacks
):
    # given: a paused subscription still gets its test ping
    subscription.is_active = False
    subscription.save()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = ada_client.post(reverse("web:webhook_test", args=[subscription.pk]))
    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("web:webhook_deliveries", args=[subscription.pk])
    [request] = receiver.requests
    assert request.headers["X-Zabota-Event"] == TEST_EVENT
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    log = ada_client.get(response["Location"]).content.decode()
    assert f'data-delivery="{delivery.pk}" data-status="succeeded"' in log
    assert "webhook.test" in log
    assert "&quot;subscription&quot;: &quot;Shop backend&quot;" in log  # the request body
    assert "answer 200" in log  # the response excerpt


def test_the_log_is_newest_first_paginated_and_filtered_by_status(world, ada_client, subscription):
    # given
    failed = _delivery(subscription, DeliveryStatus.FAILED, error="HTTP 500", n=2)
    succeeded = _delivery(subscription, DeliveryStatus.SUCCEEDED, n=DELIVERIES_PER_PAGE)
    url = reverse("web:webhook_deliveries", args=[subscription.pk])
    # when
    first = ada_client.get(url).content.decode()
    second = ada_client.get(url + "?page=2").content.decode()
    only_failed = ada_client.get(url + "?status=failed").content.decode()
    # then
    assert first.count("data-delivery=") == DELIVERIES_PER_PAGE
    assert f'data-delivery="{succeeded[-1].pk}"' in first
    assert first.index(f'data-delivery="{succeeded[-1].pk}"') < first.index(
        f'data-delivery="{succeeded[-2].pk}"'
    )
    assert f'data-delivery="{failed[0].pk}"' in second
    assert only_failed.count("data-delivery=") == 2
    assert only_failed.count("data-retry=") == 2
    assert "HTTP 500" in only_failed


def test_admin_retries_a_failed_delivery_now(
    world, ada_client, receiver, subscription, django_capture_on_commit_callbacks
):
    # given
    [failed] = _delivery(subscription, DeliveryStatus.FAILED, error="HTTP 500")
    [done] = _delivery(subscription, DeliveryStatus.SUCCEEDED)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = ada_client.post(
            reverse("web:webhook_retry", args=[subscription.pk, failed.pk]), follow=True
        )
        refused = ada_client.post(
            reverse("web:webhook_retry", args=[subscription.pk, done.pk]), follow=True
        )
    # then
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.error) == (DeliveryStatus.SUCCEEDED, 1, "")
    assert len(receiver.requests) == 1
    assert f"Delivery {failed.pk} queued again." in response.content.decode()
    assert "Only failed deliveries can be retried." in refused.content.decode()
    done.refresh_from_db()
    assert done.attempts == 1


def test_a_delivery_of_another_subscription_is_not_found(world, ada_client, subscription):
    # given
    other = Subscription.objects.create(name="CRM", url="https://crm.example.com/")
    [delivery] = _delivery(other, DeliveryStatus.FAILED)
    # when
    response = ada_client.post(reverse("web:webhook_retry", args=[subscription.pk, delivery.pk]))
    # then
    assert response.status_code == 404
    assert ada_client.get(reverse("web:webhook", args=[999999])).status_code == 404


def test_every_event_type_has_a_readable_label():
    assert set(EVENT_TYPE_LABELS) == set(event_types.EVENT_TYPES)
