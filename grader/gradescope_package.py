"""The Gradescope package: the autograder zip Gradescope's servers run. They are trusted, so
it holds the whole pack (rubric, reference, probes, oracles, kinds, support files; not its
examples and tests), the grader's sources, `setup.sh` and `run_autograder`, and says how to
set the assignment up (GRADESCOPE.md).

    grade gradescope-package --assignment NAME --out autograder.zip [--wheels DIR]
"""

from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from grader.kit import REVIEWED_KINDS
from grader.packaging import (
    SUPPORTED_PYTHONS,
    KitError,
    engine_distribution,
    engine_files,
    package_tree,
    pyproject_toml,
    render_template,
    installed_torch_version,
)
from grader.rubric import Plan
from grader.results import fmt_points


_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class GradescopeOutline:
    """How to set the assignment up on Gradescope: the autograder's points (the checks it
    scores) and one manual-grading question per item a TA scores."""

    autograder_points: float
    manual: tuple[tuple[str, str, float], ...]  # (Gradescope number, "<question>.<check>", points)
    bonus_points: float = 0.0  # the automatic checks' points of bonus questions (not in autograder_points)
    cap: float | None = None  # the rubric's cap (`Rubric.score_cap`)

    def text(self, assignment: str, *, total_before_release: str, released: bool) -> str:
        lines = [f"# Gradescope setup for {assignment}", "",
                 (f"- Autograder points: **{self.autograder_points:g}** (the automatic checks; results.json shows "
                  "manual items as pending tests worth 0 of 0 points).")]
        if self.cap is not None:
            lines.append(f"- Bonus: the automatic checks of bonus questions add up to {fmt_points(self.bonus_points)} more "
                         f"points; results.json's score counts them and is capped at **{fmt_points(self.cap)}** (its "
                         "max_score), and its summary says when the cap took points off.")
        if self.manual:
            lines.append(f"- Add one manual-grading question per item below ({sum(p for _, _, p in self.manual):g} "
                         "points): TAs score them in Gradescope and Gradescope adds them to the autograder's score.")
            lines += [f"  - {num} `{cid}`: {pts:g} point{'' if pts == 1 else 's'}" for num, cid, pts in self.manual]
            lines.append("- A course that reviews with `grade review` instead exports the reviewed totals with "
                         "`grade export RESULTS --csv grades.csv` into its LMS (the Gradescope score stays automatic).")
        before = {"hidden": "hidden from students until grades are published (public checks' tests stay visible)",
                  "public": ("the public checks' total until grades are published: build the package again with "
                             "`--released` after the due date, upload it and use \"Regrade all submissions\""),
                  "shown": "shown to students at once"}[total_before_release]
        lines.append(f"- Total before release: {before}" + (" (this package is the released one)." if released else "."))
        return "\n".join(lines) + "\n"


def gradescope_outline(plan: Plan) -> GradescopeOutline:
    from grader.report.gradescope import question_number

    manual = tuple((question_number(q.id), f"{q.id}.{pc.spec.id}" + (" (bonus)" if q.bonus else ""), float(pc.spec.points))
                   for q in plan.questions for pc in q.checks if pc.spec.kind in REVIEWED_KINDS)
    auto = [(q.bonus, pc.spec.points) for q in plan.questions for pc in q.checks if pc.spec.kind not in REVIEWED_KINDS]
    return GradescopeOutline(autograder_points=round(float(sum(p for b, p in auto if not b)), 4), manual=manual,
                             bonus_points=round(float(sum(p for b, p in auto if b)), 4), cap=plan.cap)


def build_gradescope_package(plan: Plan, rubric_file: Path, out: Path, *, wheels: Path | None = None,
                             released: bool = False) -> list[str]:
    """Write Gradescope's autograder zip: setup.sh and run_autograder at the top, the grader's
    sources, the pack in assignments/<name>/, a pyproject to install the grader, GRADESCOPE.md
    (how to set the assignment up) and any bundled wheels. `released`: results show every check
    whatever the rubric's `gradescope.total_before_release`. Returns the names in the zip."""
    if plan.rubric.reference is None:
        raise KitError("a Gradescope package needs the full rubric (with `reference`)")
    a = plan.rubric.assignment
    pack_rel = f"assignments/{a}"  # found by the grader in ./assignments, run from the package's folder
    rubric_rel = f"{pack_rel}/{rubric_file.name}"
    entries: list[tuple[str, bytes, bool]] = []  # (name, data, executable)
    torch_version = installed_torch_version()
    entries.append(("setup.sh", render_template("setup.sh", ASSIGNMENT=a, TORCH_VERSION=torch_version,
                                                MIN_MINOR=SUPPORTED_PYTHONS[0].split(".")[1],
                                                MAX_MINOR=SUPPORTED_PYTHONS[-1].split(".")[1]).encode(), True))
    entries.append(("run_autograder", render_template("run_autograder", RUBRIC=rubric_rel,
                                                      RELEASED=" --released" if released else "").encode(), True))
    entries.append(("GRADESCOPE.md", gradescope_outline(plan).text(
        a, total_before_release=plan.rubric.gradescope.total_before_release, released=released).encode(), False))
    for src, rel in engine_files():
        entries.append((rel, src.read_bytes(), False))
    for src, rel in package_tree(plan.package_dir, pack_rel):  # the whole pack but its examples and tests
        if rel.split("/")[2] not in ("examples", "tests") and src != rubric_file.resolve():
            entries.append((rel, src.read_bytes(), False))
    entries.append((rubric_rel, rubric_file.read_bytes(), False))
    version, requirements = engine_distribution()
    entries.append(("pyproject.toml", pyproject_toml(name=f"{a}-autograder", version=version, requirements=requirements,
                                                 packages=["grader", "grader.*"],
                                                 package_dir=None, description=f"Gradescope autograder for {a}").encode(), False))
    if wheels is not None:
        found = sorted(wheels.glob("*.whl"))
        if not found:
            raise KitError(f"{wheels}: no .whl files to bundle")
        entries += [(f"wheels/{w.name}", w.read_bytes(), False) for w in found]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data, executable in entries:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
            zf.writestr(info, data)
    tmp.replace(out)
    return [name for name, _, _ in entries]
