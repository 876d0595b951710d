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
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.answers import Answers, load_answers
from grader.docio import DataDocument
from grader.submission import Submission, SubmissionError
from grader.writeup.code import module_names
from grader.writeup.extract import LOW_CONFIDENCE, Extraction, extract
from grader.writeup import isolate
from grader.writeup.isolate import WriteupLimits, extraction_from_json, extraction_to_json, run_limited
from grader.writeup.source import WRITEUP_SUFFIXES, WriteupError, read_text

if TYPE_CHECKING:
    from grader.rubric import Plan

__all__ = ["MAX_WRITEUP_BYTES", "extraction_notes", "find_writeups", "load_answers_or_writeup", "read_writeup", "short",
           "to_answers"]

MAX_WRITEUP_BYTES = 64 * 2**20
_NOT_WRITEUPS = ("readme", "license", "licence", "requirements", "changelog")


def find_writeups(files: tuple[str, ...] | list[str]) -> list[str]:
    """The write-ups at the top of a submission (``report.pdf``, ``hw1.md``), sorted."""
    out = []
    for rel in files:
        if "/" in rel or rel.startswith("."):
            continue
        low = rel.lower()
        if low.endswith(WRITEUP_SUFFIXES) and not low.startswith(_NOT_WRITEUPS):
            out.append(rel)
    return sorted(out)


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
    sub: Submission, *, plan: "Plan", limits: WriteupLimits | None = None
) -> tuple[Answers, Submission]:
    """The submission's answers (from its answers file, else from its write-up) and the
    submission to grade (a view with the write-up's code as modules, where it has code).

    A write-up that cannot be read (not a PDF, encrypted, over a reading limit) is the
    answers' error, "could not read the write-up (report.pdf: ...)", which every answer
    check reports; the code checks are graded as usual."""
    answers = load_answers(sub, known_paths=plan.known_paths)
    if answers.data is not None or answers.error is not None:
        return answers, sub
    found = find_writeups(sub.files)
    if not found:
        return answers, sub
    if len(found) > 1:
        listed = ", ".join(found[:-1]) + " and " + found[-1]
        error = f"{len(found)} write-ups and no answers file: {listed}; keep one (or hand in answers.yaml)"
        return Answers(data=None, filename=None, error=error, warnings=answers.warnings), sub
    name = found[0]
    try:
        ex = read_writeup(sub, name, plan=plan, limits=limits)
    except (WriteupError, SubmissionError) as err:
        error = f"could not read the write-up ({err})"
        return Answers(data=None, filename=name, error=error, warnings=answers.warnings), sub
    return to_answers(ex, prior_warnings=answers.warnings), _view(sub, ex)


def short(value: object, *, width: int = 70) -> str:
    text = " ".join(str(value).split()) if isinstance(value, str) else repr(value)
    if isinstance(value, bool):
        text = "true" if value else "false"
    return text if len(text) <= width else text[: width - 3] + "..."


def to_answers(ex: Extraction, *, prior_warnings: tuple[str, ...] = ()) -> Answers:
    data = ex.data()
    name = ex.filename
    low = [i for i in ex.items if i.confidence < LOW_CONFIDENCE]
    summary = (f"{name}: answers read from the write-up ({len(ex.items)} values"
               + (f", {len(low)} with low confidence" if low else "")
               + (f", {len(ex.gaps)} not found" if ex.gaps else "")
               + f"); `grade extract {name}` prints them as an answers.yaml to check, fix and re-grade")
    warnings = list(prior_warnings) + [summary]
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
    document = DataDocument(data=data, filename=name, lines=ex.line_map())
    return Answers(data=data, filename=name, warnings=tuple(warnings), document=document)


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
    if not new:
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
    except (OSError, SubmissionError):
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    view = Submission(name=sub.name, root=root, files=tuple(sorted([*sub.files, *(m.filename for m in new)])),
                      rejected=sub.rejected, notes=notes, _tmpdir=tmp)
    weakref.finalize(view, shutil.rmtree, tmp, True)
    return view
