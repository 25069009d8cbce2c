"""Fixed-window rate limits on public endpoints, counted in the shared cache.

The cache is per-process memory in the embedded setup (one web process) and Redis in production,
so limits hold across web processes there.
"""

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


@dataclass(frozen=True)
class Limit:
    name: str
    max_hits: int
    window_seconds: int


# Documented thresholds (docs/architecture.md, "Rate limits").
LOGIN_PER_IP = Limit("login-ip", 20, 300)
LOGIN_PER_ACCOUNT = Limit("login-account", 10, 300)
API_AUTH_FAILURES_PER_IP = Limit("api-auth-ip", 30, 300)
PUBLIC_API_PER_IP = Limit("public-api-ip", 120, 60)
# POST /api/v1/inbound/email (signed mail relays): generous, a relay forwards many mails.
INBOUND_EMAIL_PER_IP = Limit("inbound-email-ip", 600, 60)
# POST /api/v1/webhooks/{shopify,woocommerce}/… (store platforms): requests refused for an
# unknown store, a missing secret or a bad signature. Platforms send from many addresses and
# never fail a signature with the right secret, so 30 failures in five minutes is someone
# guessing (or a wrong secret, which 401s would not fix either); the address then gets 429.
WEBHOOK_SIGNATURE_FAILURES_PER_IP = Limit("webhook-signature-ip", 30, 300)
# GET and POST /c/<token>/yes|no/ (customers answering a proposed solution): a person opens a
# link or two; more than 30 in five minutes is someone trying tokens.
CONFIRM_LINK_PER_IP = Limit("confirm-link-ip", 30, 300)
# Live chat widget and callbacks (docs/chat.md, "Abuse protection"). Per address and per
# visitor token: a person starts a chat or two and writes a message every few seconds at most.
CHAT_START_PER_IP = Limit("chat-start-ip", 10, 600)
CHAT_START_PER_VISITOR = Limit("chat-start-visitor", 5, 600)
CHAT_MESSAGE_PER_IP = Limit("chat-message-ip", 120, 60)
CHAT_MESSAGE_PER_VISITOR = Limit("chat-message-visitor", 30, 60)
CHAT_UPLOAD_PER_IP = Limit("chat-upload-ip", 20, 600)
CHAT_UPLOAD_PER_VISITOR = Limit("chat-upload-visitor", 10, 600)
# Leaving a message while nobody is online (becomes an e-mail ticket).
CHAT_OFFLINE_MESSAGE_PER_IP = Limit("chat-offline-ip", 10, 600)
CALLBACK_PER_IP = Limit("callback-ip", 5, 600)
CALLBACK_PER_VISITOR = Limit("callback-visitor", 3, 600)


def client_ip(request: HttpRequest) -> str:
    """The peer address; forwarded headers are not trusted (a proxy must set REMOTE_ADDR)."""
    return str(request.META.get("REMOTE_ADDR", "unknown"))


def _key(limit: Limit, subject: str) -> str:
    window = int(time.time() // limit.window_seconds)
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    return f"zabota:rl:{limit.name}:{window}:{digest}"


def hit(limit: Limit, subject: str) -> bool:
    """Count one hit; return False once the subject is over the limit in this window."""
    if settings.ZABOTA_RATE_LIMITS_OFF:
        return True
    key = _key(limit, subject)
    if cache.add(key, 1, timeout=limit.window_seconds + 1):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=limit.window_seconds + 1)
        return True
    return count <= limit.max_hits


def is_limited(limit: Limit, subject: str) -> bool:
    """True when the subject already used up this window (does not count a hit)."""
    if settings.ZABOTA_RATE_LIMITS_OFF:
        return False
    value = cache.get(_key(limit, subject))
    return value is not None and int(value) >= limit.max_hits


def retry_after(limit: Limit) -> int:
    return limit.window_seconds - int(time.time() % limit.window_seconds)


# Survey answer links /s/a/<token>/ (GET and POST): a customer opens their link a few times;
# more than 60 in five minutes is someone trying tokens.
SURVEY_TOKEN_PER_IP = Limit("survey-token-ip", 60, 300)
# Survey submissions (answer links, public link and QR, kiosk, pop-up) per address: a shop's
# kiosk cannot be answered more than once every few seconds, nor can a person on the web; 60 a
# minute leaves room for an office behind one address. (A load test must spread its clients
# over several loopback addresses, 127.0.0.2 …)
SURVEY_SUBMIT_PER_IP = Limit("survey-submit-ip", 60, 60)
# The customer portal (/portal/<store>/): asking for a sign-in link. Per address a person needs
# one link, maybe a second; more only floods someone's inbox. Per IP a shared office or a shop
# tablet may ask for a few addresses.
PORTAL_SIGN_IN_PER_IP = Limit("portal-sign-in-ip", 10, 600)
PORTAL_SIGN_IN_PER_ADDRESS = Limit("portal-sign-in-address", 3, 900)
# Opening sign-in links and answering the portal survey: more is someone trying tokens.
PORTAL_LINK_PER_IP = Limit("portal-link-ip", 30, 300)
# GET /scores/<store>/ (the public scores page of a store that publishes them): people read it
# now and then; 60 a minute from one address is a scraper, which the page's cache serves anyway.
SCORES_PAGE_PER_IP = Limit("scores-page-ip", 60, 60)
