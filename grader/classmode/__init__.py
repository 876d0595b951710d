"""Class mode: a folder of submissions graded into a SQLite gradebook, then published.

    discover   which entries of the folder are submissions (folders, archives)
    run        grading them (a pool of workers, the grading key, resume), ``grade DIR --out``
    progress   the one-line progress a TA watches
    gradebook  the SQLite store of results and TA overrides (``docs/gradebook.md``)
    review     TA overrides: the review queue, applying scores, ``grade review``
    export     the CSV gradebook and JSON Lines, ``grade export``
    publish    per-submission JSON/HTML, grades.csv and report.html from the gradebook

Layering: ``gradebook`` is the bottom; ``review`` reads it; ``export`` reads both;
``run`` and ``publish`` use all three. Nothing here imports ``grader.cli``."""
