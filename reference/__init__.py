"""Instructor reference solutions, one subpackage per assignment (e.g. `reference.hw1`).

This file holds only this docstring: importing one module of a subpackage must not load
the others.
"""
