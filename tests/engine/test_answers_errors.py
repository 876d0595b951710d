"""Broken answers files: the problem is reported with file and line, answers-backed checks
become errors, and everything else is still graded."""

from __future__ import annotations

from hw1_testing import check, question


def test_syntax_error_marks_answer_checks_and_keeps_others(grade_answers):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    r = grade_answers(
        "problem1:\n  q1_1: {answer: true\nproblem2:\n  q2_2: {w: [-1, -1, -1]}\n",
        extra={"lab1c.png": png + b"\x00" * 20},
    )
    c = check(r, "problem2.q2_2", "weights")
    assert c.status == "error"
    assert "answers.yaml:3" in c.message
    assert question(r, "lab1.c").status == "manual"  # a figure check does not read answers (a TA scores it)
    assert check(r, "lab1.a", "course_data").status == "missing"  # code checks untouched


def test_unknown_keys_warn_with_suggestion(grade_answers):
    r = grade_answers("""
        problem2:
          q2_22: {w: [-1, -1, -1]}
          q2_3: {w: [0, 1, 1, 1], weights: [1]}
        Lab1: {}
    """)
    text = "\n".join(r.warnings)
    assert "q2_22: did you mean q2_2?" in text
    assert "answers.yaml:3" in text
    assert "Lab1: did you mean lab1?" in text
    assert "weights" in text
    assert check(r, "problem2.q2_3", "weights").status == "pass"
    assert check(r, "problem2.q2_2", "weights").status == "missing"


def test_alias_bomb_rejected_quickly(grade_answers):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 12):
        bomb += f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]\n"
    bomb += "problem2:\n  q2_2: {w: [-1, -1, -1]}\n"
    r = grade_answers(bomb)
    c = check(r, "problem2.q2_2", "weights")
    assert c.status == "error" and "answers.yaml" in c.message
    assert "alias" in c.message or "nodes" in c.message


def test_python_tag_is_refused_not_run(grade_answers, tmp_path):
    marker = tmp_path / "pwned"
    r = grade_answers(f"""
        problem2:
          q2_2: {{w: !!python/object/apply:os.system ["touch {marker}"]}}
    """)
    assert not marker.exists()
    assert check(r, "problem2.q2_2", "weights").status == "error"
    assert "tag" in check(r, "problem2.q2_2", "weights").message


def test_json_and_toml_answers_give_same_results(grade_answers):
    y = grade_answers("problem2:\n  q2_2: {w: [-1, -1, -1]}\nproblem4:\n  q4_2: {kind: sharpen}\n")
    j = grade_answers('{"problem2": {"q2_2": {"w": [-1, -1, -1]}}, "problem4": {"q4_2": {"kind": "sharpen"}}}',
                      name="answers.json")
    t = grade_answers('[problem2.q2_2]\nw = [-1, -1, -1]\n[problem4.q4_2]\nkind = "sharpen"\n', name="answers.toml")
    for r in (y, j, t):
        assert check(r, "problem2.q2_2", "weights").status == "pass"
        assert check(r, "problem4.q4_2", "kind").status == "pass"
    assert y.score == j.score == t.score


def test_two_answers_files_is_an_error_naming_both(grade_answers):
    r = grade_answers("problem2:\n  q2_2: {w: [-1, -1, -1]}\n", extra={"answers.json": "{}"})
    c = check(r, "problem2.q2_2", "weights")
    assert c.status == "error"
    assert "answers.yaml" in c.message and "answers.json" in c.message


def test_no_answers_file_is_missing_not_crash(grade_answers):
    r = grade_answers("print('hi')\n", name="notes.py")
    assert question(r, "problem2.q2_2").status == "missing"
    assert "not submitted" in check(r, "problem2.q2_2", "weights").message
    assert r.score == 0
