"""The service's commands.

    grade serve [--assignment A] [--out results/] [--host 127.0.0.1] [--port 8000] [--jobs N] [--max-queue N]
    grade serve tokens --roster roster.csv [--instructor NAME ...] [--out results/]
    grade serve release [--out results/] [--undo]
    grade submit PATH --server URL --token T [--json FILE] [--fail-under N] [--quiet] [--timeout S]

``grade serve tokens`` prints one token per person (CSV: who,role,token) once; only their
hashes are stored, and issuing again replaces a person's token. ``grade submit`` uploads
PATH (a folder is zipped on the fly under its name, so the result names it as ``grade
PATH`` does), waits for the grading, prints the same summary as ``grade PATH`` and exits
with the same codes: 0 graded, 3 below ``--fail-under``, 2 the submission was refused or
could not be graded (the reason is printed), 1 the service failed or could not be reached.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grader.exits import EXIT_FAIL_UNDER, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE

__all__ = ["cmd_serve", "cmd_submit"]

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_ROSTER_COLUMNS = ("id", "student", "student_id", "sis user id", "login", "login id", "email")
_MAX_ROSTER_BYTES = 16 * 2**20


def _assignment_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--assignment", metavar="NAME", help="the assignment (a pack in assignments/); default: the only one "
                   "installed")
    p.add_argument("--rubric", type=Path, help="rubric file (overrides --assignment)")
    p.add_argument("--out", type=Path, default=Path("results"), metavar="DIR",
                   help="results folder: gradebook, service database, uploads (default: ./results)")


def cmd_serve(argv: Sequence[str]) -> int:
    if argv and argv[0] == "tokens":
        return _cmd_tokens(argv[1:])
    if argv and argv[0] == "release":
        return _cmd_release(argv[1:])
    p = argparse.ArgumentParser(prog="grade serve", description="Serve an assignment: students submit over HTTP "
                                "and get their feedback at once. Other commands: `grade serve tokens`, `grade serve release`.")
    _assignment_args(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--jobs", type=int, metavar="N", help="submissions graded at once (default: number of cores)")
    p.add_argument("--max-queue", type=int, default=200, metavar="N",
                   help="submissions waiting at most; more are answered 429 (default: 200)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--isolation", default="auto", choices=["auto", "full", "basic"], help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        p.error(f"--jobs must be at least 1, not {args.jobs}")
    if args.max_queue < 1:
        p.error(f"--max-queue must be at least 1, not {args.max_queue}")

    try:
        import fastapi  # noqa: F401 - only to say what is missing
        import multipart  # type: ignore[import-untyped]  # noqa: F401
        import uvicorn
    except ImportError as err:
        print(f"error: grade serve needs FastAPI, uvicorn and python-multipart ({err.name} is missing): "
              "pip install 'dl-grader[serve]'", file=sys.stderr)
        return EXIT_USAGE

    from grader.classmode.run import _default_jobs
    from grader.commands.grade import load_plan_for
    from grader.device import resolve_device
    from grader.service.app import create_app
    from grader.classmode.gradebook import GradebookError
    from grader.service.core import Service, ServiceError
    from grader.service.store import StoreError
    from grader.service.workers import LocalPool

    plan = load_plan_for(args)
    device = resolve_device(args.device)
    jobs = args.jobs or _default_jobs()
    t0 = time.perf_counter()
    pool = LocalPool(plan, device=device, isolation=args.isolation, capacity=jobs)
    try:
        service = Service(args.out, plan, pool, device=device, max_queue=args.max_queue)
    except (ServiceError, GradebookError, StoreError) as err:
        pool.close()
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    try:
        service.start()
        app = create_app(service)
        requeued = service.queue_depth
        print(f"serving {plan.rubric.assignment} on http://{args.host}:{args.port}/ with {jobs} worker(s) "
              f"(warm in {time.perf_counter() - t0:.1f} s); results in {args.out}/"
              + (f"; {requeued} unfinished submission(s) queued again" if requeued else ""), flush=True)
        for note in pool.notes:
            print(f"note: {note}", flush=True)
        if args.host not in ("127.0.0.1", "localhost", "::1"):
            print("note: listening beyond this machine: put it behind a TLS proxy (tokens travel in every request)",
                  flush=True)
        config = uvicorn.Config(app, host=args.host, port=args.port, log_level="warning", timeout_keep_alive=5,
                                limit_concurrency=max(64, args.max_queue * 2))
        uvicorn.Server(config).run()
    finally:
        service.close()
    return EXIT_OK


def _open_store(args: argparse.Namespace) -> Any:
    from grader.commands.grade import load_plan_for
    from grader.service.store import ServiceStore

    plan = load_plan_for(args)
    return ServiceStore(args.out, assignment=plan.rubric.assignment)


def read_roster(path: Path) -> list[str]:
    """Student ids from a roster CSV: the column named id / student / SIS User ID / login /
    email (first found), else the first column; blank and repeated ids are dropped."""
    from grader.exits import UsageError

    try:
        raw = path.read_bytes()
    except OSError as err:
        raise UsageError(f"{path}: cannot read the roster ({err.strerror or err})") from None
    if len(raw) > _MAX_ROSTER_BYTES:
        raise UsageError(f"{path}: a roster of more than 16 MiB is not a roster")
    text = raw.decode("utf-8-sig", errors="replace")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise UsageError(f"{path}: the roster is empty")
    header = [h.strip().lower() for h in rows[0]]
    col = next((header.index(c) for c in _ROSTER_COLUMNS if c in header), None)
    body = rows[1:] if col is not None else rows
    col = col or 0
    seen: list[str] = []
    for i, row in enumerate(body, start=2 if body is not rows else 1):
        sid = row[col].strip() if len(row) > col else ""
        if not sid:
            continue
        if any(ord(c) < 32 for c in sid) or len(sid) > 200:
            raise UsageError(f"{path}:{i}: {sid[:40]!r} is not a student id")
        if sid not in seen:
            seen.append(sid)
    if not seen:
        raise UsageError(f"{path}: no student ids in the roster")
    return seen


def _cmd_tokens(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="grade serve tokens", description="Issue tokens: one per student of the roster "
                                "(and per --instructor), printed once as CSV (who,role,token); only hashes are kept.")
    _assignment_args(p)
    p.add_argument("--roster", type=Path, help="CSV with a column id / student / SIS User ID / login / email")
    p.add_argument("--instructor", action="append", default=[], metavar="NAME", help="an instructor or TA token")
    args = p.parse_args(argv)
    if args.roster is None and not args.instructor:
        p.error("give --roster FILE and/or --instructor NAME")
    students = read_roster(args.roster) if args.roster is not None else []
    store = _open_store(args)
    try:
        issued = [("student", who, tok) for who, tok in store.issue_tokens(students, role="student").items()]
        issued += [("instructor", who, tok) for who, tok in store.issue_tokens(args.instructor, role="instructor").items()]
    finally:
        store.close()
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["who", "role", "token"])
    for role, who, tok in issued:
        out.writerow([who, role, tok])
    print(f"{len(issued)} token(s) issued: this is the only time they are shown; earlier tokens of these people "
          "no longer work", file=sys.stderr)
    return EXIT_OK


def _cmd_release(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="grade serve release", description="Release grades: students see their full "
                                "feedback (before, the public checks only). Takes effect at once on a running service.")
    _assignment_args(p)
    p.add_argument("--undo", action="store_true", help="back to public checks only")
    args = p.parse_args(argv)
    store = _open_store(args)
    try:
        store.set_meta("released", "0" if args.undo else "1")
    finally:
        store.close()
    print("grades are " + ("no longer released: students see public checks only" if args.undo else
                           "released: students see their full feedback"))
    return EXIT_OK


# --------------------------------------------------------------------------- grade submit


def pack_folder(path: Path) -> bytes:
    """A folder as a zip (sorted entries, fixed timestamps; links and hidden junk left out)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for root, dirs, files in os.walk(path, followlinks=False):
            dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", ".git", ".ipynb_checkpoints", "__MACOSX"))
            for name in sorted(files):
                full = Path(root) / name
                if full.is_symlink() or not full.is_file():
                    continue
                info = zipfile.ZipInfo(full.relative_to(path).as_posix(), date_time=_ZIP_TIME)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, full.read_bytes())
    return buf.getvalue()


def cmd_submit(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="grade submit", description="Submit to a `grade serve` service, wait, and print "
                                "the same summary as `grade PATH` (same exit codes).")
    p.add_argument("path", type=Path, help="submission folder, archive or write-up")
    p.add_argument("--server", required=True, help="the service's URL, e.g. http://127.0.0.1:8000")
    p.add_argument("--token", default=os.environ.get("GRADE_TOKEN"), help="your token (default: $GRADE_TOKEN)")
    p.add_argument("--json", type=Path, metavar="FILE", help="write the result JSON here")
    p.add_argument("--fail-under", type=float, metavar="N", help="exit 3 when the total is below N")
    p.add_argument("--quiet", action="store_true", help="print only the total")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the result (default: 600)")
    args = p.parse_args(argv)
    if not args.token:
        p.error("--token is required (or set GRADE_TOKEN)")
    import httpx

    from grader.report.terminal import render_summary
    from grader.results import SubmissionResult

    path: Path = args.path
    if not path.exists():
        print(f"error: {path}: no such file or directory", file=sys.stderr)
        return EXIT_USAGE
    if path.is_dir():
        name, data = f"{path.resolve().name}.zip", pack_folder(path)
    else:
        name, data = path.name, path.read_bytes()
    headers = {"Authorization": f"Bearer {args.token}"}
    base = args.server.rstrip("/")
    end = time.monotonic() + args.timeout
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=httpx.Timeout(60.0)) as client:
            r = client.post("/api/v1/submissions", files={"files": (name, data, "application/octet-stream")})
            if r.status_code != 202:
                return _refused(r)
            job_id = r.json()["id"]
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    print(f"error: no result within {args.timeout:g} s (submission {job_id} is still queued; "
                          "its result stays on the service)", file=sys.stderr)
                    return EXIT_INTERNAL
                st = client.get(f"/api/v1/submissions/{job_id}", params={"wait": min(30.0, max(1.0, left))})
                if st.status_code != 200:
                    return _refused(st)
                status = st.json()
                if status["state"] not in ("queued", "running"):
                    break
            res = client.get(f"/api/v1/submissions/{job_id}/result")
            if res.status_code != 200:
                return _refused(res)
    except httpx.HTTPError as err:
        print(f"error: cannot reach {base}: {type(err).__name__}: {err}", file=sys.stderr)
        return EXIT_INTERNAL
    result = SubmissionResult.from_json(res.text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_bytes(res.content)
    print(render_summary(result, quiet=args.quiet))
    if args.fail_under is not None and result.score < args.fail_under:
        print(f"score {result.score:g} is below --fail-under {args.fail_under:g}", file=sys.stderr)
        return EXIT_FAIL_UNDER
    return EXIT_OK


def _refused(r: Any) -> int:
    """A 4xx is the submission's or the user's (exit 2); anything else the service's (exit 1)."""
    try:
        detail = r.json().get("detail")
    except ValueError:
        detail = r.text[:500]
    if isinstance(detail, list):
        detail = "; ".join(str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail)
    print(f"error: {detail} (HTTP {r.status_code})", file=sys.stderr)
    if r.status_code == 422 and "internal error" in str(detail):
        return EXIT_INTERNAL
    return EXIT_USAGE if 400 <= r.status_code < 500 else EXIT_INTERNAL
