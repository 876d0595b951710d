"""Problem 1 key: the true/false answers of the handout's table, each with a reason."""

from __future__ import annotations

from grader.packs import Pack

_PACK = Pack.at(__file__)
KEY = _PACK.module("reference.problem1").KEY


# The `key` column of ASSIGNMENT.md's Problem 1 table.
HANDOUT_KEY = {"q1_1": True, "q1_2": False, "q1_3": False, "q1_4": False, "q1_5": False}


def test_answers_match_the_handout() -> None:
    assert list(KEY) == list(HANDOUT_KEY)
    assert {q: entry["answer"] for q, entry in KEY.items()} == HANDOUT_KEY
    assert all(type(entry["answer"]) is bool for entry in KEY.values())


def test_every_answer_has_an_explanation_for_the_ta() -> None:
    for q, entry in KEY.items():
        assert set(entry) == {"answer", "explanation"}, q
        assert isinstance(entry["explanation"], str) and len(entry["explanation"].split()) >= 8, q


def test_q1_5_counterexample_in_the_explanation_holds() -> None:
    # kernel 5, stride 2, no padding: 11x11 and 12x12 inputs both give 4x4 (computed here).
    import torch
    import torch.nn.functional as F

    sizes = [F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, 5, 5), stride=2).shape[-1] for n in (11, 12)]
    assert sizes == [4, 4]
    assert "11x11" in KEY["q1_5"]["explanation"] and "12x12" in KEY["q1_5"]["explanation"]
