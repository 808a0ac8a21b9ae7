"""Weights moved from one framework's layout to another's, through the canonical blocks, and proven equal.

Every recurrent tensor of every framework is a layout of canonical blocks (:mod:`lstmcount.cells`:
U, W, the input- and recurrent-side biases, peepholes, projection) whose placements the report
gives. A conversion reads each cell's blocks out of the source tensors and writes them into the
target's, so that gate order, orientation, fused or split kernels, stacking and directions need
no rule of their own. What differs between two cells beyond placement is decided here, once:

* the biases: two into one (their sum), one into two (the bias and zeros), a GRU candidate's
  recurrent bias that resets after the product (it sits inside ``r ⊙ (W_n h + b_hn)``, so it
  cannot be summed into the input side), none (only zeros convert to none);
* a forget bias the framework adds at run time (TensorFlow 1) is folded into the stored bias;
* peepholes into a cell without them, a GRU that resets before the product into one that resets
  after (or the other way), other activations: refused, never approximated.

The non-recurrent layers move by their roles: a dense kernel in or out of its transposed form,
a convolution kernel's axes into the target's order, vectors reshaped. A layer lstmcount counts
only from its weights (a generic layer) cannot be converted.

After converting, :func:`prove` runs the forward pass in both layouts on one random batch in
float64 and reports the largest difference of the outputs and the final states.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lstmcount import frameworks
from lstmcount.cells import Biases, CellSpec, Kind, Param
from lstmcount.errors import UsageError, in_spec_terms
from lstmcount.frameworks.base import Role, States
from lstmcount.model.report import LayerReport
from lstmcount.model.spec import GRUSpec, LayerType, ModelSpec, RecurrentSpec
from lstmcount.numeric import forward as fw_pass
from lstmcount.numeric.forward import Model

Array = Any
#: largest difference of the two passes (float64) that still proves a conversion
TOLERANCE = 1e-6


class ConversionError(UsageError):
    """A conversion that cannot be exact: the reason, in one line (exit code 2)."""


@dataclass
class Conversion:
    """Weights in the target's layout, the rules applied, and whether the way back is exact too."""

    source: Model
    target: Model
    #: the source's tensors and the target's, by path
    source_weights: Mapping[str, Array]
    weights: dict[str, Array]
    #: what was done beyond moving blocks (biases summed or split, a forget bias folded), per layer
    notes: list[str] = field(default_factory=list)
    #: why converting the result back would give the same function but not the source's tensors
    one_way: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Proof:
    """The largest differences between the two forward passes on the same batch."""

    output: float
    states: float
    batch: int
    steps: int

    @property
    def ok(self) -> bool:
        """Whether both are within :data:`TOLERANCE`."""
        return self.output <= TOLERANCE and self.states <= TOLERANCE


def retarget(source: Model, target: str) -> ModelSpec:
    """The source's model in ``target``'s conventions, computing as the source's cells do.

    A recurrent class the target lacks becomes its default; a GRU's reset (before or after the
    recurrent product), which the source's framework may fix without the spec saying so, is
    written out, so that the target builds the same function or refuses it.
    """
    fw = frameworks.get(target)
    resets = {layer.spec_index: layer.cells[0].cell.reset_after for layer in source.report.layers if layer.cells}
    layers = []
    for i, layer in enumerate(source.spec.layers):
        if isinstance(layer, RecurrentSpec) and layer.cell_class is not None:
            names = [n.lower() for n in fw.class_names(Kind(layer.TYPE.value))]
            if layer.cell_class.lower() not in names:
                layer = dataclasses.replace(layer, cell_class=None)
        if isinstance(layer, GRUSpec) and layer.reset_after is None and i in resets:
            layer = dataclasses.replace(layer, reset_after=resets[i])
        layers.append(layer)
    return dataclasses.replace(source.spec, framework=fw.id, layers=tuple(layers))


def convert(source: Model, weights: Mapping[str, Array], target: str) -> Conversion:
    """``weights`` (the source's tensors, by path) in ``target``'s layout; a conversion that is not exact is refused."""
    from lstmcount.errors import SpecError

    try:
        built = fw_pass.build(retarget(source, target))
    except SpecError as exc:
        where, why = _where(source, exc.path), in_spec_terms(exc.message)
        raise ConversionError(f"{frameworks.get(target).display} cannot hold this model: {where}{why}") from None
    conversion = Conversion(source, built, weights, {})
    targets: dict[tuple[int, int], LayerReport] = {}  # (spec layer, stacked layer) -> the layer holding it
    for layer in built.report.layers:
        for key in [(layer.spec_index, c.stack_index) for c in layer.cells] or [(layer.spec_index, -1)]:
            targets.setdefault(key, layer)
    for layer in source.report.layers:
        if layer.recurrent:
            for info in layer.cells:
                other = targets[layer.spec_index, info.stack_index]
                _recurrent(conversion, layer, other, weights, info.stack_index)
        else:
            _plain(conversion, layer, targets[layer.spec_index, -1], weights)
    return conversion


def _where(source: Model, path: str | None) -> str:
    """The layer a spec path (``layers[0].proj_size``) points at, by its name in the source: ``layer 'lstm': ``."""
    import re

    found = re.match(r"layers\[(\d+)\]", path or "")
    if found is None:
        return ""
    names = [layer.name for layer in source.report.layers if layer.spec_index == int(found.group(1))]
    return f"layer {names[0]!r}: " if names else ""


def _recurrent(conv: Conversion, src: LayerReport, dst: LayerReport, weights: Mapping[str, Array], k: int) -> None:
    """Stacked layer ``k`` of a recurrent layer: each direction's blocks gathered, adjusted, placed in the target."""
    dtype = _dtype(src, weights)
    for t in dst.tensors:
        if t.path not in conv.weights and any(t.holds(k, d) for d in range(dst.directions)):
            conv.weights[t.path] = np.zeros(t.shape, dtype=dtype)
    source = next(c.cell for c in src.cells if c.stack_index == k)
    target = next(c.cell for c in dst.cells if c.stack_index == k)
    for d in range(src.directions):
        blocks = _adjust(conv, src, source, target, _gather(src, weights, k, d))
        _place(dst, conv.weights, blocks, k, d)


def _dtype(layer: LayerReport, weights: Mapping[str, Array]) -> Any:
    kinds = [np.asarray(weights[t.path]).dtype for t in layer.tensors]
    return np.result_type(*kinds) if kinds else np.float32


def _gather(layer: LayerReport, weights: Mapping[str, Array], k: int, d: int) -> dict[tuple[Param, str], Array]:
    """Cell ``(k, d)``'s blocks, each in the canonical (column-vector) orientation."""
    spec = next(c.cell for c in layer.cells if c.stack_index == k)
    blocks: dict[tuple[Param, str], Array] = {}
    for t in layer.tensors:
        if not t.holds(k, d):
            continue
        a = np.asarray(weights[t.path])
        for p in t.placements:
            if p.direction in (None, d):
                blocks[p.param, p.role] = np.array(p.read(a, spec.block_shape(p.param)))
    return blocks


def _place(layer: LayerReport, out: dict[str, Array], blocks: dict[tuple[Param, str], Array], k: int, d: int) -> None:
    """Write cell ``(k, d)``'s blocks into the target tensors, in their stored orientation."""
    for t in layer.tensors:
        if not t.holds(k, d):
            continue
        for p in t.placements:
            if p.direction not in (None, d):
                continue
            block = blocks.get((p.param, p.role))
            if block is None:
                continue  # a block the source lacks and the target keeps: zeros (decided in _adjust)
            p.write(out[t.path], block)


def _adjust(
    conv: Conversion, layer: LayerReport, src: CellSpec, dst: CellSpec, blocks: dict[tuple[Param, str], Array]
) -> dict[tuple[Param, str], Array]:
    """The source cell's blocks as the target cell keeps them, or the reason it cannot."""
    where = f"layer {layer.name!r}"
    target = conv.target.report.framework_display
    if src.kind is not dst.kind or (src.inputs, src.units, src.proj) != (dst.inputs, dst.units, dst.proj):
        raise ConversionError(f"{where}: the target's cell has other sizes")  # pragma: no cover - one spec
    if src.kind is Kind.GRU and src.reset_after != dst.reset_after:
        when = {True: "after", False: "before"}
        raise ConversionError(
            f"{where}: the GRU applies its reset gate {when[src.reset_after]} the recurrent product, "
            f"{target}'s {when[dst.reset_after]} it; the two compute different functions"
        )
    if src.peepholes and not dst.peepholes:
        raise ConversionError(f"{where}: the LSTM has peepholes, which {target}'s LSTM does not")
    if (src.gate_activation, src.cell_activation) != (dst.gate_activation, dst.cell_activation):
        raise ConversionError(
            f"{where}: activations {src.gate_activation}/{src.cell_activation} are not "
            f"{target}'s {dst.gate_activation}/{dst.cell_activation}"
        )
    out = {key: value for key, value in blocks.items() if key[0] not in (Param.BX, Param.BH)}
    roles = list(dict.fromkeys(role for (param, role) in blocks if param in (Param.U, Param.W)))
    h = src.units
    bx = {r: blocks.get((Param.BX, r), np.zeros(h)) for r in roles}
    bh = {r: blocks[(Param.BH, r)] for r in roles if (Param.BH, r) in blocks}
    if src.kind is Kind.LSTM and src.forget_bias != dst.forget_bias:  # a run-time forget bias, stored instead
        bx["f"] = bx["f"] + (src.forget_bias - dst.forget_bias)
        conv.notes.append(
            f"{where}: the forget gate's bias added at run time is {src.forget_bias:g} in the source and "
            f"{dst.forget_bias:g} in {target}, so the stored forget bias changes by "
            f"{src.forget_bias - dst.forget_bias:+g}"
        )
    inside = "n" if src.kind is Kind.GRU and src.reset_after else None  # b_hn sits inside r ⊙ (...)
    if dst.biases is Biases.TWO:
        for r in roles:
            out[Param.BX, r] = bx[r]
            out[Param.BH, r] = bh.get(r, np.zeros(h))
        if len(bh) < len(roles):
            conv.notes.append(f"{where}: the recurrent-side biases the source lacks are zeros")
    elif dst.biases in (Biases.ONE, Biases.HN):
        keep = inside if dst.biases is Biases.HN else None
        for r in roles:
            if r == keep:
                out[Param.BX, r] = bx[r]
                out[Param.BH, r] = bh.get(r, np.zeros(h))
            elif r == inside and r in bh:
                if np.any(bh[r]):
                    raise ConversionError(
                        f"{where}: the GRU's recurrent candidate bias b_hn sits inside r ⊙ (W_n h + b_hn); "
                        f"{target}'s cell has nowhere to put it"
                    )
                out[Param.BX, r] = bx[r]
                conv.notes.append(f"{where}: its recurrent candidate bias b_hn is zero, and is left out")
            else:
                out[Param.BX, r] = bx[r] + bh.get(r, 0.0)
        summed = [r for r in roles if r in bh and r != keep and r != inside]
        if summed:
            conv.notes.append(f"{where}: the input- and recurrent-side biases are summed into one")
            conv.one_way.append(
                f"{where}: its two biases become their sum, which converting back keeps as the sum and zeros"
            )
    elif src.biases is not Biases.NONE:
        if any(np.any(v) for v in (*bx.values(), *bh.values())):
            raise ConversionError(f"{where}: the cell has biases, {target}'s has none")
        conv.notes.append(f"{where}: its biases are zero, and are left out")
    if dst.peepholes and not src.peepholes:
        conv.notes.append(f"{where}: the target's peepholes are zeros")
    return out


def _plain(conv: Conversion, src: LayerReport, dst: LayerReport, weights: Mapping[str, Array]) -> None:
    """A non-recurrent layer's tensors by role: kernels reoriented, vectors reshaped."""
    if not src.tensors:
        return
    if src.type is LayerType.GENERIC:
        raise ConversionError(f"layer {src.name!r} is counted from its weights only; lstmcount cannot convert it")
    a, b = frameworks.get(conv.source.report.framework), frameworks.get(conv.target.report.framework)
    mine = {t.role: np.asarray(weights[t.path]) for t in src.tensors}
    for t in dst.tensors:
        value = mine.get(t.role)
        if value is None:
            raise ConversionError(f"layer {src.name!r}: the source has no {t.role.value} for {t.path}")
        if t.role is Role.KERNEL and src.type is LayerType.DENSE:
            canonical = value.T if a.out_features_first else value  # (I, F)
            value = canonical.T if b.out_features_first else canonical
        elif t.role is Role.KERNEL and src.type is LayerType.CONV1D:
            canonical = value.transpose([a.conv_kernel.index(axis) for axis in "KIF"])
            value = canonical.transpose(["KIF".index(axis) for axis in b.conv_kernel])
        value = np.ascontiguousarray(value).reshape(t.shape)
        conv.weights[t.path] = value


def prove(conv: Conversion, *, batch: int = 2, steps: int = 5, seed: int = 0) -> Proof:
    """Run both layouts on one random batch in float64; the largest differences of outputs and states."""
    source = fw_pass.build(conv.source, timesteps=conv.source.spec.input.timesteps or steps)
    target = fw_pass.build(conv.target, timesteps=conv.source.spec.input.timesteps or steps)
    steps = source.spec.input.timesteps or steps
    x = fw_pass.random_input(source, batch, steps, seed, np.float64)
    a = fw_pass.run(source, {k: np.asarray(v, np.float64) for k, v in conv.source_weights.items()}, x, dtype=np.float64)
    b = fw_pass.run(target, {k: np.asarray(v, np.float64) for k, v in conv.weights.items()}, x, dtype=np.float64)
    out_a, out_b = _canonical_output(source, a), _canonical_output(target, b)
    output = float(np.max(np.abs(out_a - out_b))) if out_a.size else 0.0
    sa, sb = _all_states(source, a), _all_states(target, b)
    states = max((float(np.max(np.abs(value - sb[key]))) for key, value in sa.items()), default=0.0)
    return Proof(output, states, batch, steps)


def _canonical_output(model: Model, result: Any) -> Array:
    """The model output with the batch first and features last (a channels-first convolution transposed back)."""
    out = np.asarray(result.output)
    last = model.report.layers[-1]
    if last.type is LayerType.CONV1D and model.fw.conv_channels_first:
        out = out.transpose(0, 2, 1)
    return out


def _all_states(model: Model, result: Any) -> dict[tuple[int, int, int, str], Array]:
    """Every recurrent layer's final states by (spec layer, stacked layer, direction, h or c)."""
    out: dict[tuple[int, int, int, str], Array] = {}
    for layer, produced in zip(model.report.layers, result.layers, strict=True):
        if layer.recurrent:
            for (k, d, kind), value in _canonical_states(model, layer, produced.states).items():
                out[layer.spec_index, k, d, kind] = value
    return out


def _canonical_states(model: Model, layer: LayerReport, states: tuple[Array, ...]) -> dict[tuple[int, int, str], Array]:
    """A recurrent layer's final states by (stacked layer, direction, h or c), whatever the framework's layout."""
    kinds = ("h", "c") if layer.type is LayerType.LSTM else ("h",)
    out: dict[tuple[int, int, str], Array] = {}
    cells = [c.stack_index for c in layer.cells]
    if model.fw.states is States.STACKED:
        for n, kind in enumerate(kinds):
            for i, k in enumerate(cells):
                for d in range(layer.directions):
                    out[k, d, kind] = np.asarray(states[n])[i * layer.directions + d]
        return out
    order = kinds if model.fw.states is States.PER_CELL_HC else tuple(reversed(kinds))
    flat = iter(states)
    for k in cells:
        for d in range(layer.directions):
            for kind in order:
                out[k, d, kind] = np.asarray(next(flat))
    return out


def read_source(
    path: str, framework: str | None = None, spec_path: str | None = None
) -> tuple[Model, dict[str, Array]]:
    """The model and its weights by tensor path: a model file read as ``inspect`` reads it, or a spec and weights."""
    if spec_path is None:
        from lstmcount.importers import inspect
        from lstmcount.model.spec import spec_from_dict
        from lstmcount.numeric.filedata import bound_values

        found = inspect(path, framework)
        return Model(spec_from_dict(found.spec), found.report), dict(bound_values(found))
    from lstmcount.io.loader import load_spec
    from lstmcount.numeric.weights import check_weights, read_weights

    model = fw_pass.build(load_spec(spec_path), framework)
    check = check_weights(model.report, read_weights(path, "SRC"))
    if not check.ok:
        raise UsageError(f"{path}: its tensors are not the spec's: " + "; ".join(check.lines()[:3]))
    return model, dict(check.weights)


def select(conv: Conversion, layer: str) -> dict[str, Array]:
    """One layer's target tensors (the layer named as in the source), by their names within it: its own state dict."""
    names = {x.name: x.spec_index for x in conv.source.report.layers}
    if layer not in names:
        raise UsageError(f"--layer: no layer {layer!r}; the model's are {', '.join(names)}")
    sep = conv.target.fw.path_sep
    out = {}
    for target in conv.target.report.layers:
        if target.spec_index != names[layer]:
            continue
        for t in target.tensors:
            prefix = f"{target.name}{sep}"
            name = t.path[len(prefix) :] if t.path.startswith(prefix) else t.path
            if name in out:
                raise UsageError(
                    f"--layer: {layer!r} is several layers in {conv.target.report.framework_display}, "
                    "whose tensors have the same names within each; write the whole model"
                )
            out[name] = conv.weights[t.path]
    return out


#: how a table of conversions marks each pair
MARKS = {"exact": "=", "one_way": "Σ", "refused": "✗", "none": "·"}


def outcome(kind: str, source: str, target: str) -> str:
    """What converting a one-layer model of ``kind`` (random weights and biases) from ``source`` to ``target`` gives.

    ``exact`` (converting back gives the same tensors), ``one_way`` (the same function, but two
    biases become one sum), ``refused``, or ``none`` when the source has no such layer.
    """
    from lstmcount.errors import SpecError

    try:
        model = fw_pass.build({"framework": source, "input": {"features": 3}, "layers": [{"type": kind, "units": 2}]})
    except SpecError:
        return "none"
    weights = fw_pass.init_weights(model, 0, np.float64)
    for value in weights.values():
        value += 0.5  # every bias nonzero: a bias with nowhere to go is refused, not dropped
    try:
        conv = convert(model, weights, target)
    except ConversionError:
        return "refused"
    return "one_way" if conv.one_way else "exact"


def table(kind: str) -> str:
    """The Markdown table of every conversion of a one-layer ``kind`` model: sources by row, targets by column."""
    ids = [fw.id for fw in frameworks.every()]
    lines = ["| from \\ to | " + " | ".join(f"`{i}`" for i in ids) + " |", "|---|" + "---|" * len(ids)]
    for source in ids:
        marks = [MARKS[outcome(kind, source, target)] for target in ids]
        lines.append(f"| `{source}` | " + " | ".join(marks) + " |")
    return "\n".join(lines)
