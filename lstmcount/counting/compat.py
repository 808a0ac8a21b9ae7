"""The MAC counts that other PyTorch tools print for a model, reproduced from the count report.

Each tool has its own rule for recurrent layers; each rule here was read from the tool's
source and checked against the tool itself (``tests/conformance/test_costs_tools.py``):

* torchinfo 1.8.0 (``layer_info.py``, ``calculate_macs``): every parameter of an RNN module
  times ``output.shape[0] * output.shape[1]`` (batch × steps); every ``weight``/``bias`` of
  other modules times ``output.shape[0]`` only (conv: times the output positions too).
* thop 0.1.1 (``rnn_hooks.py``): a fixed cell formula, ``(I + H)·H + H`` per gate plus
  ``2·H`` for the biases, plus the gate arithmetic, with every stacked layer's input taken as
  ``hidden_size × directions`` (a projection is ignored); ``nn.Linear`` is ``in_features ×
  output elements``; embeddings have no rule and count 0.
* ptflops 0.7.5 (``pytorch_ops.py``, ``rnn_flops``; pytorch backend): the sizes of
  ``weight_ih``/``weight_hh`` plus both biases plus 10·H (LSTM), 7·H (GRU) or H (RNN) per
  step, times batch × steps, doubled when bidirectional; ``weight_hr`` is left out.
* calflops 0.3.2 (``pytorch_ops.py``, ``_rnn_forward_hook``): recurrent modules add FLOPs only,
  so their MACs are 0; ``F.linear`` and ``F.conv1d`` count MACs without bias. calflops
  cannot be imported without ``transformers``, which it does not declare, so it is not in
  the ``compat`` extra; the conformance test runs it when it is importable.
* torchprofile 0.1.0 (``handlers.py``, ``_lstm``): ``4·h·(input + h)`` per step with ``h`` the
  width of ``h_n`` (the projection size when there is one), no biases; ``aten::gru`` and
  ``aten::rnn_tanh`` have no handler and count 0.

The tools measure PyTorch modules. For a report in another framework's layout the same rule
is applied to that report's tensors (the tool's fixed formulas still assume PyTorch's two
bias vectors).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lstmcount import frameworks
from lstmcount.cells import Param
from lstmcount.counting.costs import Placed, layer_steps, output_width
from lstmcount.errors import UsageError
from lstmcount.frameworks.base import Role
from lstmcount.model.report import CellInfo, LayerReport, Report
from lstmcount.model.spec import LayerType

#: Element-wise operations per step that thop and ptflops add for each cell type, per unit.
_THOP_EXTRA = {LayerType.LSTM: 4, LayerType.GRU: 4, LayerType.SIMPLE_RNN: 0}
_PTFLOPS_EXTRA = {LayerType.LSTM: 10, LayerType.GRU: 7, LayerType.SIMPLE_RNN: 1}


def _need(value: int | None, what: str) -> int:
    if value is None:
        raise UsageError(f"the sequence length is unknown: give --timesteps to reproduce {what}")
    return value


def _cell_tensors(layer: LayerReport, cell: CellInfo, params: tuple[Param, ...]) -> int:
    """Elements of the forward direction's blocks ``params`` of one stacked layer."""
    return sum(
        p.size
        for t in layer.tensors
        if t.holds(cell.stack_index, 0)
        for p in t.placements
        if p.param in params and p.direction in (None, 0)
    )


_BIASES = (Param.BX, Param.BH)


def _kernel(layer: LayerReport) -> int:
    return sum(t.params for t in layer.tensors if t.role is Role.KERNEL)


def _has_bias(layer: LayerReport) -> bool:
    return any(t.role in (Role.BIAS, Role.OFFSET) for t in layer.tensors)


def _width_in(layer: LayerReport) -> int:
    return int(layer.input_shape[-1] or 0)


def _width_out(layer: LayerReport) -> int:
    return sum(t.params for t in layer.tensors if t.role is Role.KERNEL) // max(_width_in(layer), 1)


def _positions(p: Placed, batch: int, tool: str) -> int:
    """Rows a per-position layer computes: batch × its steps, or the batch after the last step."""
    return batch * _need(p.steps, tool) if p.sequence else batch


# --------------------------------------------------------------------------- tools


def torchinfo_macs(report: Report, batch: int, timesteps: int | None) -> int:
    """``summary(...).total_mult_adds`` of torchinfo 1.8.0."""
    total = 0
    for p in layer_steps(report, timesteps):
        layer = p.layer
        if layer.recurrent:
            total += batch * _need(p.steps, "torchinfo") * layer.params  # output.shape[:2] = (B, T)
        elif layer.type is LayerType.CONV1D:
            total += layer.params * batch * _need(p.steps, "torchinfo")
        else:
            total += batch * layer.params  # output.shape[0] only: the time axis is not counted
    return total


def _thop_cell(kind: LayerType, in_size: int, h: int, bias: bool) -> int:
    gate = (in_size + h) * h + h + (2 * h if bias else 0)
    if kind is LayerType.LSTM:
        return 4 * gate + 3 * h + h
    if kind is LayerType.GRU:
        return 3 * gate + h + 3 * h
    return gate


def thop_macs(report: Report, batch: int, timesteps: int | None) -> int:
    """``thop.profile(...)`` total ops of thop 0.1.1."""
    total = 0
    for p in layer_steps(report, timesteps):
        layer = p.layer
        if layer.recurrent:
            first, h = layer.cells[0], layer.cells[0].units
            bias = first.bias_vectors > 0
            per_step = _thop_cell(layer.type, first.input_size, h, bias) * layer.directions
            per_step += sum(_thop_cell(layer.type, h * layer.directions, h, bias) for _ in layer.cells[1:]) * (
                layer.directions
            )
            total += per_step * _need(p.steps, "thop") * batch
        elif layer.type is LayerType.DENSE:
            total += _width_in(layer) * _width_out(layer) * _positions(p, batch, "thop")
        elif layer.type is LayerType.CONV1D:
            total += _kernel(layer) * batch * _need(p.steps, "thop")
        elif layer.type is LayerType.LAYER_NORMALIZATION:
            elements = _width_in(layer) * _positions(p, batch, "thop")
            total += 2 * elements * (2 if layer.params else 1)
    return total


def _ptflops_cell(layer: LayerReport, cell: CellInfo) -> int:
    weights = _cell_tensors(layer, cell, (Param.U, Param.W))
    biases = _cell_tensors(layer, cell, _BIASES)
    return weights + _PTFLOPS_EXTRA[layer.type] * cell.units + biases


def ptflops_macs(report: Report, batch: int, timesteps: int | None) -> int:
    """``get_model_complexity_info(..., as_strings=False)`` MACs of ptflops 0.7.5 (pytorch backend)."""
    total = 0
    for p in layer_steps(report, timesteps):
        layer = p.layer
        if layer.recurrent:
            per_step = sum(_ptflops_cell(layer, cell) for cell in layer.cells)
            total += per_step * batch * _need(p.steps, "ptflops") * layer.directions
        elif layer.type is LayerType.DENSE:
            rows = _positions(p, batch, "ptflops")
            total += (_kernel(layer) + (_width_out(layer) if _has_bias(layer) else 0)) * rows
        elif layer.type is LayerType.CONV1D:
            positions = batch * _need(p.steps, "ptflops")
            filters = _conv_filters(layer, report)
            total += _kernel(layer) * positions + (filters * positions if _has_bias(layer) else 0)
        elif layer.type is LayerType.LAYER_NORMALIZATION:
            # the batch-norm hook doubles only when the module has `affine`, which LayerNorm lacks
            total += _width_in(layer) * _positions(p, batch, "ptflops")
    return total


def _conv_filters(layer: LayerReport, report: Report) -> int:
    return output_width(layer, frameworks.get(report.framework).conv_channels_first)


def calflops_macs(report: Report, batch: int, timesteps: int | None) -> int:
    """``calculate_flops(...)`` MACs of calflops 0.3.2: linear and conv products only."""
    total = 0
    for p in layer_steps(report, timesteps):
        layer = p.layer
        if layer.type is LayerType.DENSE:
            total += _kernel(layer) * _positions(p, batch, "calflops")
        elif layer.type is LayerType.CONV1D:
            total += _kernel(layer) * batch * _need(p.steps, "calflops")
    return total


def calflops_flops(report: Report, batch: int, timesteps: int | None) -> int:
    """``calculate_flops(...)`` FLOPs of calflops 0.3.2 (where its recurrent layers show up)."""
    total = 0
    for p in layer_steps(report, timesteps):
        layer = p.layer
        if layer.recurrent:
            per_step = 0
            for cell in layer.cells:
                rows = cell.gates * cell.units
                per_step += 2 * _cell_tensors(layer, cell, (Param.U,)) - rows
                per_step += 2 * _cell_tensors(layer, cell, (Param.W,)) - rows
                per_step += _PTFLOPS_EXTRA[layer.type] * cell.units
                per_step += _cell_tensors(layer, cell, _BIASES)
            total += per_step * batch * _need(p.steps, "calflops") * layer.directions
        elif layer.type is LayerType.DENSE:
            total += 2 * _kernel(layer) * _positions(p, batch, "calflops")
        elif layer.type is LayerType.CONV1D:
            positions = batch * _need(p.steps, "calflops")
            total += 2 * _kernel(layer) * positions
            total += _conv_filters(layer, report) * positions if _has_bias(layer) else 0
        elif layer.type is LayerType.LAYER_NORMALIZATION:
            scale = any(t.role is Role.SCALE for t in layer.tensors)
            total += _width_in(layer) * _positions(p, batch, "calflops") * (5 if scale else 4)
    return total


def torchprofile_macs(report: Report, batch: int, timesteps: int | None) -> int:
    """``profile_macs(model, x)`` of torchprofile 0.1.0."""
    total = 0
    for p in layer_steps(report, timesteps):
        layer = p.layer
        if layer.type is LayerType.LSTM:
            h = layer.cells[0].output_size  # h_n's width: the projection size when there is one
            d = layer.directions
            macs = sum(4 * h * ((c.input_size if c.stack_index == 0 else h * d) + h) for c in layer.cells)
            total += batch * _need(p.steps, "torchprofile") * d * macs
        elif layer.type is LayerType.DENSE:
            total += _kernel(layer) * _positions(p, batch, "torchprofile")
        elif layer.type is LayerType.CONV1D:
            total += _kernel(layer) * batch * _need(p.steps, "torchprofile")
        elif layer.type is LayerType.LAYER_NORMALIZATION and any(t.role is Role.SCALE for t in layer.tensors):
            total += _width_in(layer) * _positions(p, batch, "torchprofile")
    return total


def _torchinfo_text(n: int) -> str:
    """``Total mult-adds`` as torchinfo 1.8.0 prints it (model_statistics.py, to_readable and format_output_num)."""
    name, value = (
        ("TERABYTES", n / 1e12) if n >= 1e12 else ("GIGABYTES", n / 1e9) if n >= 1e9 else ("MEGABYTES", n / 1e6)
    )
    number = f"{int(value):,d}" if value.is_integer() else f"{value:,.2f}"
    return f"Total mult-adds (Units.{name}): {number}"  # its Units enum formats as its name


def _thop_text(n: int) -> str:
    """thop's ``clever_format(macs, "%.3f")`` (utils.py), as its README prints the result of ``profile``."""
    for limit, unit in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if n > limit:
            return f"{n / limit:.3f}{unit}"
    return f"{n:.3f}B"


def _ptflops_text(n: int) -> str:
    """ptflops' ``flops_to_string`` (utils.py), what ``get_model_complexity_info`` returns as a string."""
    for limit, unit in ((10**9, "GMac"), (10**6, "MMac"), (10**3, "KMac")):
        if n // limit > 0:
            return f"{round(n / limit, 2)} {unit}"
    return f"{n} Mac"


def _calflops_text(n: int) -> str:
    """calflops' ``flops_to_string`` (utils.py number_to_string), what ``calculate_flops`` prints and returns."""
    for limit, unit in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if n >= limit:
            return f"{round(n / limit, 2):g} {unit}FLOPS"
    return f"{n:g} FLOPS"


@dataclass(frozen=True)
class Tool:
    """One counting tool: how to reproduce its number, and why it differs from lstmcount's MACs.

    ``headline`` is what the tool leads with (``MACs``, or ``FLOPs`` for calflops, whose MACs of a
    recurrent layer are 0), ``headline_count`` reproduces that number and ``printed`` writes it as
    the tool prints it.
    """

    name: str
    version: str
    count: Callable[[Report, int, int | None], int]
    reason: str
    headline: str
    headline_count: Callable[[Report, int, int | None], int]
    printed: Callable[[int], str]


TOOLS: tuple[Tool, ...] = (
    Tool(
        "torchinfo",
        "1.8.0",
        torchinfo_macs,
        "multiplies every parameter of a recurrent layer, biases included, by batch × steps, but a "
        "dense layer's by the batch only (not per step) and an embedding's table as V·F multiply-adds",
        "MACs",
        torchinfo_macs,
        _torchinfo_text,
    ),
    Tool(
        "thop",
        "0.1.1",
        thop_macs,
        "adds the biases (2·H per gate) and the gate arithmetic to the matrix products, and sizes "
        "stacked layers from hidden_size, ignoring a projection",
        "MACs",
        thop_macs,
        _thop_text,
    ),
    Tool(
        "ptflops",
        "0.7.5",
        ptflops_macs,
        "adds both bias vectors and 10·H (LSTM), 7·H (GRU) or H (RNN) element-wise operations per step, "
        "and leaves out the projection W_hr",
        "MACs",
        ptflops_macs,
        _ptflops_text,
    ),
    Tool(
        "calflops",
        "0.3.2",
        calflops_macs,
        "counts recurrent layers in FLOPs only: 2 per weight element less one per output row, both biases "
        "and the element-wise operations; only linear and conv products count as MACs",
        "FLOPs",
        calflops_flops,
        _calflops_text,
    ),
    Tool(
        "torchprofile",
        "0.1.0",
        torchprofile_macs,
        "counts an LSTM as 4·h·(input + h) per step with h the output width (so a projection shrinks it), "
        "no biases, and GRU and RNN as 0 (no handler)",
        "MACs",
        torchprofile_macs,
        str,
    ),
)

TOOL_NAMES = tuple(t.name for t in TOOLS)


def tool(name: str) -> Tool:
    """The tool called ``name``."""
    for t in TOOLS:
        if t.name == name:
            return t
    raise UsageError(f"unknown tool {name!r} (expected {' | '.join(TOOL_NAMES)})")


def compat_count(name: str, report: Report, batch: int, timesteps: int | None) -> int:
    """The MACs tool ``name`` prints for the model of ``report``."""
    return tool(name).count(report, batch, timesteps)


def compat_counts(report: Report, batch: int, timesteps: int | None) -> list[tuple[str, int, str]]:
    """Every tool's MACs for the model, with the reason it differs: (tool, MACs, reason)."""
    return [(t.name, t.count(report, batch, timesteps), t.reason) for t in TOOLS]


@dataclass(frozen=True)
class Headline:
    """What one tool prints first for the model: its MACs, its headline number (and which) as it prints it."""

    tool: str
    macs: int
    metric: str  # "MACs" or "FLOPs"
    number: int
    printed: str
    reason: str

    def to_dict(self) -> dict[str, object]:
        """The entry of the JSON report's ``costs.compat``."""
        return {
            "tool": self.tool,
            "macs": self.macs,
            "headline": self.metric.lower(),
            "number": self.number,
            "printed": self.printed,
            "reason": self.reason,
        }

    def line(self) -> str:
        """``calflops: 234,752 FLOPs, printed as 234.75 KFLOPS (its MACs: 0; ...)``."""
        head = f"{self.tool}: {self.number:,} {self.metric}, printed as {self.printed!r}"
        macs = f"its MACs: {self.macs:,}; " if self.metric != "MACs" else ""
        return f"{head} ({macs}{self.reason})"


def headlines(report: Report, batch: int, timesteps: int | None) -> list[Headline]:
    """What every tool prints first for the model, as it prints it."""
    out = []
    for t in TOOLS:
        number = t.headline_count(report, batch, timesteps)
        macs = number if t.headline_count is t.count else t.count(report, batch, timesteps)
        out.append(Headline(t.name, macs, t.headline, number, t.printed(number), t.reason))
    return out


__all__ = [
    "TOOLS",
    "TOOL_NAMES",
    "Headline",
    "Tool",
    "calflops_flops",
    "calflops_macs",
    "compat_count",
    "compat_counts",
    "headlines",
    "ptflops_macs",
    "thop_macs",
    "tool",
    "torchinfo_macs",
    "torchprofile_macs",
]
