"""The instructor's mistakes, caught before any student loses a point for them.

Each problem names the rubric file and the YAML line of the check (or of the field):
  - static (`static_problems`, when the rubric is loaded): a probe that probes.py does not
    define (naming the probes it does), a hidden check whose values a public check shows
    (one probe call graded by both, the public one comparing a value that holds the hidden
    one; a hidden expected value written in a public check's text);
  - on the reference's outputs (`output_problems`, once they are computed, before any
    student code runs): an output that is not plain data (a tensor a probe returned: the
    student's side could never send one back), a value that is not finite (the reference
    fails on that case: batch norm on a batch of one), a `select` path the output has not;
  - the points adding up is the rubric model's own check (grader.rubric).

`grader.packcheck.validate_pack` runs all of them and grades the pack's example submissions
against what examples.yaml says each should score (`grade validate NAME`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

from grader.checks.base import CheckSpecBase, Missing, get_path

if TYPE_CHECKING:  # the rubric imports this module to check a plan it compiles
    from grader.rubric import Plan, PlannedCheck, ProbeKey

MAX_SHOWN = 12  # names listed in one message


def walk(plan: Plan) -> Iterator[PlannedCheck]:
    """Every planned check, alternatives of a best_of included."""

    def rec(pcs: tuple[PlannedCheck, ...]) -> Iterator[PlannedCheck]:
        for pc in pcs:
            yield pc
            yield from rec(pc.alternatives)

    for q in plan.questions:
        yield from rec(q.checks)


def _where(pc: PlannedCheck, plan: Plan) -> str:
    return pc.where or f"{plan.rubric_path} {pc.question_id} check {pc.spec.id}"


def _names(names: list[str]) -> str:
    shown = sorted(names)
    more = f" and {len(shown) - MAX_SHOWN} more" if len(shown) > MAX_SHOWN else ""
    return ", ".join(shown[:MAX_SHOWN]) + more if shown else "(none)"


# --------------------------------------------------------------------------- static


def probe_names(module: ModuleType) -> list[str]:
    """The probes a probes module defines: its public functions."""
    return [n for n, v in vars(module).items() if callable(v) and not n.startswith("_") and not isinstance(v, type)
            and getattr(v, "__module__", None) == module.__name__]


def static_problems(plan: Plan) -> list[str]:
    """What is wrong in a compiled plan without running the reference."""
    problems: list[str] = []
    problems += _unknown_probes(plan)
    problems += _hidden_leaks(plan)
    return problems


def _unknown_probes(plan: Plan) -> list[str]:
    from grader.sandbox._child.nbprobes import PREFIX as NOTEBOOK_PROBE_PREFIX  # built-in probes need no definition

    wanted = [pc for pc in walk(plan) if pc.spec.code and pc.spec.probe and not pc.spec.probe.startswith(NOTEBOOK_PROBE_PREFIX)]
    if not wanted or plan.files_package is None or plan.rubric.reference is None or not plan.probes_file.is_file():
        return []
    import importlib

    from grader.packs import module_name

    try:
        module = importlib.import_module(module_name(plan.files_package, plan.rubric.probes))
    except Exception as err:  # noqa: BLE001 - an instructor error, whatever it is: named precisely
        return [f"{plan.rubric_path}: probes {plan.rubric.probes} cannot be imported: {type(err).__name__}: {err}"]
    defined = probe_names(module)
    return [f"{_where(pc, plan)}: unknown probe {pc.spec.probe!r}; {plan.rubric.probes} defines: {_names(defined)}"
            for pc in wanted if pc.spec.probe not in defined]


def _covers(public_select: str | None, hidden_select: str | None) -> bool:
    """Whether the value a public check compares (and shows) holds the hidden one."""
    if not public_select:
        return True
    if not hidden_select:
        return False
    return hidden_select == public_select or hidden_select.startswith(public_select + ".")


def _scalars(value: Any) -> Iterator[str]:
    """The texts of an expected value's leaves that are telling enough to be a leak."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _scalars(v)
    elif isinstance(value, list):
        for v in value:
            yield from _scalars(v)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, (int, float)):
        text = f"{value:g}"
        if len(text.strip("-")) >= 3:  # 0, 1, 10 are everywhere
            yield text
    elif isinstance(value, str) and len(value.strip()) >= 4:
        yield value.strip()


def _public_texts(spec: CheckSpecBase) -> list[str]:
    return [t for name in ("hint", "what", "label") if isinstance(t := getattr(spec, name, None), str)]


def _hidden_leaks(plan: Plan) -> list[str]:
    problems: list[str] = []
    checks = list(walk(plan))
    public = [pc for pc in checks if pc.spec.visibility == "public"]
    for hidden in (pc for pc in checks if pc.spec.visibility == "hidden"):
        hs = hidden.spec
        if hidden.probe_key is not None and hs.expected_from == "reference":
            for pub in public:
                ps = pub.spec
                if pub.probe_key == hidden.probe_key and ps.oracle == hs.oracle and _covers(ps.select, hs.select) \
                        and ps.expected_from == "reference":
                    problems.append(f"{_where(hidden, plan)}: a hidden check on the same probe call as public check "
                                    f"{pub.question_id} {ps.id} ({_where(pub, plan)}), whose feedback shows the value it "
                                    f"grades: give the hidden check other `args`, or make it public")
                    break
        expected = getattr(hs, "expected", None)
        if expected is None:
            continue
        q = next(q for q in plan.questions if q.id == hidden.question_id)
        texts = [q.title] + [t for pub in public if pub.question_id == q.id for t in _public_texts(pub.spec)]
        for leaf in _scalars(expected):
            if any(leaf in t for t in texts):
                problems.append(f"{_where(hidden, plan)}: the hidden expected value {leaf[:40]!r} is written in "
                                f"public text of question {q.id} (its title, or a public check's hint/what/label)")
                break
    return problems


# --------------------------------------------------------------------------- reference outputs


def _not_plain(value: Any, path: str = "") -> tuple[str, str] | None:
    """(path, what) of the first part of a probe output that is not plain data."""
    import numpy as np

    if value is None or isinstance(value, (bool, int, float, str)):
        return None
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            return path or "(the output)", f"a numpy array of dtype {value.dtype}"
        return None
    if isinstance(value, np.generic):
        return None if value.dtype.kind in "biuf" else (path or "(the output)", f"a numpy {value.dtype}")
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                return path or "(the output)", f"a mapping with a {type(k).__name__} key {k!r}"
            found = _not_plain(v, f"{path}.{k}" if path else str(k))
            if found:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found = _not_plain(v, f"{path}[{i}]" if path else f"[{i}]")
            if found:
                return found
        return None
    kind = f"{type(value).__module__}.{type(value).__qualname__}"
    return path or "(the output)", f"a {kind}"


def _not_finite(value: Any, path: str = "") -> str | None:
    """The path of the first NaN or infinite number in a probe output."""
    import numpy as np

    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.generic)) and isinstance(value, (float, np.floating)):
        return None if math.isfinite(float(value)) else (path or "(the output)")
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        bad = np.argwhere(~np.isfinite(value))
        return f"{path or '(the output)'}[{', '.join(str(int(i)) for i in bad[0])}]" if len(bad) else None
    if isinstance(value, dict):
        for k, v in value.items():
            found = _not_finite(v, f"{path}.{k}" if path else str(k))
            if found:
                return found
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found = _not_finite(v, f"{path}[{i}]" if path else f"[{i}]")
            if found:
                return found
    return None


def _users(plan: Plan, key: ProbeKey) -> str:
    users = [_where(pc, plan) for pc in walk(plan) if pc.probe_key == key]
    return users[0] if users else plan.rubric_path


def output_problems(plan: Plan, ref: dict[Any, Any]) -> list[str]:
    """What is wrong in the reference's outputs: not plain data, not finite, or without a
    check's `select` path. `ref`: by ProbeKey, and by (ProbeKey, oracle) as derived."""
    problems: list[str] = []
    for key in plan.probe_keys:
        if key not in ref:
            continue
        call = f"probe {key.probe}({key.args_json})"
        bad = _not_plain(ref[key])
        if bad is not None:
            problems.append(f"{_users(plan, key)}: the reference's output of {call} holds {bad[1]} at {bad[0]}: "
                            f"a probe returns plain data (dicts, lists, numbers, str, numpy arrays; a tensor: "
                            f".detach().cpu().numpy()), or the student's side can never match it")
    for pc in walk(plan):
        spec = pc.spec
        if pc.probe_key is None or spec.expected_from != "reference":
            continue
        slot = (pc.probe_key, spec.oracle) if spec.oracle else pc.probe_key
        if slot not in ref or _not_plain(ref.get(pc.probe_key)) is not None:
            continue
        value = ref[slot]
        source = f"oracle {spec.oracle}" if spec.oracle else f"probe {spec.probe}"
        if spec.select:
            selected = get_path(value, spec.select)
            if isinstance(selected, Missing):
                have = sorted(str(k) for k in value) if isinstance(value, dict) else []
                problems.append(f"{_where(pc, plan)}: select {spec.select!r} is not in the reference's output of {source}"
                                + (f"; it has: {_names(have)}" if have else f" (a {type(value).__name__})"))
                continue
            value = selected
        nan = None if getattr(plan.kinds.get(getattr(spec, "kind", "")), "NONFINITE_OK", False) else _not_finite(value)
        if nan is not None:
            call = f"{spec.probe}({pc.probe_key.args_json})"
            problems.append(f"{_where(pc, plan)}: the reference fails on {call}: the value this check compares is not "
                            f"finite at {spec.select + '.' if spec.select else ''}{nan} (a case the solution cannot "
                            f"handle: change the case)")
    return problems
