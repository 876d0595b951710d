"""``grade schema``: the JSON Schema of rubric files, for editors."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    pass

from grader.exits import EXIT_OK


__all__ = ["cmd_schema"]


def cmd_schema(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="grade schema", description="Print the JSON Schema of rubric files.")
    p.parse_args(argv)
    from grader.rubric import json_schema

    print(json.dumps(json_schema(), indent=2, sort_keys=True))
    return EXIT_OK
