"""Helpers for the accounts tests: clients from chosen IPs, a captured SMTP server, a populated store."""

from __future__ import annotations

import functools
import itertools
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from aiosmtpd.controller import Controller

from kernel.accounts.apikeys import API_SCOPES, create_api_key
from kernel.accounts.models import Customer, StaffRole
from kernel.accounts.service import create_user, grant_role, start_session
from kernel.security import hash_password
from tests.support.factory import Actor, unique
from tests.support.mail import Capture, free_port

_ips = itertools.count(1)
PASSWORD = "correct-horse-9"


def fresh_ip() -> str:
    """A client address no other test uses: throttling counters are per IP and the DB is shared."""
    n = next(_ips)
    return f"198.18.{n // 250}.{n % 250 + 1}"


@asynccontextmanager
async def client_at(app, ip: str):
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def ip_client(app):
    async with client_at(app, fresh_ip()) as c:
        yield c


@pytest.fixture
def smtp_server(app):
    """A real SMTP server (aiosmtpd) the app's mail outbox sends to during the test."""
    capture = Capture()
    port = free_port()
    controller = Controller(capture, hostname="127.0.0.1", port=port)
    controller.start()
    original = app.state.settings
    app.state.settings = original.model_copy(update={"mail_backend": "smtp", "smtp_host": "127.0.0.1",
                                                     "smtp_port": port})
    try:
        yield capture
    finally:
        app.state.settings = original
        controller.stop()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class World:
    """A store with people of every kind, and a second store with its owner."""

    store: object
    other: object
    staff: Actor
    manager: Actor
    owner: Actor
    other_owner: Actor
    customer_token: str
    key_all: str       # an API key of the store with every scope
    key_min: str       # an API key of the store with only catalog:read

    def headers(self, who: str) -> dict[str, str]:
        return {
            "anonymous": {},
            "customer": bearer(self.customer_token),
            "staff": self.staff.headers,
            "manager": self.manager.headers,
            "owner": self.owner.headers,
            "other_owner": self.other_owner.headers,
            "key_with_scope": bearer(self.key_all),
            "key_without_scope": bearer(self.key_min),
        }[who]


ROLES = ("anonymous", "customer", "staff", "manager", "owner", "other_owner", "key_with_scope", "key_without_scope")


@functools.lru_cache
def known_password_hash() -> str:
    """argon2 takes about a second per hash on a busy CI box: hash the shared test password once."""
    return hash_password(PASSWORD)


async def quick_staff(factory, store, role: str) -> Actor:
    """Like ``factory.staff`` (password ``correct-horse-9``), without paying for a fresh argon2 hash."""
    async with factory.session(None) as session:
        user = await create_user(session, f"{unique('u')}@example.com", None)
        user.password_hash = known_password_hash()
        token = await start_session(session, user=user)
    async with factory.session(store) as session:
        await grant_role(session, user, StaffRole(role))
    return Actor(user, token)


@pytest.fixture
async def world(factory) -> World:
    store = await factory.store()
    other = await factory.store()
    async with factory.session(store) as session:
        customer = Customer(email=f"{unique('c')}@example.com", password_hash=known_password_hash())
        session.add(customer)
        await session.flush()
        customer_token = await start_session(session, customer=customer)
        _, key_all = await create_api_key(session, name="all", scopes=list(API_SCOPES), created_by_user_id=None)
        _, key_min = await create_api_key(session, name="min", scopes=["catalog:read"], created_by_user_id=None)
    return World(store=store, other=other, staff=await quick_staff(factory, store, "staff"),
                 manager=await quick_staff(factory, store, "manager"), owner=await quick_staff(factory, store, "owner"),
                 other_owner=await quick_staff(factory, other, "owner"), customer_token=customer_token,
                 key_all=key_all, key_min=key_min)
