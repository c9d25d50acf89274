import httpx
import pytest

from tests.support.payments.fixtures import (  # noqa: F401 - fixtures for the tests here
    paypal_account,
    paypal_imitation,
    stripe_account,
    stripe_imitation,
)


@pytest.fixture(scope="session")
def http_transport() -> httpx.HTTPTransport:
    """Shared by the tests' httpx clients: each new transport builds a TLS context, most of a call's cost."""
    with httpx.HTTPTransport() as transport:
        yield transport


@pytest.fixture(scope="session")
def http(http_transport) -> httpx.Client:
    """For one-off calls."""
    return httpx.Client(transport=http_transport, timeout=5)
