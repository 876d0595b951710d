"""Fixtures for the sandbox tests: one zygote per isolation mode for the whole session
(starting one costs about a second), and a secret in the grader's environment that no
child may see."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sbxkit import PROBES, SECRET_ENV, SECRET_VALUE, SUPPORT

from grader.engine import Grader
from grader.results import SubmissionResult
from grader.rubric import load_plan
from grader.sandbox import Sandbox

from hw1_testing import EXAMPLE, RUBRIC, rubric_copy


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



@pytest.fixture(scope="module")
def grader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Grader]:
    """The HW1 rubric with shorter time limits (hostile students reach them sooner), one
    grader per test module that asks for it."""
    text = RUBRIC.read_text().replace("limits: {wall_s: 10, cpu_s: 20,", "limits: {wall_s: 5, cpu_s: 10,")
    p = rubric_copy(tmp_path_factory.mktemp("rubric"), text)
    g = Grader.create(load_plan(p), device="cpu")
    yield g
    g.close()


@pytest.fixture(scope="module")
def baseline(grader: Grader) -> SubmissionResult:
    """The example graded by that grader: what every unaffected check must equal."""
    return grader.grade_path(EXAMPLE)
