"""Two-factor authentication for staff: TOTP (RFC 6238) with one-time recovery codes.

Enrolment is two steps — ``enroll`` stores a fresh seed (encrypted with SecretBox) and returns the
otpauth URI and a QR code; ``confirm`` activates it once the user proves the authenticator works,
and returns recovery codes, shown once and stored as digests. Once active, sign-in needs a code.
"""

from __future__ import annotations

import io
import secrets
import time
from datetime import timedelta

import pyotp
import segno
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.accounts.models import LoginChallenge, RecoveryCode, TotpCredential, User
from kernel.config import Settings
from kernel.db import as_utc, utcnow
from kernel.errors import Conflict, InvalidInput, NotAuthenticated
from kernel.security import SecretBox, new_token, token_digest

ISSUER = "PyCommerce"
RECOVERY_CODES = 10
CHALLENGE_LIFETIME = timedelta(minutes=5)
CHALLENGE_ATTEMPTS = 5
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes (0/o, 1/l/i)


def secret_box(settings: Settings) -> SecretBox:
    return SecretBox(settings.secret_key.get_secret_value(),
                     [k.get_secret_value() for k in settings.previous_secret_keys])


def _normalize_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isascii() and ch.isalnum())


async def credential(session: AsyncSession, user_id: int) -> TotpCredential | None:
    return (await session.execute(select(TotpCredential).where(TotpCredential.user_id == user_id))).scalar_one_or_none()


async def is_enrolled(session: AsyncSession, user_id: int) -> bool:
    cred = await credential(session, user_id)
    return cred is not None and cred.confirmed_at is not None


async def enroll(session: AsyncSession, settings: Settings, user: User) -> tuple[str, str, str]:
    """Start (or restart) enrolment; returns (secret, otpauth URI, QR code as SVG)."""
    cred = await credential(session, user.id)
    if cred is not None and cred.confirmed_at is not None:
        raise Conflict("Two-factor authentication is already active; disable it first to re-enrol.")
    secret = pyotp.random_base32()
    encrypted = secret_box(settings).encrypt(secret)
    if cred is None:
        session.add(TotpCredential(user_id=user.id, secret_encrypted=encrypted, created_at=utcnow()))
    else:
        cred.secret_encrypted, cred.created_at, cred.last_used_step = encrypted, utcnow(), None
    await session.flush()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=4, xmldecl=False)
    return secret, uri, buffer.getvalue().decode()


async def _verify_totp(session: AsyncSession, settings: Settings, cred: TotpCredential, code: str) -> bool:
    """Accept a code of the current, previous or next 30 s step, never the same step twice."""
    code = _normalize_code(code)
    if not code.isdigit() or len(code) != 6:
        return False
    totp = pyotp.TOTP(secret_box(settings).decrypt(cred.secret_encrypted))
    step_now = int(time.time()) // 30
    for step in (step_now - 1, step_now, step_now + 1):
        if secrets.compare_digest(totp.at(step * 30), code):
            if cred.last_used_step is not None and step <= cred.last_used_step:
                return False
            cred.last_used_step = step
            await session.flush()
            return True
    return False


async def confirm(session: AsyncSession, settings: Settings, user: User, code: str) -> list[str]:
    """Activate two-factor with a first valid code; returns fresh recovery codes (shown once)."""
    cred = await credential(session, user.id)
    if cred is None:
        raise Conflict("Start enrolment first (POST /api/v1/auth/2fa/enroll).")
    if cred.confirmed_at is not None:
        raise Conflict("Two-factor authentication is already active.")
    if not await _verify_totp(session, settings, cred, code):
        raise InvalidInput("The code is not valid; check the authenticator's clock and try again.")
    cred.confirmed_at = utcnow()
    return await new_recovery_codes(session, user)


async def new_recovery_codes(session: AsyncSession, user: User) -> list[str]:
    """Replace the user's recovery codes with fresh ones."""
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["-".join("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(2))
             for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user.id, code_digest=token_digest(_normalize_code(c))) for c in codes)
    await session.flush()
    return codes


async def disable(session: AsyncSession, settings: Settings, user: User, code: str) -> None:
    cred = await credential(session, user.id)
    if cred is None or cred.confirmed_at is None:
        raise Conflict("Two-factor authentication is not active.")
    if not await verify_second_factor(session, settings, user.id, code):
        raise InvalidInput("The code is not valid.")
    await session.delete(cred)
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


async def verify_second_factor(session: AsyncSession, settings: Settings, user_id: int, code: str) -> bool:
    """A TOTP code or an unused recovery code (spent atomically: a code works once)."""
    cred = await credential(session, user_id)
    if cred is None or cred.confirmed_at is None:
        return False
    if await _verify_totp(session, settings, cred, code):
        return True
    normalized = _normalize_code(code)
    if len(normalized) != 10:
        return False
    # Look before spending: a failed attempt must not write (on SQLite even a no-op UPDATE takes the
    # database write lock, which the throttle's own transaction then waits for).
    found = (await session.execute(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None),
        RecoveryCode.code_digest == token_digest(normalized)))).first()
    if found is None:
        return False
    spent = await session.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None),
                                   RecoveryCode.code_digest == token_digest(normalized))
        .values(used_at=utcnow()).execution_options(synchronize_session=False))
    return spent.rowcount == 1


# --- The two-step sign-in ---------------------------------------------------------------------------

async def start_challenge(session: AsyncSession, user: User) -> str:
    token = new_token("pch_")
    session.add(LoginChallenge(token_digest=token_digest(token), user_id=user.id,
                               expires_at=utcnow() + CHALLENGE_LIFETIME))
    await session.flush()
    return token


async def challenge_user(session: AsyncSession, token: str) -> LoginChallenge:
    """The live challenge for a token, counting this attempt (a challenge allows a few tries only)."""
    challenge = (await session.execute(
        select(LoginChallenge).where(LoginChallenge.token_digest == token_digest(token)))).scalar_one_or_none()
    if challenge is None or challenge.used_at is not None or as_utc(challenge.expires_at) <= utcnow() \
            or challenge.attempts >= CHALLENGE_ATTEMPTS:
        raise NotAuthenticated("The sign-in challenge is invalid or has expired; sign in again.")
    return challenge
