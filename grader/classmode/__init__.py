"""Class mode: a folder of submissions graded into a SQLite gradebook, then published.

    discover   which entries of the folder are submissions (folders, archives)
    run        grading them (a pool of workers, the grading key, resume), ``grade DIR --out``
    progress   the one-line progress a TA watches
    gradebook  the SQLite store of results and TA overrides (``docs/gradebook.md``)
    review     TA overrides: applying them, the review queue, validating scores
               (the ``grade review`` command is ``grader.commands.review``)
    export     the CSV gradebook and JSON Lines (``grade export``: ``grader.commands.export``)
    publish    per-submission JSON/HTML, grades.csv and report.html from the gradebook

Layering: ``gradebook`` is the bottom; ``review`` reads it; ``export`` reads both;
``discover`` and ``progress`` stand alone; ``publish`` uses review and export; ``run`` uses
them all. Nothing here imports ``grader.commands`` or ``grader.cli``."""
