"""Writes examples/example/report.pdf from tools/report_example.md, as a student's PDF
export shows it (headings without marks, tables tab-separated), with the repository's
minimal PDF writer (tests/writeup/writeup_helpers.py: Courier text read back by pypdf).

Run: `python assignments/ece661-f23-hw1/tools/make_report.py` (from the repository root).
"""

from __future__ import annotations

import sys
from pathlib import Path

PACK = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PACK.parent.parent / "tests" / "writeup"))

from writeup_helpers import make_pdf, markdown_as_printed, paginate  # noqa: E402


def main() -> None:
    printed = markdown_as_printed((PACK / "tools" / "report_example.md").read_text(encoding="utf-8"))
    (PACK / "examples" / "example" / "report.pdf").write_bytes(make_pdf(paginate(printed, per_page=60)))


if __name__ == "__main__":
    main()
