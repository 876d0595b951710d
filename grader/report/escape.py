"""What makes text safe to print to a terminal, apart from the reporters (which import
pydantic models and the results): the command line installs :class:`TerminalStream`
over stdout and stderr before anything else, so this module imports nothing but the
standard library (issue 20: a cold `grade` starts its sandbox first). Why this matters
is ``grader.report.terminal``'s docstring; that module re-exports both names."""

from __future__ import annotations

import re
from typing import Any, TextIO

__all__ = ["TerminalStream", "for_terminal"]

# C0 but "\n" (kept or escaped by the caller's choice), DEL, C1; ALM (U+061C); LRM/RLM;
# LRE..RLO (U+202A-U+202E); LRI..PDI (U+2066-U+2069); LS/PS (U+2028/9); lone surrogates.
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                      "\ud800-\udfff]")
_CONTROL_NL = re.compile("[\n\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                         "\ud800-\udfff]")


def _escape(m: re.Match[str]) -> str:
    code = ord(m.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(text: Any, *, newlines: bool = True) -> str:
    """``text`` safe to write to a terminal: control characters become visible escapes.
    ``newlines=False`` escapes ``\\n`` too (for a value that must stay on one line)."""
    s = text if isinstance(text, str) else str(text)
    return (_CONTROL if newlines else _CONTROL_NL).sub(_escape, s)


class TerminalStream:
    """A text stream that writes everything through :func:`for_terminal` (newlines kept).
    ``raw`` is the stream below, for the grader's own control sequences (the redrawn
    progress line)."""

    def __init__(self, raw: TextIO) -> None:
        self.raw = raw

    def write(self, text: str) -> int:
        self.raw.write(for_terminal(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding, ...
        return getattr(self.raw, name)
