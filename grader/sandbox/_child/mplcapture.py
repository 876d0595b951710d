"""A matplotlib backend for student code: headless (Agg), and `plt.show()` hands the open
figures to the notebook being run (captured as PNGs, then closed, as Jupyter's inline
backend does) instead of opening a window or blocking. Selected by
`notebook.use_capture_backend` as ``module://<this package>.mplcapture``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg

FigureCanvas = FigureCanvasAgg
# The running notebook's capture function (a list, mutated in place, so this module's
# namespace never changes once the zygote loaded it); empty: show() does nothing.
SINK: list[Callable[[], None]] = []


def show(*args: Any, **kwargs: Any) -> None:
    """Capture and close the open figures (never blocks)."""
    if SINK:
        SINK[-1]()
