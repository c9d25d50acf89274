"""Store staff management and customer accounts (services; the store is the session's bound store)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.accounts.models import Customer, StaffMembership, StaffRole, StoreSecuritySettings, TotpCredential
from kernel.accounts.service import create_user, hash_password_async, normalize_email, user_by_email
from kernel.errors import Conflict, NotFound
from kernel.events import emit_event
from plugin_sdk.events import CustomerCreated


async def list_staff(session: AsyncSession) -> list[tuple[StaffMembership, bool]]:
    """Memberships with their users and whether each has two-factor on, in one statement."""
    has_2fa = (select(TotpCredential.id).where(TotpCredential.user_id == StaffMembership.user_id,
                                               TotpCredential.confirmed_at.is_not(None)).exists())
    rows = (await session.execute(select(StaffMembership, has_2fa).order_by(StaffMembership.id))).all()
    return [(m, bool(flag)) for m, flag in rows]


async def membership(session: AsyncSession, user_id: int) -> StaffMembership:
    found = (await session.execute(
        select(StaffMembership).where(StaffMembership.user_id == user_id))).scalar_one_or_none()
    if found is None:
        raise NotFound("No such staff member in this store.")
    return found


async def add_staff(session: AsyncSession, email: str, role: StaffRole, full_name: str = "") -> tuple[StaffMembership, bool]:
    """Give an existing user a role here, or create an account with no password (an invitation).

    Returns the membership and whether the account is new (the caller mails a set-password link).
    """
    user = await user_by_email(session, email)
    invited = user is None
    if user is None:
        user = await create_user(session, email, None, full_name=full_name)
    elif (await session.execute(select(StaffMembership.id).where(StaffMembership.user_id == user.id))).first():
        raise Conflict("This person already works for this store; change their role instead.")
    member = StaffMembership(user_id=user.id, role=role)
    session.add(member)
    await session.flush()
    await session.refresh(member, ["user"])
    return member, invited


async def _owners(session: AsyncSession) -> int:
    return (await session.execute(select(func.count()).select_from(StaffMembership)
                                  .where(StaffMembership.role == StaffRole.owner))).scalar_one()


async def change_role(session: AsyncSession, member: StaffMembership, role: StaffRole) -> StaffMembership:
    if member.role == StaffRole.owner and role != StaffRole.owner and await _owners(session) <= 1:
        raise Conflict("A store keeps at least one owner: make someone else owner first.")
    member.role = role
    await session.flush()
    return member


async def remove_staff(session: AsyncSession, member: StaffMembership) -> None:
    if member.role == StaffRole.owner and await _owners(session) <= 1:
        raise Conflict("A store keeps at least one owner: make someone else owner first.")
    await session.delete(member)
    await session.flush()


async def security_settings(session: AsyncSession, *, create: bool = False) -> StoreSecuritySettings:
    """The store's policy row; a transient default when none exists (reads never write)."""
    row = (await session.execute(select(StoreSecuritySettings))).scalar_one_or_none()
    if row is None and not create:
        return StoreSecuritySettings(require_staff_2fa=False)
    if row is None:
        row = StoreSecuritySettings(require_staff_2fa=False)
        session.add(row)
        await session.flush()
    return row


# --- Customers ------------------------------------------------------------------------------------

async def register_customer(session: AsyncSession, email: str, password: str, full_name: str = "") -> Customer:
    """A customer account in the session's store; the same email may exist at any other store."""
    email = normalize_email(email)
    if (await session.execute(select(Customer.id).where(Customer.email == email))).first():
        raise Conflict("An account with this email already exists in this store; sign in instead.")
    customer = Customer(email=email, full_name=full_name, password_hash=await hash_password_async(password))
    try:
        async with session.begin_nested():  # two simultaneous sign-ups: the loser gets 409, not 500
            session.add(customer)
            await session.flush()
    except IntegrityError:
        raise Conflict("An account with this email already exists in this store; sign in instead.") from None
    await emit_event(session, CustomerCreated(customer_id=customer.id, email=customer.email,
                                              full_name=customer.full_name))
    return customer


async def list_customers(session: AsyncSession, *, after: int | None, limit: int) -> list[Customer]:
    query = select(Customer).order_by(Customer.id).limit(limit)
    if after is not None:
        query = query.where(Customer.id > after)
    return list((await session.execute(query)).scalars())


