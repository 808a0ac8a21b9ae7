"""What a picture must show, taken from the count report, and the check that the drawn items say it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from lstmcount.counting.counter import fmt
from lstmcount.model.report import Report
from lstmcount.renderers.report import shape_text

Item = tuple[str, ...]


def _recurrent(reports: Sequence[Report], layer: str | None) -> list[Any]:
    first = [x for x in reports[0].layers if x.recurrent and (layer is None or x.name == layer)]
    indices = {x.spec_index for x in first}
    return [(r, x) for r in reports for x in r.layers if x.recurrent and x.spec_index in indices]


def expected(reports: Sequence[Report], view: str, layer: str | None = None) -> set[Item]:
    """The items the view must draw, each as the data it carries, read from the reports."""
    out: set[Item] = set()
    if view == "cell":
        _, chosen = _recurrent(reports[:1], layer)[0]
        info = chosen.cells[0]
        for t in chosen.tensors:
            if t.holds(info.stack_index, 0):
                for p in t.placements:
                    if p.direction in (None, 0):
                        out.add(("block", t.path, p.text(t.shape), ",".join(map(str, p.stored)), str(p.size)))
    elif view == "tensors":
        for _, x in _recurrent(reports, layer):
            for t in x.tensors:
                for p in t.placements:
                    out.add(("block", t.path, p.text(t.shape), ",".join(map(str, p.stored)), str(p.size)))
    elif view == "unrolled":
        for _, x in _recurrent(reports[:1], layer):
            for info in x.cells:
                for d in range(x.directions):
                    out.add(("weights", x.name, str(info.stack_index), str(d), str(info.cell.params)))
    else:
        for x in reports[0].layers:
            out.add(("layer", x.name, str(x.params), shape_text(x.output_shape)))
    return out


def drawn(groups: Iterable[dict[str, str]], view: str) -> set[Item]:
    """The items a picture carries, from its groups' ``data-*`` attributes (keys without the prefix)."""
    out: set[Item] = set()
    for d in groups:
        if view in ("cell", "tensors") and "path" in d:
            out.add(("block", d["path"], d["at"], d["shape"], d["params"]))
        elif view == "unrolled" and "stack" in d:
            out.add(("weights", d["layer"], d["stack"], d["direction"], d["params"]))
        elif view == "model" and d.get("layer"):
            out.add(("layer", d["layer"], d["params"], d["shape"]))
    return out


def text_problems(texts: dict[Item, list[str]], view: str) -> list[str]:
    """Items whose visible text does not show their own shape and count."""
    problems = []
    for item, shown in texts.items():
        joined = " ".join(shown)
        if view in ("cell", "tensors") and item[0] == "block" and shown:
            dims = tuple(int(v) for v in item[3].split(","))
            if shape_text(dims) not in joined:
                problems.append(f"{item}: shape {shape_text(dims)} not in {joined!r}")
            if view == "tensors" and item[2] not in joined:
                problems.append(f"{item}: index {item[2]} not in {joined!r}")
            if view == "cell" and fmt(int(item[4])) not in joined and len(shown) > 1:
                problems.append(f"{item}: count {fmt(int(item[4]))} not in {joined!r}")
        if view == "unrolled" and item[0] == "weights" and fmt(int(item[4])) not in joined:
            problems.append(f"{item}: count {fmt(int(item[4]))} not in {joined!r}")
        if view == "model" and item[0] == "layer" and (fmt(int(item[2])) not in joined or item[3] not in joined):
            problems.append(f"{item}: {item[3]} and {fmt(int(item[2]))} not both in {joined!r}")
    return problems
