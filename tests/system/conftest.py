"""System tests: a deployment of their own, broken on purpose. Loopback only, bounded in time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.system.harness import Deployment

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    stack = Deployment.create(tmp_path_factory.mktemp("system"))
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
