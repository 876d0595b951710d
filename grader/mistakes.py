"""Known mistakes: variants of the reference that make a mistake students make, run on the
grader's side with the same probe inputs as the reference (once per plan), so that a
failing output that matches one can be named in the feedback.

The rubric's `mistakes` file (in the pack, like `oracles`; never shipped to
the sandbox or a student kit) defines `MISTAKES`, a dict from a short name to a dict:

    explain:  what the mistake is, for the student ("this is the MSE with the 1/2 factor;
              the handout asks for the plain mean")
    replace:  {"module.function": variant}: the probe runs with `ctx.module(module)`
              returning the reference module with `function` replaced by `variant`
    derive:   variant(expected) -> the value the mistake gives, for a check that reads an
              answer (a number or table in the answers file) rather than code

exactly one of `replace` and `derive`. A check names the mistakes it may diagnose
(`mistakes: [{name: half_mse}]`, optionally with `credit`). A mistake whose output agrees
with the reference on a check's inputs could never be told apart: RubricError when the
grader starts, before any student code runs.
"""

from __future__ import annotations

import importlib
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from grader.checks.base import get_path, Missing
from grader.diagnose import same
from grader.rubric import Plan, PlannedCheck, ProbeKey, RubricError
from grader.tolerances import default_tolerance


@dataclass(frozen=True)
class Mistake:
    name: str
    explain: str
    replace: dict[str, Callable[..., Any]]  # "module.function" -> variant
    derive: Callable[[Any], Any] | None


def load_mistakes(plan: Plan) -> dict[str, Mistake]:
    """The rubric's known mistakes (trusted side only); {} for a rubric without them.
    RubricError for a malformed entry or a check naming a mistake that is not defined."""
    rubric = plan.rubric
    if rubric.reference is None or rubric.mistakes is None:
        unknown = [f"{plan.rubric_path} {pc.question_id} {pc.spec.id}" for pc in walk_checks(plan) if pc.spec.mistakes]
        if unknown and rubric.reference is not None:
            raise RubricError([f"{w}: `mistakes` needs the rubric's `mistakes` file" for w in unknown])
        return {}
    from grader.packs import module_name

    if not (plan.package_dir / rubric.mistakes).is_file():
        raise RubricError([f"{plan.rubric_path}: mistakes {rubric.mistakes} not found in {plan.package_dir}"])
    try:
        module = importlib.import_module(module_name(str(plan.files_package), rubric.mistakes))
    except Exception as err:  # an instructor error: name it precisely
        raise RubricError([f"{plan.rubric_path}: mistakes {rubric.mistakes} cannot be imported: "
                           f"{type(err).__name__}: {err}"]) from None
    table = getattr(module, "MISTAKES", None)
    if not isinstance(table, dict):
        raise RubricError([f"{plan.rubric_path}: {rubric.mistakes} defines no MISTAKES dict"])
    problems: list[str] = []
    out: dict[str, Mistake] = {}
    for key, entry in table.items():
        where = f"{plan.rubric_path}: {rubric.mistakes} MISTAKES[{key!r}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("explain"), str) or not entry["explain"].strip():
            problems.append(f"{where}: needs `explain`, a sentence for the student")
            continue
        extra = set(entry) - {"explain", "replace", "derive"}
        replace, derive = entry.get("replace"), entry.get("derive")
        if extra or (replace is None) == (derive is None):
            problems.append(f"{where}: give `explain` and exactly one of `replace` and `derive`")
            continue
        if replace is not None and (not isinstance(replace, dict) or not replace or any(
                not isinstance(k, str) or "." not in k or not callable(v) for k, v in replace.items())):
            problems.append(f"{where}: `replace` maps 'module.function' to a function")
            continue
        if derive is not None and not callable(derive):
            problems.append(f"{where}: `derive` is a function of the expected value")
            continue
        out[key] = Mistake(name=key, explain=entry["explain"].strip(), replace=dict(replace or {}), derive=derive)
    for pc in walk_checks(plan):
        for use in pc.spec.mistakes:
            m = out.get(use.name)
            where = f"{plan.rubric_path} {pc.question_id} check {pc.spec.id}"
            if m is None:
                problems.append(f"{where}: mistake {use.name!r} is not defined in {rubric.mistakes}")
            elif m.replace and pc.probe_key is None:
                problems.append(f"{where}: mistake {use.name!r} replaces code, but this check reads no code (use `derive`)")
            elif m.derive and pc.probe_key is not None:
                problems.append(f"{where}: mistake {use.name!r} derives an answer, but this check grades code (use `replace`)")
    if problems:
        raise RubricError(problems)
    return out


def walk_checks(plan: Plan):
    for q in plan.questions:
        stack = list(q.checks)
        while stack:
            pc = stack.pop(0)
            yield pc
            stack[:0] = list(pc.alternatives)


class MistakeContext:
    """The reference's probe context with some functions replaced by a mistake's variants."""

    def __init__(self, base: Any, mistake: Mistake) -> None:
        self._base = base
        self._mistake = mistake
        self.device = base.device
        self._modules: dict[str, types.ModuleType] = {}

    def module(self, name: str) -> types.ModuleType:
        if name not in self._modules:
            original = self._base.module(name)
            patches = {k.split(".", 1)[1]: v for k, v in self._mistake.replace.items() if k.split(".", 1)[0] == name}
            if not patches:
                return original
            clone = types.ModuleType(original.__name__, original.__doc__)
            clone.__dict__.update({k: v for k, v in vars(original).items() if k not in ("__name__", "__doc__")})
            clone.__dict__.update(patches)
            self._modules[name] = clone
        return self._modules[name]

    def data_path(self, name: str) -> Path:
        return self._base.data_path(name)


CheckPath = tuple[str, ...]  # (question id, check id, alternative id, ...)


def check_paths(plan: Plan):
    """(path, planned check) for every check and alternative of the plan."""
    for q in plan.questions:
        def walk(checks: tuple[PlannedCheck, ...], prefix: CheckPath):
            for pc in checks:
                path = (*prefix, pc.spec.id)
                yield path, pc
                yield from walk(pc.alternatives, path)
        yield from walk(q.checks, (q.id,))


def mistake_values(plan: Plan, device: str, mistakes: dict[str, Mistake], ref: dict[Any, Any],
                   run_probe: Callable[[Any, ProbeKey], Any], base_ctx: Any,
                   derive_oracle: Callable[[ProbeKey, str, Any], Any]) -> dict[CheckPath, list[tuple[Any, Mistake, Any]]]:
    """Per check, (its MistakeUse, the mistake, the value the check would expect if the
    mistake were right), in the rubric's order. Each (probe call, mistake) runs once.
    RubricError when a variant fails, or agrees with the reference on a check's inputs."""
    runs: dict[tuple[ProbeKey, str], Any] = {}
    out: dict[CheckPath, list[tuple[Any, Mistake, Any]]] = {}
    problems: list[str] = []
    for path, pc in check_paths(plan):
        spec = pc.spec
        if not spec.mistakes:
            continue
        where = f"{plan.rubric_path} {' '.join(path)}"
        found = []
        for use in spec.mistakes:
            m = mistakes[use.name]
            try:
                if m.derive is not None:
                    reference = getattr(spec, "expected", None)
                    value = m.derive(reference)
                else:
                    assert pc.probe_key is not None
                    rk = (pc.probe_key, m.name)
                    if rk not in runs:
                        runs[rk] = run_probe(MistakeContext(base_ctx, m), pc.probe_key)
                    raw = runs[rk]
                    if spec.oracle:
                        raw = derive_oracle(pc.probe_key, spec.oracle, raw)
                        reference = ref.get((pc.probe_key, spec.oracle))
                    else:
                        reference = ref.get(pc.probe_key)
                    value = get_path(raw, spec.select)
                    reference = get_path(reference, spec.select)
                    if getattr(spec, "expected", None) is not None:  # a fixed expected value: the mistake's output is compared
                        reference = spec.expected
            except Exception as err:  # noqa: BLE001 - the instructor's variant: name it
                problems.append(f"{where}: mistake {m.name} fails: {type(err).__name__}: {err}")
                continue
            if isinstance(value, Missing):
                problems.append(f"{where}: mistake {m.name} gives no {spec.select!r}")
                continue
            tol = (spec.rtol, spec.atol) if spec.rtol is not None else _default(device)
            if same(value, reference, *tol):
                problems.append(f"{where}: mistake {m.name} gives the reference's own result on this check's inputs, "
                                "so it could never be told apart; change the inputs or drop it from this check")
                continue
            found.append((use, m, value))
        out[path] = found
    if problems:
        raise RubricError(problems)
    return out


def _default(device: str) -> tuple[float, float]:
    t = default_tolerance("float64", device)
    return t.rtol, t.atol
