"""The HTTP face of the service: a FastAPI application over a :class:`~grader.service.core.Service`.

API (versioned under ``/api/v1``; the schema at ``/openapi.json``)::

    POST /api/v1/submissions                 multipart ``files``: 202 {id, ...}; 413, 422, 429, 403 with a reason
    GET  /api/v1/submissions                 your submissions (an instructor's: everyone's), newest first
    GET  /api/v1/submissions/{id}?wait=S     status; waits up to S seconds for grading to finish
    GET  /api/v1/submissions/{id}/events     the same as a server-sent event stream, until finished
    GET  /api/v1/submissions/{id}/result     grader.result/v1 (the CLI's bytes; before release, public checks only)
    GET  /api/v1/submissions/{id}/feedback   the HTML feedback page
    GET  /api/v1/class/report                instructors: the class report (HTML)
    GET  /api/v1/class/export?format=csv     instructors: grades.csv or JSONL
    GET  /api/v1/class/review                instructors: the manual-review queue
    POST /api/v1/class/overrides             instructors: TA scores [{student, check, score, comment}]
    GET  /healthz, GET /metrics              no token needed

Who: ``Authorization: Bearer TOKEN`` (or the page's cookie, set by signing in). A student
token sees only that student's submissions; anything else is 404, as if it did not exist.
Every 4xx has a JSON body ``{"detail": ...}`` saying why.

Bodies are bounded before they are parsed (:class:`BodyLimit`): a declared length over the
limit is 413 before a byte is read, a body that keeps coming past it is cut off at the
limit, and one that trickles (no byte for ``idle_s``, or not complete within ``total_s``)
is 408. The page (``/``) is server-rendered and needs no JavaScript.
"""

import asyncio
import html
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Annotated, Any, Literal

import jinja2
from fastapi import (
    Depends,
    FastAPI,
    File,
    Form,
    HTTPException,
    Query,
    Request,
    UploadFile,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from grader.docio import format_size
from grader.results import SubmissionResult
from grader.service.core import Refused, Service
from grader.service.store import JobRow, TokenRow

__all__ = ["BodyLimit", "create_app"]

API = "/api/v1"
COOKIE = "grade_token"
_SMALL_BODY = 1 << 20  # everything but uploads: JSON overrides, the sign-in form
_MULTIPART_ROOM = 1 << 20  # multipart headers and boundaries beyond the upload limit
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class SubmissionStatus(BaseModel):
    id: str
    student: str
    filename: str = Field(description="the name it is graded under (the result's submission name)")
    submitted_at: str
    late: bool = Field(description="submitted after the rubric's deadline")
    state: Literal["queued", "running", "done", "failed"]
    score: float | None = Field(None, description="before release, the public checks' points only")
    max_score: float | None = None
    failure: str | None = Field(None, description="why it could not be graded")
    result_url: str
    feedback_url: str


class Problem(BaseModel):
    detail: Any


class OverrideIn(BaseModel):
    student: str = Field(min_length=1, max_length=200)
    check: str = Field(min_length=1, max_length=200, description="<question id>.<check id>, e.g. problem1.q1_1.reason")
    score: float
    comment: str = Field("", max_length=5000)
    by: str | None = Field(None, max_length=200, description="who scored it (default: the instructor's token name)")


class OverrideOut(BaseModel):
    id: int
    student: str
    check_id: str
    score: float
    by: str
    at: str


class QueueEntry(BaseModel):
    student: str
    submission: str
    check_id: str
    max_score: float
    text: str
    scored: float | None
    changed_since_scored: bool


_ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": Problem} for code in (401, 404)}


def _problem(status: int, detail: Any, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _page_problem(status: int, detail: str) -> HTMLResponse:
    """The same refusal for the page's form (a person reads it, without JavaScript)."""
    return HTMLResponse(f"<!DOCTYPE html><html lang=\"en\"><meta charset=\"utf-8\"><title>Not accepted</title>"
                        f"<p>{html.escape(detail)}</p><p><a href=\"/\">Back</a></p></html>", status_code=status)


class BodyLimit:
    """Bounds request bodies before the app parses them (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, upload_limit: Callable[[], int], idle_s: float = 15.0,
                 total_s: float = 120.0) -> None:
        self.app = app
        self.upload_limit = upload_limit
        self.idle_s = idle_s
        self.total_s = total_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        upload = path in (f"{API}/submissions", "/upload")
        refuse = _page_problem if path == "/upload" else _problem
        limit = self.upload_limit() + _MULTIPART_ROOM if upload else _SMALL_BODY
        shown = format_size(self.upload_limit()) if upload else format_size(_SMALL_BODY)
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        declared = headers.get(b"content-length")
        too_big = f"the upload is larger than the {shown} limit" if upload else f"the request body is over {shown}"
        if declared is not None:
            try:
                n = int(declared)
            except ValueError:
                await refuse(400, "Content-Length is not a number")(scope, receive, send)
                return
            if n > limit:
                await refuse(413, too_big)(scope, receive, send)
                return
        chunks: list[bytes] = []
        size = 0
        deadline = time.monotonic() + self.total_s
        while True:
            left = deadline - time.monotonic()
            try:
                message = await asyncio.wait_for(receive(), timeout=max(0.01, min(self.idle_s, left)))
            except TimeoutError:
                await refuse(408, f"the upload was too slow (more than {self.idle_s:g} s without data, or "
                               f"{self.total_s:g} s in all); try again")(scope, receive, send)
                return
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                await refuse(413, too_big)(scope, receive, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        data = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": data, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def create_app(service: Service) -> FastAPI:
    """The application serving ``service``."""
    app = FastAPI(title=f"grade serve: {service.assignment}", version="1",
                  description="Submit to the course's grader and get feedback at once. Versioned under /api/v1.")
    bearer = HTTPBearer(auto_error=False)
    env = jinja2.Environment(loader=jinja2.PackageLoader("grader", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    from grader.report.format import fmt_number
    from grader.report.html import HtmlRenderer

    env.filters["num"] = fmt_number
    renderer = HtmlRenderer()

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if exc.detail else "error"
        return _problem(exc.status_code, detail, headers=dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in exc.errors()]
        return _problem(422, errors)

    # ------------------------------------------------------------------ who

    def _token_of(request: Request, creds: HTTPAuthorizationCredentials | None) -> str | None:
        if creds is not None and creds.credentials:
            return creds.credentials
        return request.cookies.get(COOKIE)

    def optional_user(request: Request,
                      creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> TokenRow | None:
        token = _token_of(request, creds)
        if not token or len(token) > 200:
            return None
        return service.store.who(token)

    MaybeUser = Annotated[TokenRow | None, Depends(optional_user)]

    def user(who: MaybeUser) -> TokenRow:
        if who is None:
            raise HTTPException(401, "a valid token is needed: send `Authorization: Bearer TOKEN`",
                                headers={"WWW-Authenticate": "Bearer"})
        return who

    User = Annotated[TokenRow, Depends(user)]

    def instructor(who: User) -> TokenRow:
        if who.role != "instructor":
            raise HTTPException(404, "not found")
        return who

    Instructor = Annotated[TokenRow, Depends(instructor)]
    Files = Annotated[list[UploadFile], File(description="an archive, your files, a notebook or a write-up")]

    def own_job(job_id: str, who: TokenRow) -> JobRow:
        job = service.store.job(job_id) if len(job_id) <= 64 else None
        if job is None or (who.role != "instructor" and job.student != who.who):
            raise HTTPException(404, f"no submission {job_id[:64]!r} of yours")
        return job

    def status_of(job: JobRow, who: TokenRow) -> SubmissionStatus:
        score, max_score = job.score, job.max_score
        if job.result_json is not None and who.role != "instructor" and not service.store.released:
            view = service.result_for(job, instructor=False)
            assert view is not None
            score, max_score = view.score, view.max_score
        return SubmissionStatus(id=job.id, student=job.student, filename=job.filename, submitted_at=job.submitted_at,
                                late=job.late, state=job.state, score=score, max_score=max_score, failure=job.failure,
                                result_url=f"{API}/submissions/{job.id}/result",
                                feedback_url=f"{API}/submissions/{job.id}/feedback")

    # ------------------------------------------------------------------ API

    def _accept(who: TokenRow, files: list[UploadFile]) -> JobRow:
        if who.role != "student":
            raise HTTPException(403, "instructor tokens do not submit: use a student's token")
        try:
            return service.submit(who.who, [(f.filename or "upload", f.file) for f in files])
        except Refused as err:
            headers = {"Retry-After": str(err.retry_after)} if err.retry_after else None
            raise HTTPException(err.status, err.message, headers=headers) from None

    @app.post(f"{API}/submissions", status_code=202, response_model=SubmissionStatus,
              responses={**_ERRORS, **{c: {"model": Problem} for c in (403, 408, 413, 422, 429)}})
    def submit(files: Files, who: User) -> SubmissionStatus:
        """Accept a submission: stored and queued before the answer; grading follows."""
        return status_of(_accept(who, files), who)

    @app.get(f"{API}/submissions", response_model=list[SubmissionStatus], responses=_ERRORS)
    def list_submissions(who: User) -> list[SubmissionStatus]:
        """Your submissions, newest first (an instructor's token: everyone's)."""
        rows = service.store.jobs(student=None if who.role == "instructor" else who.who)
        return [status_of(j, who) for j in rows]

    @app.get(f"{API}/submissions/{{job_id}}", response_model=SubmissionStatus, responses=_ERRORS)
    async def get_submission(job_id: str, who: User,
                             wait: Annotated[float, Query(ge=0, le=60, description="seconds to wait for grading")] = 0.0) -> SubmissionStatus:
        """The submission's state; with ``wait``, answers as soon as it is graded (long poll)."""
        job = own_job(job_id, who)
        end = time.monotonic() + wait
        while job.state in ("queued", "running") and time.monotonic() < end:
            await asyncio.sleep(0.02)
            if service.finished(job_id):
                job = own_job(job_id, who)
                break
        return status_of(own_job(job_id, who), who)

    @app.get(f"{API}/submissions/{{job_id}}/events", responses={**_ERRORS, 200: {"content": {"text/event-stream": {}}}})
    async def events(job_id: str, who: User) -> StreamingResponse:
        """Server-sent events: the state now, and once more when grading is finished (at most 10 minutes)."""
        job = own_job(job_id, who)

        async def stream() -> Any:
            yield f"event: status\ndata: {status_of(job, who).model_dump_json()}\n\n"
            end = time.monotonic() + 600
            while not service.finished(job_id) and time.monotonic() < end:
                await asyncio.sleep(0.05)
            yield f"event: status\ndata: {status_of(own_job(job_id, who), who).model_dump_json()}\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream")

    def _finished(job: JobRow) -> None:
        if job.state in ("queued", "running"):
            raise HTTPException(409, f"not graded yet ({job.state}): wait with GET {API}/submissions/{job.id}?wait=30")
        if job.result_json is None:
            raise HTTPException(422, f"could not be graded: {job.failure}")

    @app.get(f"{API}/submissions/{{job_id}}/result",
             responses={**_ERRORS, **{c: {"model": Problem} for c in (409, 422)}, 200: {"content": {"application/json": {}}}})
    def result(job_id: str, who: User) -> Response:
        """The result JSON (grader.result/v1): the same bytes as ``grade FILE --json``; before
        release, a student gets the public checks only."""
        job = own_job(job_id, who)
        _finished(job)
        text = service.result_bytes(job, instructor=who.role == "instructor")
        assert text is not None
        return Response(text.encode("utf-8"), media_type="application/json")

    @app.get(f"{API}/submissions/{{job_id}}/feedback", response_class=HTMLResponse,
             responses={**_ERRORS, **{c: {"model": Problem} for c in (409, 422)}})
    def feedback(job_id: str, who: User) -> HTMLResponse:
        """The feedback page (students: hidden checks show only their points, once released)."""
        job = own_job(job_id, who)
        _finished(job)
        view = service.result_for(job, instructor=who.role == "instructor")
        assert view is not None
        return HTMLResponse(renderer.feedback(view, audience="instructor" if who.role == "instructor" else "student"))

    @app.get(f"{API}/class/report", response_class=HTMLResponse, responses=_ERRORS)
    def class_report(who: Instructor) -> HTMLResponse:
        """The class report: histogram, per-question statistics, failures, review queue."""
        from grader.report.html import GradingFailure
        from grader.classmode.review import effective_results

        with _gradebook() as gb:
            items = effective_results(gb, service.assignment)
        # one row per student, named by their id (what each uploaded is often called the same,
        # e.g. alice.zip), linked to the feedback of the submission that stands for them
        results: list[SubmissionResult] = []
        failures: list[GradingFailure] = []
        links: dict[str, str] = {}
        timings: dict[str, float] = {}
        for e in items:
            sid = e.row.submission
            if e.result is not None:
                results.append(e.result.model_copy(update={"submission": sid}))
                if e.row.source.startswith("upload "):
                    links[sid] = f"/submissions/{e.row.source.split()[1]}/feedback"
                if e.row.wall_s is not None:
                    timings[sid] = e.row.wall_s
            if e.result is None or e.row.failure:
                internal = (e.row.failure or "").startswith("internal error")
                failures.append(GradingFailure(submission=sid, reason=e.row.failure or "not graded",
                                               kind="error" if internal else "rejected"))
        return HTMLResponse(renderer.class_report(results, failures=failures, links=links, timings=timings))

    @app.get(f"{API}/class/export", responses={**_ERRORS, 200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}})
    def export(who: Instructor, format: Literal["csv", "jsonl"] = "csv") -> Response:
        """grades.csv (one row per student; Canvas-ready) or the same as JSON lines."""
        from grader.classmode.export import class_export, render_csv, render_jsonl

        with _gradebook() as gb:
            rows, qids = class_export(gb, service.assignment)
        if format == "csv":
            return Response(render_csv(rows, question_ids=qids), media_type="text/csv; charset=utf-8")
        return Response(render_jsonl(rows, question_ids=qids), media_type="application/x-ndjson")

    @app.get(f"{API}/class/review", response_model=list[QueueEntry], responses=_ERRORS)
    def review(who: Instructor, include_reviewed: bool = False) -> list[QueueEntry]:
        """The checks left for manual review in every student's current submission."""
        return [QueueEntry(student=q.student, submission=q.submission, check_id=q.check_id, max_score=q.max_score,
                           text=q.text, scored=q.review.score if q.review else None,
                           changed_since_scored=q.suspended is not None) for q in _queue(include_reviewed)]

    @app.post(f"{API}/class/overrides", response_model=list[OverrideOut], responses={**_ERRORS, 422: {"model": Problem}})
    def overrides(entries: list[OverrideIn], who: Instructor) -> list[OverrideOut]:
        """Store TA scores, all or none; each names the student, the check and the score."""
        from grader.classmode.review import (
            ReviewError,
            checks_of,
            effective_results,
            resolve_entries,
        )

        if not entries:
            raise HTTPException(422, "no overrides given")
        raw = [{"student": e.student, "check": e.check, "score": e.score, "comment": e.comment,
                "by": e.by or who.who, "where": f"overrides[{i}]"} for i, e in enumerate(entries)]
        with service._gb_lock, _gradebook(write=True) as gb:
            try:
                resolved = resolve_entries(raw, checks=checks_of(gb), items=effective_results(gb, service.assignment),
                                           default_by=who.who)
            except ReviewError as err:
                raise HTTPException(422, err.problems) from None
            stored = gb.add_overrides(service.assignment, resolved)
        return [OverrideOut(id=o.id, student=o.student, check_id=o.check_id, score=o.score, by=o.by, at=o.at)
                for o in stored]

    def _gradebook(*, write: bool = False) -> Any:
        from grader.classmode.gradebook import Gradebook

        return Gradebook.open(service.results_dir, create=write, exclusive=write)

    def _queue(include_reviewed: bool) -> list[Any]:
        from grader.classmode.review import effective_results, review_queue

        with _gradebook() as gb:
            return review_queue(effective_results(gb, service.assignment), include_reviewed=include_reviewed)

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        """Up, with the queue's depth."""
        return service.health()

    @app.get("/metrics", response_class=PlainTextResponse)
    def metrics() -> PlainTextResponse:
        """Prometheus text: queue depth, grading times, failures, refusals."""
        return PlainTextResponse(service.metrics_text(), media_type="text/plain; version=0.0.4")

    # ------------------------------------------------------------------ pages (no JavaScript)

    def page(view: str, who: TokenRow | None, *, status: int = 200, **extra: Any) -> HTMLResponse:
        s = service.settings
        ctx: dict[str, Any] = {"title": f"{service.assignment}: grader", "who": who, "view": view, "error": None,
                               "refresh": None, "released": service.store.released,
                               "max_upload": format_size(int(s.max_upload_mb * 2**20)),
                               "deadline": s.deadline.isoformat() if s.deadline else None,
                               "cutoff": s.cutoff.isoformat() if s.cutoff else None, "jobs": [], "job": None,
                               "result": None, "queue": []}
        ctx.update(extra)
        html = env.get_template("service.html.j2").render(**ctx)
        return HTMLResponse(html, status_code=status, headers={
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                                       "base-uri 'none'; frame-ancestors 'none'"})

    def home(who: TokenRow, *, status: int = 200, error: str | None = None) -> HTMLResponse:
        rows = service.store.jobs(student=None if who.role == "instructor" else who.who, limit=200)
        return page("home", who, status=status, error=error, jobs=[status_of(j, who) for j in rows])

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(who: MaybeUser) -> HTMLResponse:
        return page("login", None) if who is None else home(who)

    @app.post("/login", include_in_schema=False)
    def login(token: Annotated[str, Form(max_length=200)]) -> Response:
        who = service.store.who(token.strip())
        if who is None:
            return page("login", None, status=401, error="That token is not valid.")
        resp = RedirectResponse("/", status_code=303)
        resp.set_cookie(COOKIE, token.strip(), httponly=True, samesite="strict", max_age=30 * 86400)
        return resp

    @app.post("/logout", include_in_schema=False)
    def logout() -> Response:
        resp = RedirectResponse("/", status_code=303)
        resp.delete_cookie(COOKIE)
        return resp

    @app.post("/upload", include_in_schema=False)
    def upload_page(files: Files, who: MaybeUser) -> Response:
        if who is None:
            return page("login", None, status=401, error="Sign in first.")
        try:
            job = _accept(who, files)
        except HTTPException as err:
            return home(who, status=err.status_code, error=str(err.detail))
        return RedirectResponse(f"/submissions/{job.id}", status_code=303)

    @app.get("/submissions/{job_id}", response_class=HTMLResponse, include_in_schema=False)
    def submission_page(job_id: str, who: MaybeUser) -> HTMLResponse:
        if who is None:
            return page("login", None, status=401, error="Sign in first.")
        job = own_job(job_id, who)
        return page("submission", who, job=status_of(job, who), refresh=1 if job.state in ("queued", "running") else None,
                    result=service.result_for(job, instructor=who.role == "instructor"))

    @app.get("/submissions/{job_id}/feedback", response_class=HTMLResponse, include_in_schema=False)
    def feedback_page(job_id: str, who: MaybeUser) -> HTMLResponse:
        if who is None:
            return page("login", None, status=401, error="Sign in first.")
        return feedback(job_id, who)

    @app.get("/class", response_class=HTMLResponse, include_in_schema=False)
    def class_page(who: MaybeUser) -> HTMLResponse:
        if who is None or who.role != "instructor":
            return page("login", None, status=401, error="Sign in with an instructor token.")
        return class_report(who)

    @app.get("/class/queue", response_class=HTMLResponse, include_in_schema=False)
    def queue_page(who: MaybeUser) -> HTMLResponse:
        if who is None or who.role != "instructor":
            return page("login", None, status=401, error="Sign in with an instructor token.")
        return page("queue", who, queue=_queue(False))

    limit = int(service.settings.max_upload_mb * 2**20)
    app.add_middleware(BodyLimit, upload_limit=lambda: limit)
    return app

