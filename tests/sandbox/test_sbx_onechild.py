"""One sandbox child per submission (issue 20): every module of a submission runs in one
child, each imported fresh, and whatever one module's code leaves behind (a thread, a
timer, a changed library, a crash) costs only that module's own checks: the child ends
and a fresh one runs the modules after it, so every other result is byte-identical to a
run with one child per module."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.engine import Grader
from grader.results import SubmissionResult

from hw1_testing import EXAMPLE

LAB1_QUESTIONS = {"lab1.a", "lab1.b", "lab1.d"}



def _children(grader: Grader, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Records the modules of every child the sandbox starts."""
    started: list[list[str]] = []
    real = grader.sandbox._request

    def counting(run_dir, batch, staged):  # type: ignore[no-untyped-def]
        started.append([u.module for u in batch])
        return real(run_dir, batch, staged)

    monkeypatch.setattr(grader.sandbox, "_request", counting)
    return started


@pytest.mark.slow  # > 10 s
def test_a_clean_submission_takes_one_child(grader: Grader, baseline: SubmissionResult, monkeypatch: pytest.MonkeyPatch) -> None:
    started = _children(grader, monkeypatch)
    result = grader.grade_path(EXAMPLE)
    assert started == [["problem3", "lab1", "lab2", "lab3"]]
    assert result.to_json() == baseline.to_json()


LEFTOVERS = {
    "thread": "import threading, time\nthreading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n",
    "alarm": "import signal\nsignal.signal(signal.SIGALRM, lambda *a: None)\nsignal.alarm(30)\n",
    "warnings": "import warnings\nwarnings.simplefilter('error')\n",
    "numpy_errors": "import numpy as np\nnp.seterr(all='raise')\n",
    "torch_dtype": "import torch\ntorch.set_default_dtype(torch.float64)\n",
    "torch_grad": "import torch\ntorch.set_grad_enabled(False)\n",
    "library_function": "import torch\ntorch.relu = lambda x: x * 0\nimport torch.nn.functional as F\nF.relu = lambda x, inplace=False: x * 0\n",
    "library_class": "import torch\ntorch.nn.Module.__call__ = lambda self, *a, **k: None\n",
    "numpy_function": "import numpy as np\nnp.exp = lambda x: x\n",
    "child_process": "import subprocess\nsubprocess.Popen(['sleep', '30'])\n",
    "recursion": "import sys\nsys.setrecursionlimit(60)\n",
    "cwd_and_path": "import os, sys\nos.makedirs('elsewhere', exist_ok=True)\nos.chdir('elsewhere')\nsys.path.insert(0, '/')\n",
    "student_module": "import sys, types\nsys.modules['lab2'] = types.ModuleType('lab2')\n",
    "crash_in_call": "import os\n",
}


RESTORED = {"cwd_and_path", "student_module"}


@pytest.mark.slow  # > 10 s
@pytest.mark.parametrize("what", sorted(LEFTOVERS))
def test_what_lab1_leaves_behind_never_reaches_lab2_and_lab3(
    what: str, grader: Grader, baseline: SubmissionResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = tmp_path / "sub"
    shutil.copytree(EXAMPLE, sub)
    source = (EXAMPLE / "lab1.py").read_text()
    if what == "crash_in_call":
        source = source.replace("def closed_form(", "def _closed_form(") + "\n\ndef closed_form(*a, **k):\n    os._exit(3)\n"
    (sub / "lab1.py").write_text(LEFTOVERS[what] + source)
    started = _children(grader, monkeypatch)
    result = grader.grade_path(sub)
    for q, bq in zip(result.questions, baseline.questions):
        if q.id not in LAB1_QUESTIONS:
            assert q.model_dump_json() == bq.model_dump_json(), (what, q.id, [c.message for c in q.checks])
    if what in RESTORED:  # put back between modules: the same child goes on
        assert len(started) == 1, started
    else:  # the child ended after lab1: lab2 and lab3 ran in a fresh one
        assert len(started) >= 2, started
    assert result.to_json() == grader.grade_path(sub).to_json()  # and the same bytes every time
