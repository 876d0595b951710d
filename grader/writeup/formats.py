"""Reports as notebooks and Word documents, and the images every format carries.

Each reader turns its format into what :mod:`grader.writeup.source` works with: pages of
text (Markdown where the format has structure) and figures, each at a line of that text:

- a notebook (``.ipynb``, nbformat 4): markdown cells as Markdown, code cells fenced as
  Python, text outputs as plain lines after the cell, image outputs (PNG, JPEG) as figures;
- a Word document (``.docx``, read with python-docx): paragraphs in body order, headings
  as Markdown headings (``Heading 2`` -> ``##``), tables as tab-separated rows, inline
  pictures as figures where they stand;
- a PDF: its embedded images (pypdf) as figures at the end of their page's text.

All of it runs in the limited reader child (:mod:`grader.writeup.isolate`); counts and
sizes are bounded here too, so a report of ten thousand images is read as its first few.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_FIGURES", "MAX_FIGURE_BYTES", "MAX_TOTAL_FIGURE_BYTES", "Figure", "figure_marker", "pdf_figures", "read_docx", "read_notebook"]

MAX_FIGURES = 40  # figures kept per report
MAX_FIGURE_BYTES = 8 << 20  # bytes of one figure
MAX_TOTAL_FIGURE_BYTES = 16 << 20  # bytes of all figures of a report (they travel back from the reader child)
MAX_CELLS = 5000
MAX_OUTPUT_LINES = 200  # text output lines kept per cell

_EXT = {"image/png": "png", "image/jpeg": "jpg"}


@dataclass(frozen=True)
class Figure:
    """An image of the report, with the line of the report's text where it stands."""

    name: str  # "figure3.png"
    line: int  # 1-based line of the text (its marker line)
    mime: str
    data: bytes


def figure_marker(n: int, name: str) -> str:
    """The text line a figure stands on: what a reader of the text sees where the image is."""
    return f"[figure {n}: {name}]"


def kind_of(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return None


class _Collector:
    """Lines and figures as a reader walks a document (page 1 only: these formats have no pages)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.figures: list[tuple[str, int, str, bytes]] = []  # (name, line index, mime, data)
        self.dropped = 0

    def add(self, text: str) -> None:
        self.lines.extend(text.split("\n"))

    def figure(self, data: bytes, mime: str | None = None) -> None:
        mime = mime or kind_of(data)
        total = sum(len(f[3]) for f in self.figures) + len(data)
        if mime not in _EXT or len(data) > MAX_FIGURE_BYTES or len(self.figures) >= MAX_FIGURES \
                or total > MAX_TOTAL_FIGURE_BYTES:
            self.dropped += 1
            return
        name = f"figure{len(self.figures) + 1}.{_EXT[mime]}"
        self.lines.append(figure_marker(len(self.figures) + 1, name))
        self.figures.append((name, len(self.lines), mime, data))


def _source(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return value if isinstance(value, str) else ""


def read_notebook(data: bytes, filename: str) -> tuple[str, list[tuple[str, int, str, bytes]]]:
    """(the notebook as Markdown text, its figures); ValueError when it is no notebook."""
    try:
        nb = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise ValueError(f"not a Jupyter notebook (not JSON: {type(err).__name__})") from None
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        raise ValueError("not a Jupyter notebook (no cells)")  # noqa: TRY004 - the caller reports bad input as ValueError
    out = _Collector()
    for cell in cells[:MAX_CELLS]:
        if not isinstance(cell, dict):
            continue
        kind, src = cell.get("cell_type"), _source(cell.get("source"))
        if kind == "markdown":
            out.add(src)
            out.add("")
        elif kind == "code":
            if src.strip():
                out.add("```python\n" + src.rstrip("\n") + "\n```")
            _outputs(cell.get("outputs"), out)
            out.add("")
        elif kind == "raw":
            out.add(src)
    return "\n".join(out.lines), out.figures


def _outputs(outputs: Any, out: _Collector) -> None:
    if not isinstance(outputs, list):
        return
    for o in outputs:
        if not isinstance(o, dict):
            continue
        text = ""
        if o.get("output_type") == "stream":
            text = _source(o.get("text"))
        elif o.get("output_type") in ("execute_result", "display_data"):
            data = o.get("data")
            bundle: dict[str, Any] = data if isinstance(data, dict) else {}
            for mime in ("image/png", "image/jpeg"):
                raw = bundle.get(mime)
                if isinstance(raw, (str, list)):
                    try:
                        out.figure(base64.b64decode(_source(raw), validate=False), mime)
                    except (binascii.Error, ValueError):
                        out.dropped += 1
                    break
            else:
                text = _source(bundle.get("text/plain"))
        if text.strip():
            lines = text.rstrip("\n").split("\n")
            out.add("\n".join(lines[:MAX_OUTPUT_LINES]))


def read_docx(data: bytes, filename: str) -> tuple[str, list[tuple[str, int, str, bytes]]]:
    """(the document as Markdown-like text, its figures); ValueError when it cannot be read."""
    try:
        import docx
        from docx.oxml.ns import qn
    except ImportError as err:  # pragma: no cover - python-docx is a dependency
        raise ValueError(f"reading .docx needs python-docx ({err})") from None
    try:
        document = docx.Document(io.BytesIO(data))
    except MemoryError:
        raise  # the reader child reports it as the memory limit
    except Exception as err:  # noqa: BLE001 - a malformed .docx can fail anywhere inside python-docx
        raise ValueError(f"not a Word document ({type(err).__name__})") from None
    out = _Collector()
    parts = document.part.related_parts
    body = document.element.body
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            _docx_paragraph(child, out, parts, qn)
        elif child.tag == qn("w:tbl"):
            for row in child.iter(qn("w:tr")):
                cells = ["".join(t.text or "" for t in cell.iter(qn("w:t"))).strip() for cell in row.iter(qn("w:tc"))]
                out.add("\t".join(cells))
            out.add("")
    return "\n".join(out.lines), out.figures


def _docx_paragraph(p: Any, out: _Collector, parts: Any, qn: Any) -> None:
    text = "".join(t.text or "" for t in p.iter(qn("w:t"), qn("m:t")))
    style = p.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
    name = style.get(qn("w:val")) if style is not None else ""
    level = re.fullmatch(r"(?i)heading(\d)", name or "")
    if level and text.strip():
        text = "#" * int(level.group(1)) + " " + text
    elif (name or "").lower() == "title" and text.strip():
        text = "# " + text
    out.add(text)
    for blip in p.iter(qn("a:blip")):
        rid = blip.get(qn("r:embed"))
        part = parts.get(rid) if rid else None
        blob = getattr(part, "blob", None)
        if isinstance(blob, bytes):
            out.figure(blob)


_MAX_CONTENT = 16 << 20


def _drawn_names(page: Any) -> set[str]:
    """The XObjects a page's content draws (``/I1 Do``): pages may share one resource
    dictionary that lists every image of the document, and an image belongs where it is drawn."""
    contents = page.get_contents()
    data = contents.get_data()[:_MAX_CONTENT] if contents is not None else b""
    return {m.decode("latin-1") for m in re.findall(rb"/([^\s/<>\[\]()]{1,64})\s+Do\b", data)}


def pdf_figures(reader: Any, page_texts: list[str]) -> tuple[list[str], list[tuple[str, int, str, bytes]]]:
    """The pages' text with a marker line for each embedded image (at the end of its page),
    and the images as figures. An image pypdf cannot decode is skipped."""
    out_pages: list[str] = []
    figures: list[tuple[str, int, str, bytes]] = []
    offset = 0
    for page, text in zip(reader.pages, page_texts):
        lines = text.split("\n")
        if len(figures) < MAX_FIGURES:
            try:
                drawn = _drawn_names(page)
                images = [img for img in page.images if img.name.rsplit(".", 1)[0] in drawn][: MAX_FIGURES - len(figures)]
            except Exception:  # noqa: BLE001 - a broken image dictionary costs that page's figures only
                images = []
            for img in images:
                try:
                    blob = img.data
                except Exception:  # noqa: BLE001, S112 - an image pypdf cannot decode is skipped
                    continue
                mime = kind_of(blob)
                if mime is None or len(blob) > MAX_FIGURE_BYTES \
                        or sum(len(f[3]) for f in figures) + len(blob) > MAX_TOTAL_FIGURE_BYTES:
                    continue
                name = f"figure{len(figures) + 1}.{_EXT[mime]}"
                lines.append(figure_marker(len(figures) + 1, name))
                figures.append((name, offset + len(lines), mime, blob))
        offset += len(lines)
        out_pages.append("\n".join(lines))
    return out_pages, figures
