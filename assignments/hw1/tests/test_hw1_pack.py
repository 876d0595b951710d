"""HW1's pack as a whole: it loads with no instructor mistake, and its examples score what
examples.yaml records (the complete example: 88/100 with 12 points left for a TA)."""

from __future__ import annotations

import os

import pytest

from grader.packs import Pack
from grader.packcheck import validate_pack

os.environ.setdefault("GRADER_CACHE_DIR", "off")

PACK = Pack.at(__file__)


@pytest.mark.slow
def test_hw1_validates_and_its_examples_score_as_recorded() -> None:
    report = validate_pack(PACK, device="cpu")
    assert report.problems == []
    assert {r.name: (r.score, r.pending) for r in report.examples} == {
        "example": (88.0, 12.0), "nor-negated": (84.0, 12.0), "empty": (0.0, 0.0)}
    assert report.ok, report.render()
