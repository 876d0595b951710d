"""`grade validate NAME`: a pack's instructor checks (grader.validate) and its example
submissions graded against what its examples.yaml says each should score."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.rubric import RubricError

# --------------------------------------------------------------------------- a pack


@dataclass
class ExampleRow:
    name: str
    want_score: float | None
    want_pending: float | None
    want_questions: dict[str, float]
    score: float | None = None
    pending: float | None = None
    questions: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    @property
    def ok(self) -> bool:
        if self.error is not None or self.want_score is None:
            return False
        if not _close(self.score, self.want_score):
            return False
        if self.want_pending is not None and not _close(self.pending, self.want_pending):
            return False
        return all(_close(self.questions.get(q), s) for q, s in self.want_questions.items())


def _close(a: float | None, b: float) -> bool:
    return a is not None and abs(a - b) <= 1e-6


@dataclass
class ValidationReport:
    pack: str
    problems: list[str] = field(default_factory=list)
    examples: list[ExampleRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.examples) and all(r.ok for r in self.examples)

    def render(self) -> str:
        lines = [f"assignment {self.pack}:"]
        if self.problems:
            lines.append(f"  {len(self.problems)} problem(s) in the pack:")
            lines += [f"    {p}" for p in self.problems]
        else:
            lines.append("  rubric, reference and probes: no problem found")
        if not self.examples and not self.problems:
            lines.append("  no examples: add examples/<name>/ and examples.yaml")
        width = max([len(r.name) for r in self.examples] + [7])
        if self.examples:
            lines.append(f"  {'example':<{width}}  {'scores':>14}  {'should':>14}")
        for r in self.examples:
            got = "error" if r.error else f"{r.score:g} +{r.pending:g} pending" if r.pending else f"{r.score:g}"
            want = "(not recorded)" if r.want_score is None else \
                f"{r.want_score:g} +{r.want_pending:g} pending" if r.want_pending else f"{r.want_score:g}"
            lines.append(f"  {r.name:<{width}}  {got:>14}  {want:>14}  {'ok' if r.ok else 'MISMATCH'}")
            if r.error:
                lines.append(f"    {r.error}")
            for q, s in r.want_questions.items():
                if not _close(r.questions.get(q), s):
                    lines.append(f"    {q}: scores {r.questions.get(q)}, should {s:g}")
        lines.append("  ok" if self.ok else "  FAILED")
        return "\n".join(lines)


def _expectations(pack_examples_file: Path, names: list[str]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """examples.yaml read: example -> {score, pending, questions}; problems with file:line."""
    from grader.docio import DocumentError, load_document

    if not pack_examples_file.is_file():
        return {}, ([f"{pack_examples_file}: not found (it records what each example should score)"] if names else [])
    try:
        doc = load_document(pack_examples_file.read_bytes(), filename=pack_examples_file.name)
    except DocumentError as err:
        return {}, [str(err)]
    data = doc.data or {}
    if not isinstance(data, dict):
        return {}, [f"{pack_examples_file}: a mapping of example name to {{score, pending, questions}}"]
    out: dict[str, dict[str, Any]] = {}
    problems = []
    for name, want in data.items():
        line = doc.line_of([name])
        where = f"{pack_examples_file.name}:{line}" if line else pack_examples_file.name
        if name not in names:
            problems.append(f"{where}: no example folder examples/{name}/")
            continue
        ok = isinstance(want, dict) and set(want) <= {"score", "pending", "questions"} \
            and isinstance(want.get("score"), (int, float)) and not isinstance(want.get("score"), bool) \
            and isinstance(want.get("pending", 0), (int, float)) and isinstance(want.get("questions", {}), dict)
        if not ok:
            problems.append(f"{where} {name}: expected {{score: N, pending: N (optional), questions: {{id: N}} (optional)}}")
            continue
        out[str(name)] = want
    return out, problems


def validate_pack(pack: Any, *, device: str = "cpu", isolation: str = "auto") -> ValidationReport:
    """Every check above on a pack, then its examples graded (sandbox and all)."""
    from grader.engine import Grader
    from grader.rubric import load_plan

    report = ValidationReport(pack=pack.name)
    try:
        plan = load_plan(pack.rubric_path)
        if plan.rubric.assignment != pack.name:
            report.problems.append(f"{plan.rubric_path}: assignment {plan.rubric.assignment!r} is not the pack's "
                                   f"folder name {pack.name!r}")
        grader = Grader.create(plan, device=device, isolation=isolation)
    except RubricError as err:
        report.problems += err.problems
        return report
    with grader:
        names = sorted(p.name for p in pack.examples_dir.iterdir() if not p.name.startswith(".")) \
            if pack.examples_dir.is_dir() else []
        wants, problems = _expectations(pack.examples_file, names)
        report.problems += problems
        for name in names:
            want = wants.get(name, {})
            row = ExampleRow(name=name, want_score=want.get("score"), want_pending=want.get("pending"),
                             want_questions={str(k): float(v) for k, v in (want.get("questions") or {}).items()})
            try:
                result = grader.grade_path(pack.examples_dir / name)
            except Exception as err:  # noqa: BLE001 - reported as this example's, the others still run
                row.error = f"{type(err).__name__}: {err}"
            else:
                row.score = result.score
                row.pending = _pending(result)
                row.questions = {q.id: q.score for q in result.questions}
            report.examples.append(row)
    return report


def _pending(result: Any) -> float:
    """Points left for a TA (manual checks without a score yet)."""
    from grader.results import Status

    return float(round(sum(c.max_score - c.score for q in result.questions for c in q.checks if c.status == Status.MANUAL), 6))
