"""No probes: the toy rubric has answers checks only."""
