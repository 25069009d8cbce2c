"""Encryption at rest for secrets kept in the database (mailbox passwords, webhook secrets).

The key is ``ZABOTA_ENCRYPTION_KEY`` (a Fernet key) if set, otherwise derived from SECRET_KEY with
HKDF, so the embedded setup needs no extra configuration. Rotating SECRET_KEY without setting
ZABOTA_ENCRYPTION_KEY makes stored secrets unreadable: set the explicit key in production.
"""

import base64
import os
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "fernet:"


@cache
def _fernet(secret_key: str, explicit: str) -> Fernet:
    if explicit:
        return Fernet(explicit.encode())
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"zabota-at-rest", info=b"fernet"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def fernet() -> Fernet:
    return _fernet(settings.SECRET_KEY, os.environ.get("ZABOTA_ENCRYPTION_KEY", ""))


def encrypt(plain: str) -> str:
    return PREFIX + fernet().encrypt(plain.encode()).decode()


class DecryptionError(ValueError):
    pass


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        return stored  # written before encryption was configured; re-encrypted on next save
    try:
        return fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("Stored secret cannot be decrypted with the current key") from exc
