"""Password hashing, opaque tokens, and encryption of secrets at rest.

* Passwords: argon2id (argon2-cffi defaults), rehashed when parameters change.
* Tokens (sessions, API keys, reset links): random, shown once, stored as a
  SHA-256 digest, so a database leak yields nothing usable.
* Secrets at rest (plugin API keys, TOTP seeds): Fernet with a key derived from
  the deployment's secret key. Older keys stay accepted for decryption
  (``PYCOMMERCE_PREVIOUS_SECRET_KEYS``) so the key can be rotated without losing data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

_hasher = PasswordHasher()
# Verified against when the account does not exist, so timing does not reveal which emails are registered.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_token(prefix: str = "", nbytes: int = 32) -> str:
    return prefix + secrets.token_urlsafe(nbytes)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _fernet_key(secret: str) -> bytes:
    derived = hashlib.sha256(b"pycommerce-secrets-at-rest:" + secret.encode()).digest()
    return base64.urlsafe_b64encode(derived)


class SecretBox:
    """Encrypts with the current key, decrypts with the current or any previous key."""

    def __init__(self, secret_key: str, previous_keys: list[str] | tuple[str, ...] = ()):
        self._fernet = MultiFernet([Fernet(_fernet_key(k)) for k in (secret_key, *previous_keys)])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise ValueError("cannot decrypt: encrypted with an unknown key") from None

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt under the current key (used by ``pycommerce secrets rotate``)."""
        return self._fernet.rotate(ciphertext.encode()).decode()


def mask(value: str | None, visible: int = 4) -> str | None:
    if not value:
        return value
    return "•" * 8 + value[-visible:] if len(value) > visible * 3 else "•" * 8
