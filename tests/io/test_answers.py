"""grader.answers: finding the answers file, loading it, and warning about keys the rubric does not know."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path

import pytest

from grader.answers import ANSWER_FILES, MISSING, Answers, load_answers
from grader.submission import open_submission

FIXTURES = Path(__file__).parent / "fixtures"

KNOWN = (
    "student.id",
    "student.name",
    "problem1.q1_1.answer",
    "problem1.q1_1.reason",
    "problem1.q1_3.answer",
    "problem1.q1_3.reason",
    "problem1.q1_3.counterexample",
    "problem2.q2_1.function",
    "problem2.q2_2.w",
    "problem2.q2_2.truth_table",
    "lab1.closed_form.w",
    "lab1.closed_form.mse",
    "lab1.lms.w",
    "lab1.analysis",
    "lab2.table.*",
)


def answers_from(tmp_path: Path, files: dict[str, str | bytes], known: object = KNOWN, **kw: object) -> Answers:
    folder = tmp_path / "s1"
    for rel, content in files.items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
    with open_submission(folder) as sub:
        return load_answers(sub, known_paths=known, **kw)  # type: ignore[arg-type]


def test_missing_answers_file(tmp_path: Path) -> None:
    a = answers_from(tmp_path, {"lab1.py": "x = 1\n"})
    assert (a.data, a.filename, a.error, a.warnings) == (None, None, None, ())
    assert a.get("problem1.q1_1.answer") == (MISSING, None)


@pytest.mark.parametrize("ext", ["yaml", "json", "toml"])
def test_each_format_loads_the_same_answers(tmp_path: Path, ext: str) -> None:
    content = (FIXTURES / "equivalent" / f"answers.{ext}").read_bytes()
    a = answers_from(tmp_path, {f"answers.{ext}": content})
    assert a.error is None and a.warnings == ()
    assert a.filename == f"answers.{ext}"
    assert a.get("problem2.q2_2.w")[0] == [-1, -1, -1]
    assert a.get("lab1.closed_form.mse")[0] == 1e-4
    assert a.get("lab2.table.conv1.macs")[0] == 352800


def test_yml_suffix_is_accepted(tmp_path: Path) -> None:
    a = answers_from(tmp_path, {"answers.yml": "lab1: {analysis: ok}\n"})
    assert a.filename == "answers.yml" and a.get("lab1.analysis") == ("ok", 1)


def test_get_returns_values_lines_and_missing_with_parent_line(tmp_path: Path) -> None:
    text = (
        "student: {id: s1}\n"          # 1
        "problem2:\n"                  # 2
        "  q2_1:\n"                    # 3
        "    function: AND\n"          # 4
        "  q2_2:\n"                    # 5
        "    w: [-1, -1, -1]\n"        # 6
        "    truth_table:\n"           # 7
        "      - [-1, -1, 1, 1]\n"     # 8
        "      - [-1, 1, -1, -1]\n"    # 9
    )
    a = answers_from(tmp_path, {"answers.yaml": text})
    assert a.get("problem2.q2_1.function") == ("AND", 4)
    assert a.get("problem2.q2_2.w") == ([-1, -1, -1], 6)
    assert a.get("problem2.q2_2.w.1") == (-1, 6)
    assert a.get("problem2.q2_2.truth_table.1.3") == (-1, 9)
    assert a.get("problem2.q2_2.truth_table.5") == (MISSING, 7)
    assert a.get("problem2.q2_3.w") == (MISSING, 2)
    assert a.get("problem2.q2_1.function.x") == (MISSING, 4)  # below a scalar
    assert a.get("lab1.lms.w") == (MISSING, 1)  # nothing of lab1: the document's first line


def test_missing_sentinel() -> None:
    assert repr(MISSING) == "MISSING" and not MISSING
    assert copy.deepcopy(MISSING) is MISSING and pickle.loads(pickle.dumps(MISSING)) is MISSING


def test_two_answers_files_is_an_error_naming_both(tmp_path: Path) -> None:
    a = answers_from(tmp_path, {"answers.yaml": "lab1: {}\n", "answers.json": "{}"})
    assert a.error == "two answers files: answers.yaml and answers.json; keep one"
    assert a.data is None and a.filename is None
    b = answers_from(tmp_path / "b", {name: "{}" for name in ANSWER_FILES[1:]})
    assert b.error == "three answers files: answers.yml, answers.json and answers.toml; keep one"


def test_syntax_error_on_line_7(tmp_path: Path) -> None:
    text = "problem1:\n  q1_1: {answer: true}\n\nproblem2:\n  q2_1: {function: AND}\n  q2_2:\n    w: [-1, -1, -1\n"
    a = answers_from(tmp_path, {"answers.yaml": text})
    assert a.data is None and a.filename == "answers.yaml"
    assert a.error is not None and a.error.startswith("answers.yaml:7: YAML syntax error")


def test_json_and_toml_syntax_errors(tmp_path: Path) -> None:
    a = answers_from(tmp_path, {"answers.json": '{\n  "lab1": {\n    "analysis": "x",\n  }\n}\n'})
    assert a.error is not None and a.error.startswith("answers.json:4: JSON syntax error")
    b = answers_from(tmp_path / "b", {"answers.toml": "[lab1]\nanalysis = \n"})
    assert b.error is not None and b.error.startswith("answers.toml:2: TOML syntax error")


def test_bomb_and_oversize_and_python_tag(tmp_path: Path) -> None:
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n' + "".join(
        f"{c}: &{c} [" + ",".join([f"*{p}"] * 10) + "]\n" for p, c in zip("abcdefgh", "bcdefghi")
    )
    a = answers_from(tmp_path, {"answers.yaml": bomb})
    assert a.data is None and a.error is not None and "too many aliases/nodes" in a.error
    b = answers_from(tmp_path / "b", {"answers.yaml": "a: " + "x" * 2_000_000})
    assert b.error == "answers.yaml: file is 2.0 MB, the limit is 1.0 MB"
    c = answers_from(tmp_path / "c", {"answers.yaml": "a: !!python/object/apply:os.system [id]\n"})
    assert c.error is not None and c.error.startswith("answers.yaml:1: tags are not allowed")


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    known = ("problem1.q1_1", "problem2.q2_1", "lab1.a")
    a = answers_from(tmp_path, {"answers.yaml": "- problem1\n- problem2\n"}, known=known)
    assert a.error == "answers.yaml:1: expected a mapping of sections (problem1, problem2, ...), got a list"
    b = answers_from(tmp_path / "b", {"answers.yaml": "# nothing yet\n"})
    assert b.error == "answers.yaml: expected a mapping of sections (student, problem1, ...), got an empty file"
    c = answers_from(tmp_path / "c", {"answers.json": "\n42"})
    assert c.error == "answers.json:2: expected a mapping of sections (student, problem1, ...), got the number 42"


def test_unknown_keys_get_suggestions_with_lines(tmp_path: Path) -> None:
    text = (
        "student: {id: s1}\n"                       # 1
        "Problem2:\n"                               # 2
        "  q2_1: {function: AND}\n"                 # 3
        "problem2:\n"                               # 4
        "  q2_22: {w: [1, 1, 1]}\n"                 # 5
        "  q2_2: {w: [-1, -1, -1], wieghts: 1}\n"   # 6
        "  zzz: 1\n"                                # 7
        "lab2:\n"                                   # 8
        "  table:\n"                                # 9
        "    conv1: {params: 450, anything: 1}\n"   # 10
        "problem1:\n"                               # 11
        "  q1_3:\n"                                 # 12
        "    counterexample: {a: {hidden: [[1]]}, c: 2}\n"  # 13
        "problem2.q2_1: {function: OR}\n"           # 14
    )
    a = answers_from(tmp_path, {"answers.yaml": text})
    assert a.error is None and a.data is not None
    assert a.warnings == (
        "answers.yaml:2: unknown key Problem2: did you mean problem2?",
        "answers.yaml:5: unknown key problem2.q2_22: did you mean q2_2?",
        "answers.yaml:6: unknown key problem2.q2_2.wieghts (expected one of: w, truth_table)",
        "answers.yaml:7: unknown key problem2.zzz (expected one of: q2_1, q2_2)",
        'answers.yaml:14: unknown key "problem2.q2_1": write it nested (problem2: {q2_1: ...}), not as one dotted key',
    )
    # unknown keys are kept: the data is what the student wrote
    assert a.get("problem2.q2_22.w")[0] == [1, 1, 1]


def test_close_misspelling_in_nested_section(tmp_path: Path) -> None:
    a = answers_from(tmp_path, {"answers.yaml": "lab1:\n  closed_from: {w: [1, 2, 3]}\n  lms: {W: [1]}\n"})
    assert a.warnings == (
        "answers.yaml:2: unknown key lab1.closed_from: did you mean closed_form?",
        "answers.yaml:3: unknown key lab1.lms.W: did you mean w?",
    )


def test_known_paths_as_a_set_give_deterministic_messages(tmp_path: Path) -> None:
    known = {"b.x", "a.x", "c.x"}
    a = answers_from(tmp_path, {"answers.yaml": "- 1\n"}, known=known)
    assert a.error == "answers.yaml:1: expected a mapping of sections (a, b, ...), got a list"
    b = answers_from(tmp_path / "b", {"answers.yaml": "d: 1\n"}, known=known)
    assert b.warnings == ("answers.yaml:1: unknown key d (expected one of: a, b, c)",)


def test_leaf_declared_before_or_after_its_children(tmp_path: Path) -> None:
    text = "s:\n  q: {w: 1, typo: 2}\n"
    for known in (("s.q", "s.q.w"), ("s.q.w", "s.q")):
        a = answers_from(tmp_path / "_".join(known), {"answers.yaml": text}, known=known)
        assert a.warnings == ("answers.yaml:2: unknown key s.q.typo (expected one of: w)",)


def test_stray_answers_files_are_reported_not_read(tmp_path: Path) -> None:
    a = answers_from(tmp_path, {"extra/answers.yaml": "lab1: {}\n", "lab1.py": "x = 1\n"})
    assert a.data is None and a.error is None
    assert a.warnings == ("extra/answers.yaml: not read; only an answers file at the top of the submission counts",)
    b = answers_from(tmp_path / "b", {"Answers.YAML": "lab1: {}\n"})
    assert b.data is None
    assert b.warnings == ("Answers.YAML: not read; the answers file must be named answers.yaml (lower case)",)


def test_answers_in_a_single_top_folder_count(tmp_path: Path) -> None:
    a = answers_from(tmp_path, {"hw1/answers.yaml": "lab1: {analysis: ok}\n", "hw1/lab1.py": "x = 1\n"})
    assert a.filename == "answers.yaml" and a.get("lab1.analysis")[0] == "ok"


def test_max_bytes_is_passed_through(tmp_path: Path) -> None:
    a = answers_from(tmp_path, {"answers.yaml": "lab1: {analysis: " + "x" * 300 + "}\n"}, max_bytes=100)
    assert a.error is not None and a.error.startswith("answers.yaml: file is") and "the limit is 100 bytes" in a.error


def test_thousands_of_unknown_keys_are_counted_not_listed(tmp_path):
    text = "problem1:\n" + "".join(f"  q1_{i}x: 1\n" for i in range(5000))
    a = answers_from(tmp_path, {"answers.yaml": text})
    assert a.error is None
    assert len(a.warnings) == 21
    assert "unknown key problem1.q1_0x" in a.warnings[0]
    assert a.warnings[-1] == "answers.yaml: and 4980 more unknown keys (not listed)"
