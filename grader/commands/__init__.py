"""The command layer: one module per ``grade`` subcommand (``cmd_*(argv) -> exit code``)
over the library; ``grader.cli`` dispatches to them. Exit codes and `UsageError` come from
``grader.exits`` (the library below returns and raises them too, never importing the CLI)."""
