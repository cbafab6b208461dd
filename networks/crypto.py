"""Encryption at rest of network credentials (tokens, secrets): Fernet, keys from settings.

CRIEUR_CREDENTIALS_KEYS holds one or more Fernet keys, comma-separated: the first
encrypts, all decrypt, so a key can be rotated (`manage.py rotate_credentials_key`).
With none set (the embedded demo), a key is derived from SECRET_KEY.
"""

import base64
import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


def _derived_key(secret: str) -> bytes:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"crieur-credentials", info=b"fernet"
    ).derive(secret.encode())
    return base64.urlsafe_b64encode(key)


@lru_cache(maxsize=8)
def _cipher(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    try:
        fernets = [Fernet(key.strip().encode()) for key in keys if key.strip()]
    except ValueError as error:
        raise ImproperlyConfigured(
            "CRIEUR_CREDENTIALS_KEYS must hold Fernet keys (32 url-safe base64 bytes), "
            "comma-separated; make one with: python -c 'from cryptography.fernet import "
            "Fernet; print(Fernet.generate_key().decode())'"
        ) from error
    if not fernets:
        fernets = [Fernet(_derived_key(secret_key))]
    return MultiFernet(fernets)


def cipher() -> MultiFernet:
    return _cipher(tuple(settings.CRIEUR_CREDENTIALS_KEYS), settings.SECRET_KEY)


def encrypt(value: dict) -> str:
    return cipher().encrypt(json.dumps(value, sort_keys=True).encode()).decode()


def decrypt(token: str) -> dict:
    try:
        return json.loads(cipher().decrypt(token.encode()))
    except InvalidToken as error:
        raise ImproperlyConfigured(
            "Stored credentials cannot be decrypted with CRIEUR_CREDENTIALS_KEYS: put the key "
            "they were encrypted with back in the list (new key first)."
        ) from error


def rotate(token: str) -> str:
    return cipher().rotate(token.encode()).decode()


class EncryptedJSONField(models.TextField):
    """A dict stored as a Fernet token: the database never holds it in clear."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return {}
        return decrypt(value)

    def to_python(self, value):
        if isinstance(value, dict) or value is None:
            return value or {}
        return decrypt(value)

    def get_prep_value(self, value):
        if not value:
            return ""
        return encrypt(value)
