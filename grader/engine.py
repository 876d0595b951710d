"""Grade one submission against a compiled plan.

The path of a submission: open it safely, load its answers, run the plan's probes on the
student's code in the sandbox (plain data back), run the same probes on the reference in
this trusted process (once per plan and device), then let each check compare. Scores are
computed here, after the student's processes are gone.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import io
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable

from grader.answers import Answers, load_answers
from grader.checks.base import (
    CheckContext,
    CheckOutcome,
    Missing,
    ProbeOutput,
    Tolerance,
    get_path,
    outcome,
    plain,
)
from grader.results import (CheckResult, QuestionResult, Status, SubmissionResult, question_status, round_score,
                            tally)
from grader.rubric import Plan, PlannedCheck, ProbeKey, RubricError, SandboxLimits, load_oracles, walk_checks
from grader.submission import Submission, open_submission
from grader.numeric.tolerances import default_tolerance
from grader.oraclememo import OracleMemo
from grader.validate import output_problems
from grader.writeup.reading import waiting_outcome

if TYPE_CHECKING:
    from grader.sandbox import Limits, Sandbox

MAX_FIGURE_BYTES = 20 * 2**20


class ReferenceContext:
    """The probe context on the trusted side: the instructor's modules and data."""

    def __init__(self, plan: Plan, device: str) -> None:
        self._plan = plan
        self.device = device
        self._notebook_ctx: Any = None
        self._notebook_dir: str | None = None

    def module(self, name: str) -> ModuleType:
        """The reference's module `name`: the reference's run of notebook `name` (notebook
        mode), a support module of that name (the scaffold) as the student's code sees it
        beside it in the sandbox, or the reference's module."""
        from grader.packs import module_name

        if name in self._plan.rubric.notebooks:
            return self.notebook(name).module  # type: ignore[no-any-return]
        support = self._plan.support_files.get(f"{name}.py")
        if support is not None and self._plan.files_package is not None:
            rel = support.relative_to(self._plan.package_dir)
            return importlib.import_module(module_name(self._plan.files_package, rel.as_posix()))
        return importlib.import_module(f"{self._plan.reference_package}.{name}")

    def figures(self, limit: int = 20) -> list[dict[str, Any]]:
        """As the child's `ctx.figures()`: the reference's open matplotlib figures, plain."""
        from grader.sandbox._child.student import ProbeContext

        return ProbeContext.figures(self, limit)  # type: ignore[arg-type]

    def notebook(self, name: str, data: Any = None) -> Any:
        """The reference's notebook `name` (reference/<pkg>/<name>.ipynb, else .py) run
        cell by cell as the student's is, in a scratch folder holding the support files
        (so it reads its data by the handout's names); a cell that fails is the
        instructor's error."""
        import shutil
        import tempfile

        from grader.sandbox._child.student import ProbeContext

        if self._notebook_ctx is None:
            folder = tempfile.mkdtemp(prefix="grader-reference-notebook-")
            for support, path in self._plan.support_files.items():
                shutil.copyfile(path, os.path.join(folder, support))
            for module in self._plan.rubric.notebooks:
                for ext in (".ipynb", ".py"):
                    source = self._plan.package_dir / str(self._plan.rubric.reference or "") / f"{module}{ext}"
                    if source.is_file():
                        shutil.copyfile(source, os.path.join(folder, source.name))
            self._notebook_dir = folder
            import weakref

            weakref.finalize(self, shutil.rmtree, folder, ignore_errors=True)
            self._notebook_ctx = ProbeContext(device=self.device, workdir=folder, support_dir=folder,
                                              support_names=list(self._plan.support_files), support_modules={},
                                              notebooks={k: v.plain() for k, v in self._plan.rubric.notebooks.items()},
                                              limits=False)
        folder = str(self._notebook_dir)
        cwd = os.getcwd()
        os.chdir(folder)
        sys.path.insert(0, folder)
        try:
            from grader.sandbox._child.notebook import use_capture_backend

            use_capture_backend()
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                run = self._notebook_ctx.notebook(name, data)  # what the reference prints is nobody's output
        except (FileNotFoundError, ImportError) as err:
            raise RubricError([(f"{self._plan.rubric_path}: the reference has no notebook {name} "
                                f"({name}.ipynb or {name}.py in {self._plan.package_dir}): {err}")]) from None
        finally:
            os.chdir(cwd)
            if sys.path and sys.path[0] == folder:
                sys.path.pop(0)
        failed = [r.message for r in run.reports if r.status != "ok"]
        if failed:
            raise RubricError([f"{self._plan.rubric_path}: the reference notebook {name} fails: {m}" for m in failed])
        return run

    def data_path(self, name: str) -> Path:
        if name not in self._plan.support_files:
            raise FileNotFoundError(f"{name} is not a support file of this assignment")
        return self._plan.support_files[name]


def _load_probes(plan: Plan) -> ModuleType:
    from grader.packs import module_name

    return importlib.import_module(module_name(str(plan.files_package), plan.rubric.probes))


CACHE_ENV = "GRADER_CACHE_DIR"


def cache_dir() -> Path | None:
    """Where reference outputs are cached: $GRADER_CACHE_DIR ("off": nowhere), else
    $XDG_CACHE_HOME/dl-grader, else ~/.cache/dl-grader."""
    import os

    if os.environ.get(CACHE_ENV) == "off":
        return None
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dl-grader"


def reference_key(plan: Plan, device: str) -> str:
    """What the reference outputs depend on: the rubric, every file of the reference
    package (reference, probes, oracles, data), the probe calls, the seed, the device, the
    grader's own code and the versions of Python, numpy and torch."""
    import importlib.metadata
    import sys

    from grader.digest import KeyDigest

    key = KeyDigest()
    key.feed("grader.reference-cache/v1")
    key.feed(plan.rubric_hash)
    key.feed(json.dumps([[k.module, k.probe, k.args_json] for k in plan.probe_keys]))
    key.feed(f"{plan.rubric.seed} {device} {sys.version}")
    for dist in ("numpy", "torch"):
        try:
            key.feed(f"{dist} {importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            key.feed(f"{dist} -")
    key.feed_tree(plan.package_dir, skip=("examples", "tests"))  # a pack's examples and tests grade nothing
    key.feed_tree(Path(__file__).resolve().parent)
    return key.hexdigest()


def reference_outputs(plan: Plan, device: str, *, cache: bool = True) -> dict[ProbeKey, Any]:
    """Run every probe of the plan on the reference. A reference that raises is the
    instructor's error: RubricError naming the probe, raised before any student code runs.
    A plan with `frozen_file` (a student kit) reads them from that file instead.

    Outputs are cached on disk (`cache_dir()`), keyed by `reference_key`: a miss computes
    them, a cache file that cannot be read is ignored (and replaced), and outputs that
    cannot be frozen (not plain data and numeric arrays) are simply not cached."""
    return _reference_outputs(plan, device, _cache_key(plan, device) if cache else None)


def _cache_key(plan: Plan, device: str) -> str | None:
    """`reference_key`, or None where nothing is cached (no cache folder; a student kit's
    frozen outputs; no probe call) or the key cannot be computed."""
    if plan.frozen_file is not None or not plan.probe_keys:
        return None
    try:
        return reference_key(plan, device) if cache_dir() is not None else None
    except Exception:  # noqa: BLE001 - an unreadable file in the pack: no cache, the real path reports it
        return None


def _cache_file(kind: str, key: str | None) -> Path | None:
    folder = cache_dir() if key is not None else None
    return folder / f"{kind}-{key}.npz" if folder is not None else None


def _reference_outputs(plan: Plan, device: str, key: str | None) -> dict[ProbeKey, Any]:
    if not plan.probe_keys:
        return {}
    if plan.frozen_file is not None:
        return load_frozen_outputs(plan.frozen_file, plan.probe_keys, rubric_path=plan.rubric_path)
    path = _cache_file("reference", key)
    if path is not None:
        try:
            if path.is_file():
                return load_frozen_outputs(path, plan.probe_keys, rubric_path=plan.rubric_path)
        except Exception:  # noqa: BLE001 - unreadable or corrupt, whatever the error: computed again below, and rewritten
            pass
    out = _compute_reference(plan, device)
    if path is not None:
        _store_cache(out, path, plan.probe_keys)
    return out


def trusted_side(plan: Plan, device: str, oracles: ModuleType | None, *,
                 cache: bool = True) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """Everything the grader's side computes before any student's code runs: the reference
    outputs (by ProbeKey) with what the oracles derive from them (by (ProbeKey, oracle)),
    checked for the instructor's mistakes (RubricError), and the known mistakes' values
    per check (`plan_mistakes`).

    The derived values and the mistakes' values are cached beside the reference outputs
    (`derived-<key>.npz`, the same `reference_key`: it covers the oracles, the mistakes and
    the rubric's checks): the mistakes' variants run the reference's models again, which
    costs a cold `grade` 0.1 s on an idle machine and over 1 s on a busy one. A cache file
    is used only whole (every value the plan needs), read back exactly as it was computed
    (else it is not written), and ignored when it cannot be read."""
    key = _cache_key(plan, device) if cache else None
    ref: dict[Any, Any] = dict(_reference_outputs(plan, device, key))
    path = _cache_file("derived", key)
    cached = _read_derived(path, plan, oracles) if path is not None else None
    if cached is not None:
        derived, values = cached
    else:
        derived = derive_reference(plan, oracles, ref)
    ref.update(derived)
    problems = output_problems(plan, ref)  # the instructor's mistakes the outputs show, before any student's code runs
    if problems:
        raise RubricError(problems)
    if cached is not None:
        mistakes = _mistakes_from(plan, values)
        if mistakes is not None:
            return ref, mistakes
    mistakes = plan_mistakes(plan, device, oracles, ref)
    if path is not None:
        _store_derived(path, derived, mistakes)
    return ref, mistakes


def _derived_entries(derived: dict[Any, Any], mistakes: dict[Any, Any]) -> list[tuple[dict[str, Any], Any]]:
    """The derived values and the mistakes' values as frozen entries (fields, value)."""
    entries: list[tuple[dict[str, Any], Any]] = [
        ({"module": k.module, "probe": k.probe, "args": k.args, "oracle": oracle}, v) for (k, oracle), v in derived.items()]
    for path, found in mistakes.items():
        entries += [({"check": list(path), "use": i}, value) for i, (_, _, value) in enumerate(found)]
    return entries


def _store_derived(path: Path, derived: dict[Any, Any], mistakes: dict[Any, Any]) -> None:
    """Write `trusted_side`'s cache file (see `_write_verified`)."""
    try:
        entries = _derived_entries(derived, mistakes)
    except (TypeError, ValueError, RubricError):
        return

    def reads_back(tmp: Path) -> bool:
        back = _thaw_entries(tmp)
        return len(back) == len(entries) and all(fa == fb and _same(va, vb) for (fa, va), (fb, vb) in zip(entries, back))

    _write_verified(path, lambda tmp: _freeze_entries(entries, tmp, sort_keys=False), reads_back)


def _read_derived(path: Path, plan: Plan,
                  oracles: ModuleType | None) -> tuple[dict[Any, Any], dict[tuple[Any, ...], Any]] | None:
    """The cached derived values (exactly those `derive_reference` gives: one per
    `oracle_keys` entry, none without an oracles module) and the mistakes' values by
    (check path, use); None when there is no such file or it cannot be read."""
    try:
        if not path.is_file():
            return None
        derived: dict[Any, Any] = {}
        values: dict[tuple[Any, ...], Any] = {}
        for fields, value in _thaw_entries(path):
            if "oracle" in fields:
                key = ProbeKey(module=fields["module"], probe=fields["probe"],
                               args_json=json.dumps(fields["args"], sort_keys=True, separators=(",", ":")))
                derived[(key, fields["oracle"])] = value
            else:
                values[(tuple(fields["check"]), fields["use"])] = value
    except Exception:  # noqa: BLE001 - unreadable or corrupt, whatever the error: computed again, and rewritten
        return None
    wanted = [k for k in oracle_keys(plan) if k[0] in plan.probe_keys] if oracles is not None else []
    if set(derived) != set(wanted):
        return None
    return {k: derived[k] for k in wanted}, values


def _mistakes_from(plan: Plan, values: dict[tuple[Any, ...], Any]) -> dict[Any, Any] | None:
    """`plan_mistakes`'s result from cached values (the mistakes file imported and checked
    as it would be); None when a value is missing."""
    from grader.mistakes import check_paths, load_mistakes

    if plan.frozen_file is not None or plan.rubric.reference is None:
        return {}
    table = load_mistakes(plan)
    if not table:
        return {} if not values else None
    out: dict[Any, Any] = {}
    for path, pc in check_paths(plan):
        if not pc.spec.mistakes:
            continue
        found = []
        for i, use in enumerate(pc.spec.mistakes):
            if (path, i) not in values:
                return None
            found.append((use, table[use.name], values[(path, i)]))
        out[path] = found
    return out if len(values) == sum(len(f) for f in out.values()) else None


def _same(a: Any, b: Any) -> bool:
    """Exactly the same data: types, array dtypes, shapes and bytes (a cached output must
    grade exactly as a computed one)."""
    import numpy as np

    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return bool(a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes())
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return repr(a) == repr(b)
    return bool(a == b)


def _store_cache(outputs: dict[ProbeKey, Any], path: Path, keys: tuple[ProbeKey, ...]) -> None:
    """Write the reference cache file (see `_write_verified`)."""
    def reads_back(tmp: Path) -> bool:
        back = load_frozen_outputs(tmp, keys)
        return all(_same(outputs[k], back[k]) for k in keys)

    _write_verified(path, lambda tmp: freeze_outputs(outputs, tmp, sort_keys=False), reads_back)


def _write_verified(path: Path, write: Callable[[Path], None], reads_back: Callable[[Path], bool]) -> None:
    """Write a cache file through a temporary file and a rename (a concurrent reader sees
    the old file or the whole new one), only when `reads_back` says the temporary file
    gives back exactly what was written (a tuple or a numpy scalar would not); any failure
    leaves no cache file."""
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        try:
            write(Path(tmp))
            if reads_back(Path(tmp)):
                os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except (OSError, TypeError, ValueError, RubricError):
        pass


def _compute_reference(plan: Plan, device: str) -> dict[ProbeKey, Any]:
    run = probe_runner(plan)
    ctx = ReferenceContext(plan, device)
    out: dict[ProbeKey, Any] = {}
    for key in plan.probe_keys:
        try:
            out[key] = run(ctx, key)
        except RubricError:
            raise
        except Exception as err:
            raise RubricError([f"{plan.rubric_path}: the reference fails probe {key.probe}({key.args_json}): "
                               f"{type(err).__name__}: {err}"]) from err
    return out


def probe_runner(plan: Plan) -> Callable[[Any, ProbeKey], Any]:
    """run(ctx, key): one probe call on the trusted side, seeded as the sandbox seeds the
    student's call (the reference, or a known mistake's variant of it)."""
    probes = _load_probes(plan)
    from grader.sandbox._child.seeding import seeder

    seed = seeder()

    from grader.sandbox._child.nbprobes import BUILTIN

    def run(ctx: Any, key: ProbeKey) -> Any:
        fn = BUILTIN.get(key.probe) or getattr(probes, key.probe, None)
        if fn is None:
            raise RubricError([f"{plan.rubric_path}: probe {key.probe!r} is not defined in {plan.probes_file}"])
        seed(plan.rubric.seed)  # as the sandbox does before the student's call
        return fn(ctx, **key.args)

    return run


def plan_mistakes(plan: Plan, device: str, oracles: ModuleType | None, ref: dict[Any, Any]) -> dict[Any, Any]:
    """Per check, its known mistakes with the values they give on the check's inputs
    (computed once per plan, on the trusted side); {} for a rubric without mistakes or a
    student kit (which never holds them)."""
    from grader.mistakes import load_mistakes, mistake_values

    if plan.frozen_file is not None or plan.rubric.reference is None:
        return {}
    mistakes = load_mistakes(plan)
    if not mistakes:
        return {}

    def derive(key: ProbeKey, name: str, raw: Any) -> Any:
        return getattr(oracles, name)(raw, key.args)

    return mistake_values(plan, device, mistakes, ref, probe_runner(plan), ReferenceContext(plan, device), derive)


OracleKey = tuple[ProbeKey, str]  # a probe call's output as one oracle derives it


def oracle_keys(plan: Plan) -> tuple[OracleKey, ...]:
    """Every (probe call, oracle) pair the plan's checks read, in plan order."""
    keys: dict[OracleKey, None] = {}
    for q in plan.questions:
        for pc in walk_checks(q.checks):
            if pc.probe_key is not None and pc.spec.oracle:
                keys[(pc.probe_key, pc.spec.oracle)] = None
    return tuple(keys)


def plan_oracles(plan: Plan) -> ModuleType | None:
    """The plan's oracles module (trusted side only); None for a rubric without one, such
    as a student kit, which never holds the code that computes answers."""
    if plan.rubric.reference is None or plan.rubric.oracles is None:
        return None
    oracles: ModuleType = load_oracles(plan.files_package, plan.rubric, plan.rubric_path)
    return oracles


def derive_reference(plan: Plan, oracles: ModuleType | None, ref: dict[ProbeKey, Any]) -> dict[OracleKey, Any]:
    """The reference's probe outputs as each oracle derives them; an oracle that fails on
    the reference is the instructor's error (RubricError), raised before any student code runs."""
    out: dict[OracleKey, Any] = {}
    if oracles is None:
        return out
    for key, name in oracle_keys(plan):
        if key not in ref:
            continue
        try:
            out[(key, name)] = getattr(oracles, name)(ref[key], key.args)
        except Exception as err:
            raise RubricError([f"{plan.rubric_path}: oracle {name} fails on the reference's output of probe "
                               f"{key.probe}({key.args_json}): {type(err).__name__}: {err}"]) from err
    return out


def derive_student(plan: Plan, oracles: ModuleType | None, probe_out: dict[ProbeKey, ProbeOutput],
                   memo: OracleMemo | None = None) -> dict[OracleKey, ProbeOutput]:
    """The student's probe outputs as each oracle derives them, in this process. A failed
    call stays failed; an output the oracle rejects (ValueError) fails the checks reading it,
    with the oracle's message. `memo`: the class's remembered results (grader.oraclememo)."""
    out: dict[OracleKey, ProbeOutput] = {}
    for key, name in oracle_keys(plan):
        po = probe_out.get(key)
        if po is None or po.status != "ok":
            out[(key, name)] = po if po is not None else ProbeOutput(status="error", message="no result came back for this call")
        elif oracles is None:
            out[(key, name)] = ProbeOutput(status="error", message=f"this check is computed by the course's grader only "
                                           f"(its oracle {name} is not part of this rubric)")
        else:
            try:
                oracle = getattr(oracles, name)
                value = oracle(po.value, key.args) if memo is None else memo.call(name, key.id, oracle, po.value, key.args)
                out[(key, name)] = ProbeOutput(status="ok", value=value, details=po.details)
            except ValueError as err:
                out[(key, name)] = ProbeOutput(status="rejected", message=str(err)[:2000], details=po.details)
            except Exception as err:  # noqa: BLE001 - odd student output must not lose the submission
                out[(key, name)] = ProbeOutput(status="error", details=po.details, message=(
                    f"internal error in oracle {name}: {type(err).__name__}: {str(err)[:300]}; please report this to the course staff"))
    return out


def module_file(files: tuple[str, ...], module: str, notebooks: dict[str, Any] | None = None) -> str | None:
    """The student's file for a module: <module>.py, else <module>.ipynb (top level only);
    for a module run as a notebook, as the child finds it (its `files` patterns too)."""
    if notebooks is not None and module in notebooks:
        from grader.sandbox._child.notebook import find_notebook

        return find_notebook(files, module, notebooks[module].files or [])[0]
    for ext in (".py", ".ipynb"):
        if module + ext in files:
            return module + ext
    return None


_PRESTARTED: dict[tuple[Any, ...], tuple[Any, dict[str, Any]]] = {}


def sandbox_environment(rubric: Any) -> dict[str, Any]:
    """What the rubric says of the students' environment, as the Sandbox takes it: the
    packages student code may import (None: anything installed), the modules the zygote
    imports once, and the modules run as notebooks with their limits."""
    env = rubric.environment
    return {
        "packages": list(env.packages) if env is not None else None,
        "preimport": env.modules_to_preimport() if env is not None else [],
        "notebooks": {k: v.plain() for k, v in rubric.notebooks.items()},
    }


def _sandbox_key(probes_file: Path, support_files: dict[str, Path], device: str, isolation: str, limits: Limits,
                 many: bool, environment: dict[str, Any] | None = None) -> tuple[Any, ...]:
    return (str(Path(probes_file).resolve()), tuple(sorted((n, str(Path(p).resolve())) for n, p in support_files.items())),
            device, isolation, repr(limits), many, json.dumps(environment or {}, sort_keys=True))


def _start_sandbox(probes_file: Path, support_files: dict[str, Path], device: str, isolation: str, limits: Limits,
                   many: bool, environment: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
    """A thread starting a Sandbox (its zygote is a process importing torch: this process
    goes on meanwhile), and where it puts the sandbox ("box") or the error ("error")."""
    import threading

    from grader.sandbox import Sandbox

    starting: dict[str, Any] = {}
    # read here, not in the thread: a reference notebook runs in its own folder meanwhile
    cwd = os.getcwd()

    def start() -> None:
        try:
            starting["box"] = Sandbox(probes_file=probes_file, support_files=support_files, device=device,
                                      isolation=isolation, default_limits=limits,  # type: ignore[arg-type]
                                      collapse_memory=many, private_paths=[cwd], **(environment or {}))
        except BaseException as err:  # noqa: BLE001 - re-raised in the caller's thread
            starting["error"] = err

    thread = threading.Thread(target=start, name="sandbox-start", daemon=True)
    thread.start()
    return thread, starting


def prestart(rubric_path: Path, *, device: str, isolation: str = "auto", many: bool = False) -> None:
    """Start the sandbox a rubric will need now, in the background, before the rubric is
    compiled (which imports the reference and torch): `Grader.create` with the same
    probes, support files, device, isolation and limits takes it over. Best effort: any
    problem here is left for the real path to report."""
    try:
        from grader.rubric import load_rubric

        rubric = load_rubric(rubric_path)
        if not rubric.reference:
            return
        package = Path(rubric_path).resolve().parent
        probes = package / rubric.probes
        support = {name: package / rel for name, rel in rubric.support_files.items()}
        if not probes.is_file() or not all(p.is_file() for p in support.values()):
            return
        limits = sandbox_limits(rubric.limits)
        environment = sandbox_environment(rubric)
    except Exception:  # noqa: BLE001 - reported by load_plan, precisely
        return
    key = _sandbox_key(probes, support, device, isolation, limits, many, environment)
    if key not in _PRESTARTED:
        _PRESTARTED[key] = _start_sandbox(probes, support, device, isolation, limits, many, environment)


def _discard_prestarted() -> None:
    """Sandboxes started ahead that no grader took over (a guess that proved wrong)."""
    while _PRESTARTED:
        _, (thread, starting) = _PRESTARTED.popitem()
        thread.join()
        if starting.get("box") is not None:
            starting["box"].close()


def _discard_prespawned() -> None:
    from grader.sandbox import discard_prespawned

    discard_prespawned()


@dataclass(frozen=True)
class Stopped:
    """A call stopped by class mode's first-try wall-clock limit (`first_try` seconds)
    before the rubric's own (`full`): the submission is graded again with the full limit."""

    module: str
    probe: str
    first_try: float
    full: float


def first_try_limit(first_try_s: float | None, wall_s: float) -> float:
    """Class mode's first-try wall-clock limit of a call whose full limit is `wall_s`: the
    rubric's `limits.first_try_s`, else a fifth of `wall_s` but at least 2 s; never more
    than `wall_s`. A call the rubric allows 10 s is stopped after 2 s on the first try (a
    student's endless loop costs the class 2 s, not 10), and its submission is graded again
    with the full 10 s later; a call a check allows 60 s gets 12 s first."""
    wanted = first_try_s if first_try_s is not None else max(2.0, wall_s / 5)
    return min(wanted, wall_s)


@dataclass
class Grader:
    """A plan bound to a device, a sandbox and the reference outputs (computed once)."""

    plan: Plan
    device: str = "cpu"
    sandbox: Sandbox | None = None  # None when no code checks can run
    ref_outputs: dict[Any, Any] = field(default_factory=dict)  # by ProbeKey, and by (ProbeKey, oracle) as derived
    notes: list[str] = field(default_factory=list)
    staff_notes: list[str] = field(default_factory=list)  # the sandbox's reduced isolation: for the staff only
    oracles: ModuleType | None = None
    mistakes: dict[Any, Any] = field(default_factory=dict)  # per check path: (use, mistake, value it gives)
    call_limits: dict[ProbeKey, Limits | None] = field(init=False)  # per probe call, worked out once
    rubric_limits: Limits = field(init=False)  # a call's limits where no check overrides them (None above)
    oracle_memo: OracleMemo = field(default_factory=OracleMemo)  # oracles' results by input, for the class

    def __post_init__(self) -> None:
        self.call_limits = {key: call_limits(self.plan, key) for key in self.plan.probe_keys}
        self.rubric_limits = sandbox_limits(self.plan.rubric.limits)
        if self.oracles is None:
            self.oracles = plan_oracles(self.plan)

    @classmethod
    def create(cls, plan: Plan, *, device: str = "cpu", isolation: str = "auto", with_sandbox: bool = True,
               many: bool = False) -> "Grader":
        """`many`: this grader will grade a class (a batch), not one submission: the sandbox
        then spends a fraction of a second at start-up to make every later fork cheaper."""
        # The sandbox's zygote (a process importing torch) starts while this process
        # computes (or reads) the reference outputs: the two overlap on a cold start.
        starting: dict[str, Any] = {}
        thread = None
        if plan.probe_keys and with_sandbox:
            limits = sandbox_limits(plan.rubric.limits)
            environment = sandbox_environment(plan.rubric)
            key = _sandbox_key(plan.probes_file, plan.support_files, device, isolation, limits, many, environment)
            thread, starting = (_PRESTARTED.pop(key) if key in _PRESTARTED else None) or _start_sandbox(
                plan.probes_file, plan.support_files, device, isolation, limits, many, environment)
        _discard_prestarted()
        if thread is None:
            _discard_prespawned()  # a zygote started ahead (`grade` on one submission) that no sandbox needs
        try:
            oracles = plan_oracles(plan)
            ref, mistakes = trusted_side(plan, device, oracles)
        except BaseException:
            if thread is not None:
                thread.join()
                _discard_prespawned()
                if starting.get("box") is not None:
                    starting["box"].close()
            raise
        sandbox = None
        notes: list[str] = [plan.rubric.notice] if plan.rubric.notice else []  # a student kit's: not a grade
        if thread is not None:
            thread.join()
            _discard_prespawned()  # the sandbox took over the one for its device, if any: another is of no use
            if "error" in starting:
                raise starting["error"]
            sandbox = starting["box"]
            if sandbox.cuda_error:  # never grade every GPU check as the student's error
                sandbox.close()
                from grader.device import DeviceError

                raise DeviceError(f"--device {device}: CUDA does not work inside the sandbox on this machine "
                                  f"({sandbox.cuda_error}); grade with --device cpu")
        staff_notes = [sandbox.fallback_note] if sandbox is not None and sandbox.fallback_note else []
        return cls(plan=plan, device=device, sandbox=sandbox, ref_outputs=ref, notes=notes, staff_notes=staff_notes,
                   oracles=oracles, mistakes=mistakes)

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.close()
            self.sandbox = None

    def __enter__(self) -> "Grader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ grading

    def grade_path(self, path: Path, *, timings: bool = False) -> SubmissionResult:
        with open_submission(path) as sub:
            return self.grade(sub, timings=timings)

    def grade(self, sub: Submission, *, timings: bool = False) -> SubmissionResult:
        """Grade one submission with the rubric's full limits."""
        return self.grade_first_try(sub, first_try=False, timings=timings)[0]

    def grade_first_try(self, sub: Submission, *, first_try: bool,
                        timings: bool = False) -> tuple[SubmissionResult, tuple[Stopped, ...]]:
        """Grade one submission; with `first_try`, every call's wall-clock limit is cut to
        its first-try limit (`first_try_limit`: class mode's first try). Also returns the
        calls that were stopped by that shorter limit: when there are some, the result is
        not final (the submission must be graded again with the full limits); when there
        are none, the result is exactly what `grade` gives."""
        t0 = time.perf_counter()
        plan = self.plan
        answers, sub = _answers_of(sub, plan)  # a report (.pdf/.md/.txt) where no answers file
        t_answers = time.perf_counter()
        code_out, stopped = self._run_code(sub, first_try)
        probe_out: dict[Any, ProbeOutput] = dict(code_out)
        probe_out.update(derive_student(plan, self.oracles, probe_out, self.oracle_memo))
        t_code = time.perf_counter()
        questions = []
        for q in plan.questions:
            results = [self._check(pc, sub, answers, probe_out, timings) for pc in q.checks]
            score = round_score(sum(c.score for c in results))
            counted = [c for c in results if c.max_score > 0] or results
            questions.append(QuestionResult(id=q.id, title=q.title, score=score, max_score=q.points,
                                            status=question_status(counted), checks=results, bonus=q.bonus))
        warnings = list(answers.warnings)
        named = answers.data.get("assignment") if isinstance(answers.data, dict) else None
        if named is not None and str(named).strip() != plan.rubric.assignment:  # a class folder may hold a stray one
            warnings.insert(0, f"{answers.filename} is for assignment {str(named).strip()[:40]!r}, "
                               f"but was graded as {plan.rubric.assignment!r}")
        warnings += [f"{r.name}: not extracted ({r.reason})" for r in sub.rejected]
        notes = list(self.notes) + list(sub.notes) + list(self._code_notes(probe_out))
        student: dict[str, str] = {}
        if isinstance(answers.data, dict) and isinstance(answers.data.get("student"), dict):
            student = {k: v for k, v in answers.data["student"].items() if isinstance(v, str) and k in ("id", "name")}
        t_end = time.perf_counter()
        return SubmissionResult(
            assignment=plan.rubric.assignment,
            submission=sub.name,
            student=student,
            **tally(questions, cap=plan.cap),
            max_score=round_score(plan.max_score),
            questions=questions,
            warnings=warnings,
            notes=notes,
            staff_notes=list(self.staff_notes),
            timings={"answers_s": t_answers - t0, "code_s": t_code - t_answers, "checks_s": t_end - t_code,
                     "total_s": t_end - t0} if timings else None,
        ), stopped

    def _call_limits(self, key: ProbeKey, first_try: bool) -> tuple[Limits | None, float | None]:
        """The limits of one call, and its full wall-clock limit when the first try cut it."""
        limits = self.call_limits[key]
        if not first_try:
            return limits, None
        full = limits if limits is not None else self.rubric_limits
        cut = first_try_limit(self.plan.rubric.limits.first_try_s, full.wall_s)
        if cut >= full.wall_s:
            return limits, None
        return dataclasses.replace(full, wall_s=cut), full.wall_s

    def _run_code(self, sub: Submission, first_try: bool = False) -> tuple[dict[ProbeKey, ProbeOutput], tuple[Stopped, ...]]:
        out: dict[ProbeKey, ProbeOutput] = {}
        calls = []
        by_id: dict[str, ProbeKey] = {}
        shortened: dict[str, tuple[float, float]] = {}  # call id -> (first-try limit, full limit)
        for key in self.plan.probe_keys:
            fname = module_file(sub.files, key.module, self.plan.rubric.notebooks)
            if fname is None:
                out[key] = ProbeOutput(status="missing", message=f"not submitted: {key.module}.py (or {key.module}.ipynb)")
                continue
            if self.sandbox is None:
                out[key] = ProbeOutput(status="error", message="code checks were not run (no sandbox in this run)")
                continue
            from grader.sandbox import ProbeCall

            limits, full = self._call_limits(key, first_try)
            if full is not None and limits is not None:
                shortened[key.id] = (limits.wall_s, full)
            calls.append(ProbeCall(id=key.id, module=key.module, probe=key.probe, args=key.args,
                                   limits=limits, seed=self.plan.rubric.seed))
            by_id[key.id] = key
        stopped: list[Stopped] = []
        if calls and self.sandbox is not None:  # calls are made only with a sandbox
            # the first call of every probe goes first: if a function hangs, its later
            # calls are skipped by the sandbox, and the others have run already
            seen: set[tuple[str, str]] = set()
            firsts: list[ProbeCall] = []
            rest: list[ProbeCall] = []
            for c in calls:
                (rest if (c.module, c.probe) in seen else firsts).append(c)
                seen.add((c.module, c.probe))
            # only the files the content hash covers are staged: what runs is what was graded
            results = self.sandbox.run(sub.root, firsts + rest, files=sub.files)
            for cid, key in by_id.items():
                r = results.get(cid)
                if r is None:
                    out[key] = ProbeOutput(status="error", message="no result came back for this call")
                    continue
                details: dict[str, Any] = {}
                if r.traceback:
                    details["traceback"] = list(r.traceback)
                if r.stdout_tail:
                    details["output_tail"] = r.stdout_tail
                if r.limit:
                    details["limit"] = r.limit
                if r.notes:
                    details["notes"] = list(r.notes)
                msg = r.message
                if r.traceback and r.status != "ok":
                    msg = f"{msg} ({r.traceback[-1]})" if r.traceback[-1] not in msg else msg
                out[key] = ProbeOutput(status=r.status, value=r.value, message=msg, details=details)
                if cid in shortened and r.status == "timeout" and r.limit == "wall_s":
                    stopped.append(Stopped(module=key.module, probe=key.probe, first_try=shortened[cid][0],
                                           full=shortened[cid][1]))
        return out, tuple(stopped)

    def _code_notes(self, probe_out: dict[Any, ProbeOutput]) -> list[str]:
        seen: list[str] = []
        for po in probe_out.values():
            for n in po.details.get("notes", []) if isinstance(po.details.get("notes"), list) else []:
                if n not in seen:
                    seen.append(n)
        return seen

    def _context(self, pc: PlannedCheck, sub: Submission, answers: Answers, probe_out: dict[Any, ProbeOutput]) -> CheckContext:
        spec = pc.spec
        ans: Any = None
        line = None
        if spec.answer:
            if answers.data is None and answers.error is None:
                ans = Missing("(no answers file)")
            else:
                ans, line = answers.get(spec.answer)
                if not _present(ans):
                    ans = Missing("")
        expected: Any = getattr(spec, "expected", None)
        actual = None
        tol: Tolerance | None = Tolerance(spec.rtol, spec.atol) if spec.rtol is not None and spec.atol is not None else None
        if pc.probe_key is not None:
            key = (pc.probe_key, spec.oracle) if spec.oracle else pc.probe_key
            actual = probe_out.get(key)
            ref = get_path(self.ref_outputs.get(key), spec.select)
            if spec.expected_from == "answer":
                expected = ans  # the student's own report (a Missing one is reported by the check)
            elif expected is None:
                expected = ref
            if actual is not None and actual.status == "ok":
                val = get_path(actual.value, spec.select)
                if isinstance(val, Missing):
                    actual = ProbeOutput(status="bad_output", message=f"{spec.code}: the result has no {spec.select!r}")
                else:
                    actual = ProbeOutput(status="ok", value=val, details=actual.details)
            if tol is None:
                tol = default_tolerance(_dtype_of(ref), self.device)
        if tol is None:
            tol = default_tolerance("float64", self.device)

        def read(name: str) -> bytes:
            return sub.read_bytes(name, max_bytes=MAX_FIGURE_BYTES)

        return CheckContext(
            answer=ans,
            answer_line=line,
            answers_file=answers.filename,
            answers_error=answers.error,
            expected=expected,
            actual=actual,
            tolerance=tol,
            device=self.device,
            files=sub.files,
            file_bytes=read,
        )

    def _check(self, pc: PlannedCheck, sub: Submission, answers: Answers,
               probe_out: dict[Any, ProbeOutput], timings: bool) -> CheckResult:
        t0 = time.perf_counter()
        spec = pc.spec
        if pc.alternatives:
            res = self._best_of(pc, sub, answers, probe_out)
        else:
            res = self._graded(pc, (pc.question_id, spec.id), sub, answers, probe_out)
        fraction = min(max(res.fraction, 0.0), 1.0)
        return CheckResult(
            id=spec.id,
            status=res.status,
            score=round_score(spec.points * fraction),
            max_score=spec.points,
            message=res.message,
            details=plain(res.details),
            views=res.views,
            visibility=spec.visibility,
            hint=spec.hint,
            source=spec.source_label,
            timing_s=(time.perf_counter() - t0) if timings else None,
        )

    def _best_of(self, pc: PlannedCheck, sub: Submission, answers: Answers, probe_out: dict[Any, ProbeOutput]) -> CheckOutcome:
        graded = []
        for alt in pc.alternatives:
            graded.append((alt, self._graded(alt, (pc.question_id, pc.spec.id, alt.spec.id), sub, answers, probe_out)))
        # a wrong attempt in one form ranks below one left for a TA in another form
        order = {Status.PASS: 5, Status.PARTIAL: 4, Status.MANUAL: 3, Status.FAIL: 2, Status.ERROR: 1, Status.MISSING: 0}
        best_alt, best = max(graded, key=lambda g: (g[1].fraction, order[g[1].status]))
        if all(o.status == Status.MISSING for _, o in graded):
            return outcome(Status.MISSING, "not submitted: " + "; ".join(f"{a.spec.id}: {o.message}" for a, o in graded))
        others = [f"{a.spec.id} ({a.spec.source_label}): {o.status.value}: {o.message}" for a, o in graded if a is not best_alt]
        details = {"counted": best_alt.spec.id, "alternatives": {a.spec.id: {"status": o.status.value, "message": o.message}
                                                                 for a, o in graded}}
        msg = f"{best_alt.spec.id}: {best.message}"
        if others:
            msg += " | not counted: " + "; ".join(others)
        return CheckOutcome(status=best.status, fraction=best.fraction, message=msg,
                            details={**best.details, **details}, views=best.views)

    def _graded(self, pc: PlannedCheck, path: tuple[str, ...], sub: Submission, answers: Answers,
                probe_out: dict[Any, ProbeOutput]) -> CheckOutcome:
        """One check's verdict, with the mistake named where a failing output matches one."""
        waiting = waiting_outcome(pc.spec, answers)  # a value read from a report too uncertainly to score
        if waiting is not None:
            return waiting
        ctx = self._context(pc, sub, answers, probe_out)
        grade = self.plan.kinds[pc.spec.kind].grade
        res = _safe_grade(grade, pc.spec, ctx)
        if res.status not in (Status.FAIL, Status.PARTIAL) or pc.spec.expected_from == "answer":
            return res
        return diagnosed(pc.spec, ctx, res, self.mistakes.get(path, ()), grade)


def _answers_of(sub: Submission, plan: Plan) -> tuple[Answers, Submission]:
    """`grader.writeup.loader.load_answers_or_writeup`, whose write-up reader (its parser,
    extractors and limits: 0.05-0.1 s of a cold `grade`'s imports) is imported only for a
    submission without an answers file: one with an answers file (read or not) is graded
    from it, as that function's first rule says."""
    answers = load_answers(sub, known_paths=plan.known_paths)
    if answers.data is not None or answers.error is not None:
        return answers, sub
    from grader.writeup.loader import load_answers_or_writeup

    return load_answers_or_writeup(sub, plan=plan, answers=answers)


def diagnosed(spec: Any, ctx: CheckContext, res: CheckOutcome, known: Any,
              grade: Callable[..., CheckOutcome]) -> CheckOutcome:
    """A failing verdict with its diagnosis: the known mistake the student's output matches
    (graded by the check itself against the value the mistake gives, so within the check's
    tolerance), else a generic relation to the reference (a factor, a transpose, ...), else
    the verdict unchanged. The score moves only where the rubric gives the mistake `credit`."""
    from grader.diagnose import relate

    if spec.code is not None:
        if ctx.actual is None or ctx.actual.status != "ok":
            return res
        given = ctx.actual.value
    else:
        given = ctx.answer
        if isinstance(given, Missing):
            return res
    try:
        relation = relate(given, ctx.expected, ctx.tolerance.rtol, ctx.tolerance.atol)
    except Exception:  # noqa: BLE001 - odd student values: no relation, never a lost submission
        relation = None
    matches, partial = [], []
    for use, mistake, value in known:
        r = _safe_grade(grade, spec, dataclasses.replace(ctx, expected=value))
        if r.status == Status.PASS:
            matches.append((use, mistake))
        elif r.status == Status.PARTIAL and r.fraction > res.fraction:  # the mistake explains more than the reference does
            partial.append((r.fraction, use, mistake))
    in_part = not matches and bool(partial)
    if in_part:
        best = max(partial, key=lambda p: p[0])  # ties: the rubric's order
        matches = [(best[1], best[2])]
    if matches:
        use, mistake = max(matches, key=lambda m: m[0].credit or 0.0)  # ties: the rubric's order
        if in_part:
            evidence = (f"part of your output matches this mistake's ({best[0]:.0%} of this check against it, "
                        f"{res.fraction:.0%} against the reference)")
        else:
            evidence = relation.evidence if relation else "your output matches this mistake's on every input the grader tried"
        diagnosis: dict[str, Any] = {"mistake": mistake.name, "explain": mistake.explain, "evidence": evidence}
        if in_part:
            diagnosis["in_part"] = True
        if relation and not in_part:
            diagnosis["relation"] = relation.kind
        if use.credit is not None and not in_part:  # credit for a full match only
            diagnosis["credit"] = use.credit
            fraction = max(res.fraction, use.credit)
            status = Status.PASS if fraction >= 1.0 else Status.PARTIAL if fraction > 0 else res.status
            accepted = "an accepted convention" if use.credit >= 1.0 else f"accepted for {use.credit:.0%} of the points"
            message = f"{res.message}. This matches {mistake.name}, {accepted}: {evidence}: {mistake.explain}"
            return CheckOutcome(status=status, fraction=fraction, message=message,
                                details={**res.details, "diagnosis": diagnosis}, views=res.views)
        message = f"{res.message}. Likely mistake ({mistake.name}): {evidence}: {mistake.explain}"
        return CheckOutcome(status=res.status, fraction=res.fraction, message=message,
                            details={**res.details, "diagnosis": diagnosis}, views=res.views)
    if relation is not None:
        return CheckOutcome(status=res.status, fraction=res.fraction, message=f"{res.message}. Note: {relation.evidence}",
                            details={**res.details, "diagnosis": {"relation": relation.kind, "evidence": relation.evidence}},
                            views=res.views)
    return res


def _present(value: Any) -> bool:
    from grader.answers import MISSING

    return value is not MISSING and value is not None and not isinstance(value, Missing)


_INT_LIMITS = frozenset({"memory_mb", "file_size_mb", "nproc", "nofile", "output_bytes"})


def sandbox_limits(base: SandboxLimits, over: dict[str, float] | None = None) -> Limits:
    """The sandbox's Limits from the rubric's, with per-check overrides of known fields."""
    from grader.sandbox import Limits

    values = {k: (over or {}).get(k, v) for k, v in base.model_dump(exclude={"first_try_s"}).items()}
    return Limits(**{k: int(v) if k in _INT_LIMITS else v for k, v in values.items()})


def call_limits(plan: Plan, key: ProbeKey) -> Limits | None:
    """The strictest per-check override among the checks sharing this probe call (None when
    no check overrides)."""
    over: dict[str, float] = {}
    for q in plan.questions:
        for pc in walk_checks(q.checks):
            if pc.probe_key == key and pc.spec.limits:
                for k, v in pc.spec.limits.items():
                    over[k] = min(over.get(k, v), v)
    return sandbox_limits(plan.rubric.limits, over) if over else None


def _dtype_of(value: Any) -> str:
    """The lowest float precision among the arrays of a reference output."""
    import numpy as np

    kinds: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, np.ndarray):
            if v.dtype.kind == "f":
                kinds.add(str(v.dtype))
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)

    walk(value)
    for d in ("float16", "float32", "float64"):
        if d in kinds:
            return d
    return "float64"


def _safe_grade(fn: Callable[..., CheckOutcome], spec: Any, ctx: CheckContext) -> CheckOutcome:
    """A check that raises on odd student input is a grader bug, but it must not lose the
    rest of the submission: report it as an error naming the check."""
    try:
        return fn(spec, ctx)
    except Exception as err:  # noqa: BLE001 - reported, never swallowed silently
        return outcome(Status.ERROR, f"internal error in check {spec.id} ({spec.kind}): {type(err).__name__}: {err}; "
                       "please report this to the course staff")


# --------------------------------------------------------------------------- frozen outputs
# The reference's probe outputs, frozen into one file so that a rubric can grade code
# without the reference package (a student kit). The file is an .npz read with
# allow_pickle=False: an "index" entry (UTF-8 JSON, as uint8) lists each probe call
# (module, probe, args) with its output, where every numpy array is {"$array": "aN"},
# the name of a .npy entry, and a non-finite float is {"$float": "nan" | "inf" | "-inf"}.
# Entries are stored uncompressed with a fixed timestamp: the same outputs give the same bytes.

FROZEN_SCHEMA = "grader.frozen/v1"


def freeze_outputs(outputs: dict[ProbeKey, Any], path: Path, *, sort_keys: bool = True) -> None:
    """Write probe outputs (plain data and numeric numpy arrays) to `path`; with
    sort_keys=False, dicts keep their order (the reference cache)."""
    _freeze_entries([({"module": k.module, "probe": k.probe, "args": k.args}, v) for k, v in outputs.items()], path,
                    sort_keys=sort_keys)


def _freeze_entries(entries: list[tuple[dict[str, Any], Any]], path: Path, *, sort_keys: bool) -> None:
    """`freeze_outputs` for any entries: each is its index fields (plain JSON) and a value."""
    import math
    import zipfile

    import numpy as np

    arrays: dict[str, Any] = {}

    def encode(v: Any) -> Any:
        if isinstance(v, np.ndarray):
            if v.dtype.kind not in "biuf":
                raise TypeError(f"cannot freeze an array of dtype {v.dtype}")
            name = f"a{len(arrays)}"
            arrays[name] = np.ascontiguousarray(v)
            return {"$array": name}
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, float) and not math.isfinite(v):
            return {"$float": repr(v)}
        if isinstance(v, dict):
            if "$array" in v or "$float" in v:
                raise ValueError("cannot freeze a dict with a '$array' or '$float' key")
            return {str(k): encode(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [encode(x) for x in v]
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        raise TypeError(f"cannot freeze a {type(v).__name__}")

    index = {"schema": FROZEN_SCHEMA, "outputs": [{**fields, "value": encode(v)} for fields, v in entries]}
    files = {"index": np.frombuffer(json.dumps(index, sort_keys=sort_keys, allow_nan=False).encode("utf-8"), dtype=np.uint8), **arrays}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, arr in files.items():
            with zf.open(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, arr, allow_pickle=False)


def _thaw_entries(path: Path) -> list[tuple[dict[str, Any], Any]]:
    """What `_freeze_entries` wrote: (index fields, value) in order; ValueError, KeyError,
    OSError... when the file cannot be read."""
    import numpy as np

    with np.load(path, allow_pickle=False) as z:
        index = json.loads(bytes(z["index"]).decode("utf-8"))
        if index.get("schema") != FROZEN_SCHEMA:
            raise ValueError(f"not a {FROZEN_SCHEMA} file")

        def decode(v: Any) -> Any:
            if isinstance(v, dict):
                if set(v) == {"$array"}:
                    return np.array(z[v["$array"]], copy=True)
                if set(v) == {"$float"}:
                    return float(v["$float"])
                return {k: decode(x) for k, x in v.items()}
            if isinstance(v, list):
                return [decode(x) for x in v]
            return v

        return [({k: x for k, x in o.items() if k != "value"}, decode(o["value"])) for o in index["outputs"]]


def load_frozen_outputs(path: Path, keys: tuple[ProbeKey, ...], *, rubric_path: str = "") -> dict[ProbeKey, Any]:
    """The outputs of `keys` from a file written by `freeze_outputs`; RubricError when the
    file is unreadable or lacks one of them."""
    import zipfile

    import numpy as np

    where = f"{rubric_path}: " if rubric_path else ""
    try:
        with np.load(path, allow_pickle=False) as z:
            index = json.loads(bytes(z["index"]).decode("utf-8"))
            if index.get("schema") != FROZEN_SCHEMA:
                raise ValueError(f"not a {FROZEN_SCHEMA} file")

            def decode(v: Any) -> Any:
                if isinstance(v, dict):
                    if set(v) == {"$array"}:
                        return np.array(z[v["$array"]], copy=True)
                    if set(v) == {"$float"}:
                        return float(v["$float"])
                    return {k: decode(x) for k, x in v.items()}
                if isinstance(v, list):
                    return [decode(x) for x in v]
                return v

            found = {ProbeKey(module=o["module"], probe=o["probe"],
                              args_json=json.dumps(o["args"], sort_keys=True, separators=(",", ":"))): o["value"]
                     for o in index["outputs"]}
            missing = [k for k in keys if k not in found]
            if missing:
                raise RubricError([f"{where}{path.name} has no frozen output for probe {k.probe}({k.args_json})" for k in missing])
            return {k: decode(found[k]) for k in keys}
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as err:
        raise RubricError([f"{where}frozen outputs {path} cannot be read: {type(err).__name__}: {err}"]) from None
