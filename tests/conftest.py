"""Session-wide fixtures: real infrastructure for integration and end-to-end tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.infra import Endpoints, endpoints


@pytest.fixture(scope="session")
def infra() -> Iterator[Endpoints]:
    with endpoints() as found:
        yield found


@pytest.fixture
def unique() -> str:
    """A short unique suffix so tests never see each other's data."""
    return uuid.uuid4().hex[:10]
