"""What a student sees names no part of the grading machine (issue 19.1): the sandbox's
notes on missing isolation layers stay with the course staff (the results' `staff_notes`,
the instructor's views), a student sees "Your code ran in a restricted environment."
once at most, and no message shows a path of the grading machine.

The fast tests render a synthetic result through every student-facing renderer; the slow
ones run the real Gradescope zip in a Gradescope-like root, once as root without
namespaces (a Docker container without admin rights) and once as an unprivileged uid."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
from integration_support import EXAMPLE, _check, _question, grade_cli

from grader.report.audience import (
    MACHINE_PATH,
    RESTRICTED,
    for_students,
    staff_notes,
    student_notes,
)
from grader.report.gradescope import to_gradescope
from grader.report.html import render_feedback
from grader.report.junit import to_junit
from grader.report.terminal import render_summary
from grader.results import Status, SubmissionResult

ISOLATION = ("sandbox isolation is reduced: active layers rlimits, setsid, seccomp, landlock, caps; missing pid-ns, "
             "net-ns, mount-ns (GRADER_SANDBOX_NO_NAMESPACES=1 is set); uid (the interpreter "
             "(/root/.pyenv/versions/3.11.7) is not readable by an unprivileged uid, so the child stays uid 0 without "
             "capabilities, where RLIMIT_NPROC does not bind)")
# What must never reach a student: isolation jargon and the places the grader keeps things.
JARGON = re.compile(r"rlimit|namespace|seccomp|landlock|capabilit|\buid\b|pid-ns|net-ns|mount-ns|isolation|"
                    r"/root\b|/tmp/|grader-sandbox|site-packages|/autograder|/sandbox\b|/support\b|\.venv|pyenv",
                    re.IGNORECASE)


def _leaks(text: str, *extra: str) -> list[str]:
    found = [m.group(0) for m in JARGON.finditer(text)]
    return found + [e for e in extra if e and e in text]


@pytest.fixture
def leaky() -> SubmissionResult:
    """A result as the engine makes it on a machine without namespaces, with a library
    path and the student's own file in messages."""
    questions = [
        _question("lab1.a", "Closed-form least squares", [
            _check("course_data", Status.ERROR, 0, 1,
                   "lab1.py:11: FileNotFoundError: [Errno 2] No such file or directory: '/sandbox/nope.csv'"),
            _check("shapes", Status.FAIL, 0, 1, "closed_form raised RuntimeError in "
                   "/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/torch/nn/functional.py: bad shape; "
                   "see /home/ta/course/reference/hw1/lab1.py, ratio 1/2, https://pytorch.org/docs/stable/nn.html"),
        ]),
    ]
    return SubmissionResult(assignment="hw1", submission="s1", student={"id": "s1"}, score=0, max_score=2,
                            questions=questions, warnings=["/tmp/grader-upload-1/s1.zip: ignored __MACOSX"],
                            notes=["both lab1.py and lab1.ipynb were submitted; lab1.py was used"],
                            staff_notes=[ISOLATION])


def test_paths_are_named_for_students() -> None:
    text = for_students("open '/sandbox/data/nope.csv' in /sandbox; /support/lab1.csv; "
                        "/usr/lib/python3/dist-packages/numpy/core.py; /root/.cache/x; 1/2 and km/h; "
                        "https://example.org/a/b; ./rel/path and ~/notes/x")
    assert text == ("open 'data/nope.csv' in your submission's folder; lab1.csv; numpy/core.py; "
                    f"{MACHINE_PATH}; 1/2 and km/h; https://example.org/a/b; ./rel/path and ~/notes/x")


def test_staff_notes_become_one_plain_line(leaky: SubmissionResult) -> None:
    assert staff_notes(leaky) == [ISOLATION]
    assert student_notes(leaky) == ["both lab1.py and lab1.ipynb were submitted; lab1.py was used", RESTRICTED]
    old = leaky.model_copy(update={"notes": [ISOLATION], "staff_notes": []})  # a result written before staff_notes
    assert staff_notes(old) == [ISOLATION] and student_notes(old) == [RESTRICTED]
    clean = leaky.model_copy(update={"staff_notes": []})
    assert RESTRICTED not in student_notes(clean)


def test_gradescope_results_name_nothing_of_the_grading_machine(leaky: SubmissionResult) -> None:
    doc = to_gradescope(leaky, execution_time=1)
    visible = [doc["output"], *(t["output"] for t in doc["tests"]), *(t["name"] for t in doc["tests"])]
    assert _leaks("\n".join(visible)) == []
    assert doc["output"].count(RESTRICTED) == 1
    assert "No such file or directory: 'nope.csv'" in doc["tests"][0]["output"]
    assert "torch/nn/functional.py" in doc["tests"][1]["output"] and "ratio 1/2" in doc["tests"][1]["output"]


def test_the_student_summary_and_page_hide_staff_notes_the_instructors_keep_them(leaky: SubmissionResult) -> None:
    for text in (render_summary(leaky), render_feedback(leaky, audience="student"), to_junit(leaky)):
        assert _leaks(text) == [], text
    assert render_summary(leaky).count(RESTRICTED) == 1
    assert render_feedback(leaky, audience="student").count(RESTRICTED) == 1
    assert ISOLATION in render_summary(leaky, audience="instructor")
    assert "RLIMIT_NPROC does not bind" in render_feedback(leaky, audience="instructor")


def test_staff_notes_stay_in_the_json_and_are_left_out_when_empty(leaky: SubmissionResult) -> None:
    data = json.loads(leaky.to_json())
    assert data["staff_notes"] == [ISOLATION]
    assert SubmissionResult.from_json(leaky.to_json()) == leaky
    assert "staff_notes" not in json.loads(leaky.model_copy(update={"staff_notes": []}).to_json())


# --------------------------------------------------------------------------- the real zip

BROKEN_LAB1 = """
import os as _os


def closed_form(X, y):
    return open(_os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "nope.csv")).read()
"""


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gs") / "autograder.zip"
    proc = grade_cli("gradescope-package", "--assignment", "hw1", "--out", out)
    assert proc.returncode == 0, proc.stderr
    return out


def _gradescope_root(package: Path) -> Path:
    """<tmp>/autograder/{source,submission,results}, readable by any uid (pytest's own
    temporary folders are root's alone). The example, with a lab1.py that fails on a file
    it looks for beside itself (an absolute path in the exception)."""
    base = Path(tempfile.mkdtemp(prefix="gs-root-"))
    os.chmod(base, 0o755)
    auto = base / "autograder"
    for name in ("source", "submission", "results"):
        (auto / name).mkdir(parents=True)
    with zipfile.ZipFile(package) as zf:
        zf.extractall(auto / "source")
    shutil.copytree(EXAMPLE, auto / "submission", dirs_exist_ok=True)
    (auto / "submission" / "lab1.py").write_text(BROKEN_LAB1)
    for path in [auto, *auto.rglob("*")]:
        os.chmod(path, 0o777 if path.is_dir() else 0o666 | (path.stat().st_mode & 0o111))
    return auto


def _unprivileged(cmd: list[str]) -> list[str]:
    """`cmd` as uid/gid 65534 without capabilities, in a mount namespace where /root can be
    crossed (the venv's interpreter may live under /root, e.g. /root/.pyenv: a private
    tmpfs over /root then holds a bind of that folder and nothing else)."""
    steps = []
    if sys.base_prefix.startswith("/root/"):
        top = "/root/" + Path(sys.base_prefix).relative_to("/root").parts[0]
        stage = tempfile.mkdtemp(prefix="gs-bind-")
        steps = [f"mount --bind {_quote(top)} {_quote(stage)}", "mount -t tmpfs -o mode=0711,size=1m tmpfs /root",
                 f"mkdir -p {_quote(top)}", f"mount --bind {_quote(stage)} {_quote(top)}"]
    drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--", *cmd]
    return ["unshare", "--mount", "--propagation", "private", "bash", "-c",
            " && ".join([*steps, " ".join(map(_quote, drop))])]


def _quote(s: str) -> str:
    return "'" + s.replace("'", "'\\''") + "'"


def _can_drop_privileges() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("setpriv"):
        return False
    probe = subprocess.run(_unprivileged([sys.executable, "-c", "import os; print(os.getuid())"]),
                           capture_output=True, text=True, timeout=60, check=False)
    return probe.returncode == 0 and probe.stdout.strip() == "65534"


@pytest.mark.slow
@pytest.mark.parametrize("who", ["root-without-namespaces", "unprivileged"])
def test_the_real_zip_shows_students_no_internals(package: Path, who: str) -> None:
    if who == "unprivileged" and not _can_drop_privileges():
        pytest.skip("needs root, unshare and setpriv to run the autograder as an unprivileged uid")
    auto = _gradescope_root(package)
    env = {**os.environ, "AUTOGRADER_ROOT": str(auto), "GRADER_PYTHON": sys.executable, "HOME": str(auto / "results"),
           "GRADER_SANDBOX_NO_NAMESPACES": "1"}
    cmd = ["bash", str(auto / "source" / "run_autograder")]
    proc = subprocess.run(_unprivileged(cmd) if who == "unprivileged" else cmd, cwd=auto, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((auto / "results" / "results.json").read_text())
    visible = "\n".join([doc["output"], *(t["output"] for t in doc["tests"]), *(t["name"] for t in doc["tests"])])
    assert _leaks(visible, str(auto), sys.prefix, sys.base_prefix, str(Path.home())) == [], visible
    assert doc["output"].count(RESTRICTED) == 1, doc["output"]
    errors = [t for t in doc["tests"] if "FileNotFoundError" in t["output"]]
    assert errors and all("'nope.csv'" in t["output"] for t in errors)
    assert doc["stdout_visibility"] == "hidden"
    # the instructor's side keeps what was missing and why: the summary on stdout
    assert "sandbox isolation is reduced" in proc.stdout and "RLIMIT" not in visible
    shutil.rmtree(auto.parent, ignore_errors=True)
