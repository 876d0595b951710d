"""A write-up cut into blocks (code, display math, text lines) and into question sections.

Code and display math are found first, so nothing inside them is mistaken for a header:
fenced code (```` ``` ```` / ``~~~``), Markdown indented code, and code that lost its
fences in a PDF (a run of lines that starts like Python and stays code-like); display
math between ``$$``, ``\\[ \\]`` or ``\\begin{...} \\end{...}``.

Headers are recognized in their common spellings, but only where they name a question
the rubric has: sections (``Problem 2``, ``Problem2``, ``LAB1``, ``## Lab 1``), numbered
questions (``Q 1.1``, ``Q1.1``, ``Question 1.1``, ``Problem 2.3``, a bare ``4.1``),
lettered parts (``(a)``, ``a)``, ``Part (b)``, ``LAB1 (a)``, ``Lab 1(c)``). A header
may carry the answer on the same line (``(b) Run LMS for 20 epochs ...``,
``Q2.1 AND``): the rest of the line stays in the section. Any header ends the section
before it, even one the rubric does not grade (``LAB3 (a)``), so answers never run
into each other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from collections.abc import Mapping, Sequence
from typing import Literal

from grader.writeup.code import clean_block
from grader.writeup.source import Line, Text

__all__ = ["Block", "Document", "QuestionKey", "Section", "parse_document"]

BlockKind = Literal["code", "math", "text"]

_FENCE = re.compile(r"^\s*(```+|~~~+)\s*([\w+-]*)\s*$")
_MATH_ENV = re.compile(r"\\begin\{(equation|align|aligned|gather|multline|eqnarray|bmatrix|pmatrix|matrix)\*?\}")
_CODE_START = re.compile(
    r"^\s*(?:\d{1,4}\s+)?(?:import\s+[\w.]+|from\s+[\w.]+\s+import\s|class\s+\w+\s*[(:]|def\s+\w+\s*\(|@\w+)")
_CODE_LINE = re.compile(
    r"^\s*(?:\d{1,4}(?:\s+|$))?(?:$|#|return\b|if\b.*:\s*(#.*)?$|elif\b|else\s*:|for\b.*:\s*$|while\b.*:\s*$|with\b.*:\s*$"
    r"|try\s*:|except\b|finally\s*:|raise\b|pass\s*$|assert\b|print\(|super\(|[\w.\[\]'\"]+\s*(?:[-+*/]?=)\s*\S"
    r"|[\w.]+\(.*\)\s*(#.*)?$|[)\]}]+,?\s*$)")
_NUMBERED = re.compile(r"^\s*(\d{1,4})(?:\s|$)")
_PROMPT = re.compile(r"^\s*In\s*\[\s*[\d*]*\s*\]\s*:\s?(.*)$")  # a Jupyter export's code cell: "In [4]: ..."
_OUT_PROMPT = re.compile(r"^\s*Out\s*\[\s*\d*\s*\]\s*:")


@dataclass(frozen=True)
class QuestionKey:
    """A question id of the rubric split into what headers name: ('problem', 1, (1, 1), None)."""

    qid: str
    word: str  # "problem", "lab"
    number: int | None  # 1 for problem1
    sub: tuple[int, ...] | None  # (1, 1) for q1_1
    letter: str | None  # "a" for lab1.a

    @classmethod
    def of(cls, qid: str) -> "QuestionKey | None":
        parts = qid.split(".")
        m = re.fullmatch(r"([A-Za-z]+?)_?(\d+)", parts[0])
        if m is None:
            return None
        word, number = m.group(1).lower(), int(m.group(2))
        if len(parts) == 1:
            return cls(qid, word, number, None, None)
        if len(parts) != 2:
            return None
        rest = parts[1]
        nums = re.fullmatch(r"[A-Za-z]*_?(\d+(?:_\d+)*)", rest)
        if nums:
            return cls(qid, word, number, tuple(int(n) for n in nums.group(1).split("_")), None)
        if re.fullmatch(r"[a-z]", rest):
            return cls(qid, word, number, None, rest)
        return None


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    lines: tuple[Line, ...]
    text: str  # code: without fences; math: as written (delimiters kept); text: the line (header removed)
    fenced: bool = False

    @property
    def first(self) -> int:
        return self.lines[0].number if self.lines else 0

    @property
    def last(self) -> int:
        return self.lines[-1].number if self.lines else 0


@dataclass
class Section:
    """The blocks under one header, up to the next header."""

    qid: str | None  # the rubric question it answers, None for headers the rubric does not grade
    label: str  # the header as written ("Q 1.1", "(a)")
    line: Line | None  # the header's line
    context: str  # the enclosing section ("problem1", "lab2") or ""
    blocks: list[Block] = field(default_factory=list)
    certain: bool = True  # False where the section's question was guessed (the n-th "Lab" heading taken as Lab n)

    def text(self, *, kinds: tuple[BlockKind, ...] = ("text", "math")) -> str:
        return "\n".join(b.text for b in self.blocks if b.kind in kinds).strip()


@dataclass(frozen=True)
class Document:
    text: Text
    blocks: tuple[Block, ...]
    sections: tuple[Section, ...]

    def sections_for(self, qid: str) -> list[Section]:
        return [s for s in self.sections if s.qid == qid]

    def headers(self) -> list[Section]:
        """Every section a header opened (the rubric's or not), in order: where a reader looked."""
        return [s for s in self.sections if s.line is not None]


# --------------------------------------------------------------------------- blocks


def split_blocks(text: Text) -> list[Block]:
    lines = list(text.lines)
    out: list[Block] = []
    i = 0
    markdown = text.kind == "markdown"
    while i < len(lines):
        line = lines[i]
        s = line.text
        fence = _FENCE.match(s)
        if fence:
            j = i + 1
            while j < len(lines) and not (lines[j].text.strip().startswith(fence.group(1)) and
                                          _FENCE.match(lines[j].text)):
                j += 1
            body = lines[i + 1:j]
            out.append(Block("code", tuple(body), "\n".join(x.text for x in body), fenced=True))
            i = j + 1
            continue
        math_end = _math_end(lines, i)
        if math_end is not None:
            body = lines[i:math_end + 1]
            out.append(Block("math", tuple(body), "\n".join(x.text for x in body)))
            i = math_end + 1
            continue
        if markdown and _indented(s) and (i == 0 or not lines[i - 1].text.strip()):
            j = i
            while j < len(lines) and (_indented(lines[j].text) or not lines[j].text.strip()):
                j += 1
            body = _trim(lines[i:j])
            if body and _looks_like_code([x.text for x in body]) and _parses([x.text for x in body]):
                out.append(Block("code", tuple(body), "\n".join(x.text for x in body)))
                i = j
                continue
        prompt = _PROMPT.match(s)
        if prompt:  # code a notebook export shows is code, whatever it looks like (plt.axis("off"), w = ...)
            j = i + 1
            while j < len(lines) and lines[j].text.strip() and not _PROMPT.match(lines[j].text) \
                    and not _OUT_PROMPT.match(lines[j].text) \
                    and (_CODE_LINE.match(lines[j].text) or _CODE_START.match(lines[j].text)
                         or lines[j].text.startswith((" ", "\t"))):
                j += 1
            texts = [prompt.group(1), *(x.text for x in lines[i + 1:j])]
            k = next((k for k in range(len(texts), 0, -1) if _parses(texts[:k])), 1)  # prose after the cell is not code
            out.append(Block("code", tuple(lines[i:i + k]), "\n".join(texts[:k])))
            i += k
            continue
        if _CODE_START.match(s):
            j = i + 1
            while j < len(lines) and (_CODE_LINE.match(lines[j].text) or _CODE_START.match(lines[j].text)
                                      or (lines[j].text.startswith((" ", "\t")) and lines[j].text.strip())):
                j += 1
            body = _parsing_prefix(lines[i:j]) or _trim(lines[i:j])
            if len([x for x in body if x.text.strip()]) >= 2:
                out.append(Block("code", tuple(body), "\n".join(x.text for x in body)))
                i += len(body)
                continue
        out.append(Block("text", (line,), s))
        i += 1
    return out


def _parses(texts: list[str]) -> bool:
    """Unfenced code counts as code only where Python can read it (after the repairs
    :func:`grader.writeup.code.clean_block` makes): indented math or prose stays text."""
    return clean_block("\n".join(texts))[0] is not None


def _parsing_prefix(lines: list[Line]) -> list[Line]:
    """The longest start of a run of code-like lines that Python reads (at least two lines),
    so code followed by indented math or a second snippet is cut where it stops being code;
    [] when no start parses (the run is then kept whole, to be reported as unreadable)."""
    for k in range(len(lines), 1, -1):
        body = _trim(lines[:k])
        if len(body) == k and sum(1 for x in body if x.text.strip()) >= 2 and _parses([x.text for x in body]):
            return body
    return []


def _indented(s: str) -> bool:
    return s.startswith(("    ", "\t")) and bool(s.strip())


def _trim(lines: list[Line]) -> list[Line]:
    while lines and not lines[-1].text.strip():
        lines = lines[:-1]
    return lines


def _looks_like_code(texts: list[str]) -> bool:
    stripped = [t.strip() for t in texts if t.strip()]
    codey = sum(1 for t in stripped if _CODE_START.match(t) or _CODE_LINE.match(t))
    return codey >= max(1, len(stripped) // 2)


def _math_end(lines: list[Line], i: int) -> int | None:
    """The last line of a display-math block starting at line i, or None."""
    s = lines[i].text.strip()
    for open_, close in (("$$", "$$"), ("\\[", "\\]")):
        if s.startswith(open_):
            rest = s[len(open_):]
            if close in rest:
                return i
            for j in range(i + 1, min(len(lines), i + 200)):
                if close in lines[j].text:
                    return j
            return None
    m = _MATH_ENV.match(s)
    if m:
        end = f"\\end{{{m.group(1)}"
        for j in range(i, min(len(lines), i + 200)):
            if end in lines[j].text:
                return j
    return None


# --------------------------------------------------------------------------- headers


@dataclass(frozen=True)
class _Header:
    label: str
    word: str | None = None  # section word ("problem"), where the header names one
    number: int | None = None
    sub: tuple[int, ...] | None = None
    letter: str | None = None
    rest: str = ""
    title: str = ""  # a section named by its title, without its number ("5 Lab: LMS Algorithm")


_WORDS = MappingProxyType({"problem": "problem", "prob": "problem", "problems": "problem", "lab": "lab", "labs": "lab",
          "laboratory": "lab", "exercise": "exercise", "ex": "exercise", "part": "part", "question": "question",
          "task": "task", "homework": "homework", "hw": "homework", "assignment": "assignment"})

_MARKUP = re.compile(r"^\s*(?:#{1,6}\s*|>\s*)?(?:\*\*|__|\*|_)?\s*")
_SECTION = re.compile(r"^([A-Za-z]+)\.?\s*(\d+)(?![\d.]\d)\s*(?P<tail>.*)$")
_NUMBERED_Q = re.compile(r"^(?:(?P<w>q|question|problem|prob|exercise|ex|task)\.?\s*)?\(?(\d+)\s*(?P<sep>[._-])\s*(\d+)\)?"
                         r"(?![\d])\s*(?P<tail>.*)$", re.I)
_LETTER = re.compile(r"^(?:part\s*)?(?:\((?P<a>[a-hA-H])\)|(?P<b>[a-h])\)|(?P<c>[a-h])[.:](?=\s|$))\s*(?P<tail>.*)$")


def _clean_header(s: str) -> str:
    s = _MARKUP.sub("", s)
    return s.strip()


def _tail(tail: str) -> str:
    return re.sub(r"^(?:\*\*|__|\*)?\s*[:.)\-\u2013\u2014]?\s*(?:\*\*|__)?\s*", "", tail).strip()


_DOC_NUMBER = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,2})\.?\s+(?=[A-Za-z(])")
_TITLED = re.compile(r"^([A-Za-z]+)\s*(?:[:.\-\u2013\u2014]\s*|\s+)(?P<title>[A-Z][^\n]{0,80})$")


def parse_header(raw: str, *, words: frozenset[str]) -> _Header | None:
    """The header a line starts with, if any. ``words``: section words the rubric uses.

    A document's own section number before a header (LaTeX and Word number their
    headings: ``2 Problem 2``, ``2.1 Q2.1``, ``5 Lab: LMS Algorithm``) is dropped; a section
    word followed by a title and no number (``Lab: LMS Algorithm``, as the course's labs
    are headed) is a header whose number the caller finds from the title."""
    s = _clean_header(raw)
    if not s or len(s) > 400:
        return None
    numbered = _DOC_NUMBER.match(s)
    if numbered:
        inner = parse_header(s[numbered.end():], words=words)
        if inner is not None:
            return replace(inner, label=s[: numbered.end()] + inner.label)
        titled = _TITLED.match(s[numbered.end():])
        if titled and _WORDS.get(titled.group(1).lower()) in words:
            return _Header(s, word=_WORDS[titled.group(1).lower()], title=titled.group("title").strip())
    heading = raw.lstrip().startswith("#")
    titled = re.match(r"^([A-Za-z]+)\s*[:\u2013\u2014]\s*(?P<title>[A-Z][^\n]{0,80})$", s)
    if titled and _WORDS.get(titled.group(1).lower()) in words:
        return _Header(s, word=_WORDS[titled.group(1).lower()], title=titled.group("title").strip())
    m = _NUMBERED_Q.match(s)
    if m:
        tail = m.group("tail")
        bare = m.group("w") is None
        if bare and (m.group("sep") != "." or re.match(r"^\s*[-+\d.=<>*/^]", tail)
                     or m.group(2).startswith("0") or m.group(4).startswith("0") or len(m.group(4)) > 2):
            m = None  # 0.5, 1.0058: numbers, not question numbers
        elif bare and not heading and tail and not re.match(r"^[\s:.)\-*]|^[A-Za-z(]", tail):
            m = None
    if m:
        word = m.group("w")
        w = _WORDS.get(word.lower()) if word else None
        return _Header(s[: len(s) - len(m.group("tail"))].strip(), word=w if w in words else None,
                       sub=(int(m.group(2)), int(m.group(4))), rest=_tail(m.group("tail")))
    m = _SECTION.match(s)
    if m and _WORDS.get(m.group(1).lower()) in words:
        tail = m.group("tail")
        letter = re.match(r"^[,\s]*(?:part\s*)?\(([a-hA-H])\)\s*(.*)$", tail)
        if letter:
            return _Header(s[: len(s) - len(letter.group(2))].strip(), word=_WORDS[m.group(1).lower()],
                           number=int(m.group(2)), letter=letter.group(1).lower(), rest=_tail(letter.group(2)))
        if tail and not (heading or re.match(r"^[:.\-\u2013\u2014)]|^\*\*", tail)
                         or (len(s) <= 40 and not tail.rstrip().endswith((".", ",", ";")))):
            return None
        return _Header(s[: len(s) - len(tail)].strip() if tail else s, word=_WORDS[m.group(1).lower()],
                       number=int(m.group(2)), rest=_tail(tail) if heading or tail[:1] in ":.-)" else "")
    m = _LETTER.match(s)
    if m:
        part = str(m.group("a") or m.group("b") or m.group("c")).lower()
        return _Header(s[: len(s) - len(m.group("tail"))].strip(), letter=part, rest=_tail(m.group("tail")))
    return None


# --------------------------------------------------------------------------- sections


def parse_document(text: Text, *, question_ids: list[str], headings: Mapping[str, Sequence[str]] | None = None,
                   titles: Mapping[str, Sequence[str]] | None = None) -> Document:
    """The write-up's blocks and sections. ``headings``: question id -> the rubric's own
    headings for it (besides those its id gives); ``titles``: section (``lab1``) -> titles
    naming it (a heading ``5 Lab: LMS Algorithm`` is Lab 1 where ``lab1`` lists ``LMS``;
    without a title that matches, the n-th such heading is taken as section n, and the
    sections under it are marked uncertain)."""
    keys = [k for k in (QuestionKey.of(q) for q in question_ids) if k is not None]
    words = frozenset(k.word for k in keys)
    extra = [(qid, h.strip().lower()) for qid, hs in (headings or {}).items() for h in hs if len(h.strip()) >= 2]
    extra.sort(key=lambda e: -len(e[1]))
    named = _section_titles(titles or {})
    blocks = split_blocks(text)
    sections: list[Section] = [Section(qid=None, label="", line=None, context="")]
    context: tuple[str, int] | None = None
    certain = True
    ordinal: dict[str, int] = {}
    for block in blocks:
        if block.kind != "text":
            sections[-1].blocks.append(block)
            continue
        line = block.lines[0]
        own = _rubric_heading(line.text, extra) if extra and line.text.strip() else None
        if own is not None:
            own_qid, label, rest = own
            key = QuestionKey.of(own_qid)
            if key is not None and key.sub is None and key.letter is None:
                context, certain = (key.word, key.number or 0), True
            section = Section(qid=own_qid, label=label, line=line, context=sections[-1].context)
            if rest:
                section.blocks.append(Block("text", (line,), rest))
            sections.append(section)
            continue
        header = parse_header(line.text, words=words) if line.text.strip() else None
        if header is not None and header.word is not None and header.number is None and header.sub is None:
            found = _titled_number(header, named)
            ordinal[header.word] = ordinal.get(header.word, 0) + 1
            number, certain = (found, True) if found is not None else (ordinal[header.word], False)
            word = header.word
            header = _Header(header.label, word=word, number=number, rest=header.rest, title=header.title)
            context = (word, number)
            sections.append(Section(qid=_match(header, keys, context), label=header.label, line=line,
                                    context=f"{word}{number}", certain=certain))
            continue
        if header is not None and not _plausible(header, keys, context):
            header = None
        if header is None:
            sections[-1].blocks.append(block)
            continue
        if header.word is not None and header.number is not None:
            context, certain = (header.word, header.number), True
        elif header.word is not None and header.sub is not None:
            context, certain = (header.word, header.sub[0]), True
        qid = _match(header, keys, context)
        ctx = f"{context[0]}{context[1]}" if context else ""
        section = Section(qid=qid, label=header.label, line=line, context=ctx,
                          certain=certain or header.word is not None or header.sub is not None)
        if header.rest:
            section.blocks.append(Block("text", (line,), header.rest))
        sections.append(section)
    return Document(text=text, blocks=tuple(blocks), sections=tuple(sections))


def _section_titles(titles: Mapping[str, Sequence[str]]) -> list[tuple[str, int, str]]:
    """(word, number, title in lower case) for the rubric's section titles (``lab1: [LMS]``)."""
    out = []
    for section, names in titles.items():
        key = QuestionKey.of(section)
        if key is None or key.number is None:
            continue
        out += [(key.word, key.number, n.strip().lower()) for n in names if n.strip()]
    return out


def _titled_number(header: _Header, named: list[tuple[str, int, str]]) -> int | None:
    title = header.title.lower()
    hits = {number for word, number, t in named if word == header.word and t in title}
    return hits.pop() if len(hits) == 1 else None


def _rubric_heading(raw: str, extra: list[tuple[str, str]]) -> tuple[str, str, str] | None:
    """(question id, the heading as written, the rest of the line) where the line starts
    with one of the rubric's headings for a question."""
    s = _clean_header(raw)
    numbered = _DOC_NUMBER.match(s)
    if numbered:
        s = s[numbered.end():]
    low = s.lower()
    for qid, h in extra:
        if low.startswith(h) and (len(low) == len(h) or not (low[len(h)].isalnum() or h[-1:] == "(")):
            return qid, s[: len(h)], _tail(s[len(h):])
    return None


def _plausible(header: _Header, keys: list[QuestionKey], context: tuple[str, int] | None) -> bool:
    """A header counts only where the rubric has something it could name."""
    if header.sub is not None:
        return any(k.sub == header.sub for k in keys) or (header.word is not None)
    if header.letter is not None and header.word is None:
        return context is not None and any(k.letter is not None and (k.word, k.number) == context for k in keys)
    return True


def _match(header: _Header, keys: list[QuestionKey], context: tuple[str, int] | None) -> str | None:
    if header.sub is not None:
        cands = [k for k in keys if k.sub == header.sub]
        if len(cands) > 1 and context is not None:
            narrowed = [k for k in cands if (k.word, k.number) == context] or [k for k in cands if k.number == header.sub[0]]
            cands = narrowed or cands
        return cands[0].qid if cands else None
    word = header.word or (context[0] if context else None)
    number = header.number if header.number is not None else (context[1] if context else None)
    if header.letter is not None:
        for k in keys:
            if k.letter == header.letter and k.word == word and k.number == number:
                return k.qid
        return None
    for k in keys:
        if k.word == word and k.number == number and k.sub is None and k.letter is None:
            return k.qid
    return None
