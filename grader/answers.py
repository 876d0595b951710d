"""Find and load a student's answers file, and check its keys against those the rubric knows.

Only a top-level ``answers.yaml`` / ``answers.yml`` / ``answers.json`` /
``answers.toml`` counts. Two of them is an error naming both (nothing is guessed);
an answers file elsewhere, or named with other capitals, is reported in a warning
and not read.

Keys are exact. A key the rubric does not know is kept but warned about, with the
closest known sibling as a suggestion (case-insensitive, ``difflib``). The caller
passes the known dotted paths (from the rubric): ``"problem2.q2_2.w"`` makes
``problem2`` and ``problem2.q2_2`` known too, and anything below a known leaf is
accepted (its value is the check's business); a path ending in ``.*``
(``"lab2.table.*"``) accepts any key below it. When ``known_paths`` is a set, it is
sorted first, so messages do not depend on hash order.
"""

from __future__ import annotations

import difflib
import enum
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from grader.docio import DataDocument, DocumentError, load_document
from grader.submission import Submission, SubmissionError

__all__ = ["ANSWER_FILES", "MISSING", "Answers", "Reading", "load_answers"]

ANSWER_FILES = ("answers.yaml", "answers.yml", "answers.json", "answers.toml")

_NUMBER_WORDS = {2: "two", 3: "three", 4: "four"}


class _Missing(enum.Enum):
    """The type of :data:`MISSING` (an enum member: one instance, survives copy and pickle)."""

    MISSING = "MISSING"

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING = _Missing.MISSING
"""What :meth:`Answers.get` returns for a path the answers file does not have."""


@dataclass(frozen=True)
class Reading:
    """A value read from a report too uncertainly to be scored (below the rubric's
    ``writeup.review_below``): it is not in the answers' data, and the checks that need
    it wait for a TA to confirm or correct it (``grade review --confirm``)."""

    path: str  # the answers path it would have ("problem2.q2_2.w")
    value: Any
    where: str  # "report.pdf p.2 l.14"
    excerpt: str  # the report's text there
    confidence: float
    how: str


@dataclass(frozen=True)
class Answers:
    """A student's answers: the data, where it came from, and what was wrong with it."""

    data: dict[str, Any] | None
    filename: str | None
    error: str | None = None
    warnings: tuple[str, ...] = ()
    document: DataDocument | None = field(default=None, repr=False, compare=False)
    pending: tuple[Reading, ...] = ()  # values read from a report, waiting for a TA
    report_digest: str | None = None  # sha256 of the report the answers were read from

    def readings_under(self, path: str) -> list[Reading]:
        """The pending readings a check of answers path ``path`` needs."""
        return [r for r in self.pending if r.path == path or r.path.startswith(path + ".")]

    def get(self, path: str) -> tuple[Any, int | None]:
        """``(value, line)`` at dotted ``path`` (numeric segments index lists).

        For a path that is not there: ``(MISSING, line of the nearest parent that
        is)``, or ``(MISSING, None)`` without usable data.
        """
        if self.data is None:
            return MISSING, None
        node: Any = self.data
        walked: list[str | int] = []
        for seg in path.split("."):
            if isinstance(node, dict) and seg in node:
                node = node[seg]
                walked.append(seg)
            elif isinstance(node, list) and seg.isdigit() and int(seg) < len(node):
                node = node[int(seg)]
                walked.append(int(seg))
            else:
                return MISSING, self._line(walked)
        return node, self._line(walked)

    def _line(self, path: list[str | int]) -> int | None:
        return self.document.line_of(path) if self.document is not None else None


def load_answers(sub: Submission, *, known_paths: Iterable[str], max_bytes: int = 1_000_000) -> Answers:
    """Read the submission's answers file; never raises for anything the student did."""
    warnings = _stray_answer_files(sub.files)
    present = [name for name in ANSWER_FILES if name in sub.files]
    if not present:
        return Answers(data=None, filename=None, warnings=tuple(warnings))
    if len(present) > 1:
        listed = ", ".join(present[:-1]) + " and " + present[-1]
        count = _NUMBER_WORDS.get(len(present), str(len(present)))
        return Answers(
            data=None, filename=None, error=f"{count} answers files: {listed}; keep one", warnings=tuple(warnings)
        )
    name = present[0]
    known = _KnownKeys(known_paths)
    try:
        raw = sub.read_bytes(name, max_bytes=max_bytes)
        doc = load_document(raw, filename=name, max_bytes=max_bytes)
    except (SubmissionError, DocumentError) as e:
        return Answers(data=None, filename=name, error=str(e), warnings=tuple(warnings))
    if not isinstance(doc.data, dict):
        line = doc.line_of(())
        where = f"{name}:{line}" if line is not None else name
        got = "an empty file" if doc.data is None else _describe(doc.data)
        error = f"{where}: expected a mapping of sections{known.sections_hint()}, got {got}"
        return Answers(data=None, filename=name, error=error, warnings=tuple(warnings), document=doc)
    warnings += _unknown_keys(doc, known)
    return Answers(data=doc.data, filename=name, warnings=tuple(warnings), document=doc)


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"the value {json.dumps(value)}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 30 else value[:27] + "..."
        return f"the text {shown!r}"
    return type(value).__name__


def _stray_answer_files(files: Iterable[str]) -> list[str]:
    """Warnings for answers files that will not be read: in a subfolder, or oddly capitalized."""
    out = []
    for rel in files:
        base = rel.rsplit("/", 1)[-1]
        if base.lower() not in ANSWER_FILES or (rel == base and base in ANSWER_FILES):
            continue
        if rel != base:
            out.append(f"{rel}: not read; only an answers file at the top of the submission counts")
        else:
            out.append(f"{rel}: not read; the answers file must be named {base.lower()} (lower case)")
    return out


class _Trie:
    __slots__ = ("children", "star")

    def __init__(self) -> None:
        self.children: dict[str, _Trie] = {}
        self.star = False  # declared with ".*"

    @property
    def open(self) -> bool:
        """Any key below is accepted: a ``.*`` path, or a leaf (its value may have any shape)."""
        return self.star or not self.children


class _KnownKeys:
    """The known dotted paths as a tree."""

    def __init__(self, known_paths: Iterable[str]) -> None:
        paths = sorted(known_paths) if isinstance(known_paths, (set, frozenset)) else list(known_paths)
        self.root = _Trie()
        for path in paths:
            node = self.root
            for seg in path.split("."):
                if seg == "*":
                    node.star = True
                    break
                node = node.children.setdefault(seg, _Trie())
        self.top = list(self.root.children)

    def sections_hint(self) -> str:
        if not self.top:
            return ""
        shown = self.top[:2] + (["..."] if len(self.top) > 2 else [])
        return f" ({', '.join(shown)})"


MAX_UNKNOWN_KEY_WARNINGS = 20
"""Unknown keys named one by one (with a suggestion each); the rest are counted in one line,
so a file of thousands of stray keys neither floods the feedback nor costs a fuzzy match each."""


def _unknown_keys(doc: DataDocument, known: _KnownKeys) -> list[str]:
    out: list[str] = []
    more = 0
    if known.root.open:
        return out

    def walk(value: dict[str, Any], trie: _Trie, path: tuple[str, ...]) -> None:
        nonlocal more
        for key, child in value.items():
            sub = trie.children.get(key)
            if sub is None:
                if len(out) < MAX_UNKNOWN_KEY_WARNINGS:
                    out.append(_unknown_message(doc, path, key, trie))
                else:
                    more += 1
            elif not sub.open and isinstance(child, dict):
                walk(child, sub, path + (key,))

    walk(doc.data, known.root, ())
    if more:
        out.append(f"{doc.filename}: and {more} more unknown key{'s' if more != 1 else ''} (not listed)")
    return out


def _show(path: Iterable[str]) -> str:
    return ".".join(json.dumps(p) if (not p or "." in p or p != p.strip() or " " in p) else p for p in path)


def _unknown_message(doc: DataDocument, parent: tuple[str, ...], key: str, trie: _Trie) -> str:
    line = doc.line_of(parent + (key,))
    where = f"{doc.filename}:{line}" if line is not None else doc.filename
    message = f"{where}: unknown key {_show(parent + (key,))}"
    siblings = list(trie.children)
    dotted = _known_dotted(trie, key.split("."))
    if dotted:
        first, rest = key.split(".", 1)
        return f"{message}: write it nested ({first}: {{{rest}: ...}}), not as one dotted key"
    suggestion = _closest(key, siblings)
    if suggestion is not None:
        return f"{message}: did you mean {suggestion}?"
    if siblings:
        shown = ", ".join(siblings[:8]) + (", ..." if len(siblings) > 8 else "")
        return f"{message} (expected one of: {shown})"
    return message


def _known_dotted(trie: _Trie, parts: list[str]) -> bool:
    if len(parts) < 2:
        return False
    node = trie
    for part in parts:
        if node.open:
            return True
        if part not in node.children:
            return False
        node = node.children[part]
    return True


def _closest(key: str, candidates: list[str]) -> str | None:
    lowered = {c.lower(): c for c in reversed(candidates)}
    if key.lower() in lowered:
        return lowered[key.lower()]
    match = difflib.get_close_matches(key.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None
