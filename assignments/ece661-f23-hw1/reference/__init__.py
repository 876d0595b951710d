"""Duke ECE 661, Fall 2023, Homework #1: the instructor's solutions (trusted side only)."""
