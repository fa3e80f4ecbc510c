"""Field encryption keys: django-fernet-encrypted-fields with our own key source.

The library derives its Fernet keys from SECRET_KEY × SALT_KEY; we do not want the field
keys tied to the session/JWT secret (rotating one would lose the other), so
`EncryptedCharField`/`EncryptedTextField` here take their keys from
``settings.EHOME_FIELD_ENCRYPTION_KEYS`` — Fernet keys (urlsafe base64 of 32 bytes), the
FIRST encrypts, every one decrypts (a `MultiFernet`), from the environment variable
EHOME_FIELD_ENCRYPTION_KEYS (comma-separated). Without it, the development profile and
the tests use a key derived from this install's own SECRET_KEY (never a key in code); a
production start without it is refused by the system check `organizations.E101`.

Rotation (docs/operations.md): put the new key first, keep the old ones after it, run
`manage.py rotate_field_keys` (re-encrypts in batches, resumable), then drop the old key.

Empty values are stored as NULL (never an encryption of ""), and read back as "".
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from encrypted_fields import fields as ef

_CACHE: dict[tuple[str, ...], MultiFernet] = {}


def development_key(secret: str) -> bytes:
    """The development/test key: derived from this install's SECRET_KEY."""
    digest = hashlib.sha256(b"ehome-field-encryption:" + secret.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def configured_keys() -> list[bytes]:
    keys = [k.strip() for k in getattr(settings, "EHOME_FIELD_ENCRYPTION_KEYS", []) if k.strip()]
    if keys:
        return [k.encode() for k in keys]
    if getattr(settings, "EHOME_FIELD_ENCRYPTION_DEV_KEY", False):
        return [development_key(settings.SECRET_KEY)]
    raise ImproperlyConfigured(
        "未配置字段加密密钥：请设置环境变量 EHOME_FIELD_ENCRYPTION_KEYS（见 docs/operations.md）"
    )


def multi_fernet() -> MultiFernet:
    keys = configured_keys()
    cache_key = tuple(k.decode() for k in keys)
    found = _CACHE.get(cache_key)
    if found is None:
        try:
            found = MultiFernet([Fernet(k) for k in keys])
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(
                f"EHOME_FIELD_ENCRYPTION_KEYS 中有无效的 Fernet 密钥：{exc}"
            ) from None
        _CACHE.clear()
        _CACHE[cache_key] = found
    return found


def primary_fernet() -> Fernet:
    return Fernet(configured_keys()[0])


def key_fingerprint(key: bytes | None = None) -> str:
    """A short, non-secret name of the primary key (what rotation progress is kept under)."""
    key = key or configured_keys()[0]
    return hashlib.sha256(b"fingerprint:" + key).hexdigest()[:16]


def encrypt(text: str) -> str:
    return multi_fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    return multi_fernet().decrypt(token.encode()).decode()


def is_primary(token: str) -> bool:
    """Is `token` encrypted with the current first key?"""
    try:
        primary_fernet().decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def reencrypt(token: str) -> str:
    """`token` under the first key. A value that no key opens and that is not a Fernet
    token at all (plaintext written before encryption) is encrypted as it is; a Fernet
    token that no configured key opens raises InvalidToken (a key is missing: stop)."""
    f = multi_fernet()
    try:
        return f.rotate(token.encode()).decode()
    except InvalidToken:
        if looks_like_token(token):
            raise
        return f.encrypt(token.encode()).decode()


def looks_like_token(value: str) -> bool:
    try:
        raw = base64.urlsafe_b64decode(value.encode() + b"==")
    except (ValueError, TypeError):
        return False
    return len(raw) >= 57 and raw[:1] == b"\x80"


class _Keys:
    """Replaces the library's SECRET_KEY-derived keys with ours (read per use, so a key
    change in settings — a test, a rotation — takes effect without a restart)."""

    @property
    def f(self):  # the library encrypts/decrypts through `self.f`
        return multi_fernet()

    def get_prep_value(self, value):
        if value is None or value == "":
            return None
        return super().get_prep_value(value)

    def to_python(self, value):
        if value is None:
            return ""
        return super().to_python(value)

    def from_db_value(self, value, expression, connection):
        if value is None:
            return ""
        return super().from_db_value(value, expression, connection)

    def clean(self, value, model_instance):
        """The library marks the shared field object "already decrypted" during clean and
        unmarks it only when clean succeeds — a validation error leaves every later read
        in the process returning ciphertext. A model instance holds plaintext, so clean
        needs no to_python at all: validate and return it."""
        value = "" if value is None else value
        self.validate(value, model_instance)
        self.run_validators(value)
        return value

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        return name, f"core.encryption.{type(self).__name__}", args, kwargs


class EncryptedCharField(_Keys, ef.EncryptedCharField):
    """Text encrypted at rest (the database column holds a Fernet token: `text`)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)


class EncryptedTextField(_Keys, ef.EncryptedTextField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)
