from typing import Any

from django.db import models

from zabota.core.crypto import decrypt, encrypt


class EncryptedTextField(models.TextField):
    """A text column stored encrypted (Fernet); Python code sees the plain value."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        return None if value is None else decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(str(value))
