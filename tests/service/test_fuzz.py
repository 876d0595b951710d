"""The published OpenAPI schema, fuzzed against the app (schemathesis + hypothesis): whatever
is sent, with no token, a student's or an instructor's, the service answers no 5xx and
every 4xx carries a JSON body saying why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402

from grader.rubric import Plan  # noqa: E402
from grader.service.app import create_app  # noqa: E402
from grader.service.core import Service  # noqa: E402
from grader.service.workers import LocalPool  # noqa: E402


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory, toy_plan: Plan) -> Iterator[tuple[Any, dict[str, str]]]:
    results: Path = tmp_path_factory.mktemp("fuzz") / "results"
    service = Service(results, toy_plan, LocalPool(toy_plan, device="cpu", capacity=1), device="cpu", max_queue=20)
    tokens = service.store.issue_tokens(["alice"], role="student")
    tokens.update(service.store.issue_tokens(["ta"], role="instructor"))
    service.start()
    try:
        yield create_app(service), tokens
    finally:
        service.close()


@pytest.mark.slow
def test_no_5xx_and_every_4xx_has_a_body(fuzzed: tuple[Any, dict[str, str]]) -> None:
    """Every operation of the schema, with generated parameters and bodies (schemathesis's
    pytest plugin does not run on this pytest: the operations are driven with hypothesis)."""
    app, tokens = fuzzed
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 11
    for op in operations:
        @given(case=op.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: Any) -> None:
            for token in (None, tokens["alice"], tokens["ta"]):
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                response = case.call(headers=headers)
                assert response.status_code < 500, (case.path, response.status_code, response.text[:500])
                if 400 <= response.status_code < 500:
                    detail = response.json().get("detail")
                    assert detail, (case.path, response.status_code, response.text[:500])

        run()


def test_schema_is_versioned_and_lists_the_api(fuzzed: tuple[Any, dict[str, str]]) -> None:
    from fastapi.testclient import TestClient

    doc = TestClient(fuzzed[0]).get("/openapi.json").json()
    paths = set(doc["paths"])
    assert {"/api/v1/submissions", "/api/v1/submissions/{job_id}", "/api/v1/submissions/{job_id}/result",
            "/api/v1/submissions/{job_id}/feedback", "/api/v1/submissions/{job_id}/events", "/api/v1/class/report",
            "/api/v1/class/export", "/api/v1/class/review", "/api/v1/class/overrides", "/healthz",
            "/metrics"} <= paths
    assert all(p.startswith("/api/v1/") for p in paths - {"/healthz", "/metrics"})
