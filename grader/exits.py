"""Exit codes of ``grade`` and `UsageError`, defined once, at the bottom of the layers: the
commands (``grader.cli``, ``grader.commands``) return them, and so does class mode's run
(``grade DIR``), without any library module importing the CLI.

0 done (whatever the score); 1 internal error (one-line cause, the traceback with
--debug); 2 usage, submission-path or rubric errors; 3 ``--fail-under`` not met; 4 class
mode completed but some submission could not be graded; 130 interrupted."""

from __future__ import annotations

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_FAIL_UNDER = 3
EXIT_UNGRADED = 4  # class mode: the batch completed, but some submission could not be graded
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """A problem with what the user asked for: shown as one line, exit code 2."""
