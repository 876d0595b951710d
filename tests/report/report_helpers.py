"""Helpers for the HTML report tests: submissions that exercise every view, a generated
class, code run in this process through the real probes, and reading rendered pages.

- `run_probes_here`: what the sandbox returns for a *trusted test* submission, computed in
  this process with the plan's real probes, so code checks (allclose, trajectory,
  layer_table, tracebacks, printed output) produce real views without the sandbox.
- `write_class` / `grade_class`: a class of varied submissions (right, partly wrong,
  missing, broken, hostile) and what class mode does with them.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import io
import json
import random
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from grader.checks.base import ProbeOutput
from grader.engine import Grader, _load_probes
from grader.report.html import GradingFailure
from grader.results import SubmissionResult
from grader.rubric import Plan, ProbeKey
from grader.submission import Submission, SubmissionError

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "assignments" / "hw1" / "examples" / "example"
HOSTILE_ID = "<script>alert(1)</script>"
HOSTILE_REASON = 'rejected: <img src=x onerror="alert(2)">'


def sandbox_available() -> bool:
    try:
        from grader.sandbox import Sandbox  # noqa: F401
    except ImportError:
        return False
    return True


# ---------------------------------------------------------------- code run in this process


class _LocalContext:
    """The probe context for a trusted test submission: `module(name)` imports the
    submission's file (or the assignment's scaffold) fresh, as the sandbox child would."""

    def __init__(self, plan: Plan, root: Path) -> None:
        self._plan = plan
        self._root = root
        self.device = "cpu"

    def module(self, name: str) -> ModuleType:
        if name == "scaffold":  # the one the student's `from scaffold import CONV` gets
            return importlib.import_module("scaffold")
        path = self._root / f"{name}.py"
        spec = importlib.util.spec_from_file_location(f"_report_test_{name}", path)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod

    def data_path(self, name: str) -> Path:
        return self._plan.support_files[name]


def _student_frames(err: BaseException, root: Path) -> list[str]:
    """'lab1.py:12 in closed_form' for each frame in the student's files."""
    out = []
    for fr in traceback.extract_tb(err.__traceback__):
        p = Path(fr.filename)
        if p.parent == root:
            out.append(f"{p.name}:{fr.lineno} in {fr.name}")
    return out


def run_probes_here(plan: Plan, sub: Submission) -> dict[ProbeKey, ProbeOutput]:
    """What the sandbox returns, computed in this process: the same probes, the student's
    module, exceptions turned into a traceback of the student's frames, printed output
    kept as a tail."""
    probes = _load_probes(plan)
    out: dict[ProbeKey, ProbeOutput] = {}
    support = Path(tempfile.mkdtemp(prefix="scaffold-"))  # the scaffold, importable as the sandbox makes it
    shutil.copy(plan.support_files["scaffold.py"], support / "scaffold.py")
    sys.path[:0] = [str(sub.root), str(support)]
    try:
        for key in plan.probe_keys:
            if f"{key.module}.py" not in sub.files:
                out[key] = ProbeOutput(status="missing", message=f"not submitted: {key.module}.py")
                continue
            printed = io.StringIO()
            try:
                with contextlib.redirect_stdout(printed):
                    value = getattr(probes, key.probe)(_LocalContext(plan, sub.root), **key.args)
            except Exception as err:  # noqa: BLE001 - the student's exception is the result
                frames = _student_frames(err, sub.root)
                what = f"{type(err).__name__}: {err}"
                details: dict[str, Any] = {"traceback": [*frames, what]}  # as the sandbox reports it
                if printed.getvalue():
                    details["output_tail"] = printed.getvalue()[-2000:]
                where = frames[-1].split(" in ")[0] + ": " if frames else ""
                out[key] = ProbeOutput(status="error", message=where + what, details=details)
            else:
                details = {"output_tail": printed.getvalue()[-2000:]} if printed.getvalue() else {}
                out[key] = ProbeOutput(status="ok", value=value, details=details)
    finally:
        sys.path.remove(str(sub.root))
        sys.path.remove(str(support))
        sys.modules.pop("scaffold", None)
        shutil.rmtree(support)
    return out


# ---------------------------------------------------------------- the example and a failing one


FAILING_LAB1 = '''\
"""Lab 1 with the usual mistakes: no bias column, and a division by zero on one data set."""
import numpy as np


def closed_form(X, y):
    print("solving", X.shape, "<b>debug</b>")
    if X.shape[0] == 20:
        return 1 / 0
    w, *_ = np.linalg.lstsq(X, y, rcond=None)  # forgot the bias column
    return np.append(w, 0.0)


def lms(X, y, lr=0.01, epochs=20):
    print(f"lms with lr={lr}")
    if lr == 0.05:
        print("<script>alert('printed')</script> giving up")
        raise OverflowError(f"lr={lr} is too large <i>for me</i>")
    A = np.hstack([X, np.ones((X.shape[0], 1))])
    w = np.zeros(3)
    history = []
    with np.errstate(all="ignore"):
        for _ in range(epochs):
            for xi, yi in zip(A, y):
                w = w + lr * (yi - w @ xi) * xi
            mse = np.mean((A @ w - y) ** 2)
            history.append(mse if mse < 1.0 else 1.0)  # clipped: never seems to diverge
    return w, np.array(history)
'''

FAILING_LAB2 = '''\
import torch
from torch import nn
from scaffold import CONV, FC


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = CONV(3, 6, 5)
        self.conv2 = CONV(6, 16, 3)  # wrong kernel size
        self.fc1 = FC(16 * 6 * 6, 120)
        self.fc2 = FC(120, 84)
        self.fc3 = FC(84, 10)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        x = x.flatten(1)
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.fc3(x)
'''


def failing_answers() -> dict[str, Any]:
    """The example's answers with a wrong answer in most problems."""
    a = yaml.safe_load((EXAMPLE / "answers.yaml").read_text(encoding="utf-8"))
    a["student"] = {"id": "s-fail", "name": "Failing Student"}
    a["problem1"]["q1_2"]["answer"] = True
    a["problem2"]["q2_1"]["function"] = "OR"
    a["problem2"]["q2_2"] = {"w": [1, 1, 1],
                             "truth_table": [[-1, -1, 3, 1], [-1, 1, 1, 1], [1, -1, 1, 1], [1, 1, 3, 1]]}
    a["problem4"]["q4_1"][0][4] = 2.0
    a["problem4"]["q4_1"][2][0] = 1.5
    a["lab1"]["closed_form"]["w"] = [-0.9, 0.99942, -2.00093]
    a["lab2"]["table"]["conv2"]["macs"] = 150000
    a["lab2"]["table"]["fc1"]["weight_shape"] = [400, 120]
    a["lab3"]["analysis"] = "The gradients are <em>all</em> zero & nothing learns."
    return a


# ---------------------------------------------------------------- a class


@dataclass(frozen=True)
class Mutation:
    """A change to the example's answers: the dotted path set (or the top-level part
    dropped), and the wrong answer the class report should count for it."""

    path: str
    value: Any = None
    drop: bool = False
    question: str | None = None  # e.g. "problem1.q1_2"
    shown_as: str | None = None  # how the report names the wrong answer

    def apply(self, a: dict[str, Any]) -> None:
        *parents, leaf = self.path.split(".")
        node = a
        for p in parents:
            node = node[p]
        if self.drop:
            node.pop(leaf, None)
        else:
            node[leaf] = copy.deepcopy(self.value)

    def carried_by(self, a: dict[str, Any]) -> bool:
        """Whether these answers hold this mutation's wrong value."""
        node: Any = a
        for p in self.path.split("."):
            if not isinstance(node, dict) or p not in node:
                return False
            node = node[p]
        return not self.drop and node == self.value


MUTATIONS: dict[str, Mutation] = {
    "q1_2_true": Mutation("problem1.q1_2.answer", True, question="problem1.q1_2", shown_as="true"),
    "q1_4_true": Mutation("problem1.q1_4.answer", True, question="problem1.q1_4", shown_as="true"),
    "q2_1_or": Mutation("problem2.q2_1.function", "OR", question="problem2.q2_1", shown_as="or"),
    "q2_2_ones": Mutation("problem2.q2_2.w", [1, 1, 1], question="problem2.q2_2", shown_as="w = [1, 1, 1]"),
    "q2_4_and": Mutation("problem2.q2_4.w", [-1.5, 1, 1], question="problem2.q2_4", shown_as="w = [-1.5, 1, 1]"),
    "q4_2_blur": Mutation("problem4.q4_2.kind", "blur", question="problem4.q4_2", shown_as="blur"),
    "lab1_w": Mutation("lab1.closed_form.w", [-1.2, 0.8, -2.0], question="lab1.a"),
    "lab2_macs": Mutation("lab2.table.conv1.macs", 1234, question="lab2.b", shown_as="conv1 # MAC = 1234"),
    "no_lab2": Mutation("lab2", drop=True),
    "no_problem4": Mutation("problem4", drop=True),
}


@dataclass
class Classroom:
    results: list[SubmissionResult]
    failures: list[GradingFailure]
    timings: dict[str, float]  # submission -> seconds
    root: Path
    applied: dict[str, list[str]] = field(default_factory=dict)  # submission -> what was changed

    def wrong_count(self, mutation: str) -> int:
        """How many graded submissions carry this wrong answer (not dropped afterwards)."""
        m = MUTATIONS[mutation]
        part = m.path.split(".")[0]
        return sum(mutation in done and f"no_{part}" not in done for done in self.applied.values())


def write_class(root: Path, *, size: int, seed: int) -> dict[str, list[str]]:
    """Submission folders (and one corrupt archive) in `root`; returns what was changed."""
    rng = random.Random(seed)
    base = yaml.safe_load((EXAMPLE / "answers.yaml").read_text(encoding="utf-8"))
    applied: dict[str, list[str]] = {}
    names = list(MUTATIONS)
    for i in range(size):
        name = f"s{i:02d}"
        d = root / name
        d.mkdir()
        a = copy.deepcopy(base)
        a["student"] = {"id": name, "name": f"Student {chr(65 + i % 26)}{i:02d}"}
        if i < 4:  # right
            picked: list[str] = []
        elif i < 18:  # partly wrong
            picked = sorted(rng.sample(names, rng.randint(1, 5)))
        elif i < 20:  # missing most of the work
            a = {"student": a["student"], "problem1": a["problem1"]}
            picked = ["missing_most"]
        elif i == 20:  # broken YAML
            (d / "answers.yaml").write_text("student: {id: s20\nproblem1: [", encoding="utf-8")
            applied[name] = ["broken"]
            continue
        elif i == 21:  # student text with HTML in it
            a["student"] = {"id": HOSTILE_ID, "name": "Mallory <i>O'Brien</i> & co"}
            a["problem1"]["q1_1"]["reason"] = "<script>alert('reason')</script> it is convex"
            a["problem2"]["q2_1"]["function"] = "<b>OR</b>"
            picked = ["hostile"]
        elif i == 22:  # two answers files: an error that names both
            (d / "answers.json").write_text(json.dumps(a), encoding="utf-8")
            picked = ["two_files"]
        else:
            picked = sorted(rng.sample(names, rng.randint(2, 6)))
        for m in sorted((m for m in picked if m in MUTATIONS), key=lambda m: MUTATIONS[m].drop):  # drops last
            MUTATIONS[m].apply(a)
        (d / "answers.yaml").write_text(yaml.safe_dump(a, sort_keys=False), encoding="utf-8")
        applied[name] = picked
    # one that cannot be opened at all
    (root / "corrupt.zip").write_bytes(b"PK\x03\x04 this is not a zip file")
    return applied


def grade_class(grader: Grader, root: Path) -> Classroom:
    """What class mode does: grade every submission, timing each; one that cannot be
    opened is a failure with the reason."""
    results: list[SubmissionResult] = []
    failures: list[GradingFailure] = []
    timings: dict[str, float] = {}
    for path in sorted(root.iterdir()):
        t0 = time.perf_counter()
        try:
            results.append(grader.grade_path(path))
        except SubmissionError as err:
            failures.append(GradingFailure(submission=path.name, reason=str(err)))
        else:
            timings[results[-1].submission] = time.perf_counter() - t0
    return Classroom(results=results, failures=failures, timings=timings, root=root)


# ---------------------------------------------------------------- reading pages


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def page_text(html: str) -> str:
    """The visible text of a page, entities decoded, whitespace collapsed."""
    p = _Text()
    p.feed(html)
    return " ".join(" ".join(p.parts).split())


def element(html: str, id_: str) -> str:
    """The HTML of the element with this id, up to its matching close tag (simple pages)."""
    start = html.index(f'id="{id_}"')
    open_at = html.rindex("<", 0, start)
    tag = html[open_at + 1:start].split()[0]
    depth, i = 0, open_at
    while True:
        nxt_open = html.find(f"<{tag}", i + 1)
        nxt_close = html.find(f"</{tag}>", i + 1)
        if nxt_open != -1 and nxt_open < nxt_close:
            depth += 1
            i = nxt_open
        else:
            if depth == 0:
                return html[open_at:nxt_close + len(tag) + 3]
            depth -= 1
            i = nxt_close
