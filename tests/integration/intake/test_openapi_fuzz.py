"""Schemathesis against intake's own OpenAPI: generated requests never get a 5xx.

Routing and intake run as real processes here (the calls are synchronous).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from kandoo.intake.settings import DEV_OPEN311_KEY
from tests.conftest import Servers
from tests.integration.intake.conftest import SECRET
from tests.integration.routing.conftest import DIRECTORY
from tests.ports import free_port


@pytest.fixture(scope="module")
def intake_url(servers: Servers) -> Iterator[str]:
    unique = os.urandom(5).hex()
    port = free_port()
    env = os.environ | {
        "KANDOO_ENV": "test",
        "KANDOO_KAFKA_BOOTSTRAP": servers.kafka_bootstrap,
        "KANDOO_MONGODB_URL": servers.mongodb_url,
        "KANDOO_MONGODB_DB": f"test_fuzz_{unique}",
        "KANDOO_TOPIC_PREFIX": f"test.{unique}.",
        "KANDOO_DIRECTORY": DIRECTORY,
        "KANDOO_JWT_SECRET": SECRET,
        "KANDOO_PARTITIONS": "3",
        "KANDOO_WAIT_BUDGET_S": "1",
        "KANDOO_RATE_PER_MINUTE_IP": "1000000",
        "KANDOO_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    routing = subprocess.Popen(
        [sys.executable, "-m", "kandoo.routing", "run"],
        env=env | {"PORT": str(free_port())},
        stderr=subprocess.DEVNULL,
    )
    intake = subprocess.Popen(
        [sys.executable, "-m", "kandoo.intake"],
        env=env | {"PORT": str(port)},
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{url}/readyz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        for proc in (intake, routing):
            proc.terminate()
            proc.wait(30)


def test_generated_requests_never_get_a_server_error(intake_url: str) -> None:
    # Each operation of the schema, driven by hypothesis directly: schemathesis' pytest
    # plugin does not run under pytest 9 yet.
    schema = schemathesis.openapi.from_url(f"{intake_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 20

    statuses: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
        def no_server_error(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
            response = case.call_and_validate(checks=[not_a_server_error], timeout=15)
            statuses.append(response.status_code)

        no_server_error()
    assert len(statuses) >= 5 * len(operations)
    assert any(200 <= s < 300 for s in statuses)  # not only refusals


def test_generated_open311_forms_are_answered_in_the_spec_format_never_a_server_error(
    intake_url: str,
) -> None:
    schema = schemathesis.openapi.from_url(f"{intake_url}/openapi.json")
    [form] = [
        op
        for op in (result.ok() for result in schema.get_all_operations())  # type: ignore[union-attr]
        if op.method.upper() == "POST" and op.path.startswith("/open311/")
    ]
    statuses: list[int] = []

    @given(case=form.as_strategy())
    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
    def answered(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
        if isinstance(case.body, dict) and len(statuses) % 4:  # most with a valid key
            case.body["api_key"] = DEV_OPEN311_KEY
        response = case.call_and_validate(checks=[not_a_server_error], timeout=15)
        statuses.append(response.status_code)
        if response.status_code >= 400:
            body = response.json() if case.path_parameters["fmt"] == "json" else None
            if body is not None:  # the spec's errors: [{code, description}]
                assert body[0]["code"] == response.status_code
                assert body[0]["description"]

    answered()
    assert len(statuses) >= 40
    assert {400, 403} <= set(statuses), "bad forms and bad keys were both tried"
