"""Numbers compared the same way everywhere: `tolerances` (the `Tolerance` rule and the
table of defaults by dtype and device) and `compare` (structure first, then values, with
messages a student can act on). Depends on nothing of the grader but `grader.results`."""
