"""What a call's message, traceback and output say about where the student's code ran:
the paths its own code sees in full isolation (/sandbox, /support, /tmp), in either mode.
In basic mode the child's folders live under the grader's scratch folder
(/tmp/grader-sandbox-XXXX/run-YYYY/c0/work); that path is the grading machine's, random
on every run (results must be byte-reproducible), and never the student's business."""

from __future__ import annotations

from pathlib import Path

from sbxkit import call, make_submission

from grader.sandbox import Sandbox

LEAKY = '''
import os, sys

def missing_file():
    return open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "nope.csv")).read()

def where():
    here = os.path.abspath(".")
    print("cwd is", here, "tmp is", os.environ.get("TMPDIR", "/tmp"))
    raise RuntimeError("ran in " + here + " beside " + os.path.abspath("x.txt"))
'''


def test_messages_name_the_sandbox_view_not_the_scratch_folder(box: Sandbox, tmp_path: Path) -> None:
    sub = make_submission(tmp_path, {"leaky.py": LEAKY})
    out = box.run(sub, [call("leaky", "missing_file", limits=None), call("leaky", "where", limits=None)])
    missing, where = out["leaky.missing_file"], out["leaky.where"]
    assert missing.status == "error" and where.status == "error"
    assert "No such file or directory: '/sandbox/nope.csv'" in missing.message, missing.message
    assert "ran in /sandbox beside /sandbox/x.txt" in where.message, where.message
    assert "cwd is /sandbox" in where.stdout_tail, where.stdout_tail
    for r in (missing, where):
        text = "\n".join([r.message, r.stdout_tail, *r.traceback])
        assert "grader-sandbox-" not in text and "/run-" not in text, text
