"""JUnit XML: parsed back with xml.etree, one suite per question, one case per check,
failures / errors / skipped as the statuses say, hidden messages withheld, student text
escaped (and characters XML cannot hold spelled out)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from integration_support import NASTY

from grader.report.junit import WITHHELD, to_junit, xml_safe
from grader.results import SubmissionResult


def _parse(result: SubmissionResult) -> ET.Element:
    text = to_junit(result)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(text.encode("utf-8"))


def test_suites_cases_and_counts(every_status: SubmissionResult) -> None:
    root = _parse(every_status)
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("8", "4", "1", "1")
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["problem2.q2_2", "problem4.q4_1", "lab1.a", "lab3.c"]
    assert [(s.get("tests"), s.get("failures"), s.get("errors"), s.get("skipped")) for s in suites] == [
        ("1", "0", "0", "0"), ("1", "1", "0", "0"), ("4", "2", "1", "0"), ("2", "1", "0", "1")]
    lab1 = suites[2]
    assert [c.get("name") for c in lab1.findall("testcase")] == ["reported_w", "course_data", "hidden_small", "hidden_wide"]
    assert {c.get("classname") for c in lab1.findall("testcase")} == {"hw1.lab1.a"}
    props = {p.get("name"): p.get("value") for p in lab1.find("properties") or []}
    assert props == {"title": "Closed-form least squares", "score": "0.75", "max_score": "3.5"}


def test_each_status_has_its_element(every_status: SubmissionResult) -> None:
    cases = {(c.get("classname"), c.get("name")): c for c in _parse(every_status).iter("testcase")}
    passed = cases[("hw1.problem2.q2_2", "weights")]
    assert [child.tag for child in passed] == ["system-out"] and passed.find("system-out").text == "4/4 points"
    partial = cases[("hw1.problem4.q4_1", "output")].find("failure")
    assert partial.get("type") == "partial" and partial.text.startswith("33 of 45 elements right")
    assert partial.text.endswith("hint: zero padding keeps the 5x9 size")
    fail = cases[("hw1.lab1.a", "reported_w")].find("failure")
    assert fail.get("type") == "fail" and fail.get("message") == "w1 = 2.5, expected -0.99936 within 0.1%"
    error = cases[("hw1.lab1.a", "course_data")].find("error")
    assert error.get("message") == "closed_form raised ValueError: bad <shape> & more"
    missing = cases[("hw1.lab3.c", "all_zero")].find("failure")
    assert missing.get("type") == "missing" and missing.get("message").startswith("not submitted")
    assert cases[("hw1.lab3.c", "analysis")].find("skipped").get("message") == "left for manual review"


def test_hidden_messages_are_withheld(every_status: SubmissionResult) -> None:
    text = to_junit(every_status)
    assert "SECRET" not in text and "hidden set ok" not in text
    cases = {c.get("name"): c for c in ET.fromstring(text).iter("testcase")}
    failed = cases["hidden_wide"].find("failure")
    assert failed.get("message") == WITHHELD and failed.text == WITHHELD
    assert cases["hidden_small"].find("failure") is None
    assert cases["hidden_small"].find("system-out").text == "0.75/0.75 points"


def test_student_text_round_trips_escaped(every_status: SubmissionResult) -> None:
    failure = next(c for c in _parse(every_status).iter("testcase") if c.get("name") == "output").find("failure")
    expected = xml_safe(f"33 of 45 elements right; you wrote {NASTY}")
    assert failure.text.startswith(expected)
    assert failure.get("message") == " ".join(expected.split())
    assert "\\x00" in expected and "\\x1b" in expected and "<b>\"bold\"</b> & 'quotes' ]]>" in expected
    assert "\u00e9\u4e2d \U0001F600" in expected  # what XML can hold is kept as it is
