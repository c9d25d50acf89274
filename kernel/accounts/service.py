"""Account logic: users, staff roles, sign-in sessions. No HTTP here; callers own the transaction."""

from __future__ import annotations

import asyncio
import functools
from datetime import timedelta

from sqlalchemy import DateTime, Integer, String, and_, bindparam, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.accounts.models import (AuthSession, Customer, PasswordResetToken, StaffMembership, StaffRole,
                                   StoreSecuritySettings, User)
from kernel.db import dialect_of, utcnow
from kernel.errors import Conflict, InvalidInput, PermissionDenied
from kernel.security import hash_password, new_token, token_digest, verify_password

SESSION_LIFETIME = timedelta(days=14)


async def hash_password_async(password: str) -> str:
    """argon2 costs tens to hundreds of milliseconds of CPU: run it off the event loop (it releases the GIL)."""
    return await asyncio.to_thread(hash_password, password)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(verify_password, password_hash, password)


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    return (await session.execute(select(User).where(User.email == normalize_email(email)))).scalar_one_or_none()


async def create_user(session: AsyncSession, email: str, password: str | None, *, full_name: str = "",
                      is_platform_admin: bool = False) -> User:
    if await user_by_email(session, email) is not None:
        raise Conflict("A user with this email already exists.")
    user = User(email=normalize_email(email), full_name=full_name, is_platform_admin=is_platform_admin,
                password_hash=await hash_password_async(password) if password else None)
    session.add(user)
    await session.flush()
    return user


async def grant_role(session: AsyncSession, user: User, role: StaffRole) -> StaffMembership:
    """Give a user a role in the session's store (replacing any role they had there)."""
    membership = (await session.execute(
        select(StaffMembership).where(StaffMembership.user_id == user.id))).scalar_one_or_none()
    if membership is None:
        membership = StaffMembership(user_id=user.id, role=role)
        session.add(membership)
    else:
        membership.role = role
    await session.flush()
    return membership


async def authenticate_user(session: AsyncSession, email: str, password: str) -> User | None:
    user = await user_by_email(session, email)
    if not await verify_password_async(user.password_hash if user else None, password) or user is None or not user.is_active:
        return None
    user.last_login_at = utcnow()
    return user


async def authenticate_customer(session: AsyncSession, email: str, password: str) -> Customer | None:
    """The session must be bound to the customer's store: customers exist per store."""
    customer = (await session.execute(
        select(Customer).where(Customer.email == normalize_email(email)))).scalar_one_or_none()
    if not await verify_password_async(customer.password_hash if customer else None, password) or customer is None \
            or not customer.is_active:
        return None
    customer.last_login_at = utcnow()
    return customer


async def start_session(session: AsyncSession, *, user: User | None = None, customer: Customer | None = None,
                        ip: str | None = None, user_agent: str | None = None) -> str:
    """Create a sign-in session; returns the token, which is shown once and stored only as a digest."""
    token = new_token("pcs_")
    now = utcnow()
    session.add(AuthSession(
        token_digest=token_digest(token), user_id=user.id if user else None,
        customer_id=customer.id if customer else None, store_id=customer.store_id if customer else None,
        created_at=now, expires_at=now + SESSION_LIFETIME, ip=ip, user_agent=(user_agent or "")[:300] or None,
    ))
    await session.flush()
    return token


async def end_session(session: AsyncSession, token: str) -> None:
    row = (await session.execute(
        select(AuthSession).where(AuthSession.token_digest == token_digest(token)))).scalar_one_or_none()
    if row is not None:
        await session.delete(row)


async def user_for_token(session: AsyncSession, token: str) -> tuple[AuthSession, User | None] | None:
    """The live session of a token and its user, in one statement (it runs on every API request)."""
    row = (await session.execute(
        select(AuthSession, User).outerjoin(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_digest == token_digest(token), AuthSession.expires_at > utcnow())
    )).first()
    return None if row is None else (row[0], row[1])


async def staff_sign_in_for_token(session: AsyncSession, token: str, store_id: int
                                  ) -> tuple[AuthSession, User | None, StaffRole | None, bool] | None:
    """:func:`user_for_token` plus the user's role in ``store_id`` (``None``: no membership) and whether
    that store requires staff 2FA, still in one statement: store-scoped staff routes would otherwise
    spend a second round trip on the membership. The session must be bound to ``store_id``."""
    row = (await session.execute(_staff_sign_in(), {"digest": token_digest(token), "now": utcnow(),
                                                    "store_id": store_id})).first()
    return None if row is None else (row[0], row[1], row[2], bool(row[3]))


@functools.cache
def _staff_sign_in():
    """Built once (it runs on every staff request); executions pass ``digest``, ``now``, ``store_id``."""
    return (select(AuthSession, User, StaffMembership.role, StoreSecuritySettings.require_staff_2fa)
            .outerjoin(User, User.id == AuthSession.user_id)
            .outerjoin(StaffMembership, and_(StaffMembership.user_id == AuthSession.user_id,
                                             StaffMembership.store_id == bindparam("store_id", type_=Integer)))
            .outerjoin(StoreSecuritySettings, StoreSecuritySettings.store_id == StaffMembership.store_id)
            .where(AuthSession.token_digest == bindparam("digest", type_=String),
                   AuthSession.expires_at > bindparam("now", type_=DateTime(timezone=True))))


async def end_all_sessions_of_user(session: AsyncSession, user_id: int) -> None:
    """Revoke every session of a user (after a password change, for instance)."""
    for row in (await session.execute(select(AuthSession).where(AuthSession.user_id == user_id))).scalars():
        await session.delete(row)




async def change_password(session: AsyncSession, user: User, current_password: str, new_password: str) -> None:
    """Set a new password (the current one must be right) and end every session of the user."""
    if not await verify_password_async(user.password_hash, current_password):
        raise PermissionDenied("The current password is wrong.")
    await set_password(session, user, new_password)


async def set_password(session: AsyncSession, user: User, new_password: str) -> None:
    """Replace the password and revoke all sign-ins: a thief holding a session is thrown out too."""
    user.password_hash = await hash_password_async(new_password)
    await end_all_sessions_of_user(session, user.id)
    await session.flush()


# --- Password reset -------------------------------------------------------------------------------

RESET_LIFETIME = timedelta(hours=1)


async def _issue_reset_token(session: AsyncSession, **owner: int) -> str:
    """Store a new single-use reset token (as a digest) for ``user_id=`` or ``customer_id=``; return it."""
    token = new_token("pcr_")
    now = utcnow()
    session.add(PasswordResetToken(token_digest=token_digest(token), created_at=now,
                                   expires_at=now + RESET_LIFETIME, **owner))
    await session.flush()
    return token


async def start_password_reset(session: AsyncSession, email: str) -> tuple[User, str] | None:
    """Create a single-use reset token for the account, if there is one (the caller mails it).

    Returns ``None`` for unknown or inactive accounts; the endpoint answers the same either way so
    the form cannot be used to find out who has an account.
    """
    user = await user_by_email(session, email)
    if user is None or not user.is_active:
        return None
    return user, await _issue_reset_token(session, user_id=user.id)


async def _spend_reset_token(session: AsyncSession, token: str, owner_column) -> int | None:
    """Mark a live reset token used and return its owner's id (a user's or a customer's), else ``None``.

    A conditional UPDATE spends the token atomically: two concurrent uses cannot both succeed.
    """
    now = utcnow()
    result = await session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.token_digest == token_digest(token), PasswordResetToken.used_at.is_(None),
               PasswordResetToken.expires_at > now, owner_column.is_not(None))
        .values(used_at=now).returning(owner_column)
        .execution_options(synchronize_session=False))
    return result.scalar_one_or_none()


async def finish_password_reset(session: AsyncSession, token: str, new_password: str) -> User:
    """Spend a reset token (once, before it expires) and set the new password."""
    user_id = await _spend_reset_token(session, token, PasswordResetToken.user_id)
    user = await session.get(User, user_id) if user_id is not None else None
    if user is None or not user.is_active:
        raise InvalidInput("This password reset link is invalid, used or expired; ask for a new one.")
    await set_password(session, user, new_password)
    return user


async def end_other_sessions_of_user(session: AsyncSession, user_id: int, *, keep_session_id: int | None) -> None:
    for row in (await session.execute(select(AuthSession).where(AuthSession.user_id == user_id))).scalars():
        if row.id != keep_session_id:
            await session.delete(row)


# --- Customer password reset (the session is bound to the customer's store) --------------------------

async def customer_by_email(session: AsyncSession, email: str) -> Customer | None:
    return (await session.execute(
        select(Customer).where(Customer.email == normalize_email(email)))).scalar_one_or_none()


async def start_customer_password_reset(session: AsyncSession, email: str) -> tuple[Customer, str] | None:
    customer = await customer_by_email(session, email)
    if customer is None or not customer.is_active:
        return None
    return customer, await _issue_reset_token(session, customer_id=customer.id)


async def finish_customer_password_reset(session: AsyncSession, token: str, new_password: str) -> Customer:
    """Spend a customer's reset token at their store; a token from another store is simply invalid."""
    customer_id = await _spend_reset_token(session, token, PasswordResetToken.customer_id)
    customer = None
    if customer_id is not None:  # an ORM select: scoped to the session's store by the tenant wall
        customer = (await session.execute(select(Customer).where(Customer.id == customer_id))).scalar_one_or_none()
    if customer is None or not customer.is_active:
        # Raising rolls the UPDATE back: another store's token is not spent by trying it here.
        raise InvalidInput("This password reset link is invalid, used or expired; ask for a new one.")
    customer.password_hash = await hash_password_async(new_password)
    for row in (await session.execute(select(AuthSession).where(AuthSession.customer_id == customer.id))).scalars():
        await session.delete(row)
    await session.flush()
    return customer


async def stores_of_user(session: AsyncSession, user: User, token: str) -> list[tuple[str, str, StaffRole]]:
    """(slug, name, role) of every store ``user`` works for, by slug: memberships span stores by nature.

    On PostgreSQL the crossing is ``pyc_stores_of_session`` (isolation_0001), which answers only
    for the user of a live sign-in session whose token the caller holds (``token``, the request's).
    """
    from kernel.stores.models import Store

    if dialect_of(session) == "postgresql":
        rows = await session.execute(text("SELECT slug, name, role FROM pyc_stores_of_session(:digest, :at)"),
                                     {"digest": token_digest(token), "at": utcnow()})
    else:
        rows = await session.execute(
            select(Store.slug, Store.name, StaffMembership.role).join(Store, Store.id == StaffMembership.store_id)
            .where(StaffMembership.user_id == user.id).order_by(Store.slug).execution_options(all_stores=True))
    return [(slug, name, StaffRole(role)) for slug, name, role in rows]
