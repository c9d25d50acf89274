"""Account logic: users, staff roles, sign-in sessions. No HTTP here; callers own the transaction."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.accounts.models import AuthSession, Customer, StaffMembership, StaffRole, User
from kernel.db import utcnow
from kernel.errors import Conflict
from kernel.security import hash_password, new_token, token_digest, verify_password

SESSION_LIFETIME = timedelta(days=14)


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    return (await session.execute(select(User).where(User.email == normalize_email(email)))).scalar_one_or_none()


async def create_user(session: AsyncSession, email: str, password: str | None, *, full_name: str = "",
                      is_platform_admin: bool = False) -> User:
    if await user_by_email(session, email) is not None:
        raise Conflict("A user with this email already exists.")
    user = User(email=normalize_email(email), full_name=full_name, is_platform_admin=is_platform_admin,
                password_hash=hash_password(password) if password else None)
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
    if not verify_password(user.password_hash if user else None, password) or user is None or not user.is_active:
        return None
    user.last_login_at = utcnow()
    return user


async def authenticate_customer(session: AsyncSession, email: str, password: str) -> Customer | None:
    """The session must be bound to the customer's store: customers exist per store."""
    customer = (await session.execute(
        select(Customer).where(Customer.email == normalize_email(email)))).scalar_one_or_none()
    if not verify_password(customer.password_hash if customer else None, password) or customer is None \
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


async def session_for_token(session: AsyncSession, token: str) -> AuthSession | None:
    row = (await session.execute(
        select(AuthSession).where(AuthSession.token_digest == token_digest(token)))).scalar_one_or_none()
    if row is None or row.expires_at.replace(tzinfo=row.expires_at.tzinfo or utcnow().tzinfo) <= utcnow():
        return None
    return row


async def user_for_token(session: AsyncSession, token: str) -> tuple[AuthSession, User | None] | None:
    """The live session of a token and its user, in one statement (it runs on every API request)."""
    row = (await session.execute(
        select(AuthSession, User).outerjoin(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_digest == token_digest(token), AuthSession.expires_at > utcnow())
    )).first()
    return None if row is None else (row[0], row[1])


async def end_all_sessions_of_user(session: AsyncSession, user_id: int) -> None:
    """Revoke every session of a user (after a password change, for instance)."""
    for row in (await session.execute(select(AuthSession).where(AuthSession.user_id == user_id))).scalars():
        await session.delete(row)
