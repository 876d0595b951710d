"""Problem 1 (true or false, with a reason): the key.

There is no official key; these are the reasoned verdicts of the handout facts.
`answer` is graded automatically; `explanation` is shown to the TA next to the student's
reason, which is reviewed by hand (full credit needs the reasoning named here).
"""

from __future__ import annotations

KEY: dict[str, dict[str, bool | str]] = {
    "q1_1": {
        "answer": False,
        "explanation": (
            "Adding parameters raises capacity and makes overfitting worse; the remedies are less "
            "capacity, regularization, more or augmented data, early stopping. A little input noise "
            "can regularize, but the combined statement is false."
        ),
    },
    "q1_2": {
        "answer": False,
        "explanation": (
            "Madaline weights are not unique (scaling, permuting hidden units, boundaries anywhere in "
            "the margin), so different initial weights end at different weights; convergence is not "
            "even guaranteed."
        ),
    },
    "q1_3": {
        "answer": False,
        "explanation": (
            "The negative gradient is always perpendicular to the contour; a full batch only removes "
            "sampling noise from a direction that still does not point at the minimum. Larger batches "
            "do not fix zig-zagging or saddles; momentum, tuned rates, good initialization do."
        ),
    },
    "q1_4": {
        "answer": False,
        "explanation": (
            "The branch depends on the input n, not on the weights; the problem is Sign(): its "
            "derivative is 0 wherever it exists, so back propagation gives zero gradients for w1, w2. "
            "A 'True' resting only on the Ensure clause misses the zero-gradient issue."
        ),
    },
    "q1_5": {
        "answer": False,
        "explanation": (
            "Output size = floor((H + 2P - K)/S) + 1: with fixed input, padding and stride a larger "
            "kernel gives a smaller (or, by the floor, equal) output, never a larger one."
        ),
    },
}
