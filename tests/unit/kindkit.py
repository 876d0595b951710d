"""Hand-built contexts for the unit tier: a check kind is a pure function of its spec and a
CheckContext, so each is tested here without a rubric file, a plan or a sandbox."""

from __future__ import annotations

from typing import Any

from grader.checks.base import CheckContext, Missing, ProbeOutput, Tolerance

TOL = Tolerance(rtol=1e-6, atol=1e-9)


def answer_ctx(answer: Any, expected: Any = None, *, tol: Tolerance = TOL, line: int | None = 7,
               error: str | None = None, files: tuple[str, ...] = (), data: dict[str, bytes] | None = None) -> CheckContext:
    """The context of an answers check: `answer` as read from answers.yaml at `line`."""
    blobs = data or {}
    return CheckContext(answer=answer, answer_line=line, answers_file="answers.yaml", answers_error=error,
                        expected=expected, actual=None, tolerance=tol, files=files or tuple(blobs),
                        file_bytes=blobs.__getitem__)


def code_ctx(value: Any, expected: Any, *, status: str = "ok", message: str = "", tol: Tolerance = TOL) -> CheckContext:
    """The context of a code check: the student's probe output against the reference's."""
    return CheckContext(answer=None, answer_line=None, answers_file=None, answers_error=None, expected=expected,
                        actual=ProbeOutput(status=status, value=value, message=message), tolerance=tol)


def missing(reason: str = "(no 'q1')") -> Missing:
    return Missing(reason)
