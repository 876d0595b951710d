"""Check kinds. Each module defines `Spec` (pydantic, `kind: Literal[...]`) and `grade`.

The engine's registry is explicit: adding a generic kind is adding one module and one line
to `MODULES`. It is open to packs: a pack's rubric names its own kinds (`kinds: [...]`,
modules in the pack's `kinds/` folder), and `registry(...)` / `check_union(...)` give the
kinds and the rubric's discriminated union of the engine's kinds plus the pack's.
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Annotated, Any, Union

from pydantic import Field

from grader.checks import (
    allclose,
    best_of,
    choice,
    exact,
    figure,
    form,
    formula,
    layer_table,
    manual,
    matrix,
    number,
    trajectory,
)

MODULES: tuple[ModuleType, ...] = (
    choice,
    manual,
    matrix,
    number,
    layer_table,
    figure,
    allclose,
    exact,
    trajectory,
    formula,
    form,
    best_of,
)


def kind_name(module: ModuleType) -> str:
    """The `kind` a check module defines (its Spec's `kind: Literal["..."]`)."""
    return str(module.Spec.model_fields["kind"].annotation.__args__[0])


REGISTRY: dict[str, ModuleType] = {kind_name(m): m for m in MODULES}

AnyCheck = Annotated[Union[tuple(m.Spec for m in MODULES)], Field(discriminator="kind")]  # type: ignore[valid-type]

best_of.Spec.model_rebuild(_types_namespace={"AnyCheck": AnyCheck})


def registry(extra: tuple[ModuleType, ...] = ()) -> dict[str, ModuleType]:
    """The engine's kinds plus a pack's (`extra`), by kind name."""
    out = dict(REGISTRY)
    out.update({kind_name(m): m for m in extra})
    return out


@functools.cache
def check_union(extra: tuple[ModuleType, ...] = ()) -> Any:
    """The discriminated union of check specs for the engine's kinds plus `extra`; a
    `best_of` in it takes any of them as its alternatives."""
    if not extra:
        return AnyCheck
    best = type("Spec", (best_of.Spec,), {"__annotations__": {"checks": list["AnyCheck"]},  # noqa: F821
                                          "__module__": best_of.__name__, "__qualname__": "best_of.Spec"})
    specs = [m.Spec for m in MODULES if m is not best_of] + [m.Spec for m in extra] + [best]
    union = Annotated[Union[tuple(specs)], Field(discriminator="kind")]  # type: ignore[valid-type]
    best.model_rebuild(_types_namespace={"AnyCheck": union})
    return union
