"""Extract a write-up's answers into the answers-file data model, driven by the rubric.

Nothing here knows an assignment. The rubric says which questions exist (their ids name the
headers to look for: ``problem2.q2_2`` is ``Q2.2``, ``lab1.a`` is ``(a)`` under
``Lab 1``) and, through each check's kind and answer path, what value to look for and
where it goes: a ``choice`` with a boolean key wants true/false, a ``threshold_unit`` the
weights it names (``labels``) and a truth table, a ``matrix`` a matrix of the key's
shape, a ``number`` the scalar or vector named by the path's last part (``mse``, ``w``),
a ``layer_table`` a per-layer table, a ``formula`` one LaTeX formula per target
(recognized by its left-hand side, ``\\frac{\\partial L}{\\partial W_1}``), a ``manual``
item the section's text. Code checks name the modules and functions to find in the
write-up's code blocks (``lab2.py:LeNet5``).

Every value carries where it was read (first and last line) and a confidence from 0 to
1 with how it was read; what a graded check needs but is not found, or is ambiguous, is
a :class:`Gap` with the text around it, for a person to review: never a silent zero.
A confidence of 0.9 or more means an unambiguous header and an unambiguous value; the
loader scores nothing below the rubric's ``writeup.review_below`` (a TA confirms it).

What the rubric's ``writeup`` keys give (:mod:`grader.writeup.hints`) is used here: a
question's own headings, its statement (lines and matrices that repeat the question are
never answers), and the vocabulary of its choices (a choice is read only from it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from grader.writeup.code import build_module, clean_block
from grader.writeup.document import Block, Document, Section, parse_document
from grader.mathexpr import ParseError, canonical_symbol
from grader.rubric import walk_checks
from grader.writeup.source import Text
from grader.writeup.values import (
    as_plain,
    assignments,
    find_matrices,
    find_vectors,
    name_key,
    numbers_in,
    parse_number,
    row_numbers,
    split_cells,
    tidy_number,
)

if TYPE_CHECKING:
    from grader.rubric import Plan, PlannedCheck

__all__ = ["Extraction", "Gap", "Item", "Module", "extract"]

LOW_CONFIDENCE = 0.7
EXCERPT = 240


@dataclass(frozen=True)
class Item:
    """One extracted value, at a dotted answers path."""

    path: str
    value: Any
    first: int  # line numbers in the write-up's text
    last: int
    confidence: float
    how: str


@dataclass(frozen=True)
class Gap:
    """What a graded check needs but the write-up does not give clearly."""

    path: str
    qid: str
    reason: str
    line: int | None
    excerpt: str


@dataclass(frozen=True)
class Module:
    """Code found in the write-up, as the module file the sandbox will import."""

    filename: str  # "lab2.py"
    source: str
    first: int
    last: int
    defines: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Extraction:
    text: Text
    items: tuple[Item, ...]
    gaps: tuple[Gap, ...]
    modules: tuple[Module, ...]
    notes: tuple[str, ...] = ()
    figure_files: tuple[tuple[str, str], ...] = ()  # (file name for a figure check, the report's figure name)

    @property
    def filename(self) -> str:
        return self.text.filename

    def data(self) -> dict[str, Any]:
        """The nested answers mapping, as an answers.yaml with these values would hold."""
        out: dict[str, Any] = {}
        for item in self.items:
            node = out
            parts = item.path.split(".")
            for p in parts[:-1]:
                nxt = node.setdefault(p, {})
                if not isinstance(nxt, dict):
                    break
                node = nxt
            else:
                node.setdefault(parts[-1], item.value)
        return out

    def line_map(self) -> dict[tuple[str | int, ...], int]:
        lines: dict[tuple[str | int, ...], int] = {}
        for item in self.items:
            parts = tuple(item.path.split("."))
            lines.setdefault(parts, item.first)
            for n in range(1, len(parts)):
                lines.setdefault(parts[:n], item.first)
        return lines

    def where(self, line: int | None) -> str:
        return self.text.where(line) if line else "?"


# --------------------------------------------------------------------------- the driver


class _Statement:
    """The handout's statement of a question: what repeats it is not an answer."""

    def __init__(self, text: str) -> None:
        self.grams = _grams(_words(text))
        mats = [rows for rows, _, _ in find_matrices(text)]
        run: list[list[float]] = []
        for line in text.split("\n") + [""]:
            nums = row_numbers(line)
            if nums is not None and (not run or len(run[0]) == len(nums)):
                run.append(nums)
                continue
            if len(run) >= 2:
                mats.append(run)
            run = [nums] if nums is not None else []
        self.matrices = [np.asarray(m, dtype=float) for m in mats]

    def repeats(self, line: str) -> bool:
        """A line of prose made mostly of the statement's own word sequences."""
        grams = _grams(_words(line))
        if len(grams) < 2 or not self.grams:
            return False
        return sum(1 for g in grams if g in self.grams) >= 0.6 * len(grams)

    def remainder(self, line: str) -> str:
        """The line without the runs of three or more words it shares with the statement
        ("<the statement>: True" is "True"); the line unchanged where it shares none."""
        words = list(re.finditer(r"[a-z0-9]+(?:\.[0-9]+)?", line.lower()))
        keys = [m.group() for m in words]
        shared = [False] * len(words)
        for i in range(len(words) - 2):
            if tuple(keys[i: i + 3]) in self.grams:
                shared[i] = shared[i + 1] = shared[i + 2] = True
        if not any(shared):
            return line
        out, pos = [], 0
        for m, gone in zip(words, shared):
            if gone:
                out.append(line[pos: m.start()])
                pos = m.end()
        out.append(line[pos:])
        rest = re.sub(r"^[\s:;,.\-\u2013\u2014?'\"`]+", "", "".join(out)).strip()
        return rest if re.search(r"[A-Za-z0-9]", rest) else ""

    def has_matrix(self, rows: list[list[float]]) -> bool:
        a = np.asarray(rows, dtype=float)
        return any(m.shape == a.shape and bool(np.array_equal(m, a)) for m in self.matrices)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:\.[0-9]+)?", as_plain(text).lower())


def _grams(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i: i + 3]) for i in range(len(words) - 2)}


@dataclass
class _Q:
    """One question's section, and what extraction learned about it so far."""

    qid: str
    section: Section
    consumed: dict[int, str] = field(default_factory=dict)  # line -> the part of it an answer took
    statement: _Statement | None = None
    choices: tuple[str, ...] = ()  # the rubric's vocabulary for choices
    synonyms: Mapping[str, str] = field(default_factory=dict)  # spelling (as written in the rubric) -> choice

    @property
    def start(self) -> int:
        return self.section.line.number if self.section.line else 1

    def entries(self, *, kinds: tuple[str, ...] = ("text", "math")) -> list[tuple[Block, str]]:
        """The section's blocks of these kinds, without those that repeat the question."""
        out = []
        for b in self.section.blocks:
            if b.kind not in kinds:
                continue
            text = b.text
            if self.statement is not None and b.kind == "text" and self.statement.repeats(text):
                text = self.statement.remainder(text)
                if not text.strip(" \t.,:;-()[]*_\"'"):
                    continue
            out.append((b, text))
        return out

    def excerpt(self) -> str:
        text = " ".join(t.strip() for _, t in self.entries() if t.strip())
        return text if len(text) <= EXCERPT else text[: EXCERPT - 3] + "..."


AMBIGUOUS = 0.8  # the most a value read from a guessed or repeated section can have


def extract(text: Text, *, plan: "Plan", support: Mapping[str, set[str]] | None = None) -> Extraction:
    """Everything the rubric's answer and code checks could read from the write-up."""
    hints = {q.id: q.writeup for q in plan.rubric.questions if q.writeup is not None}
    doc = parse_document(text, question_ids=[q.id for q in plan.questions],
                         headings={qid: h.headings for qid, h in hints.items() if h.headings},
                         titles=plan.rubric.writeup.sections)
    items: list[Item] = []
    gaps: list[Gap] = []
    notes: list[str] = []
    filled: set[str] = set()
    for q in plan.questions:
        checks = [c for c in walk_checks(q.checks) if c.spec.answer]
        if not checks:
            continue
        sections = doc.sections_for(q.id)
        graded = any(c.spec.points > 0 for c in checks)
        hint = hints.get(q.id)
        if not sections:
            if graded:
                looked = _header_hint(q.id) + "".join(f" or '{h}'" for h in (hint.headings if hint else []))
                gaps.append(Gap(checks[0].spec.answer or q.id, q.id,
                                f"not found: no section for {q.id} (looked for a header such as {looked}; "
                                f"{_headers_seen(doc)})", None, ""))
            continue
        ambiguous = ""
        if len(sections) > 1:
            where = ", ".join(text.where(s.line.number) for s in sections if s.line)
            notes.append(f"{q.id}: {len(sections)} sections with this header ({where}); the first is read")
            ambiguous = f"{len(sections)} sections are headed {q.id}"
        elif not sections[0].certain:
            ambiguous = f"its section was taken from the order of the headings ({sections[0].context})"
        qx = _Q(q.id, sections[0], statement=_Statement(hint.statement) if hint and hint.statement else None,
                choices=tuple(hint.choices) if hint else (),
                synonyms={syn: word for word, syns in (hint.synonyms if hint else {}).items() for syn in [word, *syns]})
        first_item = len(items)
        for pc in sorted(checks, key=lambda c: _kind(c) == "manual"):
            spec = pc.spec
            path = spec.answer or ""
            if path in filled or any(i.path.startswith(path + ".") for i in items):
                continue
            fn = _EXTRACTORS.get(_kind(pc))
            if fn is None:
                continue
            found = fn(spec, qx)
            if isinstance(found, Gap):
                if spec.points > 0 or _graded_alternative(q.checks, pc):
                    gaps.append(found)
                continue
            for item in found:
                items.append(item)
                filled.add(item.path)
        for path in sorted(plan.known_paths):
            if path.endswith(".truth_table") and path not in filled and \
                    any((c.spec.answer or "").startswith(path.rsplit(".", 1)[0]) for c in checks):
                table = _truth_table(qx, None)
                if table is not None:
                    rows, first, last = table
                    items.append(Item(path, rows, first, last, 0.9, "truth table (header x1 .. s y)"))
                    filled.add(path)
        if ambiguous:
            for k in range(first_item, len(items)):
                it = items[k]
                if it.confidence > AMBIGUOUS:
                    items[k] = Item(it.path, it.value, it.first, it.last, AMBIGUOUS, f"{it.how}; {ambiguous}")
    modules = _modules(doc, plan, support or {})
    figure_files = _figure_files(doc, plan)
    if text.figures:
        placed = {name for _, name in figure_files}
        notes.append(f"{len(text.figures)} figure(s) in the report"
                     + (f"; graded as figure files: {', '.join(f for f, _ in figure_files)}" if figure_files else "")
                     + "".join(f"; {f.name} ({text.where(f.line)}) is under no question with a figure check"
                               for f in text.figures if f.name not in placed))
    return Extraction(text=text, items=tuple(items), gaps=tuple(gaps), modules=tuple(modules), notes=tuple(notes),
                      figure_files=tuple(figure_files))


def _figure_files(doc: Document, plan: "Plan") -> list[tuple[str, str]]:
    """The report's images under a question that has ``figure`` checks, named for them
    (``lab1c_figure2.png``): the figure check finds them as it finds a figure file."""
    prefixes: dict[str, list[str]] = {}
    for q in plan.questions:
        for pc in walk_checks(q.checks):
            prefix = getattr(pc.spec, "prefix", None)
            if getattr(pc.spec, "kind", None) == "figure" and isinstance(prefix, str):
                prefixes.setdefault(q.id, []).append(prefix)
    heads = [(s.line.number, s.qid) for s in doc.headers() if s.line is not None]
    out: list[tuple[str, str]] = []
    for fig in doc.text.figures:
        qid = next((q for start, q in reversed(heads) if start <= fig.line), None)
        for prefix in prefixes.get(qid or "", []):
            out.append((f"{prefix}_{fig.name}", fig.name))
    return out


def _kind(pc: "PlannedCheck") -> str:
    return str(getattr(pc.spec, "kind", ""))


def _graded_alternative(checks: Iterable["PlannedCheck"], target: "PlannedCheck") -> bool:
    for c in checks:
        if target in c.alternatives and c.spec.points > 0:
            return True
    return False


def _header_hint(qid: str) -> str:
    parts = qid.split(".")
    m = re.fullmatch(r"([A-Za-z]+?)_?(\d+)", parts[0])
    if m is None:
        return repr(qid)
    word, num = m.group(1).capitalize(), m.group(2)
    if len(parts) == 1:
        return f"'{word} {num}'"
    nums = re.findall(r"\d+", parts[1])
    if nums:
        return f"'Q{'.'.join(nums)}' or '{'.'.join(nums)}'"
    return f"'({parts[1]})' under '{word} {num}'"


def _headers_seen(doc: Document, limit: int = 12) -> str:
    heads = [f"'{s.label}' ({doc.text.where(s.line.number)})" for s in doc.headers() if s.line is not None]
    if not heads:
        return "the write-up has no header the reader recognizes"
    more = f", ... ({len(heads)} in all)" if len(heads) > limit else ""
    return "headers in the write-up: " + ", ".join(heads[:limit]) + more


def _gap(spec: Any, qx: _Q, reason: str) -> Gap:
    return Gap(spec.answer or qx.qid, qx.qid, reason, qx.start, qx.excerpt())


# --------------------------------------------------------------------------- choice

_TF_LINE = re.compile(r"^[\s*_>\-(\[]*(?:(?:answer|ans)\s*(?:is)?\s*[:\-]?\s*)?(?P<v>true|false|t|f)\b[\s*_)\]]*"
                      r"(?P<rest>.*)$", re.I)
_QUOTED = re.compile(r"\"([^\"\n]{1,40})\"|'([^'\n]{1,40})'|\*\*([^*\n]{1,40})\*\*")
_IS = re.compile(r"\b(?:is|are|=|:)\s+(?:an?\s+|the\s+|called\s+(?:an?\s+|the\s+)?)?([A-Za-z][\w-]*(?:[ \t]+[A-Za-z][\w-]*){0,4})")


def _choice(spec: Any, qx: _Q) -> list[Item] | Gap:
    if isinstance(spec.expected, bool):
        return _true_false(spec, qx)
    return _named(spec, qx)


def _true_false(spec: Any, qx: _Q) -> list[Item] | Gap:
    entries = qx.entries(kinds=("text",))
    for block, text in entries:
        m = _TF_LINE.match(as_plain(text))
        if not m:
            continue
        v = m.group("v").lower()
        rest = m.group("rest").strip(" .,:;-\u2014\u2013")
        if len(v) == 1 and rest:
            continue  # "F(x) = ..." is not an answer
        line = block.first
        qx.consumed[line] = "" if not rest else re.sub(r"^[\s.,:;)\]*_\-\u2013\u2014]+", "", m.group("rest"))
        set_off = bool(re.match(r"^\s*(?:\*\*|__)?\s*[.,:;!)\]\u2013\u2014-]", m.group("rest"))) or \
            bool(re.match(r"^[\s*_>\-(\[]*\*\*", as_plain(text)))
        conf = 0.95 if not rest else 0.9 if set_off else 0.85
        how = ("a line that is the answer" if not rest else
               "the word the line starts with" + (", set off from the reason" if set_off else ""))
        return [Item(spec.answer, v.startswith("t"), line, line, conf, how)]
    found = []
    for block, text in entries:
        for m in re.finditer(r"\b(true|false)\b", text, re.I):
            found.append((m.group(1).lower(), block.first))
    if not found:
        return _gap(spec, qx, "no true/false answer found")
    values = {v for v, _ in found}
    value, line = found[0]
    conf = 0.5 if len(values) == 1 else 0.3
    how = "the first 'true'/'false' in the text" + ("" if len(values) == 1 else " (both words occur)")
    return [Item(spec.answer, value == "true", line, line, conf, how)]


def _named(spec: Any, qx: _Q) -> list[Item] | Gap:
    """A named choice, read only from the rubric's vocabulary (its ``choices`` and
    ``synonyms``, and the check's accepted answers): the only choice the section names, a
    line or an 'Answer:' that is one, or one quoted or in bold. Anything else (two
    choices named, a word that is no choice) is kept for a TA with a low confidence."""
    accepted = spec.expected if isinstance(spec.expected, list) else [spec.expected]
    vocab = _vocabulary(qx, [a for a in accepted if isinstance(a, str)])
    entries = [(b, t) for b, t in qx.entries(kinds=("text",)) if t.strip()]
    if not entries:
        return _gap(spec, qx, "no named answer found")
    found: list[tuple[str, Block, int, int, str]] = []  # (choice, block, start, end, text)
    for block, text in entries:
        plain = as_plain(text)
        for choice, start, end in _choices_in(plain, vocab):
            found.append((choice, block, start, end, plain))
    names = list(dict.fromkeys(c for c, *_ in found))
    listed = ", ".join(dict.fromkeys(vocab.values()))
    for choice, block, start, end, plain in found:
        rest = _QUOTE_MARKS.sub("", plain[:start] + plain[end:])
        if re.fullmatch(r"\W*(?:(?:answer|ans)\s*(?:is)?\s*[:\-]?)?\W*", rest, re.I):
            return [Item(spec.answer, choice, block.first, block.first, 0.95, "a line that is one of the choices")]
    lead = entries[0][0]
    for choice, block, start, end, plain in found:
        if block is lead and re.fullmatch(r"\W*(?:(?:answer|ans)\s*(?:is)?\s*[:\-]?)?\W*", plain[:start], re.I) \
                and re.match(r"\s*(?:\*\*|__|[\"'`])?\s*(?:[.,:;!(\u2013\u2014-]|$)", plain[end:]):
            return [Item(spec.answer, choice, block.first, block.first, 0.9, "the choice the answer starts with")]
    for choice, block, start, end, plain in found:
        if _quoted_at(plain, start, end) and len({c for c, _, a, b, p in found if _quoted_at(p, a, b)}) == 1:
            conf = 0.9 if len(names) <= 2 else AMBIGUOUS
            return [Item(spec.answer, choice, block.first, block.first, conf, "the choice written quoted or in bold")]
    if len(names) == 1:
        choice, block = found[0][0], found[0][1]
        return [Item(spec.answer, choice, block.first, block.first, 0.9, "the only one of the choices the section names")]
    if names:
        choice, block = found[0][0], found[0][1]
        return [Item(spec.answer, choice, block.first, block.first, 0.4,
                     f"the first of {len(names)} choices the section names ({', '.join(names)})")]
    guess = _guess_name(entries)
    if guess is None:
        return _gap(spec, qx, f"no named answer found (the choices: {listed})")
    word, block = guess
    return [Item(spec.answer, word, block.first, block.first, 0.3, f"not one of the choices ({listed})")]


_QUOTE_MARKS = re.compile(r"[\"'*_`]")


def _quoted_at(plain: str, start: int, end: int) -> bool:
    before, after = plain[max(0, start - 2): start], plain[end: end + 2]
    return any(q in before and q in after for q in ('"', "'", "**", "`"))


def _vocabulary(qx: _Q, accepted: list[str]) -> dict[str, str]:
    """Spelling -> the choice it names (the rubric's choices, synonyms and accepted answers)."""
    vocab: dict[str, str] = {}
    for word in (*qx.choices, *accepted):
        vocab.setdefault(word.strip(), word.strip())
    for spelling, choice in qx.synonyms.items():
        vocab[spelling.strip()] = choice.strip()
    canon = {c.lower(): c for c in qx.choices}
    return {k: canon.get(v.lower(), v) for k, v in vocab.items() if k}


def _choices_in(text: str, vocab: Mapping[str, str]) -> list[tuple[str, int, int]]:
    """(choice, start, end) of every spelling of a choice in ``text``, longest first where
    they overlap. A spelling in capitals (``AND``) matches only in capitals: the English
    'and' is not the logic function."""
    hits: list[tuple[int, int, str]] = []
    for spelling, choice in vocab.items():
        flags = 0 if not re.search(r"[a-z]", spelling) else re.I
        pattern = r"(?<![\w-])" + r"\s+".join(map(re.escape, spelling.split())) + r"(?![\w-])"
        hits += [(m.start(), m.end(), choice) for m in re.finditer(pattern, text, flags)]
    hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    out: list[tuple[str, int, int]] = []
    end = -1
    for a, b, choice in hits:
        if a >= end:
            out.append((choice, a, b))
            end = b
    return out


def _guess_name(entries: list[tuple[Block, str]]) -> tuple[str, Block] | None:
    """The word a student seems to answer with (for a TA to confirm, never scored as is)."""
    for block, text in entries:
        m = re.match(r"^\W*(?:answer|ans)\s*[:\-]\s*(.+)$", as_plain(text), re.I)
        if m:
            return _tidy_name(m.group(1)), block
    for block, text in entries:
        for m in _QUOTED.finditer(text):
            word = next(g for g in m.groups() if g)
            if 1 <= len(word.split()) <= 3 and not re.search(r"\d", word):
                return _tidy_name(word), block
    for block, text in entries:
        if 1 <= len(as_plain(text).split()) <= 3:
            return _tidy_name(as_plain(text)), block
    for block, text in entries:
        for m in _IS.finditer(as_plain(text)):
            words = m.group(1).split()
            if words[0].lower() not in ("not", "a", "an", "the", "used", "to", "that", "this", "it", "also"):
                return _tidy_name(words[0]), block
    return None


def _tidy_name(s: str) -> str:
    return s.strip().strip(".,;:!*\"'`").strip()


# --------------------------------------------------------------------------- manual (free text)


def _manual(spec: Any, qx: _Q) -> list[Item] | Gap:
    parts: list[str] = []
    first = last = 0
    for block, text in qx.entries():
        if block.kind == "text" and block.first in qx.consumed:
            text = qx.consumed[block.first]
        text = text.strip()
        if not text:
            continue
        parts.append(text)
        first = first or block.first
        last = block.last
    if not parts:
        reason = "nothing written beyond the answer itself" if qx.consumed else "the section has no text"
        return _gap(spec, qx, reason)
    return [Item(spec.answer, "\n".join(parts), first, last, 0.9, "the section's text")]


# --------------------------------------------------------------------------- weights and truth tables


def _weights(spec: Any, qx: _Q) -> list[Item] | Gap:
    hidden = spec.hidden
    n_w = (len(hidden) if hidden else spec.n_inputs) + 1
    labels = list(spec.labels or [f"w{i}" for i in range(n_w)])
    keys = [name_key(label) for label in labels]
    values: dict[str, tuple[float, int]] = {}
    vector: tuple[list[float], int] | None = None
    for block, text in qx.entries():
        for a in assignments(text):
            v = parse_number(a.value)
            for name in a.names:
                k = name_key(name)
                if v is not None and k not in values:
                    values[k] = (v, block.first)
                elif v is None and k in ("w", "weights", "weight") and vector is None:
                    vecs = find_vectors(a.value)
                    if vecs and len(vecs[0][0]) == n_w:
                        vector = (vecs[0][0], block.first)
    items: list[Item] = []
    if all(k in values for k in keys):
        w = [tidy_number(values[k][0]) for k in keys]
        lines = [values[k][1] for k in keys]
        items.append(Item(f"{spec.answer}.w", w, min(lines), max(lines), 0.95, f"assignments to {', '.join(labels)}"))
    elif vector is not None:
        items.append(Item(f"{spec.answer}.w", [tidy_number(v) for v in vector[0]], vector[1], vector[1], 0.9,
                          "a weight vector w = [...]"))
    else:
        plain = [f"w{i}" for i in range(n_w)]
        if all(k in values for k in plain):
            w = [tidy_number(values[k][0]) for k in plain]
            lines = [values[k][1] for k in plain]
            items.append(Item(f"{spec.answer}.w", w, min(lines), max(lines), 0.6,
                              f"assignments to {', '.join(plain)}, taken as {', '.join(labels)}"))
        else:
            found = [(vec, b.first) for b, t in qx.entries() for vec, _, _ in find_vectors(t) if len(vec) == n_w]
            if len(found) == 1:
                vec, line = found[0]
                items.append(Item(f"{spec.answer}.w", [tidy_number(v) for v in vec], line, line, 0.4,
                                  f"the only list of {n_w} numbers in the section"))
            else:
                named = ", ".join(sorted(values)) or "none"
                return _gap(spec, qx, f"no weights {', '.join(labels)} found (assignments seen: {named})")
    table = _truth_table(qx, spec.n_inputs)
    if table is not None:
        rows, first, last = table
        items.append(Item(f"{spec.answer}.truth_table", rows, first, last, 0.9, "truth table (header x1 .. s y)"))
    return items


_XCOL = re.compile(r"^x_?\{?(\d+)\}?$")


def _truth_table(qx: _Q, n_inputs: int | None) -> tuple[list[list[int | float]], int, int] | None:
    """Rows [x1, .., xn, s, y] of a table whose header names x1 .. xn, s and y."""
    entries = [(b, t) for b, t in qx.entries(kinds=("text",))]
    for i, (block, text) in enumerate(entries):
        cells = [name_key(c) for c in split_cells(as_plain(text))]
        xs = [j for j, c in enumerate(cells) if _XCOL.match(c)]
        if not xs or "y" not in cells or "s" not in cells:
            continue
        if n_inputs is not None and len(xs) != n_inputs:
            continue
        cols = xs + [cells.index("s"), cells.index("y")]
        rows: list[list[int | float]] = []
        last = block.first
        for b2, t2 in entries[i + 1:]:
            if re.fullmatch(r"\s*\|?[\s:|-]+\|?\s*", t2) and "-" in t2:
                continue  # a Markdown separator row
            nums = row_numbers(t2)
            if nums is None or len(nums) != len(cells):
                if rows or t2.strip():
                    break
                continue
            rows.append([tidy_number(nums[c]) for c in cols])
            last = b2.first
        if rows:
            return rows, block.first, last
    return None


# --------------------------------------------------------------------------- matrices


def _matrix(spec: Any, qx: _Q) -> list[Item] | Gap:
    want = np.asarray(spec.expected).shape if spec.expected is not None else None
    cands: list[tuple[list[list[float]], int, int, str]] = []
    entries = qx.entries()
    for block, text in entries:
        for rows, _, _ in find_matrices(text):
            cands.append((rows, block.first, block.last, "a LaTeX matrix" if "\\begin" in text else "a list of rows"))
    run: list[tuple[list[float], int]] = []
    ends: list[tuple[Block | None, str]] = [*entries, (None, "")]
    for maybe, text in ends:
        nums = row_numbers(text) if maybe is not None and maybe.kind == "text" else None
        if maybe is not None and nums is not None and (not run or len(run[0][0]) == len(nums)):
            run.append((nums, maybe.first))
            continue
        if len(run) >= 2:
            cands.append(([r for r, _ in run], run[0][1], run[-1][1], "plain-text rows of numbers"))
        run = [(nums, maybe.first)] if nums is not None and maybe is not None else []
    if qx.statement is not None:
        repeated = [c for c in cands if qx.statement.has_matrix(c[0])]
        cands = [c for c in cands if not qx.statement.has_matrix(c[0])]
        if not cands and repeated:
            return _gap(spec, qx, "the only matrix found repeats the question's own (the input), not an answer")
    if not cands:
        return _gap(spec, qx, "no matrix found")
    fitting = [c for c in cands if want is None or (len(c[0]), len(c[0][0])) == tuple(want)]
    if len(fitting) == 1:
        rows, first, last, how = fitting[0]
        return [Item(spec.answer, _tidy_rows(rows), first, last, 0.95, how)]
    if fitting:
        rows, first, last, how = fitting[-1]
        return [Item(spec.answer, _tidy_rows(rows), first, last, 0.6,
                     f"{how}; the last of {len(fitting)} matrices of this shape")]
    rows, first, last, how = max(cands, key=lambda c: len(c[0]) * len(c[0][0]))
    shape = f"{len(rows)}x{len(rows[0])}"
    return [Item(spec.answer, _tidy_rows(rows), first, last, 0.5, f"{how} ({shape}, not the expected shape)")]


def _tidy_rows(rows: list[list[float]]) -> list[list[int | float]]:
    return [[tidy_number(v) for v in r] for r in rows]


# --------------------------------------------------------------------------- reported numbers


def _number(spec: Any, qx: _Q) -> list[Item] | Gap:
    exp = np.asarray(spec.expected, dtype=float) if spec.expected is not None else None
    size = None if exp is None or exp.ndim == 0 else int(exp.size)
    leaf = name_key(spec.answer.rsplit(".", 1)[-1])
    labels = [name_key(label) for label in (spec.labels or [])]

    def named(k: str) -> bool:
        return k == leaf or (len(leaf) >= 3 and k.startswith(leaf))

    singles: dict[str, tuple[float, int]] = {}
    for block, text in qx.entries():
        for a in assignments(text):
            keys = [name_key(n) for n in a.names]
            if not any(named(k) or k in labels for k in keys):
                continue
            if size is None:
                v = parse_number(a.value)
                if v is not None and any(named(k) for k in keys):
                    return [Item(spec.answer, v, block.first, block.last, 0.9, f"{a.names[0].strip()} = ...")]
            else:
                vecs = find_vectors(a.value)
                if vecs and len(vecs[0][0]) == size and any(named(k) for k in keys):
                    return [Item(spec.answer, [tidy_number(v) for v in vecs[0][0]], block.first, block.last, 0.9,
                                 f"{a.names[0].strip()} = [...]")]
                v = parse_number(a.value)
                for k in keys:
                    if v is not None and k in labels and k not in singles:
                        singles[k] = (v, block.first)
        if size is None:
            m = re.search(rf"\b{re.escape(leaf)}\w*\s*(?:is|of|:|was|=)\s*(?:about\s+|approximately\s+)?(\S+(?:\s*\\times\s*10\^\{{?-?\d+\}}?)?)",
                          as_plain(text), re.I)
            if m and parse_number(m.group(1)) is not None:
                return [Item(spec.answer, parse_number(m.group(1)), block.first, block.last, 0.8,
                             f"the number after '{leaf}'")]
    if size is not None and labels and all(k in singles for k in labels):
        lines = [singles[k][1] for k in labels]
        return [Item(spec.answer, [tidy_number(singles[k][0]) for k in labels], min(lines), max(lines), 0.9,
                     f"assignments to {', '.join(spec.labels)}")]
    if size is not None:
        found = [(vec, b) for b, t in qx.entries() for vec, _, _ in find_vectors(t) if len(vec) == size]
        if found:
            vec, block = found[0]
            conf = 0.6 if len(found) == 1 else 0.4
            how = f"the {'only' if len(found) == 1 else 'first'} list of {size} numbers in the section"
            return [Item(spec.answer, [tidy_number(v) for v in vec], block.first, block.last, conf, how)]
    what = "a number" if size is None else f"{size} numbers"
    return _gap(spec, qx, f"no value for {spec.answer.rsplit('.', 1)[-1]} ({what}) found")


# --------------------------------------------------------------------------- the per-layer table

_COLUMN_WORDS = (
    ("input_shape", ("input",)),
    ("output_shape", ("output",)),
    ("weight_shape", ("weight", "kernel", "filter")),
    ("params", ("param",)),
    ("macs", ("mac", "flop", "mult")),
)
_SHAPE = re.compile(r"[(\[]\s*\d+(?:\s*[,x\u00d7]\s*\d+)*\s*,?\s*[)\]]")


def _header_columns(text: str) -> list[str | None] | None:
    cells = split_cells(as_plain(text).replace("#", ""))
    cols: list[str | None] = []
    for c in cells:
        low = c.lower()
        col = next((name for name, words in _COLUMN_WORDS if any(w in low for w in words)), None)
        cols.append(col)
    if sum(1 for c in cols if c) < 3:
        return None
    return cols


def _layer_table(spec: Any, qx: _Q) -> list[Item] | Gap:
    wanted = list(getattr(spec, "columns", None) or [c for c, _ in _COLUMN_WORDS])
    entries = qx.entries(kinds=("text",))
    for i, (block, text) in enumerate(entries):
        cols = _header_columns(text)
        if cols is None:
            continue
        present = [c for c in cols if c]
        table: dict[str, dict[str, Any]] = {}
        last = block.first
        complete = True
        for b2, t2 in entries[i + 1:]:
            if re.fullmatch(r"\s*\|?[\s:|-]+\|?\s*", t2) and "-" in t2:
                continue
            row = _layer_row(t2, present)
            if row is None:
                if table or t2.strip():
                    break
                continue
            name, values = row
            key = _slug(name) or f"row{len(table) + 1}"
            while key in table:
                key += "_"
            table[key] = {c: values[c] for c in wanted if c in values}
            complete = complete and all(c in values for c in present)
            last = b2.first
        if table:
            conf = 0.95 if complete else 0.6
            return [Item(spec.answer, table, block.first, last, conf, f"a table of {len(table)} layers")]
    return _gap(spec, qx, "no per-layer table found (a header with input shape, output shape, weight shape, # Param, # MAC)")


def _layer_row(text: str, columns: list[str]) -> tuple[str, dict[str, Any]] | None:
    s = as_plain(text).strip().strip("|")
    shapes = list(_SHAPE.finditer(s))
    first = shapes[0].start() if shapes else None
    if first is None:
        return None
    name = re.sub(r"[|\t]", " ", s[:first]).strip()
    tail = s[shapes[-1].end():]
    tail = re.sub(r"(?<=\d),(?=\d{3}\b)", "", tail)  # 352,800
    counts = [(v, tail[a:b]) for v, a, b in numbers_in(tail)]
    shape_cols = [c for c in columns if c.endswith("shape")]
    count_cols = [c for c in columns if not c.endswith("shape")]
    values: dict[str, Any] = {}
    for col, m in zip(shape_cols, shapes):
        values[col] = [int(n) for n in re.findall(r"\d+", m.group())]
    for col, (v, written) in zip(count_cols, counts):
        values[col] = v if ("." in written or "e" in written.lower()) else tidy_number(v)
    if len(values) < 2:
        return None
    return name, values


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", name.lower())


# --------------------------------------------------------------------------- convolution counterexample


def _conv_size(spec: Any, qx: _Q) -> list[Item] | Gap:
    text = " ".join(t for _, t in qx.entries(kinds=("text",)))
    plain = as_plain(text)
    k = re.search(r"kernel(?:\s+size)?\s*(?:is|of|=|:)?\s*(\d+)(?:\s*[x\u00d7*]\s*\d+)?|(\d+)\s*[x\u00d7*]\s*\d+\s+kernel",
                  plain, re.I)
    st = re.search(r"stride\s*(?:is|of|=|:)?\s*(\d+)", plain, re.I)
    pad = re.search(r"padding\s*(?:is|of|=|:)?\s*(\d+)", plain, re.I)
    no_pad = re.search(r"\b(no|without|zero)\s+padding\b|\bvalid\b", plain, re.I)
    if not k or not st:
        return _gap(spec, qx, "no counterexample found (kernel, stride and two input sizes)")
    kernel = int(k.group(1) or k.group(2))
    sizes: list[int] = []
    # input sizes are the square sizes the text says are inputs ("an input of 10x10",
    # "10x10 and 11x11 inputs"): a receptive field or an output size is not one
    for m in re.finditer(r"(\d+)\s*[x\u00d7*]\s*(\d+)", plain):
        a, b = int(m.group(1)), int(m.group(2))
        near = plain[max(0, m.start() - 40): m.end() + 25].lower()
        before = plain[max(0, m.start() - 30): m.start()].lower()
        said = re.search(r"\binput|\bfeature map|\bimage|\bsizes?\b", near) and not re.search(
            r"receptive|output|gives?\s*$|becomes?\s*$|(?:->|=|\bto)\s*$", before)
        if a == b and said and m.start() not in (k.start(1) if k.group(1) else -1, k.start(2) if k.group(2) else -1) \
                and not (k.start() <= m.start() < k.end()) and a not in sizes:
            sizes.append(a)
    if len(sizes) < 2:
        return _gap(spec, qx, "a kernel and stride are given but not two input sizes")
    padding = int(pad.group(1)) if pad else 0
    conf = 0.8 if (pad or no_pad) else 0.6
    value = {"kernel": kernel, "stride": int(st.group(1)), "padding": padding, "sizes": sizes[:2]}
    line = next((b.first for b, t in qx.entries(kinds=("text",)) if re.search("kernel", t, re.I)), qx.start)
    return [Item(spec.answer, value, line, line, conf, "kernel, stride, padding and sizes from the text")]


# --------------------------------------------------------------------------- formulas


def _formula(spec: Any, qx: _Q) -> list[Item] | Gap:
    targets = {key: (_canon(t.of), _canon(t.wrt)) for key, t in spec.targets.items()}
    found: dict[str, Item] = {}
    for block, text in qx.entries():
        for row in _math_rows(text):
            segs = _split_top(row, "=")
            if len(segs) < 2:
                continue
            lhs = segs[0]
            deriv = _derivative(lhs)
            key, conf = _target_key(deriv, lhs, targets)
            if key is None or key in found:
                continue
            rhs = _answer_side(segs[1:])
            line = _line_of(block, lhs)
            found[key] = Item(f"{spec.answer}.{key}", rhs, line, line if line != block.first else block.last, conf,
                              "the right-hand side of " + ("a derivative" if deriv else f"'{lhs.strip()} ='"))
    if not found:
        return _gap(spec, qx, "no formula with a derivative on its left-hand side found "
                    f"(one for each of {', '.join(spec.targets)})")
    return list(found.values())


def _line_of(block: Block, fragment: str) -> int:
    """The line of a multi-line block where ``fragment`` is written (the block's first if unsure)."""
    probe = fragment.strip()[:40]
    for line in block.lines:
        if probe and probe in line.text:
            return line.number
    return block.first


def _canon(sym: str) -> str:
    try:
        return canonical_symbol(sym)
    except ParseError:
        return sym


def _math_rows(text: str) -> list[str]:
    """Equation rows: display math split at \\\\, inline $...$, and plain 'dL/dW = ...' lines."""
    s = text.strip()
    rows: list[str] = []
    chunks = re.findall(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]", s, re.S)
    if chunks:
        bodies = [a or b for a, b in chunks]
    else:
        inline = re.findall(r"\$([^$]+)\$", s)
        bodies = inline if inline else [s]
    for body in bodies:
        body = re.sub(r"\\(?:begin|end)\{(?:aligned|align\*?|equation\*?|split|gathered|gather\*?|array)\}(?:\{[^}]*\})?",
                      "", body)
        for row in re.split(r"\\\\", body):
            row = row.replace("&", " ").strip()
            if row:
                rows.append(row)
    return rows


def _split_top(s: str, sep: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in s:
        depth += ch in "{(["
        depth -= ch in "})]"
        if ch == sep and depth <= 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts]


def _group(s: str, i: int) -> tuple[str, int] | None:
    """The balanced {...} group starting at s[i] (spaces skipped): (content, end index)."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s) or s[i] != "{":
        return None
    depth = 0
    for j in range(i, len(s)):
        depth += s[j] == "{"
        depth -= s[j] == "}"
        if depth == 0:
            return s[i + 1: j], j + 1
    return None


def _derivative(lhs: str) -> tuple[str, str] | None:
    """(of, wrt) of a derivative written as \\frac{\\partial A}{\\partial B}, dA/dB, \\nabla_B A."""
    s = lhs.strip().strip("$").strip()
    m = re.match(r"\\[dt]?frac", s)
    if m:
        num = _group(s, m.end())
        den = _group(s, num[1]) if num else None
        if num and den and not s[den[1]:].strip():
            a = re.match(r"^\s*(?:\\partial|\u2202|d|\\mathrm\{d\})\s*(.+)$", num[0])
            b = re.match(r"^\s*(?:\\partial|\u2202|d|\\mathrm\{d\})\s*(.+)$", den[0])
            if a and b:
                return a.group(1).strip(), b.group(1).strip()
        return None
    m = re.fullmatch(r"(?:\\partial|\u2202)\s*(\S+?)\s*/\s*(?:\\partial|\u2202)\s*(\S+)", s)
    if m is None:
        m = re.fullmatch(r"d\s*([A-Za-z][\w{}^+\-]*?)\s*/\s*d\s*([A-Za-z][\w{}^+\-]*)", s)
    if m:
        return m.group(1), m.group(2)
    m = re.fullmatch(r"\\nabla_\s*(\{[^}]*\}|\w)\s*(.+)", s)
    if m:
        return m.group(2).strip(), m.group(1).strip("{}")
    return None


def _target_key(deriv: tuple[str, str] | None, lhs: str, targets: dict[str, tuple[str, str]]) -> tuple[str | None, float]:
    if deriv is None:
        key = name_key(lhs)
        for k in targets:
            if name_key(k) == key:
                return k, 0.85
        return None, 0.0
    of, wrt = _canon(deriv[0]), _canon(deriv[1])
    exact = [k for k, (o, w) in targets.items() if w == wrt and o == of]
    if exact:
        return exact[0], 0.9
    by_wrt = [k for k, (_, w) in targets.items() if w == wrt]
    if len(by_wrt) == 1:
        return by_wrt[0], 0.8
    base = wrt.split("_")[0]
    by_base = [k for k, (_, w) in targets.items() if w.split("_")[0] == base]
    if len(by_base) == 1:
        return by_base[0], 0.6
    return None, 0.0


def _answer_side(segments: list[str]) -> str:
    """The formula a chain 'dL/dW = (chain rule) = formula' ends with."""
    for seg in reversed(segments):
        if seg and not re.search(r"\\partial|\u2202|\\frac\s*\{\s*d", seg):
            return seg.strip().rstrip(".,;").strip()
    return segments[-1].strip()


# --------------------------------------------------------------------------- code


def _modules(doc: Document, plan: "Plan", support: Mapping[str, set[str]]) -> list[Module]:
    wanted: dict[str, list[str]] = {}
    sections_of: dict[str, set[str]] = {}
    for q in plan.questions:
        for pc in walk_checks(q.checks):
            if pc.spec.code_target:
                module, name = pc.spec.code_target
                names = wanted.setdefault(module, [])
                if name not in names:
                    names.append(name)
                sections_of.setdefault(module, set()).add(q.id)
    blocks: list[tuple[Block, str]] = []
    for b in doc.blocks:
        if b.kind == "code":
            source, _, _ = clean_block(b.text)
            if source is not None:
                blocks.append((b, source))
    out: list[Module] = []
    for module, names in wanted.items():
        near = [(b, s) for b, s in blocks if any(_in_sections(b, doc, q) for q in sections_of[module])]
        for pool in (near, blocks):
            built = build_module([s for _, s in pool], required=names, support=support, origin=f"{module}.py")
            if built is not None:
                used = [b for b, s in pool if any(re.search(rf"^\s*(class|def)\s+{re.escape(n)}\b", s, re.M)
                                                  for n in built.defines)]
                first = min(b.first for b in used) if used else 0
                last = max(b.last for b in used) if used else 0
                out.append(Module(f"{module}.py", built.source, first, last, built.defines, built.notes))
                break
    return out


def _in_sections(block: Block, doc: Document, qid: str) -> bool:
    return any(block in s.blocks for s in doc.sections_for(qid))


_EXTRACTORS: Mapping[str, Callable[[Any, _Q], list[Item] | Gap]] = MappingProxyType({
    "choice": _choice,
    "manual": _manual,
    "threshold_unit": _weights,
    "matrix": _matrix,
    "number": _number,
    "layer_table": _layer_table,
    "conv_size": _conv_size,
    "formula": _formula,
})
