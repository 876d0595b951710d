"""The engine's frozen expected outputs: a rubric with `files` + `frozen` grades code
without the reference package. The file round-trips probe outputs exactly, is the same
bytes for the same outputs, and every way it can be wrong is an instructor error."""

from __future__ import annotations

import json
import math
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

from grader.engine import freeze_outputs, load_frozen_outputs, reference_outputs
from grader.rubric import ProbeKey, RubricError, load_plan, load_rubric


def _key(probe: str, **args: object) -> ProbeKey:
    return ProbeKey(module="lab1", probe=probe, args_json=json.dumps(args, sort_keys=True, separators=(",", ":")))


OUTPUTS = {
    _key("lms", dataset="course", lr=0.5): {"w": np.array([1.5, -np.inf, np.nan]), "mse": np.arange(4, dtype=np.float32)},
    _key("lenet_layers"): {"layers": [{"name": "fc1", "input_shape": [1, 400], "params": 48000, "macs": None}],
                           "non_scaffold": [], "finite": True, "ratio": float("nan"), "big": float("-inf"),
                           "flags": np.array([True, False]), "counts": np.array([[1, 2], [3, 4]], dtype=np.int64)},
}


def _same(a: object, b: object) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return type(a) is type(b) and a == b


def test_round_trip_is_exact_and_reproducible(tmp_path: Path) -> None:
    freeze_outputs(OUTPUTS, tmp_path / "a.npz")
    freeze_outputs(OUTPUTS, tmp_path / "b.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    back = load_frozen_outputs(tmp_path / "a.npz", tuple(OUTPUTS))
    assert all(_same(OUTPUTS[k], back[k]) for k in OUTPUTS)
    with zipfile.ZipFile(tmp_path / "a.npz") as zf:  # plain .npy members, nothing pickled
        assert all(info.filename.endswith(".npy") and info.compress_type == zipfile.ZIP_STORED for info in zf.infolist())
    with np.load(tmp_path / "a.npz", allow_pickle=False) as z:
        assert all(z[name].dtype != object for name in z.files)


def test_a_subset_of_keys_loads_and_a_missing_key_is_named(tmp_path: Path) -> None:
    freeze_outputs(OUTPUTS, tmp_path / "e.npz")
    one = _key("lenet_layers")
    assert list(load_frozen_outputs(tmp_path / "e.npz", (one,))) == [one]
    absent = _key("closed_form", dataset="course")
    with pytest.raises(RubricError, match=r"no frozen output for probe closed_form\(\{\"dataset\":\"course\"\}\)"):
        load_frozen_outputs(tmp_path / "e.npz", (one, absent), rubric_path="rubrics/kit.yaml")


def test_what_cannot_be_frozen_or_read(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="dtype object"):
        freeze_outputs({_key("x"): np.array([object()])}, tmp_path / "o.npz")
    with pytest.raises(TypeError, match="cannot freeze a set"):
        freeze_outputs({_key("x"): {1, 2}}, tmp_path / "s.npz")
    with pytest.raises(ValueError, match=r"'\$array'"):
        freeze_outputs({_key("x"): {"$array": "a0"}}, tmp_path / "d.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(RubricError, match="cannot be read"):
        load_frozen_outputs(tmp_path / "junk.npz", (_key("x"),))
    freeze_outputs(OUTPUTS, tmp_path / "cut.npz")
    (tmp_path / "cut.npz").write_bytes((tmp_path / "cut.npz").read_bytes()[:-200])  # a truncated download
    with pytest.raises(RubricError, match="cannot be read"):
        load_frozen_outputs(tmp_path / "cut.npz", tuple(OUTPUTS))
    np.savez(tmp_path / "other.npz", index=np.frombuffer(b'{"schema": "other"}', dtype=np.uint8))
    with pytest.raises(RubricError, match="not a grader.frozen/v1 file"):
        load_frozen_outputs(tmp_path / "other.npz", (_key("x"),))


PROBES = '''
def double(ctx, *, n):
    return {"v": 2 * ctx.module("sol").value(n)}
'''


def _rubric(tmp_path: Path, head: str, expected: str = "[1]") -> Path:
    (tmp_path / "files").mkdir(exist_ok=True)
    (tmp_path / "files" / "probes.py").write_text(PROBES)
    path = tmp_path / "r.yaml"
    path.write_text("schema: grader.rubric/v1\nassignment: t\ntitle: T\n" + head + "\n" + textwrap.dedent(f"""\
        questions:
          - id: q1
            title: Q
            points: 2
            checks:
              - {{id: a, kind: choice, points: 1, answer: q1.a, expected: true}}
              - {{id: c, kind: allclose, points: 1, code: "sol.py:value", probe: double, args: {{n: 3}}, select: v}}
        """))
    return path


def test_a_rubric_names_reference_or_files_and_code_needs_expected_outputs(tmp_path: Path) -> None:
    with pytest.raises(RubricError, match="exactly one of `reference`"):
        load_rubric(_rubric(tmp_path, "reference: reference\nfiles: files"))
    with pytest.raises(RubricError, match="exactly one of `reference`"):
        load_rubric(_rubric(tmp_path, "probes: probes.py"))
    with pytest.raises(RubricError, match="relative to the rubric file"):
        load_rubric(_rubric(tmp_path, "files: files\nfrozen: /etc/passwd"))
    with pytest.raises(RubricError, match="code checks need `reference` or `frozen`"):
        load_plan(_rubric(tmp_path, "files: files"))
    with pytest.raises(RubricError, match="frozen outputs files/none.npz not found"):
        load_plan(_rubric(tmp_path, "files: files\nfrozen: files/none.npz"))


def test_files_and_frozen_replace_the_reference(tmp_path: Path) -> None:
    path = _rubric(tmp_path, "files: files\nfrozen: files/expected.npz")
    rubric_key = ProbeKey(module="sol", probe="double", args_json='{"n":3}')
    freeze_outputs({rubric_key: {"v": np.array([6.0])}}, tmp_path / "files" / "expected.npz")
    plan = load_plan(path)
    assert plan.package_dir == (tmp_path / "files").resolve()
    assert plan.probes_file.read_text() == PROBES
    assert plan.probe_keys == (rubric_key,)
    out = reference_outputs(plan, "cpu")  # read, not computed: no `sol` module exists anywhere
    assert _same(out[rubric_key], {"v": np.array([6.0])})


def test_a_ref_value_needs_a_reference(tmp_path: Path) -> None:
    path = _rubric(tmp_path, "files: files\nfrozen: files/expected.npz")
    path.write_text(path.read_text().replace("expected: true", "expected: {ref: problem1.KEY.q1_1.answer}"))
    freeze_outputs({}, tmp_path / "files" / "expected.npz")
    with pytest.raises(RubricError, match=r"\{ref: problem1.KEY.q1_1.answer\} needs `reference`"):
        load_plan(path)
