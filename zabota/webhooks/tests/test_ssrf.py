"""Webhook URLs must reach public addresses, checked on save and again before every attempt."""

import ipaddress
import socket

import pytest

from zabota.webhooks import ssrf
from zabota.webhooks.actions import do_send_test_event
from zabota.webhooks.admin import SubscriptionForm
from zabota.webhooks.constants import DeliveryStatus
from zabota.webhooks.delivery import deliver
from zabota.webhooks.models import Delivery, Subscription

PRIVATE = [
    "http://127.0.0.1/hook",
    "http://127.1.2.3:8080/hook",
    "http://10.1.2.3/hook",
    "http://192.168.0.10/hook",
    "http://172.16.5.4/hook",
    "http://100.64.0.1/hook",  # carrier-grade NAT
    "http://169.254.10.10/hook",  # link-local
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://240.0.0.1/hook",  # reserved
    "http://[::1]/hook",
    "http://[::]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:10.0.0.1]/hook",
    "http://[fe80::1]/hook",
    "http://[fc00::1]/hook",
    "http://[ff02::1]/hook",
    "http://[2002:7f00:1::]/hook",  # 6to4 wrapping 127.0.0.1
    "http://localhost/hook",
    "http://2130706433/hook",  # 127.0.0.1 as one number
]
METADATA = [
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/",
    "http://metadata.google.internal/computeMetadata/v1/",
]


@pytest.mark.parametrize("url", PRIVATE + METADATA)
def test_private_and_metadata_addresses_are_refused(url):
    with pytest.raises(ssrf.UnsafeURL, match=r"Refused|metadata"):
        ssrf.check_url(url, allow_private=False)


@pytest.mark.parametrize("url", PRIVATE[:-2])
def test_an_admin_may_allow_private_addresses(url):
    target = ssrf.check_url(url, allow_private=True)
    assert target.path == "/hook"


@pytest.mark.parametrize("url", METADATA)
def test_metadata_addresses_stay_refused_when_private_ones_are_allowed(url):
    with pytest.raises(ssrf.UnsafeURL, match="metadata"):
        ssrf.check_url(url, allow_private=True)


@pytest.mark.parametrize(
    "url",
    ["ftp://93.184.215.14/", "file:///etc/passwd", "gopher://93.184.215.14/", "http:///x"],
)
def test_only_http_and_https_urls_with_a_host(url):
    with pytest.raises(ssrf.UnsafeURL):
        ssrf.check_url(url, allow_private=True)


def test_credentials_in_the_url_are_refused():
    with pytest.raises(ssrf.UnsafeURL, match="Credentials"):
        ssrf.check_url("https://user:pw@93.184.215.14/", allow_private=False)


def test_public_addresses_are_allowed():
    target = ssrf.check_url("https://93.184.215.14/in?a=1", allow_private=False)
    assert target == ssrf.Target("https", "93.184.215.14", 443, "/in?a=1", "93.184.215.14")
    target = ssrf.check_url("http://[2606:4700::1111]:8443/", allow_private=False)
    assert (target.address, target.port) == ("2606:4700::1111", 8443)


def test_a_name_with_any_private_address_is_refused(monkeypatch):
    """A name that resolves to a public and a private address could be steered to either."""
    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):
        if host == "hooks.shop.example":
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", 443)),
            ]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(ssrf.socket, "getaddrinfo", fake)
    with pytest.raises(ssrf.UnsafeURL, match=r"10\.0\.0\.5"):
        ssrf.check_url("https://hooks.shop.example/", allow_private=False)


def test_ipv4_mapped_ipv6_is_judged_by_its_ipv4_address():
    mapped = ipaddress.ip_address("::ffff:8.8.8.8")
    assert ssrf.refusal(mapped, allow_private=False) is None
    assert ssrf.refusal(ipaddress.ip_address("::ffff:7f00:1"), allow_private=False)


@pytest.mark.django_db
def test_the_form_refuses_a_private_url_with_a_clear_message(world):
    # given
    data = {"name": "Intranet", "url": "http://10.1.2.3/hook", "event_types": ["*"]}
    data["is_active"] = "on"
    # when
    form = SubscriptionForm(data)
    # then
    assert not form.is_valid()
    assert form.errors["url"] == ["Refused: 10.1.2.3 is a private network address."]
    # when an admin allows private network addresses
    form = SubscriptionForm({**data, "allow_private_network": "on"})
    # then
    assert form.is_valid(), form.errors
    assert form.cleaned_data["event_types"] == ["*"]


@pytest.mark.django_db
def test_an_address_that_became_private_is_refused_at_send_time(world, receiver, monkeypatch):
    """Saved while its name pointed at a public address; by the attempt it points at
    127.0.0.1: nothing is sent, and the attempt is retried later like a failed one."""
    # given
    subscription = Subscription.objects.create(
        name="Rebound", url=f"http://hooks.shop.example:{receiver.port}/", event_types=["*"]
    )
    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):
        if host == "hooks.shop.example":
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(ssrf.socket, "getaddrinfo", fake)
    delivery = do_send_test_event(subscription, actor=world.ada)
    # when
    delivery = deliver(delivery.pk)
    # then
    assert receiver.requests == []
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.error == "Refused: 127.0.0.1 is a loopback address."
    assert delivery.response_status is None


@pytest.mark.django_db
def test_the_checked_address_is_called_with_the_urls_host_header(world, receiver, monkeypatch):
    """The connection goes to the address the guard checked; the Host header keeps the name."""
    # given
    subscription = Subscription.objects.create(
        name="Named",
        url=f"http://hooks.shop.example:{receiver.port}/in",
        event_types=["*"],
        allow_private_network=True,
    )
    real = socket.getaddrinfo
    lookups = []

    def fake(host, *args, **kwargs):
        lookups.append(host)
        return real("127.0.0.1" if host == "hooks.shop.example" else host, *args, **kwargs)

    monkeypatch.setattr(ssrf.socket, "getaddrinfo", fake)
    delivery = do_send_test_event(subscription, actor=world.ada)
    # when
    delivery = deliver(delivery.pk)
    # then
    assert delivery.status == DeliveryStatus.SUCCEEDED
    [request] = receiver.requests
    assert request.headers["Host"] == f"hooks.shop.example:{receiver.port}"
    assert lookups.count("hooks.shop.example") == 1  # the connection made no second lookup
    assert Delivery.objects.get().event_type == "webhook.test"
