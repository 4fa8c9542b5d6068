"""Property-based tests of intake's published OpenAPI against the live service: authenticated, a bounded
number of examples per operation; no 5xx, and every documented answer matches its schema."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from denialops_intake.main import bootstrap
from denialops_intake.settings import IntakeSettings
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e

MAX_EXAMPLES = 25
# The schema the service publishes, built from the same code without connecting to anything (the test
# below checks that the live service publishes exactly this).
OPENAPI = bootstrap(IntakeSettings()).openapi()
# The event stream stays open while its case runs: tests/e2e/test_security.py covers it.
schema = schemathesis.openapi.from_dict(OPENAPI).exclude(path_regex=r".*/events$")


def test_the_live_service_publishes_the_schema_under_test(stack: Stack) -> None:
    assert httpx.get(f"{stack.intake}/openapi.json").json() == OPENAPI


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_intake_api_conforms_to_its_schema(case: schemathesis.Case[Any], stack: Stack) -> None:
    case.call_and_validate(
        base_url=stack.intake,
        headers=stack.auth(),
        timeout=30,
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )
