"""Pictures of a count report as SVG: the cell, its fused tensors, the unrolled sequence and the model.

Each view is a function from report objects to a :class:`~lstmcount.draw.svg.Canvas`; the
numbers in a picture are the report's, read through :mod:`lstmcount.draw.common`.
"""

from __future__ import annotations

from collections.abc import Sequence

from lstmcount.draw.svg import Canvas
from lstmcount.model.report import Report

#: the views ``draw --view`` offers
VIEWS = ("cell", "tensors", "unrolled", "model")
#: time steps the unrolled view shows when the model does not fix them
DEFAULT_STEPS = 3


def draw(reports: Sequence[Report], view: str, *, layer: str | None = None, steps: int | None = None) -> Canvas:
    """The picture ``view`` of the first report (the tensors view sets every report side by side)."""
    if view == "cell":
        from lstmcount.draw.cell import draw_cell

        return draw_cell(reports[0], layer)
    if view == "tensors":
        from lstmcount.draw.tensors import draw_tensors

        return draw_tensors(reports, layer)
    if view == "unrolled":
        from lstmcount.draw.unrolled import draw_unrolled

        return draw_unrolled(reports[0], layer, steps or DEFAULT_STEPS)
    if view == "model":
        from lstmcount.draw.layers import draw_model

        return draw_model(reports[0])
    raise ValueError(f"unknown view {view!r}")
