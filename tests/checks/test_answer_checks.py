"""Answers-backed checks through the real engine: for each kind, a right answer in a
different valid form passes and a wrong one fails with a message saying what is wrong."""

from __future__ import annotations

import pytest

from hw1_testing import check, question


def test_true_false_forms(grade_answers):
    r = grade_answers("""
        problem1:
          q1_1: {answer: "True", reason: "convex"}
          q1_2: {answer: no}
          q1_3: {answer: true}
          q1_4: {answer: "F"}
          q1_5: {answer: 17}
    """)
    assert check(r, "problem1.q1_1", "answer").status == "pass"
    assert check(r, "problem1.q1_2", "answer").status == "pass"  # YAML 1.1 `no` is false
    c = check(r, "problem1.q1_3", "answer")
    assert c.status == "fail" and "you answered true" in c.message and "false" in c.message
    assert check(r, "problem1.q1_4", "answer").status == "pass"
    c = check(r, "problem1.q1_5", "answer")
    assert c.status == "fail" and "expected true or false, got 17" in c.message
    assert check(r, "problem1.q1_2", "reason").status == "missing"
    assert check(r, "problem1.q1_1", "reason").status == "manual"


def test_named_choice_case_and_wrong(grade_answers):
    r = grade_answers("""
        problem2:
          q2_1: {function: " and "}
        problem4:
          q4_2: {kind: Sharpening}
    """)
    assert check(r, "problem2.q2_1", "function").status == "pass"
    assert check(r, "problem4.q4_2", "kind").status == "pass"
    r = grade_answers("""
        problem2:
          q2_1: {function: OR}
        problem4:
          q4_2: {kind: blur}
    """)
    c = check(r, "problem2.q2_1", "function")
    assert c.status == "fail" and 'you answered "OR"' in c.message
    assert check(r, "problem4.q4_2", "kind").status == "fail"


def test_weights_any_valid_form(grade_answers):
    r = grade_answers("""
        problem2:
          q2_2: {w: [-2, -2, -2]}
          q2_3: {w: {w0: 0.5, w1: 2, w2: 2, w3: 2}}
          q2_4: {w: ["1", 2, 2]}
    """)
    for q in ("problem2.q2_2", "problem2.q2_3", "problem2.q2_4"):
        c = check(r, q, "weights")
        assert c.status == "pass", (q, c.message)
        assert c.score == 4


def test_weights_wrong_names_failing_rows(grade_answers):
    r = grade_answers("""
        problem2:
          q2_2: {w: [1, -1, -1]}
          q2_4: {w: [-1.5, 1, 1]}
    """)
    c = check(r, "problem2.q2_2", "weights")
    assert c.status == "fail" and c.score == 0
    # w0 = 1: s = 1 - x1 - x2 is 1 at (-1, +1) and (+1, -1): NOR is -1 there
    assert "input (-1, +1): s = 1, y = +1, expected -1" in c.message
    assert "input (+1, -1)" in c.message
    assert c.views[0].type == "truth_table" and c.views[0].failing == [1, 2]
    c = check(r, "problem2.q2_4", "weights")
    assert c.status == "fail" and "w20 = -1.5" in c.message


def test_weights_wrong_type_message(grade_answers):
    r = grade_answers("""
        problem2:
          q2_2: {w: "abc"}
          q2_3: {w: [1, 2]}
    """)
    c = check(r, "problem2.q2_2", "weights")
    assert c.status == "fail"
    assert 'expected a list of 3 numbers [w0, w1, w2], got "abc"' in c.message
    assert "answers.yaml:3" in c.message
    c = check(r, "problem2.q2_3", "weights")
    assert "expected a list of 4 numbers [w0, w1, w2, w3], got 2 numbers" in c.message


def test_student_truth_table_checked_against_own_weights(grade_answers):
    r = grade_answers("""
        problem2:
          q2_2:
            w: [-1, -1, -1]
            truth_table: [[-1, -1, 1, 1], [-1, 1, -1, -1], [1, -1, 1, -1], [1, 1, -3, -1]]
    """)
    c = check(r, "problem2.q2_2", "weights")
    assert c.status == "partial"
    assert "row (+1, -1): s = 1, your weights give -1" in c.message
    assert 0 < c.score < 4


def test_madaline_counterexample(grade_answers):
    ok = grade_answers("""
        problem1:
          q1_3:
            answer: false
            counterexample:
              a: {hidden: [[-0.5, 1, -1], [-0.5, -1, 1]], output: [1.5, 1, 1]}
              b: {hidden: [[-0.5, -1, 1], [-0.5, 1, -1]], output: [0.5, 1, 1]}
    """)
    c = check(ok, "problem1.q1_3", "counterexample")
    assert c.status == "pass" and "holds" in c.message and c.max_score == 0
    same = grade_answers("""
        problem1:
          q1_3:
            answer: false
            counterexample:
              a: {hidden: [[-0.5, 1, -1], [-0.5, -1, 1]], output: [1.5, 1, 1]}
              b: {hidden: [[-0.5, 1, -1], [-0.5, -1, 1]], output: [1.5, 1, 1]}
    """)
    assert "identical" in check(same, "problem1.q1_3", "counterexample").message
    wrong = grade_answers("""
        problem1:
          q1_3:
            answer: false
            counterexample:
              a: {hidden: [[-0.5, 1, -1], [-0.5, -1, 1]], output: [1.5, 1, 1]}
              b: {hidden: [[-0.5, 1, 1], [-0.5, -1, 1]], output: [1.5, 1, 1]}
    """)
    c = check(wrong, "problem1.q1_3", "counterexample")
    assert c.status == "fail" and "network b does not compute XOR" in c.message
    # an informational check does not change the question's score or status
    assert question(wrong, "problem1.q1_3").score == 1


@pytest.mark.parametrize(
    "ce, status, fragment",
    [
        ("{kernel: 5, stride: 2, padding: 0, sizes: [11, 12]}", "pass", "input 11x11 -> output 4x4"),
        ("{kernel: 3, stride: 2, padding: 1, sizes: [8, 7]}", "pass", "holds"),
        ("{kernel: 3, stride: 1, padding: 0, sizes: [10, 12]}", "fail", "larger output"),
        ("{kernel: 7, stride: 1, padding: 0, sizes: [3, 4]}", "fail", "smaller than the 7x7 kernel"),
        ("{kernel: 3, stride: 1, padding: 0, sizes: [100000, 5]}", "fail", "from 1 to 512"),
    ],
)
def test_conv_counterexample_computed(grade_answers, ce, status, fragment):
    r = grade_answers(f"""
        problem1:
          q1_5: {{answer: false, counterexample: {ce}}}
    """)
    c = check(r, "problem1.q1_5", "counterexample")
    assert c.status == status and fragment in c.message, c.message


ROWS = [
    "[0, 0, -0.25, -0.5, 1.75, -0.5, -0.25, 0, 0]",
    "[-0.25, -0.5, 1.5, 1.25, 1, 1.25, 1.5, -0.5, -0.25]",
    "[1.75, 1.5, 1, 1, 1, 1, 1, 1.5, 1.75]",
    "[-0.25, -0.5, 1.5, 1.25, 1, 1.25, 1.5, -0.5, -0.25]",
    "[0, 0, -0.25, -0.5, 1.75, -0.5, -0.25, 0, 0]",
]


def test_matrix_other_forms_and_partial(grade_answers):
    text_rows = "\n".join("    - " + '"' + r.strip("[]").replace(",", "") + '"' for r in ROWS)
    r = grade_answers("problem4:\n  q4_1:\n" + text_rows + "\n")
    c = check(r, "problem4.q4_1", "output")
    assert c.status == "pass", c.message
    rows = list(ROWS)
    rows[1] = "[-0.25, -0.5, 1.5, 1.25, 2, 1.25, 1.5, -0.5, -0.25]"
    rows[4] = "[0, 0, '-1/4', -0.5, 1.75, -0.5, -0.25, 0, x]"
    r = grade_answers("problem4:\n  q4_1:\n" + "\n".join("    - " + x for x in rows) + "\n")
    c = check(r, "problem4.q4_1", "output")
    assert c.status == "partial"
    assert "43 of 45 elements correct" in c.message
    assert "(2,5): got 2, expected 1" in c.message and "(5,9): got not a number" in c.message
    assert c.score == pytest.approx(9 * 43 / 45, abs=1e-4)
    assert sorted(map(tuple, c.views[0].wrong)) == [(1, 4), (4, 8)]
    r = grade_answers("problem4:\n  q4_1: [[1, 2], [3, 4]]\n")
    assert "expected 5 rows of 9 numbers, got 2 rows of 2" in check(r, "problem4.q4_1", "output").message


def test_reported_numbers_tolerance(grade_answers):
    r = grade_answers("""
        lab1:
          closed_form: {w: [-0.9994, 0.9994, -2.0009], mse: 1.0e-4}
          lms: {w: [-0.99967, 0.99859, -2.01]}
    """)
    assert check(r, "lab1.a", "reported_w").status == "pass"
    assert check(r, "lab1.a", "reported_mse").status == "pass"  # within 1 %
    c = check(r, "lab1.b", "reported_w")
    assert c.status == "fail" and "b: got -2.01, expected -2.0014" in c.message
    r = grade_answers("""
        lab1:
          closed_form: {w: [-0.99936, 0.99942], mse: "a lot"}
    """)
    assert "expected 3 numbers" in check(r, "lab1.a", "reported_w").message
    assert 'expected a number, got "a lot"' in check(r, "lab1.a", "reported_mse").message


TABLE = """
lab2:
  table:
    c1: {input_shape: "(1, 3, 32, 32)", output_shape: [1,6,28,28], weight_shape: [6,3,5,5], params: 450, macs: 352800.0}
    c2: {input_shape: [1,6,14,14], output_shape: [1,16,10,10], weight_shape: [16,6,5,5], params: 2400, macs: "240,000"}
    f1: {input_shape: [1,400], output_shape: [1,120], weight_shape: [120,400], params: 48000, macs: 48000}
    f2: {input_shape: [1,120], output_shape: [1,84], weight_shape: [84,120], params: 10080, macs: 10080}
    f3: {input_shape: [1,84], output_shape: [1,10], weight_shape: [10,84], params: WRONG, macs: 840}
"""


def test_layer_table_by_order_and_cells(grade_answers):
    r = grade_answers(TABLE)
    c = check(r, "lab2.b", "table")
    assert c.status == "partial"
    assert "24 of 25 cells match" in c.message
    assert "fc3 # Param" in c.message
    assert c.score == pytest.approx(4 * 24 / 25, abs=1e-4)
    fixed = grade_answers(TABLE.replace("WRONG", "840.0"))
    assert check(fixed, "lab2.b", "table").status == "pass"


def test_lab1c_figure(grade_answers):
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x02\x08\x02\x00\x00\x00\xfd\xd4\x9as"
        b"\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    r = grade_answers("lab1: {analysis: x}\n", extra={"lab1c_plot.png": png})
    fig = check(r, "lab1.c", "figure")  # readable: its points wait for a TA (issue 11.5: it used to pass, 2/2)
    assert fig.status == "manual" and fig.score == 0 and fig.details["file"] == "lab1c_plot.png"
    assert "lab1c_plot.png (PNG, 2x2" in fig.views[0].text
    r = grade_answers("lab1: {analysis: x}\n", extra={"lab1c_plot.png": b"not a png at all"})
    c = check(r, "lab1.c", "figure")
    assert c.status == "fail" and "lab1c_plot.png: not a PNG file" in c.message
    r = grade_answers("lab1: {analysis: x}\n")
    assert check(r, "lab1.c", "figure").status == "missing"
