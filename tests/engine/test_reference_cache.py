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


@pytest.fixture(scope="module")
def trusted(plan: Plan) -> tuple[dict, dict]:
    return engine.trusted_side(plan, "cpu", engine.plan_oracles(plan), cache=False)


def _assert_same_trusted(got: tuple[dict, dict], want: tuple[dict, dict]) -> None:
    ref, mistakes = got
    want_ref, want_mistakes = want
    assert list(ref) == list(want_ref)  # probe outputs, then the derived values, in the computed order
    assert all(engine._same(ref[k], want_ref[k]) for k in want_ref)
    assert list(mistakes) == list(want_mistakes)
    for path, found in want_mistakes.items():
        assert [(use, m.name) for use, m, _ in mistakes[path]] == [(use, m.name) for use, m, _ in found]
        assert all(engine._same(a[2], b[2]) for a, b in zip(mistakes[path], found))


def test_derived_and_mistake_values_are_cached_and_read_back_exactly(plan: Plan, trusted: tuple[dict, dict], cache: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    oracles = engine.plan_oracles(plan)
    assert trusted[1], "HW1 has known mistakes: this test needs some"
    _assert_same_trusted(engine.trusted_side(plan, "cpu", oracles), trusted)  # a miss: computed, and written
    assert len(list(cache.glob("derived-*.npz"))) == 1

    def boom(*a: object) -> None:
        raise AssertionError("computed again on a cache hit")

    for name in ("_compute_reference", "derive_reference", "plan_mistakes"):
        monkeypatch.setattr(engine, name, boom)
    _assert_same_trusted(engine.trusted_side(plan, "cpu", oracles), trusted)


@pytest.mark.parametrize("damage", ["junk", "an entry fewer"])
def test_a_derived_cache_that_is_corrupt_or_incomplete_is_recomputed(plan: Plan, trusted: tuple[dict, dict], cache: Path,
                                                                     damage: str) -> None:
    oracles = engine.plan_oracles(plan)
    engine.trusted_side(plan, "cpu", oracles)
    (path,) = cache.glob("derived-*.npz")
    good = path.read_bytes()
    if damage == "junk":
        path.write_bytes(b"not a zip file")
    else:
        entries = engine._thaw_entries(path)
        engine._freeze_entries(entries[:-1], path, sort_keys=False)
    _assert_same_trusted(engine.trusted_side(plan, "cpu", oracles), trusted)
    assert path.read_bytes() == good  # rebuilt


def test_a_grade_with_the_cache_is_the_grade_without(plan: Plan, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hw1_testing import EXAMPLE

    def grade() -> str:
        with engine.Grader.create(plan, device="cpu", with_sandbox=False) as g:
            return g.grade_path(EXAMPLE).to_json()

    monkeypatch.setenv(engine.CACHE_ENV, "off")
    expected = grade()
    monkeypatch.setenv(engine.CACHE_ENV, str(cache))
    assert grade() == expected  # a miss
    assert len(list(cache.glob("*.npz"))) == 2
    assert grade() == expected  # a hit
