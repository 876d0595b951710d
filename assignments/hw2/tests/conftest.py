"""The HW2 pack's tests: a probe context on the reference (the trusted side)."""

from __future__ import annotations

import os
from types import ModuleType

import pytest

from grader.packs import Pack

os.environ.setdefault("GRADER_CACHE_DIR", "off")

PACK = Pack.at(__file__)


class RefContext:
    """The probe context on the reference: module(name) is reference/<name>.py."""

    device = "cpu"

    def module(self, name: str) -> ModuleType:
        return PACK.module(f"reference.{name}")

    def data_path(self, name: str) -> str:
        raise FileNotFoundError(name)


@pytest.fixture
def ref_ctx() -> RefContext:
    return RefContext()
