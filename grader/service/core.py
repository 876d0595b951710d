"""The service's engine room: accept, queue, grade, record; what the HTTP layer calls.

Accepting a submission (:meth:`Service.submit`), in order: the cutoff (refused after it),
the student's rate (``submissions_per_hour`` in any hour, counted from the stored jobs so
a restart does not reset it), the queue's bound (full: refused, never grown without
bound), then the upload is opened and stored (``intake``) and the job committed to
``service.sqlite``. Only then is it queued in memory and the client told ``202``.

Grading: ``capacity`` dispatcher threads take job ids in submission order, hand each job
to the workers, and record what comes back: first into the class-mode gradebook (the
student's current result; one transaction), then the job row (done, with the result's
bytes). A crash between the two regrades the job on restart, and the gradebook's row for
the same content and grading key is the same row: nothing is counted twice.

On start, every job not finished (queued, or running when the process died) is queued
again in submission order.
"""

from __future__ import annotations

import datetime as _dt
import queue
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from grader.classmode.gradebook import Gradebook, GradebookError
from grader.results import (
    CheckResult,
    QuestionResult,
    SubmissionResult,
    question_status,
    round_score,
)
from grader.service.intake import UploadRejected, accept_upload, blob_path
from grader.service.store import JobRow, ServiceStore
from grader.service.workers import Job, JobResult, Workers

__all__ = ["Metrics", "Refused", "Service", "ServiceError", "student_view"]

PUBLIC_NOTICE = "public checks only until grades are released: this is not your grade"
_BUCKETS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, float("inf"))


_SOURCE = "grade serve "  # the gradebook's `submissions`: what fills it (class mode: the submissions folder)


class ServiceError(Exception):
    """The service cannot start on this results folder (it belongs to something else)."""


class Refused(Exception):
    """A submission not accepted: HTTP status, message, and seconds to wait (429)."""

    def __init__(self, status: int, message: str, *, retry_after: int | None = None) -> None:
        self.status = status
        self.message = message
        self.retry_after = retry_after
        super().__init__(message)


@dataclass
class Metrics:
    """Counters for ``/metrics`` (Prometheus text format)."""

    submitted: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    graded: int = 0
    failed: int = 0
    internal_errors: int = 0
    running: int = 0
    grading_buckets: list[int] = field(default_factory=lambda: [0] * len(_BUCKETS))
    grading_sum: float = 0.0
    latency_buckets: list[int] = field(default_factory=lambda: [0] * len(_BUCKETS))
    latency_sum: float = 0.0

    def observe(self, buckets: list[int], seconds: float) -> None:
        for i, edge in enumerate(_BUCKETS):
            if seconds <= edge:
                buckets[i] += 1


def student_view(result: SubmissionResult) -> SubmissionResult:
    """What a student sees before grades are released: the public checks only (like the
    student kit), each question's points those of its public checks; no hidden check, its
    points or anything its probes printed (the notes, which may come from hidden probes)."""
    questions = []
    for q in result.questions:
        checks: list[CheckResult] = [c for c in q.checks if c.visibility.value == "public"]
        if not checks:
            continue
        counted = [c for c in checks if c.max_score > 0] or checks
        questions.append(QuestionResult(id=q.id, title=q.title, score=round_score(sum(c.score for c in checks)),
                                        max_score=round_score(sum(c.max_score for c in checks)),
                                        status=question_status(counted), checks=checks, bonus=q.bonus))
    return result.with_questions(questions).model_copy(update={
        "max_score": round_score(sum(q.max_score for q in questions if not q.bonus)),
        "notes": [PUBLIC_NOTICE],
    })


def _parse_time(text: str) -> _dt.datetime:
    return _dt.datetime.fromisoformat(text)


class Service:
    """One assignment served from one results folder."""

    def __init__(self, results_dir: Path, plan: Any, workers: Workers, *, device: str, max_queue: int = 200,
                 clock: Callable[[], _dt.datetime] | None = None) -> None:
        from grader.classmode.run import _plan_meta, grading_key

        self.results_dir = Path(results_dir)
        self.plan = plan
        self.assignment: str = plan.rubric.assignment
        self.settings = plan.rubric.service
        self.workers = workers
        self.max_queue = max_queue
        self.uploads = self.results_dir / "uploads"
        self.store = ServiceStore(self.results_dir, assignment=self.assignment)
        self.metrics = Metrics()
        self._clock = clock or (lambda: _dt.datetime.now(_dt.UTC))
        self._key = grading_key(plan, device=device, timings=False)
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._pending: set[str] = set()  # queued or running, in memory
        self._done: dict[str, threading.Event] = {}
        self._lock = threading.Lock()  # accepting: rate and queue checks, then the insert
        self._gb_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._records: queue.Queue[tuple[JobRow, JobResult] | None] = queue.Queue()
        self._recorder_thread: threading.Thread | None = None
        self._stopping = threading.Event()
        with Gradebook.open(self.results_dir, create=True, exclusive=True) as gb:
            held, source = gb.meta("assignment"), gb.meta("submissions")
            if held is not None and held != self.assignment:
                raise ServiceError(f"{self.results_dir}/ holds results of {held}, not {self.assignment}: "
                                   "use another --out folder")
            if source is not None and not source.startswith(_SOURCE):
                raise ServiceError(f"{self.results_dir}/ holds the class-mode results of {source}: a results folder "
                                   "is graded by class mode or served, not both; use another --out folder")
            gb.set_meta({**_plan_meta(plan, audience="student"), "submissions": f"{_SOURCE}{self.results_dir.resolve()}"})

    # ------------------------------------------------------------------ life

    def start(self) -> None:
        """Queue again every job not finished, then start the dispatchers and the recorder."""
        for job in self.store.unfinished():
            self._enqueue(job.id)
        self._recorder_thread = threading.Thread(target=self._recorder, name="serve-record", daemon=True)
        self._recorder_thread.start()
        for i in range(self.workers.capacity):
            t = threading.Thread(target=self._dispatch, name=f"serve-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def close(self) -> None:
        """Stop taking jobs, let the ones being graded finish (30 s at most each), record
        them, then close. What is still queued stays queued in the store."""
        self._stopping.set()
        for _ in self._threads:
            self._queue.put(None)
        for t in self._threads:
            t.join(timeout=30)
        self._threads.clear()
        if self._recorder_thread is not None:
            self._records.put(None)
            self._recorder_thread.join(timeout=30)
            self._recorder_thread = None
        self.workers.close()
        self.store.close()

    @property
    def queue_depth(self) -> int:
        with self._lock:
            return len(self._pending)

    def _enqueue(self, job_id: str) -> None:
        with self._lock:
            self._pending.add(job_id)
            self._done.setdefault(job_id, threading.Event())
        self._queue.put(job_id)

    # ------------------------------------------------------------------ accepting

    def submit(self, student: str, files: Sequence[tuple[str, BinaryIO]]) -> JobRow:
        """Accept one upload (see the module docstring) or raise :class:`Refused`."""
        try:
            return self._submit(student, files)
        except Refused as err:
            reason = {413: "too_large", 429: "rate_or_queue", 403: "closed"}.get(err.status, "bad_upload")
            self.metrics.refused[reason] = self.metrics.refused.get(reason, 0) + 1
            raise

    def _submit(self, student: str, files: Sequence[tuple[str, BinaryIO]]) -> JobRow:
        now = self._clock()
        s = self.settings
        if s.cutoff is not None and now >= s.cutoff:
            raise Refused(403, f"{self.assignment} closed at {s.cutoff.isoformat()}: submissions are no longer accepted")
        late = s.deadline is not None and now > s.deadline
        with self._lock:
            self._check_rate(student, now)
            if len(self._pending) >= self.max_queue:
                raise Refused(429, f"the grading queue is full ({len(self._pending)} submissions waiting); "
                              "try again in a minute", retry_after=60)
        try:
            accepted = accept_upload(files, student=student, uploads_dir=self.uploads,
                                     max_bytes=int(s.max_upload_mb * 2**20))
        except UploadRejected as err:
            raise Refused(err.status, err.message) from None
        with self._lock:
            self._check_rate(student, now)  # another upload of the same student may have landed meanwhile
            job = self.store.add_job(student=student, filename=accepted.filename, sha256=accepted.sha256,
                                     size=accepted.size, late=late)
        self.metrics.submitted += 1
        self._enqueue(job.id)
        return job

    def _check_rate(self, student: str, now: _dt.datetime) -> None:
        limit = self.settings.submissions_per_hour
        since = now - _dt.timedelta(hours=1)
        recent = self.store.submitted_since(student, since.isoformat(timespec="milliseconds"))
        if len(recent) >= limit:
            wait = _parse_time(recent[len(recent) - limit]) + _dt.timedelta(hours=1) - now
            seconds = max(1, int(wait.total_seconds()) + 1)
            raise Refused(429, f"at most {limit} submissions an hour: you can submit again in {seconds} s",
                          retry_after=seconds)

    # ------------------------------------------------------------------ waiting

    def wait(self, job_id: str, timeout: float) -> None:
        """Block until the job is finished or ``timeout`` seconds passed."""
        ev = self._done.get(job_id)
        if ev is not None:
            ev.wait(timeout)

    def finished(self, job_id: str) -> bool:
        ev = self._done.get(job_id)
        return ev is None or ev.is_set()

    # ------------------------------------------------------------------ grading

    def _dispatch(self) -> None:
        while not self._stopping.is_set():
            job_id = self._queue.get()
            if job_id is None:
                return
            handed = False
            try:
                handed = self._run(job_id)
            except Exception:  # noqa: BLE001 - a grader bug: logged; the job stays unfinished (graded on restart)
                traceback.print_exc()
            finally:
                if not handed:
                    self._finished(job_id)

    def _finished(self, job_id: str) -> None:
        with self._lock:
            self._pending.discard(job_id)
            ev = self._done.pop(job_id, None)  # an id not in _done is finished: the map stays small
        if ev is not None:
            ev.set()

    def _run(self, job_id: str) -> bool:
        """Grade one job; True when its outcome was handed to the recorder."""
        row = self.store.job(job_id)
        if row is None or row.state in ("done", "failed"):
            return False
        self.store.start_job(job_id)
        self.metrics.running += 1
        try:
            try:
                data = blob_path(self.uploads, row.sha256).read_bytes()
            except OSError as err:
                out = JobResult(id=job_id, failure=f"the stored upload cannot be read ({err.strerror})", internal=True)
            else:
                out = self.workers.grade(Job(id=job_id, filename=row.filename, sha256=row.sha256, data=data))
        finally:
            self.metrics.running -= 1
        if self._stopping.is_set() and out.internal:
            return False  # shutting down: left running, graded again on the next start
        self._records.put((row, out))
        return True

    def _recorder(self) -> None:
        """The one writer of outcomes: the gradebook (one connection, kept open), then the
        job's row; only then is the job finished for those waiting on it. Off the grading
        threads, so a slow disk does not hold a grading slot."""
        gb: Gradebook | None = None
        try:
            while True:
                item = self._records.get()
                if item is None:
                    return
                row, out = item
                while True:
                    try:
                        if gb is None:
                            gb = Gradebook.open(self.results_dir, create=True, exclusive=False)
                        self._record(gb, row, out)
                        break
                    except GradebookError as err:  # e.g. `grade review --set` writing at the same moment
                        if gb is not None:
                            gb.close()
                            gb = None
                        if self._stopping.is_set():
                            break  # left running: graded again on the next start
                        print(f"warning: {err}; retrying in 1 s", file=sys.stderr, flush=True)
                        self._stopping.wait(1.0)
                    except Exception:  # noqa: BLE001 - logged; the job stays unfinished (graded on restart)
                        traceback.print_exc()
                        break
                self._finished(row.id)
        finally:
            if gb is not None:
                gb.close()

    def _record(self, gb: Gradebook, row: JobRow, out: JobResult) -> None:
        gb.record(assignment=self.assignment, student=row.student, submission=row.student,
                  content_hash=out.content_hash or f"file:{row.sha256}", rubric_hash=self.plan.rubric_hash,
                  grading_key=self._key, source=f"upload {row.id} ({row.filename})", wall_s=out.wall_s,
                  result_json=out.result_json, score=out.score, max_score=out.max_score,
                  failure=None if out.result_json is not None else (out.failure or "not graded"))
        self.store.finish_job(row.id, result_json=out.result_json, score=out.score, max_score=out.max_score,
                              failure=out.failure, wall_s=out.wall_s)
        m = self.metrics
        if out.result_json is not None:
            m.graded += 1
        else:
            m.failed += 1
            m.internal_errors += out.internal
        m.observe(m.grading_buckets, out.wall_s)
        m.grading_sum += out.wall_s
        latency = (self._clock() - _parse_time(row.submitted_at)).total_seconds()
        m.observe(m.latency_buckets, latency)
        m.latency_sum += latency

    # ------------------------------------------------------------------ reading

    def result_for(self, row: JobRow, *, instructor: bool) -> SubmissionResult | None:
        if row.result_json is None:
            return None
        result = SubmissionResult.from_json(row.result_json)
        return result if instructor or self.store.released else student_view(result)

    def result_bytes(self, row: JobRow, *, instructor: bool) -> str | None:
        """The result as graded (the CLI's bytes) once released or for instructors; before
        release, the public view."""
        if row.result_json is None:
            return None
        if instructor or self.store.released:
            return row.result_json
        return student_view(SubmissionResult.from_json(row.result_json)).to_json()

    def metrics_text(self) -> str:
        m = self.metrics
        lines = [
            "# HELP grade_queue_depth Submissions accepted and not yet graded.",
            "# TYPE grade_queue_depth gauge",
            f"grade_queue_depth {self.queue_depth}",
            "# HELP grade_running Submissions being graded now.",
            "# TYPE grade_running gauge",
            f"grade_running {m.running}",
            "# HELP grade_submissions_total Submissions accepted.",
            "# TYPE grade_submissions_total counter",
            f"grade_submissions_total {m.submitted}",
            "# HELP grade_refused_total Submissions refused, by reason.",
            "# TYPE grade_refused_total counter",
        ]
        for reason in ("bad_upload", "closed", "rate_or_queue", "too_large"):
            lines.append(f'grade_refused_total{{reason="{reason}"}} {m.refused.get(reason, 0)}')
        lines += [
            "# HELP grade_graded_total Submissions graded.",
            "# TYPE grade_graded_total counter",
            f"grade_graded_total {m.graded}",
            "# HELP grade_failures_total Submissions that could not be graded (internal: the grader's fault).",
            "# TYPE grade_failures_total counter",
            f'grade_failures_total{{kind="submission"}} {m.failed - m.internal_errors}',
            f'grade_failures_total{{kind="internal"}} {m.internal_errors}',
        ]
        for name, helptext, buckets, total in (
                ("grade_grading_seconds", "Time to grade one submission.", m.grading_buckets, m.grading_sum),
                ("grade_latency_seconds", "Time from accepted to graded.", m.latency_buckets, m.latency_sum)):
            lines += [f"# HELP {name} {helptext}", f"# TYPE {name} histogram"]
            for edge, n in zip(_BUCKETS, buckets):
                le = "+Inf" if edge == float("inf") else f"{edge:g}"
                lines.append(f'{name}_bucket{{le="{le}"}} {n}')
            lines += [f"{name}_sum {total:.6f}", f"{name}_count {buckets[-1]}"]
        return "\n".join(lines) + "\n"

    def health(self) -> dict[str, Any]:
        return {"status": "ok", "assignment": self.assignment, "workers": self.workers.capacity,
                "queue_depth": self.queue_depth, "released": self.store.released}

