"""Helpers for the write-up tests: a minimal PDF writer, and Markdown rendered to the lines a
PDF export of it would show.

The PDF is written byte by byte (PDF 1.4, one text object per page with one ``Tj`` per
line in the standard Courier font, a correct cross-reference table), so the tests need
no PDF-making dependency and the extraction reads a real PDF through pypdf.
"""

from __future__ import annotations

import re
import zlib


def _escape(line: str) -> bytes:
    raw = line.encode("latin-1", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def make_pdf(pages: list[list[str]], *, compress: bool = True) -> bytes:
    """A PDF with one page per list of lines (Courier 9pt, top to bottom)."""
    objects: list[bytes] = []
    n_pages = len(pages)
    first_page = 4
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>")
    for i, lines in enumerate(pages):
        content = b"BT /F1 9 Tf 11 TL 36 770 Td\n" + b"".join(b"(" + _escape(line) + b") Tj T*\n" for line in lines) + b"ET\n"
        contents_id = first_page + 2 * i + 1
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                       f"/Contents {contents_id} 0 R >>".encode())
        if compress:
            data = zlib.compress(content)
            objects.append(f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode() + data + b"\nendstream")
        else:
            objects.append(f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"endstream")
    return assemble_pdf(objects)


def assemble_pdf(objects: list[bytes]) -> bytes:
    """A PDF file of these objects (numbered from 1, the first the catalog), with its
    cross-reference table and trailer."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def markdown_as_printed(md: str) -> list[str]:
    """The lines a PDF made from this Markdown shows: no heading marks, no bold marks, no
    code fences, tables as tab-separated cells without their separator rows."""
    out = []
    for line in md.split("\n"):
        if re.match(r"^\s*```", line):
            continue
        if re.fullmatch(r"\s*\|?[\s:|-]+\|?\s*", line) and "-" in line:
            continue
        line = re.sub(r"^#{1,6}\s*", "", line)
        line = line.replace("**", "")
        if line.strip().startswith("|"):
            line = "\t".join(c.strip() for c in line.strip().strip("|").split("|"))
        out.append(line)
    return out


def paginate(lines: list[str], *, per_page: int) -> list[list[str]]:
    return [lines[i: i + per_page] for i in range(0, len(lines), per_page)]
