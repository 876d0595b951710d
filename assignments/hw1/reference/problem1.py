"""HW1 Problem 1 (true or false, with a reason): the key.

`answer` is graded automatically; `explanation` is what a TA is shown next to the
student's free-text reason during manual review.
"""

from __future__ import annotations

KEY: dict[str, dict[str, bool | str]] = {
    "q1_1": {
        "answer": True,
        "explanation": (
            "For a convex function every local minimum is a global minimum, so gradient "
            "descent with a suitable (small enough, e.g. below 2/L for an L-smooth "
            "function) learning rate converges to the global minimum value."
        ),
    },
    "q1_2": {
        "answer": False,
        "explanation": (
            "More layers raise capacity but can overfit, and deep plain networks are "
            "harder to optimize (vanishing/exploding gradients, degradation), so test "
            "accuracy can drop."
        ),
    },
    "q1_3": {
        "answer": False,
        "explanation": (
            "A function is realized by many weight sets, and training (e.g. MRII) stops at "
            "the first one that classifies every example correctly, which depends on the "
            "initialization. Example: hidden rows [[-0.5, 1, -1], [-0.5, -1, 1]] with "
            "output [1.5, 1, 1], and the same scaled by 2, both compute XOR."
        ),
    },
    "q1_4": {
        "answer": False,
        "explanation": (
            "The sigmoid's derivative s(1 - s) is largest (1/4) in the middle, at input 0; "
            "it vanishes in the saturated tails, which is where sigmoid neurons 'die'."
        ),
    },
    "q1_5": {
        "answer": False,
        "explanation": (
            "The output size is floor((n + 2p - k) / s) + 1, and the floor can absorb a "
            "larger input: kernel 5, stride 2, no padding gives 4x4 for both 11x11 and "
            "12x12 inputs."
        ),
    },
}
