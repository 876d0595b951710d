"""`grade schema` describes every field, the pack's own kinds included (issue 16.5)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from packs_testing import HW1_PACK

from grader.cli import main
from grader.packs import Pack


def _fields(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, node in [("(rubric)", schema), *schema["$defs"].items()]:
        for field, prop in node.get("properties", {}).items():
            yield f"{name}.{field}", prop


def test_every_field_of_every_kind_is_described(skeleton: Pack, capsys) -> None:
    for rubric in (HW1_PACK / "rubric.yaml", skeleton.rubric_path):
        assert main(["schema", "--rubric", str(rubric)]) == 0
        schema = json.loads(capsys.readouterr().out)
        fields = dict(_fields(schema))
        assert len(fields) > 100
        assert [name for name, prop in fields.items() if not prop.get("description")] == []
        kinds = {n for n in schema["$defs"] if n.startswith("check_")}
        assert {"check_allclose", "check_manual", "check_best_of"} <= kinds
        assert all(schema["$defs"][k].get("description") for k in kinds)  # the kind's module docstring
    assert "check_interval" in kinds and "check_threshold_unit" not in kinds  # the skeleton's kinds, not HW1's
    assert "the smallest accepted value" in schema["$defs"]["check_interval"]["properties"]["low"]["description"]
    assert main(["schema"]) == 0  # the engine's kinds only: no pack's
    assert "check_interval" not in json.loads(capsys.readouterr().out)["$defs"]
