"""Where the engine meets write-ups: answers from a report when there is no answers file.

:func:`load_answers_or_writeup` is what the engine calls in place of ``load_answers``.
An answers file, where there is one, always wins (a write-up beside it is not read).
Without one, a write-up at the top of the submission is read: exactly one ``.pdf``,
``.md`` or ``.txt`` (README, LICENSE and requirements files do not count); two of them
is an error naming both, as for two answers files, since nothing is guessed.

The extracted answers come back as an :class:`~grader.answers.Answers` whose line
numbers point into the write-up's text; the result's warnings say what could not be
read (with the text around it, for a TA) and what was read with low confidence; its
notes list every extracted value with page, line and confidence.

Code found in the write-up becomes module files (``lab2.py``) in a *view* of the
submission: a private copy of its files plus the extracted modules, so the sandbox
imports them like any student module. A module the student handed in as a file is never
replaced. The view's folder is removed when the view is closed or garbage-collected.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from grader.answers import Answers, Reading, load_answers
from grader.docio import DataDocument
from grader.submission import Submission, SubmissionError
from grader.writeup.code import module_names
from grader.writeup.extract import LOW_CONFIDENCE, Extraction, Item, extract
from grader.writeup import isolate
from grader.writeup.isolate import WriteupLimits, extraction_from_json, extraction_to_json, run_limited
from grader.writeup.source import WRITEUP_SUFFIXES, WriteupError, read_text

if TYPE_CHECKING:
    from grader.rubric import Plan

__all__ = ["MAX_WRITEUP_BYTES", "extraction_notes", "find_writeups", "load_answers_or_writeup", "read_writeup", "short",
           "to_answers"]

MAX_WRITEUP_BYTES = 64 * 2**20
_NOT_WRITEUPS = ("readme", "license", "licence", "requirements", "changelog")


_REPORT_NAME = re.compile(r"(?:^|[\W_])(?:report|write-?up|homework|hw\d*|assignment\d*|answers?|solutions?)(?:$|[\W_\d])")


def looks_like_report(name: str) -> bool:
    """A file named like a report (``report.pdf``, ``hw3_writeup.docx``, ``Homework 2.pdf``)."""
    return bool(_REPORT_NAME.search(name.rsplit(".", 1)[0].lower()))


def find_writeups(files: tuple[str, ...] | list[str]) -> list[str]:
    """The documents at the top of a submission that could be its report, sorted. README,
    LICENSE and requirements files never are; a notebook is one only where it is named
    like a report (``report.ipynb``): ``lab1.ipynb`` is code."""
    out = []
    for rel in files:
        if "/" in rel or rel.startswith("."):
            continue
        low = rel.lower()
        if not low.endswith(WRITEUP_SUFFIXES) or low.startswith(_NOT_WRITEUPS):
            continue
        if low.endswith(".ipynb") and not looks_like_report(low):
            continue
        out.append(rel)
    return sorted(out)


def choose_writeup(found: list[str], size: Callable[[str], int]) -> tuple[str, list[str], str]:
    """(the report, the documents ignored, the rule that chose it) among several documents:
    the one named like a report (``report``, ``writeup``, ``hw3``, ``homework``, ``answers``),
    else the largest PDF, else the largest document. Several named like a report: the
    PDF among them, else the largest."""
    if len(found) == 1:
        return found[0], [], "the only document"
    named = [f for f in found if looks_like_report(f)]
    pool, rule = (named, "named like a report") if named else (found, "")
    pdfs = [f for f in pool if f.lower().endswith(".pdf")]
    if pdfs:
        pool = pdfs
        rule = rule + (", " if rule else "") + ("the largest PDF" if len(pdfs) > 1 else "a PDF")
    elif not rule:
        rule = "the largest document"
    chosen = max(pool, key=lambda f: (size(f), f)) if len(pool) > 1 else pool[0]
    return chosen, [f for f in found if f != chosen], rule


def support_names(plan: "Plan") -> dict[str, set[str]]:
    """Top-level names of the assignment's Python support modules (the scaffold)."""
    out: dict[str, set[str]] = {}
    for name, path in sorted(plan.support_files.items()):
        if name.endswith(".py"):
            try:
                out[name[:-3]] = module_names(Path(path).read_text(encoding="utf-8"))
            except OSError:
                continue
    return out


def read_writeup(sub: Submission, name: str, *, plan: "Plan", limits: WriteupLimits | None = None) -> Extraction:
    """Read and extract one write-up of the submission; WriteupError or SubmissionError if unreadable.

    The reading (the PDF's text, then the extraction) runs in a child with CPU, memory and
    wall-clock ``limits`` (:mod:`grader.writeup.isolate`; its ``DEFAULT_LIMITS`` when None):
    the write-up is untrusted input.
    """
    raw = sub.read_bytes(name, max_bytes=MAX_WRITEUP_BYTES)
    support = support_names(plan)  # the assignment's own files: read here, trusted

    def work() -> dict[str, Any]:
        return extraction_to_json(extract(read_text(raw, filename=name), plan=plan, support=support))

    data = run_limited(work, filename=name, limits=limits or isolate.DEFAULT_LIMITS)
    try:
        return extraction_from_json(data)
    except ValueError as err:
        raise WriteupError(f"{name}: cannot be read ({err})") from None


def load_answers_or_writeup(
    sub: Submission, *, plan: "Plan", limits: WriteupLimits | None = None, answers: Answers | None = None
) -> tuple[Answers, Submission]:
    """The submission's answers (from its answers file, else from its write-up) and the
    submission to grade (a view with the write-up's code as modules, where it has code).
    `answers`: what `load_answers` already gave for this submission (not read again).

    A write-up that cannot be read (not a PDF, encrypted, over a reading limit) is the
    answers' error, "could not read the write-up (report.pdf: ...)", which every answer
    check reports; the code checks are graded as usual."""
    if answers is None:
        answers = load_answers(sub, known_paths=plan.known_paths)
    if answers.data is not None or answers.error is not None:
        return answers, sub
    found = find_writeups(sub.files)
    if not found:
        return answers, sub
    name, ignored, rule = choose_writeup(found, lambda f: _size(sub, f))
    if ignored:
        listed = ", ".join(ignored)
        answers = dataclasses.replace(answers, warnings=(*answers.warnings,
                                      f"{len(found)} documents and no answers file: {name} is read as the report "
                                      f"({rule}); ignored: {listed}"))
    try:
        ex = read_writeup(sub, name, plan=plan, limits=limits)
        digest = "sha256:" + hashlib.sha256(sub.read_bytes(name, max_bytes=MAX_WRITEUP_BYTES)).hexdigest()
    except (WriteupError, SubmissionError) as err:
        error = f"could not read the write-up ({err})"
        return Answers(data=None, filename=name, error=error, warnings=answers.warnings), sub
    answers_read = to_answers(ex, prior_warnings=answers.warnings, review_below=plan.rubric.writeup.review_below,
                              graded=graded_paths(plan), report_digest=digest)
    return answers_read, _view(sub, ex)


def _size(sub: Submission, rel: str) -> int:
    try:
        return (sub.root / rel).lstat().st_size
    except OSError:
        return 0


def short(value: object, *, width: int = 70) -> str:
    text = " ".join(str(value).split()) if isinstance(value, str) else repr(value)
    if isinstance(value, bool):
        text = "true" if value else "false"
    return text if len(text) <= width else text[: width - 3] + "..."


def graded_paths(plan: "Plan") -> frozenset[str]:
    """The answers paths of checks worth points (or graded through an alternative) that are
    scored automatically: free text (``manual``) waits for a TA whatever its confidence."""
    out: set[str] = set()

    def walk(checks: Any, graded: bool) -> None:
        for c in checks:
            if c.spec.answer and (graded or c.spec.points > 0) and getattr(c.spec, "kind", "") != "manual":
                out.add(c.spec.answer)
            walk(c.alternatives, graded or c.spec.points > 0)

    for q in plan.questions:
        walk(q.checks, False)
    return frozenset(out)


def excerpt(ex: Extraction, first: int, last: int, *, width: int = 240) -> str:
    """The report's text on lines ``first`` .. ``last`` (bounded), for a TA."""
    lines = ex.text.lines[max(0, first - 1): max(first, min(last, first + 12))]
    text = " ".join(" ".join(line.text.split()) for line in lines).strip()
    return text if len(text) <= width else text[: width - 3] + "..."


def to_answers(ex: Extraction, *, prior_warnings: tuple[str, ...] = (), review_below: float = LOW_CONFIDENCE,
               graded: frozenset[str] | None = None, report_digest: str | None = None) -> Answers:
    """The extraction as answers. A value read below ``review_below`` for a check in
    ``graded`` (every check when None) is not scored: it is left out of the data and kept
    as a :class:`~grader.answers.Reading` for a TA."""
    name = ex.filename

    def needs_review(item: Item) -> bool:
        if item.confidence >= review_below:
            return False
        return graded is None or any(item.path == p or item.path.startswith(p + ".") for p in graded)

    held = [i for i in ex.items if needs_review(i)]
    kept = dataclasses.replace(ex, items=tuple(i for i in ex.items if i not in held))
    data = kept.data()
    pending = tuple(Reading(path=i.path, value=i.value, where=f"{name} {ex.where(i.first)}",
                            excerpt=excerpt(ex, i.first, i.last), confidence=i.confidence, how=i.how) for i in held)
    low = [i for i in ex.items if i.confidence < LOW_CONFIDENCE and i not in held]
    summary = (f"{name}: answers read from the write-up ({len(ex.items)} values"
               + (f", {len(held)} waiting for a TA to confirm them" if held else "")
               + (f", {len(low)} with low confidence" if low else "")
               + (f", {len(ex.gaps)} not found" if ex.gaps else "")
               + f"); `grade extract {name}` prints them as an answers.yaml to check, fix and re-grade")
    warnings = list(prior_warnings) + [summary]
    for r in pending:
        warnings.append(f"{r.where}: {r.path} = {short(r.value, width=50)} read with confidence {r.confidence:.2f} "
                        f"({r.how}): not scored until a TA confirms it (grade review --confirm)")
    for gap in ex.gaps:
        where = f"{name} {ex.where(gap.line)}" if gap.line else name
        text = f"{where}: {gap.path}: {gap.reason}"
        if gap.excerpt:
            text += f"; the text, for review: \u00ab{gap.excerpt}\u00bb"
        warnings.append(text)
    for item in low:
        warnings.append(f"{name} {ex.where(item.first)}: {item.path} = {short(item.value, width=50)} read with low confidence "
                        f"({item.confidence:.2f}, {item.how}): check it")
    warnings += [f"{name}: {n}" for n in ex.notes]
    document = DataDocument(data=data, filename=name, lines=kept.line_map())
    return Answers(data=data, filename=name, warnings=tuple(warnings), document=document, pending=pending,
                   report_digest=report_digest)


def extraction_notes(ex: Extraction, *, written: list[str]) -> list[str]:
    name = ex.filename
    notes = [f"{name} {ex.where(i.first)}: {i.path} = {short(i.value)} (confidence {i.confidence:.2f})" for i in ex.items]
    for m in ex.modules:
        if m.filename in written:
            extra = f"; {'; '.join(m.notes)}" if m.notes else ""
            notes.append(f"{name} {ex.where(m.first)}-{ex.where(m.last)}: code graded as {m.filename} "
                         f"({', '.join(m.defines)}){extra}")
        else:
            notes.append(f"{name}: code for {m.filename} found in the write-up but not used: the submission has the file")
    return notes


def _view(sub: Submission, ex: Extraction) -> Submission:
    taken = {f.rsplit(".", 1)[0] for f in sub.files if f.endswith((".py", ".ipynb")) and "/" not in f}
    new = [m for m in ex.modules if m.filename[:-3] not in taken]
    notes = tuple(sub.notes) + tuple(extraction_notes(ex, written=[m.filename for m in new]))
    blobs = {f.name: f.data for f in ex.text.figures}
    figures = [(name, blobs[fig]) for name, fig in ex.figure_files if fig in blobs and name not in sub.files]
    if not new and not figures:
        return dataclasses.replace(sub, notes=notes)
    tmp = Path(tempfile.mkdtemp(prefix="grader-writeup-"))
    root = tmp / "files"
    try:
        for rel in sub.files:
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(sub.read_bytes(rel, max_bytes=MAX_WRITEUP_BYTES))
        root.mkdir(parents=True, exist_ok=True)
        for m in new:
            (root / m.filename).write_text(m.source, encoding="utf-8")
        for name, blob in figures:
            (root / name).write_bytes(blob)
    except (OSError, SubmissionError):
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    added = [*(m.filename for m in new), *(name for name, _ in figures)]
    view = Submission(name=sub.name, root=root, files=tuple(sorted([*sub.files, *added])),
                      rejected=sub.rejected, notes=notes, _tmpdir=tmp)
    weakref.finalize(view, shutil.rmtree, tmp, True)
    return view
