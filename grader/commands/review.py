"""``grade review``: the TA review queue, scores for checks, and removing a submission
(the usage is in ``grader.classmode.review``'s docstring). The command over the library:
the gradebook (``grader.classmode.gradebook``), applying and validating overrides
(``grader.classmode.review``) and rewriting the results folder (``grader.classmode.publish``)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from grader.classmode.gradebook import Gradebook, GradebookError
from grader.classmode.review import (
    STATUSES,
    Effective,
    ReviewError,
    _show,
    checks_of,
    effective_results,
    filter_queue,
    format_history,
    format_queue,
    load_overrides_file,
    parse_set,
    resolve_entries,
    review_queue,
)
from grader.exits import EXIT_OK, EXIT_USAGE
from grader.report.terminal import for_terminal

__all__ = ["cmd_review"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="grade review", description="List the manual-review queue of a results folder, "
                                "or record TA scores (stored in its gradebook, applied to every output).")
    p.add_argument("results", type=Path, help="results folder of a class run (holds gradebook.sqlite)")
    p.add_argument("--assignment", help="assignment in the gradebook (default: the one it was graded for)")
    p.add_argument("--all", action="store_true",
                   help="list reviewed items too, and every override of an automatic check (= --status all)")
    p.add_argument("--question", metavar="ID", help="list only this question or check (problem1, problem1.q1_1.reason)")
    p.add_argument("--status", choices=STATUSES, help="list pending (default), reviewed, changed or all items")
    p.add_argument("--no-pager", action="store_true", help="print the list instead of paging it in a terminal")
    p.add_argument("--undo", action="store_true",
                   help="withdraw the newest review score (of --student, --question if given); the history keeps both")
    p.add_argument("--history", action="store_true", help="print every override recorded, undos included")
    p.add_argument("--set", action="append", default=None, metavar="CHECK=SCORE",
                   help="score a check, e.g. problem1.q1_1.reason=1 (repeatable; needs --student)")
    p.add_argument("--student", help="student id (or submission name) the --set scores are for; when listing, "
                   "list only theirs")
    p.add_argument("--submission", help="which submission, where a student id has several")
    p.add_argument("--same-answer", action="store_true",
                   help="with --set: give the same score to every submission whose answer to that check is identical "
                        "(the same text, case and spacing aside, or the same figure file)")
    p.add_argument("--comment", default="", help="the TA's comment, shown to the student")
    p.add_argument("--by", help="who scored it (default: the current user)")
    p.add_argument("--overrides", type=Path, metavar="FILE", help="a YAML/JSON/TOML list of {student, check, score, comment, by}")
    p.add_argument("--remove", action="append", default=None, metavar="SUBMISSION",
                   help="take a submission (its results and the overrides recorded for it) out of the gradebook "
                        "and the results folder (repeatable)")
    _reading_options(p)
    p.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    return p


def _reading_options(p: argparse.ArgumentParser) -> None:
    """Values read from a report, waiting for a TA (grader.classmode.readings)."""
    p.add_argument("--confirm", action="append", default=None, metavar="CHECK",
                   help="a value read from the student's report is right: score the check from it (needs --student)")
    p.add_argument("--reading", action="append", default=None, metavar="CHECK=VALUE",
                   help="the report says VALUE (YAML: AND, true, [-1, -1, -1]): score the check from it (needs --student)")


def _readings(args: argparse.Namespace) -> int | None:
    """`--confirm` / `--reading`: None when neither is given."""
    if not args.confirm and not args.reading:
        return None
    if args.set or args.overrides is not None or args.remove:
        return _usage("--confirm/--reading go without --set, --overrides and --remove")
    if not args.student:
        return _usage("--confirm/--reading need --student (the student id or submission name)")
    if not args.results.is_dir():
        return _usage(f"{args.results}: no such results folder")
    corrections = []
    for v in args.reading or []:
        check, eq, value = v.partition("=")
        if not eq or not check.strip() or not value.strip():
            return _usage(f"--reading {v!r}: expected CHECK=VALUE, e.g. --reading problem2.q2_1.function=AND")
        corrections.append((check.strip(), value))
    from grader.classmode.readings import record_readings

    return record_readings(args.results, student=args.student, submission=args.submission, confirm=args.confirm or [],
                           corrections=corrections, comment=args.comment, by=args.by or _default_by(),
                           assignment=args.assignment)


def _same_answer_entries(entries: Sequence[dict[str, Any]], items: Sequence[Effective]) -> list[dict[str, Any]]:
    """For each --set entry, the same score for every other submission whose answer to that
    check is identical to the named student's (an answer group: graded once, applied to all)."""
    queue = review_queue(items, include_reviewed=True)
    extra: list[dict[str, Any]] = []
    for ent in entries:
        mine = [it for it in queue if it.check_id == ent["check"] and ent["student"] in (it.student, it.submission)
                and (ent["submission"] is None or it.submission == ent["submission"])]
        if len(mine) != 1 or not mine[0].answer_key:
            continue  # resolve_entries names what is wrong with the entry itself
        for it in queue:
            if it.check_id == ent["check"] and it.answer_key == mine[0].answer_key and it is not mine[0]:
                extra.append({**ent, "student": it.student, "submission": it.submission,
                              "where": f"{ent['where']} (same answer as {ent['student']}: {it.submission})"})
    return extra


def _undo(args: argparse.Namespace, gb: Gradebook, assignment: str, items: Sequence[Effective], by: str) -> int:
    """Withdraw the newest effective override (of --student, of --question); the check
    falls back to the score before it, or to its automatic outcome."""
    subs = {e.row.submission: e.student for e in items}
    candidates = [o for o in gb.overrides(assignment)
                  if (not args.student or args.student == o.student or
                      (args.student in subs and subs[args.student] == o.student
                       and o.submission in (None, args.student)))
                  and (not args.question or o.check_id == args.question or o.check_id.startswith(args.question + "."))]
    if not candidates:
        return _usage("no review score to undo" + (f" for {args.student}" if args.student else "")
                      + (f" in {args.question}" if args.question else ""))
    last = max(candidates, key=lambda o: o.id)
    gb.withdraw_override(assignment, last, by=by)
    after = next((o for o in gb.overrides(assignment) if (o.student, o.submission, o.check_id)
                  == (last.student, last.submission, last.check_id)), None)
    from grader.classmode.publish import publish

    targets = sorted(e.row.submission for e in items
                     if last.applies_to(student=e.student, submission=e.row.submission))
    report = publish(args.results, gb, assignment, only=targets)
    for w in report.warnings:
        print(f"warning: {for_terminal(w, newlines=False)}", file=sys.stderr)
    now = f"now {after.score:g} by {after.by} (#{after.id})" if after else "now unscored by a TA"
    print(for_terminal(f"undid #{last.id}: {last.student} {last.check_id} = {last.score:g} by {last.by}; {now} "
                       "(both stay in --history)", newlines=False))
    return 0


def _default_by() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "") or "unknown"


def cmd_review(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)
    confirmed = _readings(args)
    if confirmed is not None:
        return confirmed
    if args.remove:
        if args.set or args.overrides is not None or args.student or args.submission or args.comment or args.by:
            return _usage("--remove goes alone (no --set, --overrides, --student, --comment, --by)")
        if not args.results.is_dir():
            return _usage(f"{args.results}: no such results folder")
        return _remove(args.results, args.remove, assignment=args.assignment)
    writing = bool(args.set) or args.overrides is not None or args.undo
    if not writing and (args.submission or args.comment or args.by):
        return _usage("--submission/--comment/--by go with --set")
    if args.same_answer and not args.set:
        return _usage("--same-answer goes with --set")
    if args.undo and (args.set or args.overrides is not None):
        return _usage("--undo goes alone (with --student/--question to choose whose score)")
    if args.set and not args.student:
        return _usage("--set needs --student (the student id or submission name it is for)")
    if args.set and args.overrides:
        return _usage("give --set or --overrides, not both")
    if not args.results.is_dir():
        return _usage(f"{args.results}: no such results folder")
    try:
        with Gradebook.open(args.results, create=False, exclusive=writing) as gb:
            assignment = args.assignment or gb.meta("assignment")
            if assignment is None:
                return _usage(f"{gb.path}: no submission has been graded into it yet")
            items = effective_results(gb, assignment)
            if args.history:
                _show(format_history(gb.override_history(assignment)), pager=not args.no_pager)
                return EXIT_OK
            if not writing:
                status = args.status or ("all" if args.all else "pending")
                queue = review_queue(items, include_reviewed=status != "pending")
                queue = filter_queue(queue, question=args.question, student=args.student, status=status)
                _show(format_queue(queue, results_dir=args.results, assignment=assignment), pager=not args.no_pager)
                return EXIT_OK
            by = args.by or _default_by()
            if args.undo:
                return _undo(args, gb, assignment, items, by)
            if args.set:
                entries = [{"student": args.student, "submission": args.submission, "check": c, "score": s,
                            "comment": args.comment, "by": by, "where": f"--set {c}={s}"} for c, s in parse_set(args.set)]
                if args.same_answer:
                    entries += _same_answer_entries(entries, items)
            else:
                entries = load_overrides_file(args.overrides)
            resolved = resolve_entries(entries, checks=checks_of(gb), items=items, default_by=by)
            stored = gb.add_overrides(assignment, resolved)
            from grader.classmode.publish import publish

            report = publish(args.results, gb, assignment, only=sorted({r["target"] for r in resolved}))
            for w in report.warnings:
                print(f"warning: {for_terminal(w, newlines=False)}", file=sys.stderr)
            scores = {e.row.submission: e for e in effective_results(gb, assignment)}
            for o, r in zip(stored, resolved):
                e = scores.get(r["target"])
                if e is not None and e.result is None:
                    total = (f"; not applied yet: {r['target']} could not be graded ({e.row.failure or 'no result'}); "
                             "it applies once it is")
                else:
                    total = f"; {r['target']} now {e.result.score:g} / {e.result.max_score:g}" if e and e.result else ""
                print(for_terminal(f"recorded {o.check_id} = {o.score:g} for {o.student} by {o.by}{total}",
                                   newlines=False))
            return EXIT_OK
    except ReviewError as err:
        print("error: " + "\n  ".join(err.problems) if len(err.problems) == 1 else
              "error: overrides not recorded:\n  " + "\n  ".join(err.problems), file=sys.stderr)
        return EXIT_USAGE
    except GradebookError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE


def _remove(results: Path, names: Sequence[str], *, assignment: str | None) -> int:
    """`grade review RESULTS --remove NAME ...`: every name is checked before any is removed."""
    from grader.classmode.publish import publish, write_submission_files

    try:
        with Gradebook.open(results, create=False, exclusive=True) as gb:
            assignment = assignment or gb.meta("assignment")
            if assignment is None:
                return _usage(f"{gb.path}: no submission has been graded into it yet")
            known = {r.submission: r for r in gb.current(assignment)}
            unknown = [n for n in names if n not in known]
            if unknown:
                shown = ", ".join(sorted(known)[:8]) + (f", ... ({len(known)} in all)" if len(known) > 8 else "")
                return _usage(f"{results}: no submission named {', '.join(repr(n) for n in unknown)} in {assignment} "
                              f"(submissions: {shown or 'none'}); nothing removed")
            for name in dict.fromkeys(names):
                rows, n_over = gb.remove_submission(assignment, name)
                write_submission_files(results, name, None)
                source = gb.meta("submissions")
                again = f"; it is graded again by the next run if it is still in {source}" if source else ""
                print(for_terminal(f"removed {name} (student {known[name].student}) from {results}: {len(rows)} "
                                   f"stored result(s), {n_over} override(s){again}", newlines=False))
            report = publish(results, gb, assignment, only=[])
            for w in report.warnings:
                print(f"warning: {for_terminal(w, newlines=False)}", file=sys.stderr)
            return EXIT_OK
    except GradebookError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE


def _usage(msg: str) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return EXIT_USAGE
