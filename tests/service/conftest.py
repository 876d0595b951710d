"""Fixtures of the service's tests: the toy rubric (answers checks only, one hidden: the real
engine grades it without a sandbox, in milliseconds), a service over it in a temporary
results folder, tokens, and small builders of uploads (``service_helpers``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_helpers import TOY, Served, with_settings

from grader.rubric import Plan, load_plan
from grader.service.app import create_app
from grader.service.core import Service
from grader.service.workers import LocalPool, Workers


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: starts a server process or a browser, or fuzzes the API")


@pytest.fixture(scope="session")
def toy_plan() -> Plan:
    return load_plan(TOY)


@pytest.fixture
def serve(tmp_path: Path, toy_plan: Plan) -> Iterator[Callable[..., Served]]:
    made: list[Served] = []

    def make(*, plan: Plan | None = None, workers: Workers | None = None, max_queue: int = 50,
             clock: Callable[[], dt.datetime] | None = None, results: Path | None = None, start: bool = True,
             **settings: Any) -> Served:
        p = plan or toy_plan
        if settings:
            p = with_settings(p, **settings)
        pool = workers or LocalPool(p, device="cpu", capacity=2)
        out = results or tmp_path / "results"
        service = Service(out, p, pool, device="cpu", max_queue=max_queue, clock=clock)
        tokens = service.store.issue_tokens(["alice", "bob"], role="student")
        tokens.update(service.store.issue_tokens(["ta"], role="instructor"))
        if start:
            service.start()
        served = Served(service=service, client=TestClient(create_app(service)), tokens=tokens, results=out)
        made.append(served)
        return served

    yield make
    for s in made:
        s.service.close()  # closing twice is harmless (a test may have closed it to restart)
