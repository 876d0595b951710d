"""Helpers of the service's tests (imported by name: a test module cannot import
``conftest`` reliably when the whole suite runs)."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from grader.rubric import Plan, ServiceSettings
from grader.service.core import Service

TOY = Path(__file__).resolve().parent / "toy" / "toy.yaml"
ANSWERS = b"q1:\n  a: true\n  b: true\nq2:\n  why: because\n"


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



ServeFactory = Any  # (**options) -> Served: see conftest.serve
