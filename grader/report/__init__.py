"""Reporters: they read results and render text; they never compute scores."""
