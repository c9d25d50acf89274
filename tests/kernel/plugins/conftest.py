from __future__ import annotations

import pytest

from tests.support.plugins import registered


@pytest.fixture
def greeter():
    with registered("greeter") as module:
        yield module


@pytest.fixture
def sneaky():
    with registered("sneaky") as module:
        yield module


@pytest.fixture
def probe():
    with registered("probe") as module:
        yield module
