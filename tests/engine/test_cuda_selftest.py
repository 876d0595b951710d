"""Grading on CUDA only where CUDA works inside the sandbox.

On an H200 the sandbox's layers stopped CUDA in every child (cudaGetDeviceCount error 304,
then cublasCreate failing), so `--device cuda` (and `auto`, which picks CUDA where a GPU is
present) scored every GPU check of a correct submission as the student's error: 53.5
instead of 88. The zygote's self-test child now runs a GPU matrix product, and the grader
refuses to grade on CUDA when it fails, naming why."""

from __future__ import annotations

from typing import Any

import pytest

import grader.engine
import grader.sandbox
from grader.device import DeviceError
from grader.engine import Grader
from grader.rubric import load_plan
from grader.sandbox._child.worker import _cuda_check

from hw1_testing import RUBRIC


class _FakeSandbox:
    """Stands for a sandbox whose self-test child found CUDA broken inside."""

    closed = False

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.cuda_error = "RuntimeError: CUDA error: CUBLAS_STATUS_INTERNAL_ERROR when calling `cublasCreate(handle)`"
        self.fallback_note = None
        _FakeSandbox.last = self

    def close(self) -> None:
        self.closed = True


def test_a_sandbox_where_cuda_fails_is_refused_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grader.sandbox, "Sandbox", _FakeSandbox)
    # this machine may have no GPU: the reference side is not what is tested here
    monkeypatch.setattr(grader.engine, "trusted_side", lambda plan, device, oracles: ({}, {}))
    plan = load_plan(RUBRIC)
    with pytest.raises(DeviceError) as err:
        Grader.create(plan, device="cuda")
    message = str(err.value)
    assert "CUDA does not work inside the sandbox" in message and "cublasCreate" in message
    assert "--device cpu" in message
    assert _FakeSandbox.last.closed  # no zygote is left behind


def test_the_gpu_check_reports_instead_of_raising() -> None:
    import torch

    result = _cuda_check()
    if torch.cuda.is_available():
        pytest.skip("a GPU is here: the check is exercised by --device cuda itself")
    assert isinstance(result, str) and result  # no CUDA: a reason, never an exception
