"""Fixtures for the sandbox tests: one zygote per isolation mode for the whole session
(starting one costs about a second), and a secret in the grader's environment that no
child may see."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sbxkit import PROBES, SECRET_ENV, SECRET_VALUE, SUPPORT

from grader.sandbox import Sandbox


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: starts its own zygote or waits for timeouts (deselect with -m 'not slow')")


def _sandbox(isolation: str) -> Sandbox:
    return Sandbox(probes_file=PROBES, support_files=SUPPORT, isolation=isolation)  # type: ignore[arg-type]


@pytest.fixture(scope="session", autouse=True)
def secret_env() -> Iterator[str]:
    """A secret in the grader's environment before any zygote starts."""
    os.environ[SECRET_ENV] = SECRET_VALUE
    yield SECRET_VALUE
    os.environ.pop(SECRET_ENV, None)


@pytest.fixture(scope="session")
def full_box(secret_env: str) -> Iterator[Sandbox]:
    if os.geteuid() != 0:
        pytest.skip("full isolation needs root")
    box = _sandbox("full")
    yield box
    box.close()


@pytest.fixture(scope="session")
def basic_box(secret_env: str) -> Iterator[Sandbox]:
    box = _sandbox("basic")
    yield box
    box.close()


@pytest.fixture(params=["full", "basic"])
def box(request: pytest.FixtureRequest) -> Sandbox:
    """Each test that takes `box` runs under both isolation modes."""
    return request.getfixturevalue(f"{request.param}_box")
