"""HW1 instructor reference: solutions (problem1..4, lab1..3), the scaffold shipped to
students, the Lab 1 data set, and the probes that exercise a solution.

Only this docstring lives here, on purpose: `probes.py` and `scaffold.py` are also loaded
by file path in the sandbox, where this package must never be imported, and loading one
solution module must not load the others.
"""
