"""What the feedback page shows a TA for review: the submitted figure (only a base64
PNG/JPEG data URI reaches an <img>, and only then does the page's CSP allow data: images),
and a review score suspended because the answer changed (issue 11, items 5 and 6)."""

from __future__ import annotations

import base64

import pytest

from grader.results import CheckResult, QuestionResult, Status, SubmissionResult, TextView

pytest.importorskip("grader.report.html")
from grader.report.html import HtmlRenderer  # noqa: E402

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 40).decode()


def _page(details: dict, *, status: Status = Status.MANUAL, message: str = "left for manual review") -> str:
    c = CheckResult(id="figure", status=status, score=0.0, max_score=2.0, message=message, details=details,
                    views=[TextView(label="figure", text="lab1c.png (PNG, 2x2, 73 bytes)")])
    q = QuestionResult(id="lab1.c", title="plot", score=0.0, max_score=2.0, status=status, checks=[c])
    r = SubmissionResult(assignment="hw1", submission="s", score=0.0, max_score=2.0, questions=[q])
    return HtmlRenderer().feedback(r, audience="instructor")


def test_the_figure_is_shown_inline() -> None:
    page = _page({"image": f"data:image/png;base64,{PNG}"})
    assert f'<img src="data:image/png;base64,{PNG}"' in page
    assert "img-src data:;" in page


@pytest.mark.parametrize("uri", ["javascript:alert(1)", "data:image/svg+xml;base64,PHN2Zz4=",
                                 'data:image/png;base64,AAAA" onerror="alert(1)', "https://evil.example/x.png"])
def test_nothing_else_reaches_an_img(uri: str) -> None:
    page = _page({"image": uri})
    assert "<img" not in page and "img-src 'none'" in page


def test_a_suspended_review_score_is_flagged() -> None:
    page = _page({"review": {"suspended": True, "score": 1.5, "comment": "good", "reason": "x"}},
                 message="left for manual review (an earlier review score (1.5 / 2) was suspended: ...)")
    assert "an earlier review score (1.5) was suspended: the answer changed since it was scored" in page
    assert "back in the review queue" in page
