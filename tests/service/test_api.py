"""The service's API in process (FastAPI's test client), graded by the real engine on the toy
rubric (answers checks only: no sandbox). Fast: no server process, no student code."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import sqlite3
import threading
import zipfile
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from grader.cli import main as grade_main  # noqa: E402
from grader.service.app import BodyLimit  # noqa: E402
from grader.service.workers import Job, JobResult, LocalPool  # noqa: E402
from service_helpers import ANSWERS, TOY, ServeFactory, zip_bytes  # noqa: E402


def cli_result(path: Path, tmp: Path) -> bytes:
    """What `grade PATH --rubric toy.yaml --json` writes."""
    out = tmp / f"cli-{path.name}.json"
    assert grade_main([str(path), "--rubric", str(TOY), "--json", str(out), "--quiet"]) == 0
    return out.read_bytes()


def files_left(results: Path) -> list[str]:
    uploads = results / "uploads"
    return sorted(p.name for p in uploads.iterdir()) if uploads.exists() else []


# --------------------------------------------------------------------------- results


def test_result_is_the_cli_bytes_once_released(serve: ServeFactory, tmp_path: Path) -> None:
    s = serve()
    archive = tmp_path / "alice-hw.zip"
    archive.write_bytes(zip_bytes({"answers.yaml": ANSWERS}, top="hw"))
    r = s.submit("alice", archive.name, archive.read_bytes())
    assert r.status_code == 202, r.text
    job = r.json()["id"]
    assert s.wait("alice", job)["state"] == "done"
    s.service.store.set_meta("released", "1")
    got = s.client.get(f"/api/v1/submissions/{job}/result", headers=s.auth("alice"))
    assert got.status_code == 200
    assert got.content == cli_result(archive, tmp_path)
    assert json.loads(got.content)["submission"] == "alice-hw"


def test_loose_files_graded_as_the_folder_of_them(serve: ServeFactory, tmp_path: Path) -> None:
    s = serve()
    r = s.client.post("/api/v1/submissions", headers=s.auth("alice"),
                      files=[("files", ("answers.yaml", ANSWERS, "text/yaml")),
                             ("files", ("notes.txt", b"my notes", "text/plain"))])
    assert r.status_code == 202, r.text
    assert r.json()["filename"] == "alice.zip"
    s.wait("alice", r.json()["id"])
    s.service.store.set_meta("released", "1")
    folder = tmp_path / "alice"
    folder.mkdir()
    (folder / "answers.yaml").write_bytes(ANSWERS)
    (folder / "notes.txt").write_bytes(b"my notes")
    got = s.client.get(f"/api/v1/submissions/{r.json()['id']}/result", headers=s.auth("alice"))
    assert got.content == cli_result(folder, tmp_path)


def test_before_release_students_see_public_checks_only(serve: ServeFactory) -> None:
    s = serve()
    job = s.submit("alice", "a.zip", zip_bytes({"answers.yaml": ANSWERS})).json()["id"]
    status = s.wait("alice", job)
    result = s.client.get(f"/api/v1/submissions/{job}/result", headers=s.auth("alice")).json()
    checks = [(q["id"], c["id"]) for q in result["questions"] for c in q["checks"]]
    assert ("q1", "b") not in checks and ("q1", "a") in checks
    assert result["max_score"] == 2.0 and status["max_score"] == 2.0  # q1.a + q2.why: the hidden point is not shown
    page = s.client.get(f"/api/v1/submissions/{job}/feedback", headers=s.auth("alice")).text
    assert "the statement is false" not in page  # the hidden check's message
    # the instructor sees everything at any time
    full = s.client.get(f"/api/v1/submissions/{job}/result", headers=s.auth("ta")).json()
    assert ("q1", "b") in [(q["id"], c["id"]) for q in full["questions"] for c in q["checks"]]
    s.service.store.set_meta("released", "1")
    after = s.client.get(f"/api/v1/submissions/{job}/result", headers=s.auth("alice")).json()
    assert after == full


# --------------------------------------------------------------------------- who may do what


def test_students_see_only_their_own(serve: ServeFactory) -> None:
    s = serve()
    job = s.submit("alice", "a.zip", zip_bytes({"answers.yaml": ANSWERS})).json()["id"]
    s.wait("alice", job)
    for path in (f"/api/v1/submissions/{job}", f"/api/v1/submissions/{job}/result",
                 f"/api/v1/submissions/{job}/feedback", f"/api/v1/submissions/{job}/events"):
        r = s.client.get(path, headers=s.auth("bob"))
        assert r.status_code == 404 and r.json()["detail"], path
    assert s.client.get("/api/v1/submissions", headers=s.auth("bob")).json() == []
    assert [j["id"] for j in s.client.get("/api/v1/submissions", headers=s.auth("alice")).json()] == [job]


@pytest.mark.parametrize("path", ["/api/v1/class/report", "/api/v1/class/export", "/api/v1/class/review"])
def test_instructor_endpoints_refuse_students(serve: ServeFactory, path: str) -> None:
    s = serve(start=False)
    assert s.client.get(path, headers=s.auth("alice")).status_code == 404
    r = s.client.get(path)
    assert r.status_code == 401 and r.json()["detail"] and r.headers["www-authenticate"] == "Bearer"
    assert s.client.get(path, headers={"Authorization": "Bearer nonsense"}).status_code == 401
    assert s.client.get(path, headers=s.auth("ta")).status_code == 200
    r = s.client.post("/api/v1/class/overrides", headers=s.auth("alice"),
                      json=[{"student": "alice", "check": "q2.why", "score": 1}])
    assert r.status_code == 404


def test_tokens_are_stored_hashed(serve: ServeFactory) -> None:
    s = serve(start=False)
    raw = (s.results / "service.sqlite").read_bytes() + (s.results / "service.sqlite-wal").read_bytes()
    for token in s.tokens.values():
        assert token.encode() not in raw
    # issuing again replaces the old token
    new = s.service.store.issue_tokens(["alice"], role="student")["alice"]
    assert s.client.get("/api/v1/submissions", headers=s.auth("alice")).status_code == 401
    assert s.client.get("/api/v1/submissions", headers={"Authorization": f"Bearer {new}"}).status_code == 200


def test_instructor_tokens_do_not_submit(serve: ServeFactory) -> None:
    s = serve(start=False)
    r = s.submit("ta", "a.zip", zip_bytes({"answers.yaml": ANSWERS}))
    assert r.status_code == 403 and "instructor" in r.json()["detail"]


# --------------------------------------------------------------------------- limits


def test_rate_limit_is_per_student_with_a_clear_429(serve: ServeFactory) -> None:
    s = serve(submissions_per_hour=2)
    data = zip_bytes({"answers.yaml": ANSWERS})
    assert [s.submit("alice", "a.zip", data).status_code for _ in range(2)] == [202, 202]
    r = s.submit("alice", "a.zip", data)
    assert r.status_code == 429
    assert "at most 2 submissions an hour" in r.json()["detail"] and int(r.headers["retry-after"]) > 3500
    assert s.submit("bob", "b.zip", data).status_code == 202


def test_rate_limit_survives_a_restart(serve: ServeFactory, tmp_path: Path) -> None:
    first = serve(submissions_per_hour=1)
    assert first.submit("alice", "a.zip", zip_bytes({"answers.yaml": ANSWERS})).status_code == 202
    first.service.close()
    again = serve(submissions_per_hour=1, results=first.results)
    again.tokens = {**again.tokens}
    assert again.submit("alice", "a.zip", zip_bytes({"answers.yaml": ANSWERS})).status_code == 429


def test_upload_over_the_rubric_limit_is_413_before_reading(serve: ServeFactory) -> None:
    s = serve(max_upload_mb=0.01)  # 10 KiB
    big = zip_bytes({"answers.yaml": ANSWERS, "data.bin": bytes(range(256)) * 8000})
    r = s.submit("alice", "a.zip", big)
    assert r.status_code == 413 and "limit" in r.json()["detail"]
    assert files_left(s.results) == [] and s.service.store.jobs() == []
    s.client.post("/login", data={"token": s.tokens["alice"]})
    page = s.client.post("/upload", files={"files": ("a.zip", big, "application/zip")})  # the form: a page, not JSON
    assert page.status_code == 413 and page.headers["content-type"].startswith("text/html") and "limit" in page.text


class _Gate:
    """A worker that holds every job until released: the queue fills up."""

    capacity = 1

    def __init__(self) -> None:
        self.go = threading.Event()

    def grade(self, job: Job) -> JobResult:
        self.go.wait(30)
        return JobResult(id=job.id, failure="held")

    def close(self) -> None:
        self.go.set()


def test_full_queue_is_429_not_growth(serve: ServeFactory) -> None:
    gate = _Gate()
    s = serve(workers=gate, max_queue=2)
    data = zip_bytes({"answers.yaml": ANSWERS})
    codes = [s.submit(who, f"{i}.zip", data).status_code for i, who in enumerate(["alice", "bob", "alice"])]
    assert codes == [202, 202, 429]
    r = s.submit("bob", "x.zip", data)
    assert r.status_code == 429 and "queue is full" in r.json()["detail"] and r.headers["retry-after"]
    gate.go.set()


def _run_asgi(app: BodyLimit, body_chunks: list[tuple[float, bytes]], headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
    """Drive the middleware with a client that sends ``(delay, bytes)`` chunks."""
    sent: list[dict[str, Any]] = []
    reached: list[bytes] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        msg = await receive()
        reached.append(msg["body"])
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    app.app = inner
    chunks = list(body_chunks)

    async def receive() -> dict[str, Any]:
        if not chunks:
            await asyncio.sleep(3600)
        delay, data = chunks.pop(0)
        await asyncio.sleep(delay)
        return {"type": "http.request", "body": data, "more_body": bool(chunks)}

    async def send(msg: dict[str, Any]) -> None:
        sent.append(msg)

    scope = {"type": "http", "method": "POST", "path": "/api/v1/submissions", "headers": headers}
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_body_limit_streamed_without_length_is_413() -> None:
    mw = BodyLimit(None, upload_limit=lambda: 1000, idle_s=5, total_s=10)  # type: ignore[arg-type]
    status, body = _run_asgi(mw, [(0, b"x" * 600_000)] * 4, headers=[])
    assert status == 413 and json.loads(body)["detail"]


def test_slow_upload_is_408() -> None:
    mw = BodyLimit(None, upload_limit=lambda: 10**6, idle_s=0.2, total_s=5)  # type: ignore[arg-type]
    status, body = _run_asgi(mw, [(0, b"abc"), (1.0, b"def")], headers=[])
    assert status == 408 and "too slow" in json.loads(body)["detail"]
    ok, _ = _run_asgi(mw, [(0, b"abc"), (0.05, b"def")], headers=[])
    assert ok == 202


def _zip_slip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("answers.yaml", ANSWERS)
        zf.writestr("../../evil.py", b"print('out')")
    return buf.getvalue()


def _bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("answers.yaml", ANSWERS)
        zf.writestr("big.bin", bytes(300 * 2**20))  # 300 MiB of zeros: over the grader's 256 MiB
    return buf.getvalue()


@pytest.mark.parametrize(("name", "make", "reason"), [
    ("hw.zip", lambda: b"this is not a zip", "not a valid zip"),
    ("hw.tar.gz", lambda: b"\x1f\x8b\x08garbage", "not a valid tar"),
    ("hw.zip", _zip_slip, "escapes"),
    ("hw.zip", _bomb, "compression ratio"),
    ("hw.zip", lambda: zip_bytes({}), "empty"),
])
def test_bad_uploads_are_4xx_with_a_reason_and_leave_nothing(serve: ServeFactory, name: str, make: Any,
                                                             reason: str) -> None:
    s = serve(start=False)
    r = s.submit("alice", name, make())
    assert 400 <= r.status_code < 500, r.text
    detail = r.json()["detail"]
    assert reason in detail and str(s.results) not in detail and "/tmp" not in detail
    assert files_left(s.results) == []
    assert s.service.store.jobs() == []


def test_same_bytes_are_stored_once(serve: ServeFactory) -> None:
    s = serve()
    data = zip_bytes({"answers.yaml": ANSWERS})
    a = s.submit("alice", "hw.zip", data).json()["id"]
    b = s.submit("bob", "hw.zip", data).json()["id"]
    s.wait("alice", a)
    s.wait("bob", b)
    assert len(files_left(s.results)) == 1


# --------------------------------------------------------------------------- deadline


def test_late_is_flagged_and_after_the_cutoff_refused(serve: ServeFactory) -> None:
    deadline = dt.datetime(2030, 1, 10, 23, 59, tzinfo=dt.UTC)
    now = [deadline - dt.timedelta(hours=1)]
    s = serve(deadline=deadline, cutoff=deadline + dt.timedelta(days=2), clock=lambda: now[0])
    data = zip_bytes({"answers.yaml": ANSWERS})
    assert s.submit("alice", "a.zip", data).json()["late"] is False
    now[0] = deadline + dt.timedelta(minutes=5)
    assert s.submit("alice", "a.zip", data).json()["late"] is True
    now[0] = deadline + dt.timedelta(days=2)
    r = s.submit("alice", "a.zip", data)
    assert r.status_code == 403 and "closed" in r.json()["detail"]


def test_rubric_refuses_naive_times_and_a_cutoff_before_the_deadline() -> None:
    from pydantic import ValidationError

    from grader.rubric import ServiceSettings

    with pytest.raises(ValidationError, match="time zone"):
        ServiceSettings(deadline=dt.datetime(2030, 1, 1))
    with pytest.raises(ValidationError, match="before the deadline"):
        ServiceSettings(deadline=dt.datetime(2030, 1, 2, tzinfo=dt.UTC),
                        cutoff=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))


# --------------------------------------------------------------------------- nothing lost


def test_unfinished_jobs_are_graded_on_restart(serve: ServeFactory, toy_plan: Any, tmp_path: Path) -> None:
    """A job committed but never graded (the process died) is graded by the next start."""
    first = serve(start=False)  # accepts, never grades: as if killed before any dispatcher ran
    data = zip_bytes({"answers.yaml": ANSWERS})
    ids = [first.submit("alice", f"s{i}.zip", data).json()["id"] for i in range(3)]
    first.service.store.start_job(ids[0])  # one was running when the process died
    first.service.close()
    again = serve(results=first.results)
    again.service.store.set_meta("released", "1")
    for job in ids:
        assert again.wait("alice", job)["state"] == "done"
    archive = tmp_path / "s0.zip"
    archive.write_bytes(data)
    got = again.client.get(f"/api/v1/submissions/{ids[0]}/result", headers=again.auth("alice"))
    assert got.content == cli_result(archive, tmp_path)
    rows = again.service.store.jobs()
    assert {r.state for r in rows} == {"done"} and len(rows) == 3


# --------------------------------------------------------------------------- instructors


def test_class_report_export_review_and_overrides(serve: ServeFactory) -> None:
    s = serve()
    for who in ("alice", "bob"):
        s.wait(who, s.submit(who, f"{who}.zip", zip_bytes({"answers.yaml": ANSWERS})).json()["id"])
    csv = s.client.get("/api/v1/class/export", headers=s.auth("ta")).text
    assert csv.splitlines()[0].startswith("Student,SIS User ID,Submission,q1,q2,Total")
    assert len(csv.splitlines()) == 3
    queue = s.client.get("/api/v1/class/review", headers=s.auth("ta")).json()
    assert {(q["student"], q["check_id"]) for q in queue} == {("alice", "q2.why"), ("bob", "q2.why")}
    r = s.client.post("/api/v1/class/overrides", headers=s.auth("ta"),
                      json=[{"student": "alice", "check": "q2.why", "score": 1, "comment": "good"}])
    assert r.status_code == 200 and r.json()[0]["by"] == "ta"
    bad = s.client.post("/api/v1/class/overrides", headers=s.auth("ta"),
                        json=[{"student": "alice", "check": "q2.nope", "score": 1}])
    assert bad.status_code == 422 and "unknown check" in json.dumps(bad.json()["detail"])
    rows = s.client.get("/api/v1/class/export", params={"format": "jsonl"}, headers=s.auth("ta")).text.splitlines()
    alice = next(json.loads(x) for x in rows if json.loads(x)["student"] == "alice")
    assert alice["questions"]["q2"] == 1
    report = s.client.get("/api/v1/class/report", headers=s.auth("ta")).text
    # one row per student by id, each linked to their feedback (both uploaded files had their own names)
    assert "<html" in report and ">alice<" in report and ">bob<" in report
    assert f'href="/submissions/{s.service.store.jobs(student="alice")[0].id}/feedback"' in report


def test_healthz_and_metrics(serve: ServeFactory) -> None:
    s = serve()
    s.wait("alice", s.submit("alice", "a.zip", zip_bytes({"answers.yaml": ANSWERS})).json()["id"])
    s.submit("alice", "a.zip", b"junk")
    assert s.client.get("/healthz").json()["status"] == "ok"
    text = s.client.get("/metrics").text
    assert "grade_queue_depth 0" in text and "grade_graded_total 1" in text
    assert 'grade_refused_total{reason="bad_upload"} 1' in text
    assert 'grade_grading_seconds_count 1' in text


def test_events_stream_ends_with_the_final_state(serve: ServeFactory) -> None:
    s = serve()
    job = s.submit("alice", "a.zip", zip_bytes({"answers.yaml": ANSWERS})).json()["id"]
    with s.client.stream("GET", f"/api/v1/submissions/{job}/events", headers=s.auth("alice")) as r:
        text = "".join(r.iter_text())
    events = [json.loads(line[len("data: "):]) for line in text.splitlines() if line.startswith("data: ")]
    assert events[-1]["state"] == "done"


# --------------------------------------------------------------------------- the page, without JavaScript


def test_page_sign_in_upload_and_feedback_without_javascript(serve: ServeFactory) -> None:
    s = serve()
    page = s.client.get("/")
    assert "<script" not in page.text and 'name="token"' in page.text
    assert s.client.post("/login", data={"token": "wrong"}).status_code == 401
    r = s.client.post("/login", data={"token": s.tokens["alice"]}, follow_redirects=False)
    assert r.status_code == 303 and "httponly" in r.headers["set-cookie"].lower()
    r = s.client.post("/upload", files={"files": ("hw.zip", zip_bytes({"answers.yaml": ANSWERS}), "application/zip")},
                      follow_redirects=False)
    assert r.status_code == 303
    s.service.wait(r.headers["location"].rsplit("/", 1)[1], 30)
    done = s.client.get(r.headers["location"])
    assert "total: 1 / 2" in done.text and "<script" not in done.text
    assert "hw.zip" in s.client.get("/").text
    bad = s.client.post("/upload", files={"files": ("hw.zip", b"nope", "application/zip")})
    assert bad.status_code == 422 and "not a valid zip" in bad.text


def test_local_pool_grades_a_job_alone(toy_plan: Any) -> None:
    """The worker interface: plain data in, plain data out (the job survives JSON)."""
    pool = LocalPool(toy_plan, device="cpu", capacity=1)
    try:
        job = Job(id="j1", filename="x.zip", sha256="0" * 64, data=zip_bytes({"answers.yaml": ANSWERS}))
        wire = Job.model_validate_json(job.model_dump_json())
        out = pool.grade(wire)
        assert out.result_json is not None and json.loads(out.result_json)["submission"] == "x"
        bad = pool.grade(Job(id="j2", filename="y.zip", sha256="1" * 64, data=b"junk"))
        assert bad.result_json is None and bad.failure and "not a valid zip" in bad.failure and not bad.internal
    finally:
        pool.close()


def test_store_refuses_another_assignments_folder(serve: ServeFactory, tmp_path: Path) -> None:
    from grader.service.store import ServiceStore, StoreError

    s = serve(start=False)
    with pytest.raises(StoreError, match="serves toy, not hw9"):
        ServiceStore(s.results, assignment="hw9")
    other = tmp_path / "other"
    other.mkdir()
    sqlite3.connect(other / "service.sqlite").execute("CREATE TABLE x (y)").connection.commit()
    with pytest.raises(StoreError, match="not the grader service"):
        ServiceStore(other, assignment="toy")


def test_a_class_mode_results_folder_is_not_served(toy_plan: Any, tmp_path: Path) -> None:
    """Serving into class mode's results folder would take over its gradebook."""
    from grader.classmode.gradebook import Gradebook
    from grader.service.core import Service, ServiceError

    results = tmp_path / "results"
    with Gradebook.open(results, create=True, exclusive=True) as gb:
        gb.set_meta({"assignment": "toy", "submissions": str(tmp_path / "submissions")})
    pool = LocalPool(toy_plan, device="cpu", capacity=1)
    try:
        with pytest.raises(ServiceError, match="class-mode results"):
            Service(results, toy_plan, pool, device="cpu")
    finally:
        pool.close()
    with Gradebook.open(results, create=False, exclusive=False) as gb:
        assert gb.meta("submissions") == str(tmp_path / "submissions")  # left as it was


@pytest.mark.slow
def test_a_busy_gradebook_delays_recording_loses_nothing(serve: ServeFactory) -> None:
    """Another program holding the gradebook's write lock (longer than SQLite's busy
    timeout) only delays the result: the recorder retries, the job is not dropped."""
    s = serve()
    holder = sqlite3.connect(s.results / "gradebook.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        job = s.submit("alice", "a.zip", zip_bytes({"answers.yaml": ANSWERS})).json()["id"]
        s.service.wait(job, 7.0)  # past the 5 s busy timeout: one failed attempt at least
        assert s.service.store.job(job).state == "running"  # type: ignore[union-attr]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert s.wait("alice", job)["state"] == "done"
