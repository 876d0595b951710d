"""Workers: a job in, a result out, nothing shared.

The service hands a :class:`Job` (the upload's bytes and the name it was sent under) to
a :class:`Workers` implementation and gets a :class:`JobResult` back (the result JSON, or
why it could not be graded). Both are plain pydantic models that serialize to JSON: no
object, file or memory is shared between the service and whoever grades, which is what
lets a multi-machine engine replace :class:`LocalPool` (send the job over the wire, get
the result back) without the service changing.

:class:`LocalPool` is the default: one warm :class:`grader.engine.Grader` (reference
outputs computed once, the sandbox's zygote started) shared by up to ``capacity`` calls
at once, as class mode shares it between its threads. The result is the same bytes as
``grade NAME`` on the same content, because it is the same grader opening the same file
under the same name.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

__all__ = ["Job", "JobResult", "LocalPool", "Workers"]


class Job(BaseModel):
    """One submission to grade: its bytes and the file name it is graded as. On the wire
    (JSON) the bytes are base64."""

    model_config = ConfigDict(frozen=True, ser_json_bytes="base64", val_json_bytes="base64")

    id: str
    filename: str
    sha256: str
    data: bytes


class JobResult(BaseModel):
    """What came back: ``result_json`` (grader.result/v1 bytes) or ``failure``."""

    model_config = ConfigDict(frozen=True)

    id: str
    result_json: str | None = None
    score: float | None = None
    max_score: float | None = None
    content_hash: str = ""
    failure: str | None = None
    internal: bool = False  # the failure is the grader's, not the submission's
    wall_s: float = 0.0


class Workers(Protocol):
    """Where jobs are graded. ``grade`` blocks until the job is done and may be called from
    up to ``capacity`` threads at once; it never raises for the submission's sake."""

    @property
    def capacity(self) -> int: ...

    def grade(self, job: Job) -> JobResult: ...

    def close(self) -> None: ...


class LocalPool:
    """The warm grader of this machine (see the module docstring)."""

    def __init__(self, plan: Any, *, device: str, isolation: str = "auto", capacity: int = 2) -> None:
        from grader.engine import Grader

        self._capacity = max(1, capacity)
        self._grader = Grader.create(plan, device=device, isolation=isolation, many=True)
        self._lock = threading.Lock()
        self._closed = False

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def notes(self) -> list[str]:
        return list(self._grader.notes)

    def grade(self, job: Job) -> JobResult:
        from grader.submission import SubmissionError, content_hash, open_submission

        t0 = time.perf_counter()
        tmp = Path(tempfile.mkdtemp(prefix="grader-job-"))
        try:
            path = tmp / job.filename
            path.write_bytes(job.data)
            try:
                sub = open_submission(path)
            except SubmissionError as err:
                return JobResult(id=job.id, failure=str(err).replace(str(tmp) + "/", ""),
                                 wall_s=time.perf_counter() - t0)
            try:
                chash = content_hash(sub)
                result = self._grader.grade(sub)
            finally:
                sub.close()
            return JobResult(id=job.id, result_json=result.to_json(), score=result.score, max_score=result.max_score,
                             content_hash=chash, wall_s=time.perf_counter() - t0)
        except Exception as err:  # noqa: BLE001 - one job's internal error must not stop the service
            traceback.print_exc()  # the service's log: the instructor sees it, the student gets one line
            return JobResult(id=job.id, failure=f"internal error: {type(err).__name__}", internal=True,
                             wall_s=time.perf_counter() - t0)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._grader.close()
