"""The command layer: one module per ``grade`` subcommand (``cmd_*(argv) -> exit code``)
over the library; ``grader.cli`` dispatches to them. Exit codes and `UsageError` come from
``grader.exits`` (the library below returns and raises them too, never importing the CLI)."""

# What `grade --help` lists (grader.cli dispatches each to its module).
COMMAND_HELP: dict[str, str] = {
    "schema": "print the JSON Schema of rubric files (with an assignment's own check kinds)",
    "validate": "check an assignment pack and grade its examples",
    "new-assignment": "create an assignment pack that validates and grades its example at once",
    "student-kit": "build a student kit (public checks, stubs, CI workflow)",
    "gradescope-package": "build Gradescope's autograder zip",
    "review": "the manual-review queue; record, undo and list TA scores",
    "export": "write the class's grades as CSV / JSON Lines",
    "extract": "print the answers extracted from a write-up",
    "serve": "the verification service: students submit and get feedback over HTTP",
    "submit": "send a submission to a running `grade serve` and print its summary",
}
