"""The reference outputs cached on disk (issue 20.3): a hit gives exactly the computed
outputs, a miss computes them, a corrupt cache file is ignored and rebuilt, and the key
changes with what the outputs depend on."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import engine
from grader.rubric import Plan


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(engine.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def computed(plan: Plan) -> dict:
    return engine.reference_outputs(plan, "cpu", cache=False)


def _files(cache: Path) -> list[Path]:
    return sorted(cache.glob("reference-*.npz")) if cache.is_dir() else []


def test_a_miss_computes_and_a_hit_reads_exactly_the_same(plan: Plan, computed: dict, cache: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    first = engine.reference_outputs(plan, "cpu")
    assert all(engine._same(computed[k], first[k]) for k in plan.probe_keys)
    assert len(_files(cache)) == 1

    def boom(*a: object) -> None:
        raise AssertionError("computed again on a cache hit")

    monkeypatch.setattr(engine, "_compute_reference", boom)
    again = engine.reference_outputs(plan, "cpu")
    assert list(again) == list(computed)
    assert all(engine._same(computed[k], again[k]) for k in plan.probe_keys)  # key order, dtypes, bytes


@pytest.mark.slow  # > 10 s
@pytest.mark.parametrize("damage", [b"", b"not a zip file", "truncated"])
def test_a_corrupt_cache_is_ignored_and_rebuilt(plan: Plan, computed: dict, cache: Path, damage: bytes | str) -> None:
    engine.reference_outputs(plan, "cpu")
    (path,) = _files(cache)
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2] if damage == "truncated" else damage)
    out = engine.reference_outputs(plan, "cpu")
    assert all(engine._same(computed[k], out[k]) for k in plan.probe_keys)
    assert path.read_bytes() == good  # rebuilt


def test_the_key_follows_device_and_reference(plan: Plan, tmp_path: Path) -> None:
    assert engine.reference_key(plan, "cpu") == engine.reference_key(plan, "cpu")
    assert engine.reference_key(plan, "cpu") != engine.reference_key(plan, "cuda")
    import dataclasses

    other = tmp_path / "ref"
    import shutil

    shutil.copytree(plan.package_dir, other, ignore=shutil.ignore_patterns("__pycache__"))
    (other / "probes.py").write_text((other / "probes.py").read_text() + "\n# changed\n")
    assert engine.reference_key(dataclasses.replace(plan, package_dir=other), "cpu") != engine.reference_key(plan, "cpu")


def test_outputs_that_do_not_read_back_exactly_are_not_cached(plan: Plan, tmp_path: Path) -> None:
    key = plan.probe_keys[0]
    path = tmp_path / "c.npz"
    engine._store_cache({key: (1.0, 2.0)}, path, (key,))  # a tuple would come back as a list
    assert not path.exists()
    engine._store_cache({key: {"b": 1.5, "a": [1, 2]}}, path, (key,))
    assert path.exists()
