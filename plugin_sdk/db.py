"""The tables of plugins: the declarative base, the tenant and timestamp mixins, and row-level security.

A plugin declares its tables on :class:`Base` with :class:`TenantMixin` (``store_id``,
scoped automatically to the current store, and behind PostgreSQL's row-level
security), and ships an Alembic branch named after the plugin whose migration calls
:func:`enable_tenant_rls` for each tenant table it creates::

    from plugin_sdk.db import Base, TenantMixin

    class Note(TenantMixin, Base):
        __tablename__ = "acme_notes"
        id: Mapped[int] = mapped_column(primary_key=True)

The kernel's own models use the very same base, so a plugin's tables sit in the
kernel's metadata and sessions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from sqlalchemy import DateTime, ForeignKey, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True)}


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TenantMixin:
    """Marks a model as owned by one store.

    Adds an indexed ``store_id`` (cascading with the store) and puts the model
    behind both isolation walls. On PostgreSQL its table must also get the
    row-level security policy: call :func:`enable_tenant_rls` in the
    migration that creates it (a test checks every tenant table has it).
    """

    @declared_attr
    def store_id(cls) -> Mapped[int]:
        return mapped_column(Integer, ForeignKey("stores.id", ondelete="CASCADE"), index=True, nullable=False)



TenantModel = TenantMixin  # the name the plugin guide used first


# Row-level security statements are the kernel's (they follow its transaction settings); the kernel
# hands its functions over when it is imported, as every ``pycommerce migrate`` run does.
_rls: tuple[Callable[..., None], Callable[..., None]] | None = None


def provide_tenant_rls(enable: Callable[..., None], disable: Callable[..., None]) -> None:
    """Called by the kernel: the functions :func:`enable_tenant_rls` and :func:`disable_tenant_rls` run."""
    global _rls
    _rls = (enable, disable)


def _provided() -> tuple[Callable[..., None], Callable[..., None]]:
    if _rls is None:
        raise RuntimeError("row-level security is set up by the kernel: run plugin migrations through "
                           "`pycommerce migrate`")
    return _rls


def enable_tenant_rls(*tables: str) -> None:
    """Call from an Alembic migration after creating tenant tables; a no-op off PostgreSQL."""
    _provided()[0](*tables)


def disable_tenant_rls(*tables: str) -> None:
    """Call from a migration's downgrade before dropping tenant tables; a no-op off PostgreSQL."""
    _provided()[1](*tables)
