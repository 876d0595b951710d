"""What a student may see of a result, for every renderer that writes for students
(Gradescope's results.json, the terminal summary of the student kit and its CI, the
student feedback page, JUnit XML).

Two kinds of text are the grading machine's business, not the student's:

- the isolation layers the sandbox could not put in place and why (kernel features,
  uids, interpreter paths): kept in `SubmissionResult.staff_notes` for the instructor's
  log and view; a student sees :data:`RESTRICTED` once instead;
- paths of the grading machine in messages (an exception quoting a library file, an
  interpreter under /root). :func:`for_students` names the student's own files by their
  name in the submission and replaces every other absolute path.

Older results kept the isolation note among `notes`; :func:`student_notes` recognises
it by the sandbox's own prefix and treats it as a staff note.
"""

from __future__ import annotations

import re

from grader.results import SubmissionResult

__all__ = ["ISOLATION_PREFIX", "MACHINE_PATH", "RESTRICTED", "for_students", "staff_notes", "student_notes"]

RESTRICTED = "Your code ran in a restricted environment."
ISOLATION_PREFIX = "sandbox isolation is reduced"  # how grader.sandbox's fallback note begins
MACHINE_PATH = "<a path on the grading machine>"

# The folders the student's code sees (full isolation; basic mode is rewritten to them by
# the sandbox): its own submission, the course's support files.
_OWN = re.compile(r"(?<![\w./:~-])/(?:sandbox|support)(?:/|(?![\w.-]))")
# Any other absolute path of two or more parts (not a URL, a fraction or a ratio: the
# character before the slash is none of word, dot, slash, colon, tilde or dash).
_PATH = re.compile(r"(?<![\w./:~-])/(?:[\w.@+~-]+/)+[\w.@+~-]*")
_LIBRARY = re.compile(r"/(?:site|dist)-packages/(.+)$")


def _path(m: re.Match[str]) -> str:
    lib = _LIBRARY.search(m.group(0))
    return lib.group(1) if lib else MACHINE_PATH  # a library's file by its name in the library


def for_students(text: str) -> str:
    """`text` with the student's own files named by their path in the submission
    (`/sandbox/lab1.py` -> `lab1.py`), a library file by its path in the library
    (`.../site-packages/torch/nn/functional.py` -> `torch/nn/functional.py`) and every
    other absolute path replaced by :data:`MACHINE_PATH`."""
    text = _OWN.sub(lambda m: "" if m.group(0).endswith("/") else "your submission's folder", text)
    return _PATH.sub(_path, text)


def _is_isolation(note: str) -> bool:
    return note.startswith(ISOLATION_PREFIX)


def staff_notes(result: SubmissionResult) -> list[str]:
    """The notes for the course staff only (the sandbox's missing layers and why)."""
    return [*result.staff_notes, *(n for n in result.notes if _is_isolation(n))]


def student_notes(result: SubmissionResult) -> list[str]:
    """The notes a student sees: the result's notes for everyone (paths replaced), and
    :data:`RESTRICTED` once when the staff have a note on the isolation."""
    notes = [for_students(n) for n in result.notes if not _is_isolation(n)]
    if staff_notes(result):
        notes.append(RESTRICTED)
    return notes
