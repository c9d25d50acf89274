"""pytest fixtures for the imitations: one server per provider for the session, a fresh account per test
(accounts never see each other's objects, so tests stay independent) and no fault left over after it.

A test package uses them by importing them into its conftest:
``from tests.support.payments.fixtures import stripe_imitation, stripe_account  # noqa: F401``."""

from __future__ import annotations

import pytest

from tests.support.payments.paypal_imitation import PayPalAccount, PayPalImitation
from tests.support.payments.stripe_imitation import StripeAccount, StripeImitation


@pytest.fixture(scope="session")
def stripe_imitation():
    with StripeImitation().running() as imitation:
        yield imitation


@pytest.fixture
def stripe_account(stripe_imitation) -> StripeAccount:
    yield stripe_imitation.add_account()
    stripe_imitation.faults.clear()


@pytest.fixture(scope="session")
def paypal_imitation():
    with PayPalImitation().running() as imitation:
        yield imitation


@pytest.fixture
def paypal_account(paypal_imitation) -> PayPalAccount:
    yield paypal_imitation.add_account()
    paypal_imitation.faults.clear()
