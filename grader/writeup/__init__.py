"""Grading the write-ups students hand in (a PDF report, Markdown or plain text).

- :mod:`~grader.writeup.source`: the text, line by line, with page and line (pypdf for PDFs)
- :mod:`~grader.writeup.document`: code and math blocks, question sections by header
- :mod:`~grader.writeup.values`: numbers, vectors, matrices, assignments, table rows
- :mod:`~grader.mathexpr`: the grammar of matrix formulas (used by the ``formula`` check)
- :mod:`~grader.writeup.code`: code blocks made into importable modules (``lab2.py``)
- :mod:`~grader.writeup.extract`: rubric-driven extraction into the answers data model
- :mod:`~grader.writeup.loader`: what the engine calls (``load_answers_or_writeup``)
- :mod:`~grader.writeup.render`, :mod:`~grader.commands.extract`: ``grade extract`` (answers.yaml with provenance)

This package file imports nothing, so ``grader.checks.formula`` can use the grammar without
pulling in the extraction (which reads rubric plans).
"""
