"""The text of a write-up, line by line, with where each line came from.

A PDF's text comes from pypdf (a maintained, pure-Python PDF library: fonts, encodings
and compressed streams are its business, not ours), page by page; Markdown and plain
text are decoded as UTF-8 (a BOM is dropped; bytes that are not UTF-8 are read as
Latin-1, as old editors write them). Lines keep their page (1 for text files) so every
extracted answer can be traced back: ``report.pdf p.2 l.14``.

Typography that PDF export or word processors introduce is normalized: non-breaking
and thin spaces, curly quotes, the Unicode minus, ligatures. Tabs are kept (truth
tables and the Lab 2 table are often tab-separated in a PDF's text).
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from types import MappingProxyType

from grader.writeup.formats import Figure, pdf_figures, read_docx, read_notebook

__all__ = ["WRITEUP_SUFFIXES", "Figure", "Line", "Text", "WriteupError", "read_text"]

WRITEUP_SUFFIXES = (".pdf", ".md", ".markdown", ".txt", ".ipynb", ".docx")
MAX_PAGES = 200

_TYPOGRAPHY = MappingProxyType({
    "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2007": " ", "\u200b": "", "\u2002": " ", "\u2003": " ",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'", "\u2019": "'", "\u2032": "'",
    "\u2212": "-", "\u2010": "-", "\u2011": "-", "\u00ad": "", "\r": "", "\ufeff": "",
    # ligatures PDF exports keep ("Di\ufb00erent")
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st",
    "\u2217": "*", "\u2219": "*", "\u22c5": "*", "\u2026": "...",
})
_SUB = str.maketrans("\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089\u208a\u208b", "0123456789+-")
_SUP = str.maketrans("\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207a\u207b\u1d40",
                     "0123456789+-T")
_SUBS = re.compile("[\u2080-\u208b]+")
_SUPS = re.compile("[\u2070\u00b9\u00b2\u00b3\u2074-\u207b\u1d40]+")
_MATH_ALNUM = re.compile("[\U0001d400-\U0001d7ff\u210e]")  # Word's equation letters (Cambria Math italics)
# Word PDFs drop a subscript onto the baseline with a space ("w 1 = -1"): the name is w_1
_LOOSE_SUBSCRIPT = re.compile(r"(?<![\w.])([A-Za-z])[ \t]([0-9]{1,2})(?=[ \t]*=(?!=))")


class WriteupError(Exception):
    """A write-up whose text cannot be read at all (not a PDF, encrypted, a scan)."""


@dataclass(frozen=True)
class Line:
    number: int  # 1-based, over the whole text
    page: int  # 1-based (always 1 for .md and .txt)
    page_line: int  # 1-based within the page
    text: str

    @property
    def where(self) -> str:
        return f"p.{self.page} l.{self.page_line}"


@dataclass(frozen=True)
class Text:
    filename: str
    kind: str  # "pdf", "markdown", "text" (notebooks and Word documents are read as markdown)
    lines: tuple[Line, ...]
    pages: int
    figures: tuple[Figure, ...] = ()  # the report's images, each at its marker line

    def where(self, number: int) -> str:
        """'l.12' for text files, 'p.2 l.14' for PDFs."""
        if not 1 <= number <= len(self.lines):
            return f"l.{number}"
        line = self.lines[number - 1]
        return line.where if self.kind == "pdf" else f"l.{line.number}"


def normalize(text: str) -> str:
    """Typography and glyph mangling made plain: spaces, quotes, dashes, ligatures, Unicode
    sub- and superscripts (``w\u2080`` -> ``w_0``, ``10\u207b\u2074`` -> ``10^-4``), the
    mathematical italic letters of Word's equations, and subscripts a PDF export dropped to
    the baseline before an ``=``."""
    for k, v in _TYPOGRAPHY.items():
        text = text.replace(k, v)
    text = _MATH_ALNUM.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    text = _SUBS.sub(lambda m: "_" + m.group().translate(_SUB), text)
    text = _SUPS.sub(lambda m: "^" + m.group().translate(_SUP), text)
    return _LOOSE_SUBSCRIPT.sub(r"\1_\2", text)


def read_text(data: bytes, *, filename: str) -> Text:
    """The lines of a write-up; :class:`WriteupError` when there is no text to read."""
    lower = filename.lower()
    figures: list[tuple[str, int, str, bytes]] = []
    if lower.endswith(".pdf"):
        pages, figures = _pdf_pages(data, filename)
        kind = "pdf"
    elif lower.endswith((".ipynb", ".docx")):
        reader = read_notebook if lower.endswith(".ipynb") else read_docx
        try:
            page, figures = reader(data, filename)
        except ValueError as err:
            raise WriteupError(f"{filename}: {err}") from None
        pages = [page]
        kind = "markdown"
    else:
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            decoded = data.decode("utf-8")
        except UnicodeDecodeError:
            decoded = data.decode("latin-1")
        pages = [decoded]
        kind = "markdown" if lower.endswith((".md", ".markdown")) else "text"
    lines: list[Line] = []
    for p, page in enumerate(pages, start=1):
        for k, raw in enumerate(normalize(page).split("\n"), start=1):
            lines.append(Line(number=len(lines) + 1, page=p, page_line=k, text=raw.rstrip()))
    if not any(line.text.strip() for line in lines):
        what = "no text layer (a scanned PDF?)" if kind == "pdf" else "empty"
        raise WriteupError(f"{filename}: {what}; nothing can be extracted, grade it by hand")
    return Text(filename=filename, kind=kind, lines=tuple(lines), pages=len(pages),
                figures=tuple(Figure(n, line, mime, blob) for n, line, mime, blob in figures))


def _pdf_pages(data: bytes, filename: str) -> tuple[list[str], list[tuple[str, int, str, bytes]]]:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError as err:  # pragma: no cover - pypdf is a dependency
        raise WriteupError(f"{filename}: reading PDFs needs pypdf ({err})") from None
    if not data.lstrip()[:5] == b"%PDF-":
        raise WriteupError(f"{filename}: not a PDF file")
    try:
        with _quiet("pypdf"):
            return _read_pages(PdfReader, data, filename)
    except WriteupError:
        raise
    except PdfReadError as err:
        raise WriteupError(f"{filename}: cannot be read as a PDF ({err})") from None
    except Exception as err:  # noqa: BLE001 - a malformed PDF can fail anywhere inside pypdf
        raise WriteupError(f"{filename}: cannot be read as a PDF ({type(err).__name__}: {err})") from None


@contextlib.contextmanager
def _quiet(name: str) -> Iterator[None]:
    """pypdf logs the recoverable oddities of real-world PDFs, which nobody grading can act on:
    raise its logger's level while reading, and put it back after."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _read_pages(reader_type: type, data: bytes, filename: str) -> tuple[list[str], list[tuple[str, int, str, bytes]]]:
    reader = reader_type(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        raise WriteupError(f"{filename}: the PDF is encrypted (password-protected); nothing can be read")
    count = len(reader.pages)
    if count > MAX_PAGES:
        raise WriteupError(f"{filename}: {count} pages, more than the {MAX_PAGES} a write-up may have")
    texts = [normalize(page.extract_text() or "") for page in reader.pages]
    return pdf_figures(reader, texts)
