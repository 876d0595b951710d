"""The `grade` command line: dispatches to one module of ``grader.commands`` per command
and turns what escapes into an exit code and one line.

    grade PATH [--assignment NAME] [--json FILE] [--device auto|cpu|cuda] [--fail-under N] [--quiet]
    grade PATH --out RESULTS           a class folder (class mode, ``grader.classmode``)
    grade schema [--assignment NAME]   print the rubric JSON Schema
    grade validate NAME                check an assignment pack and grade its examples
    grade new-assignment NAME          create an assignment pack that validates at once
    grade student-kit | gradescope-package | review | export | extract | serve | submit

The assignment is never a silent default: --rubric, --assignment, the submission's answers
file (`assignment: NAME`) or the only assignment installed (grader.packs.choose_rubric).

Exit codes (``grader.exits``): 0 grading completed (whatever the score), 3 --fail-under not
met, 2 usage, submission-path or rubric errors, 1 internal error (one-line cause; traceback
with --debug), 4 class mode completed but some submission could not be graded, 130
interrupted.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from pathlib import Path
from typing import Callable, Sequence

from grader.exits import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE


def _lazy(module: str, name: str) -> Callable[[Sequence[str]], int]:
    """A command whose module is imported only when the command runs."""
    return lambda argv: getattr(importlib.import_module(module), name)(argv)


COMMANDS: dict[str, Callable[[Sequence[str]], int]] = {
    "schema": _lazy("grader.commands.packs", "cmd_schema"),
    "student-kit": _lazy("grader.commands.kit", "cmd_student_kit"),
    "gradescope-package": _lazy("grader.commands.kit", "cmd_gradescope_package"),
    "review": _lazy("grader.commands.review", "cmd_review"),
    "export": _lazy("grader.commands.export", "cmd_export"),
    "extract": _lazy("grader.commands.extract", "cmd_extract"),
    "serve": _lazy("grader.commands.serve", "cmd_serve"),  # the HTTP service (issue 18)
    "submit": _lazy("grader.commands.serve", "cmd_submit"),
    "validate": _lazy("grader.commands.packs", "cmd_validate"),
    "new-assignment": _lazy("grader.commands.packs", "cmd_new_assignment"),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command with stdout and stderr escaped for a terminal (see
    ``grader.report.terminal``): whatever a submission holds, nothing it names or writes
    reaches the TA's terminal as a control sequence.

    Without `argv` (the process's own command line: `grade`, `python -m grader`) the
    process ends here once the command is done (`end_process`); with `argv` (a caller in
    Python, the tests) it returns the exit code."""
    from grader.report.escape import TerminalStream

    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = TerminalStream(out), TerminalStream(err)
    try:
        code = _main(argv)
    finally:
        sys.stdout, sys.stderr = out, err
    if argv is None:
        end_process(code)
    return code


def end_process(code: int) -> None:
    """End the process now that the command is done: the exit handlers run (atexit:
    weakref finalizers such as a sandbox's, logging's flush), the standard streams are
    flushed, and the interpreter's teardown is skipped (os._exit). Once torch is imported
    that teardown (every module's objects freed one by one, torch's libraries unloaded)
    takes about 0.5 s on a 2-core machine: a quarter of a cold `grade` (issue 20), for
    nothing the process still needs. Returns instead (the normal exit) while a non-daemon
    thread runs, which that exit waits for, or where CPython has no atexit._run_exitfuncs."""
    import atexit
    import os
    import threading

    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    main_thread = threading.main_thread()
    if run_exit_handlers is None or any(t is not main_thread and not t.daemon and t.is_alive() for t in threading.enumerate()):
        return
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: as the normal exit would say, exit status 120
            code = code or 120
    os._exit(code)


def _main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        if argv and argv[0] in COMMANDS and not Path(argv[0]).exists():
            return COMMANDS[argv[0]](argv[1:])
        from grader.commands.grade import cmd_grade

        return cmd_grade(argv)
    except SystemExit as exc:  # argparse: --help (0) or usage errors (2)
        return int(exc.code or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as err:  # noqa: BLE001 - the last resort: one line, traceback on --debug
        kind = _usage_error(err)
        if kind == "rubric":
            print("rubric error:\n  " + "\n  ".join(err.problems), file=sys.stderr)  # type: ignore[attr-defined]
            return EXIT_USAGE
        if kind == "usage":
            print(f"error: {err}", file=sys.stderr)
            return EXIT_USAGE
        if debug:
            traceback.print_exc()
        print(f"internal error: {type(err).__name__}: {err} (run with --debug for the traceback)", file=sys.stderr)
        return EXIT_INTERNAL


# The errors that are the user's (exit 2), by the module that defines them, looked up only
# once an error is raised: importing these modules first (the rubric's pydantic models,
# the packs) would delay what a command does first, e.g. `grade` starting its sandbox.
_USAGE_ERRORS = (("grader.rubric", "RubricError", "rubric"), ("grader.submission", "SubmissionError", "usage"),
                 ("grader.exits", "UsageError", "usage"), ("grader.device", "DeviceError", "usage"),
                 ("grader.late", "LateError", "usage"), ("grader.packs", "PackError", "usage"))


def _usage_error(err: Exception) -> str | None:
    """"rubric" for a RubricError, "usage" for another error of the user's, else None. A
    module not imported yet defines no class that `err` could be an instance of."""
    for module, name, kind in _USAGE_ERRORS:
        cls = getattr(sys.modules.get(module), name, None)
        if isinstance(cls, type) and isinstance(err, cls):
            return kind
    return None


if __name__ == "__main__":
    raise SystemExit(main())
