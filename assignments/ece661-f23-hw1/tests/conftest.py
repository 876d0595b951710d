"""The ece661-f23-hw1 pack's tests: grading without the on-disk reference cache."""

from __future__ import annotations

import os

os.environ.setdefault("GRADER_CACHE_DIR", "off")
