"""Fixtures of the service's tests: the toy rubric (answers checks only, one hidden: the real
engine grades it without a sandbox, in milliseconds), a service over it in a temporary
results folder, tokens, and small builders of uploads."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient

from grader.rubric import Plan, ServiceSettings, load_plan
from grader.service.app import create_app
from grader.service.core import Service
from grader.service.workers import LocalPool, Workers

TOY = Path(__file__).resolve().parent / "toy" / "toy.yaml"
ANSWERS = b"q1:\n  a: true\n  b: true\nq2:\n  why: because\n"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: starts a server process or a browser, or fuzzes the API")


@pytest.fixture(scope="session")
def toy_plan() -> Plan:
    return load_plan(TOY)


def with_settings(plan: Plan, **settings: Any) -> Plan:
    rubric = plan.rubric.model_copy(update={"service": ServiceSettings(**settings)})
    return dataclasses.replace(plan, rubric=rubric)


def zip_bytes(files: dict[str, bytes], *, top: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(f"{top}/{name}" if top else name, data)
    return buf.getvalue()


@dataclasses.dataclass
class Served:
    service: Service
    client: TestClient
    tokens: dict[str, str]
    results: Path

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def submit(self, who: str, name: str, data: bytes) -> Any:
        return self.client.post("/api/v1/submissions", headers=self.auth(who),
                                files={"files": (name, data, "application/octet-stream")})

    def wait(self, who: str, job_id: str) -> dict[str, Any]:
        r = self.client.get(f"/api/v1/submissions/{job_id}", params={"wait": 30}, headers=self.auth(who))
        assert r.status_code == 200, r.text
        status: dict[str, Any] = r.json()
        assert status["state"] in ("done", "failed"), status
        return status


ServeFactory = Callable[..., Served]


@pytest.fixture
def serve(tmp_path: Path, toy_plan: Plan) -> Iterator[ServeFactory]:
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
