"""Lab 1 (b) and (d) tell right from nearly right: each common slip of the LMS contract
(online updates over the rows in file order, w starting at zeros, exactly `epochs`
epochs, the MSE after each epoch) loses points on the checks that should catch it, and
the correct LMS keeps every point.

On lab1.csv, 20 epochs at r = 0.01 have converged (w after 19 epochs is within 5e-9 of w
after 20), so the final w there cannot see an epoch slip: `final_w_unconverged` checks
the final w on a data set with small features, where 20 epochs are far from converged."""

from __future__ import annotations

import dataclasses

import pytest

from grader.engine import Grader
from grader.results import SubmissionResult
from grader.rubric import Plan

from hw1_testing import check

LMS = '''\
import numpy as np


def closed_form(X, y):
    A = np.hstack([X, np.ones((len(X), 1))])
    return np.linalg.lstsq(A, y, rcond=None)[0]


def lms(X, y, lr=0.01, epochs=20):
    A = np.hstack([np.asarray(X, dtype=float), np.ones((len(X), 1))])
    y = np.asarray(y, dtype=float)
    w = {init}
    order = np.arange(len(y))
    rng = np.random.default_rng(0)
    history = []
    last = w
    with np.errstate(all="ignore"):
        for epoch in range({epochs}):
            {before}
            last = w.copy()
            for i in ({rows}):
                w = w + lr * (y[i] - w @ A[i]) * A[i]
            {after}
    return {returned}, np.array(history[:epochs])
'''

RIGHT = dict(init="np.zeros(3)", epochs="epochs", rows="order", before="",
             after="history.append(np.mean((A @ w - y) ** 2))", returned="w")

# slip -> (what changes, the checks that must catch it)
SLIPS: dict[str, tuple[dict[str, str], set[tuple[str, str]]]] = {
    # the case: 20 epochs run and reported, the weights returned are the 19th epoch's
    "w_one_epoch_early": ({"returned": "last"}, {("lab1.b", "final_w_unconverged")}),
    "epochs_minus_one": ({"epochs": "epochs - 1"},
                         {("lab1.b", "final_w_unconverged"), ("lab1.b", "mse_curve"), ("lab1.d", "r_0_001")}),
    "one_epoch_more": ({"epochs": "epochs + 1"}, {("lab1.b", "final_w_unconverged")}),
    "rows_shuffled": ({"rows": "rng.permutation(len(y))"},
                      {("lab1.b", "final_w"), ("lab1.b", "final_w_unconverged"), ("lab1.b", "mse_curve"),
                       ("lab1.d", "r_0_001"), ("lab1.d", "r_0_05"), ("lab1.d", "r_0_1")}),
    "rows_reversed": ({"rows": "order[::-1]"},
                      {("lab1.b", "final_w"), ("lab1.b", "final_w_unconverged"), ("lab1.b", "mse_curve")}),
    "w_starts_at_ones": ({"init": "np.ones(3)"},
                         {("lab1.b", "final_w_unconverged"), ("lab1.b", "mse_curve"), ("lab1.d", "r_0_001")}),
    "w_starts_small_random": ({"init": "np.random.default_rng(1).normal(0, 1e-3, 3)"},
                              {("lab1.b", "final_w_unconverged"), ("lab1.b", "mse_curve"), ("lab1.d", "r_0_001")}),
    "mse_before_each_epoch": ({"before": "history.append(np.mean((A @ w - y) ** 2))", "after": ""},
                              {("lab1.b", "mse_curve"), ("lab1.d", "r_0_001"), ("lab1.d", "r_0_05")}),
}


def _lms_plan(plan: Plan) -> Plan:
    """The plan's Lab 1 (b) and (d): only what an lms slip can change."""
    questions = tuple(q for q in plan.questions if q.id in ("lab1.b", "lab1.d"))
    keys = {pc.probe_key for q in questions for pc in q.checks if pc.probe_key}
    return dataclasses.replace(plan, questions=questions, probe_keys=tuple(k for k in plan.probe_keys if k in keys))


def _code_scores(result: SubmissionResult) -> dict[tuple[str, str], tuple[float, float]]:
    return {(q.id, c.id): (c.score, c.max_score) for q in result.questions for c in q.checks
            if (c.source or "").startswith("code:")}


@pytest.fixture(scope="module")
def graded(plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> dict[str, SubmissionResult]:
    root = tmp_path_factory.mktemp("lms")
    out = {}
    with Grader.create(_lms_plan(plan)) as grader:
        for name, (change, _) in {"right": ({}, set()), **SLIPS}.items():
            sub = root / name
            sub.mkdir()
            (sub / "lab1.py").write_text(LMS.format(**{**RIGHT, **change}))
            out[name] = grader.grade_path(sub)
    return out


def test_the_right_lms_keeps_every_point(graded: dict[str, SubmissionResult]) -> None:
    scores = _code_scores(graded["right"])
    assert ("lab1.b", "final_w_unconverged") in scores and len(scores) == 8
    assert all(score == top for score, top in scores.values()), scores


@pytest.mark.parametrize("slip", list(SLIPS))
def test_each_slip_loses_the_points_of_the_checks_that_catch_it(graded: dict[str, SubmissionResult], slip: str) -> None:
    _, catching = SLIPS[slip]
    scores = _code_scores(graded[slip])
    missed = {key: scores[key] for key in catching if scores[key][0] != 0}
    assert not missed, f"{slip}: these checks gave points: {missed}"
    for qid, cid in catching:
        assert check(graded[slip], qid, cid).status.value == "fail", (qid, cid)


def test_the_checks_that_could_not_see_an_epoch_slip_still_cannot(graded: dict[str, SubmissionResult]) -> None:
    """Why `final_w_unconverged` exists: on lab1.csv at r = 0.01 the weights of the 19th
    epoch pass `final_w` (converged), so without it this slip lost nothing."""
    scores = _code_scores(graded["w_one_epoch_early"])
    assert scores[("lab1.b", "final_w")] == (1, 1) and scores[("lab1.b", "mse_curve")] == (2, 2)
    assert scores[("lab1.b", "final_w_unconverged")] == (0, 1)


def test_lab1_points_are_unchanged(plan: Plan) -> None:
    points = {q.id: q.points for q in plan.questions if q.id.startswith("lab1")}
    assert points == {"lab1.a": 6, "lab1.b": 6, "lab1.c": 2, "lab1.d": 6} and plan.max_score == 100
    unconverged = next(pc.spec for q in plan.questions if q.id == "lab1.b" for pc in q.checks
                       if pc.spec.id == "final_w_unconverged")
    assert unconverged.args["dataset"]["x1_scale"] < 1 and unconverged.args["lr"] == 0.01 and unconverged.args["epochs"] == 20
