"""Autograder for deep-learning courses."""
