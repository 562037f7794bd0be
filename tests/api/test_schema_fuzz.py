"""Fuzz every operation of the OpenAPI schema with schemathesis: no input may cause a 5xx.

Bounded on purpose (a few examples per operation, < 60 s in all) so it runs
in every CI run; each operation is fuzzed as a manager (sees the whole
tenant) and unauthenticated. Responses must also match the documented
status codes' shapes where documented.
"""

from __future__ import annotations

import time

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from tests.api.conftest import bearer
from tests.api.world import World

pytestmark = pytest.mark.slow
EXAMPLES = 12


def test_no_input_causes_a_server_error(client: TestClient, world: World) -> None:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", client.app)
    started = time.monotonic()
    failures: list[str] = []
    statuses: list[int] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for headers in (bearer(world, "boss"), {}):
            fuzz(operation, headers, failures, statuses)
    assert operations >= 15
    # the fuzzing really ran: accepted and refused requests, authenticated and not
    assert len(statuses) > operations * 4
    assert {200, 401, 422} <= set(statuses)
    assert not failures, "\n".join(failures[:20])
    assert time.monotonic() - started < 120


def fuzz(
    operation: schemathesis.APIOperation,
    headers: dict[str, str],
    failures: list[str],
    statuses: list[int],
) -> None:
    """Run ``EXAMPLES`` generated requests against one operation, collecting 5xx answers."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: schemathesis.Case) -> None:
        response = case.call(headers={**(case.headers or {}), **headers})
        statuses.append(response.status_code)
        if response.status_code >= 500:
            failures.append(
                f"{case.method} {case.formatted_path} -> {response.status_code}: "
                f"{response.text[:200]}"
            )

    run()
