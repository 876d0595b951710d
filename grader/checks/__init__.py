"""Check kinds. Each module defines `Spec` (pydantic, `kind: Literal[...]`) and `grade`.

The registry is explicit: adding a kind is adding one module and one line to `MODULES`."""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Annotated, TypeAlias, Union

from pydantic import Field

from grader.checks import (
    allclose,
    best_of,
    choice,
    conv_size,
    exact,
    figure,
    form,
    formula,
    layer_table,
    madaline_pair,
    manual,
    matrix,
    number,
    threshold_unit,
    trajectory,
)

from grader.checks.base import CheckSpecBase

MODULES: tuple[ModuleType, ...] = (
    choice,
    manual,
    threshold_unit,
    madaline_pair,
    conv_size,
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

REGISTRY: dict[str, ModuleType] = {m.Spec.model_fields["kind"].annotation.__args__[0]: m for m in MODULES}

if TYPE_CHECKING:  # statically, every kind's spec is a CheckSpecBase; pydantic validates the union
    AnyCheck: TypeAlias = CheckSpecBase
else:
    AnyCheck = Annotated[Union[tuple(m.Spec for m in MODULES)], Field(discriminator="kind")]

best_of.Spec.model_rebuild(_types_namespace={"AnyCheck": AnyCheck})
