"""Fixtures for the pack tests: one skeleton pack per session (read-only: tests that edit
it work on copies, see packs_testing.edited)."""

from __future__ import annotations

from pathlib import Path

import pytest
from packs_testing import make_skeleton

from grader.packs import Pack


@pytest.fixture(scope="session")
def skeleton(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    return make_skeleton(tmp_path_factory.mktemp("packs"))


@pytest.fixture
def packs_root(tmp_path: Path) -> Path:
    root = tmp_path / "assignments"
    root.mkdir()
    return root
