"""HW1 instructor reference: solutions (problem1..4, lab1..3). The scaffold shipped to
students and the Lab 1 data set are in the pack's support/, the probes beside this folder.

Only this docstring lives here, on purpose: loading one solution module must not load
the others, and `probes.py` and `support/scaffold.py` are also loaded by file path in the
sandbox, where this package must never be imported.
"""
