"""JUnit XML, for CI systems that show test reports (GitHub, GitLab, Jenkins).

One `<testsuite>` per question (name = question id), one `<testcase>` per check
(classname = "<assignment>.<question id>", name = check id). A check that
- passed has no child element;
- failed or is partly correct has `<failure type="fail|partial">` with the message;
- errored (the student's code raised, hung, returned nonsense) has `<error>`;
- is missing has `<failure type="missing">` whose message starts with "not submitted";
- is left for manual review has `<skipped>`.
A hidden check's message is withheld (the verdict and points stay). Points are in each
suite's `<properties>` (score, max_score; `bonus` for a bonus question) and in each case's
`<system-out>`. Under a cap (bonus questions), a comment first in the document gives the
total and what the cap took off.

The document is built with ElementTree, which escapes `<`, `&` and quotes; characters
XML 1.0 cannot hold at all (most control characters, which a student's output may
contain) are replaced by their `\\xNN` spelling first.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from grader.report.audience import for_students
from grader.results import (
    CheckResult,
    QuestionResult,
    Status,
    SubmissionResult,
    Visibility,
    fmt_points,
)

WITHHELD = "hidden check: details withheld"
MAX_MESSAGE_ATTR = 500

_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """`text` with every character XML 1.0 forbids written as \\xNN (or \\uNNNN)."""

    def spell(m: re.Match[str]) -> str:
        code = ord(m.group(0))
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _NOT_XML.sub(spell, text)


def _attr_message(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= MAX_MESSAGE_ATTR else line[: MAX_MESSAGE_ATTR - 1] + "…"


def _case(assignment: str, q: QuestionResult, c: CheckResult) -> ET.Element:
    case = ET.Element("testcase", {"classname": xml_safe(f"{assignment}.{q.id}"), "name": xml_safe(c.id), "time": "0"})
    if c.timing_s is not None:
        case.set("time", f"{c.timing_s:.3f}")
    hidden = c.visibility == Visibility.HIDDEN
    message = WITHHELD if hidden else xml_safe(for_students(c.message))  # the kit's CI: a student's file
    if not hidden and c.hint and c.status not in (Status.PASS, Status.MANUAL):
        body = f"{message}\nhint: {xml_safe(c.hint)}"
    else:
        body = message
    if c.status in (Status.FAIL, Status.PARTIAL):
        el = ET.SubElement(case, "failure", {"type": c.status.value, "message": _attr_message(message)})
        el.text = body
    elif c.status == Status.MISSING:
        shown = message if hidden or message.lower().startswith("not submitted") else f"not submitted: {message}"
        el = ET.SubElement(case, "failure", {"type": "missing", "message": _attr_message(shown)})
        el.text = shown
    elif c.status == Status.ERROR:
        el = ET.SubElement(case, "error", {"type": "error", "message": _attr_message(message)})
        el.text = body
    elif c.status == Status.MANUAL:
        ET.SubElement(case, "skipped", {"message": "left for manual review"})
    out = ET.SubElement(case, "system-out")
    out.text = f"{fmt_points(c.score)}/{fmt_points(c.max_score)} points"
    return case


def _suite(assignment: str, q: QuestionResult) -> ET.Element:
    counts = {s: sum(1 for c in q.checks if c.status == s) for s in Status}
    suite = ET.Element(
        "testsuite",
        {
            "name": xml_safe(q.id),
            "tests": str(len(q.checks)),
            "failures": str(counts[Status.FAIL] + counts[Status.PARTIAL] + counts[Status.MISSING]),
            "errors": str(counts[Status.ERROR]),
            "skipped": str(counts[Status.MANUAL]),
        },
    )
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", {"name": "title", "value": xml_safe(q.title)})
    ET.SubElement(props, "property", {"name": "score", "value": f"{fmt_points(q.score)}"})
    ET.SubElement(props, "property", {"name": "max_score", "value": f"{fmt_points(q.max_score)}"})
    if q.bonus:  # its points are not part of the assignment's total
        ET.SubElement(props, "property", {"name": "bonus", "value": "true"})
    for c in q.checks:
        suite.append(_case(assignment, q, c))
    return suite


def to_junit(result: SubmissionResult) -> str:
    """The JUnit XML document (UTF-8, with its declaration) for one graded submission."""
    suites = [_suite(result.assignment, q) for q in result.questions]
    root = ET.Element(
        "testsuites",
        {
            "name": xml_safe(f"{result.assignment}: {result.submission}"),
            "tests": str(sum(int(s.get("tests", "0")) for s in suites)),
            "failures": str(sum(int(s.get("failures", "0")) for s in suites)),
            "errors": str(sum(int(s.get("errors", "0")) for s in suites)),
            "skipped": str(sum(int(s.get("skipped", "0")) for s in suites)),
        },
    )
    if result.cap is not None:  # JUnit has no place for a total: a comment says what the cap made of it
        root.append(ET.Comment(xml_safe(f" total: {result.score:g} / {result.max_score:g}"
                                        + (f" ({result.cap_note})" if result.cap_note else "") + " ").replace("--", "- -")))
    root.extend(suites)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
