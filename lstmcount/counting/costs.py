"""Compute and memory costs of a counted model: MACs and FLOPs per step and per sequence, and bytes.

Everything is read from the count report (tensor shapes, cells, gates, directions, layer
shapes), so Keras and PyTorch layouts need no special cases here: a PyTorch LSTM pays for its
second bias vector because the report lists a second bias tensor.

Convention (also in :data:`CONVENTION`, printed with every cost table):

* **MACs** are the multiply-accumulates of matrix products only. Every element of an input
  weight U, a recurrent weight W, a projection W_hr, a dense or conv kernel is used in
  exactly one MAC per time step (per output position) per sequence. LSTM(100→128):
  ``4·(100·128 + 128·128) = 116,736`` MACs per step.
* **FLOPs** are ``2 × MACs`` for the matrix products, plus, listed apart:
  *bias*: one add per bias element per step (PyTorch's ``bias_ih`` and ``bias_hh`` are two);
  *element-wise*: the gate arithmetic (LSTM ``c = f⊙c + i⊙g`` and ``h = o⊙tanh(c)``: 4·H;
  GRU ``h = (1−z)⊙n + z⊙h``, the reset product and, with ``reset_after``, the add joining the
  candidate's two products: 6·H, else 5·H; layer normalization 5·F, plus F for the scale);
  *activation*: one FLOP per sigmoid, tanh or relu evaluation (LSTM 5·H: three sigmoids,
  tanh(g) and tanh(c); GRU 3·H; simple RNN H). Dense and conv activations are not counted
  (the report does not carry them); dropout and embedding lookups cost 0.
* **Per step** is one time step of one sequence (batch 1): both directions of a
  bidirectional layer and every stacked layer are included. **Per sequence** is ``steps ×``
  per step for the layers that run at every step, plus once for layers after the last step.
  **Batch** multiplies by B, or, for packed sequences, runs each sequence only for its own
  length (``--lengths 7,3,1`` is 11 steps, not 21).

Memory is in bytes; activations are float32 (4 bytes; dropout masks 1 byte). The training
estimate (what backpropagation through time keeps) was checked against the tensors PyTorch's
autograd saves on CPU, each storage once (``tests/conformance/test_memory_torch.py``): equal
with oneDNN off, except a bidirectional layer reading the model input, whose reversed copy of
that input is not counted (1–5 %); oneDNN's LSTM kernel keeps a workspace of its own, 2–3 times
the estimate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from lstmcount import frameworks
from lstmcount.cells import Param
from lstmcount.errors import UsageError
from lstmcount.frameworks.base import Role
from lstmcount.model.report import CellInfo, LayerReport, Report
from lstmcount.model.spec import LayerType

CONVENTION = (
    "MACs = multiply-accumulates of matrix products (each weight element once per step); "
    "FLOPs = 2·MACs + bias adds + element-wise gate arithmetic + activations (1 FLOP per "
    "sigmoid/tanh/relu); per step = one time step of one sequence, all directions and stacked layers."
)

#: Bytes per parameter for each storage type.
DTYPE_BYTES: dict[str, int] = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}
#: Optimizer state: float32 values kept per trainable parameter.
OPTIMIZER_SLOTS: dict[str, int] = {"sgd": 0, "momentum": 1, "adam": 2}
ACT_BYTES = 4
MASK_BYTES = 1

#: the blocks of a recurrent cell that matrix products read, and those added as biases
_PRODUCT_BLOCKS = (Param.U, Param.W, Param.PROJ)
_BIAS_BLOCKS = (Param.BX, Param.BH)


@dataclass(frozen=True)
class Ops:
    """Operation counts of some piece of work, split by kind (see the module docstring)."""

    matmul_macs: int = 0
    bias_flops: int = 0
    elementwise_flops: int = 0
    activation_flops: int = 0

    @property
    def macs(self) -> int:
        """Multiply-accumulates: the matrix products only."""
        return self.matmul_macs

    @property
    def flops(self) -> int:
        """All FLOPs: two per MAC, plus bias adds, element-wise arithmetic and activations."""
        return 2 * self.matmul_macs + self.bias_flops + self.elementwise_flops + self.activation_flops

    def __add__(self, other: Ops) -> Ops:
        return Ops(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def times(self, n: int) -> Ops:
        """These operations done ``n`` times."""
        return Ops(*(getattr(self, f.name) * n for f in fields(self)))

    def to_dict(self) -> dict[str, int]:
        """The counts, with the MAC and FLOP totals."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out.update(macs=self.macs, flops=self.flops)
        return out


def _sum_ops(items: Iterable[Ops]) -> Ops:
    total = Ops()
    for item in items:
        total = total + item
    return total


@dataclass(frozen=True)
class LayerCost:
    """Costs of one layer: one application, per sequence and for the whole batch."""

    name: str
    type: LayerType
    #: one application for one sequence: one time step, or the one pass of a layer after the last step
    per_step: Ops
    #: True when the layer runs at every time step; False when it runs once per sequence
    every_step: bool
    #: applications per sequence (None when the sequence length is unknown)
    steps: int | None
    per_sequence: Ops | None
    batch: Ops | None
    formula: str
    #: float32 activations autograd keeps for training, in bytes for the whole batch
    training_bytes: int | None
    training_formula: str
    #: largest working set of the layer at inference, in bytes for the whole batch
    inference_bytes: int | None


@dataclass(frozen=True)
class MemoryItem:
    """One memory figure with the arithmetic that gives it."""

    label: str
    bytes: int | None
    formula: str


@dataclass(frozen=True)
class Memory:
    """Memory of parameters, gradients, optimizer state and activations."""

    parameters: tuple[MemoryItem, ...]
    gradients: MemoryItem
    optimizer: tuple[MemoryItem, ...]
    inference_activations: MemoryItem
    training_activations: MemoryItem


@dataclass(frozen=True)
class Costs:
    """Costs of a whole model for a batch of sequences."""

    framework: str
    batch: int
    timesteps: int | None
    lengths: tuple[int, ...] | None
    layers: tuple[LayerCost, ...]
    per_step: Ops
    per_sequence: Ops | None
    total: Ops | None
    params: int
    trainable: int
    memory: Memory
    convention: str = CONVENTION
    notes: tuple[str, ...] = field(default=())

    @property
    def steps_in_batch(self) -> int | None:
        """Time steps processed by the whole batch: B·T, or the sum of the lengths."""
        if self.lengths is not None:
            return sum(self.lengths)
        return None if self.timesteps is None else self.batch * self.timesteps


# --------------------------------------------------------------------------- per layer


def _numel(layer: LayerReport, roles: Sequence[Role]) -> int:
    return sum(t.params for t in layer.tensors if t.role in roles)


def _blocks(layer: LayerReport, params: tuple[Param, ...]) -> int:
    """Elements of a recurrent layer's blocks ``params``, in every cell and direction."""
    return sum(p.size for t in layer.tensors for p in t.placements if p.param in params)


def _cell_arith(layer: LayerReport, cell: CellInfo, framework: str) -> tuple[int, int]:
    """Element-wise and activation FLOPs of one step of one cell instance."""
    h = cell.units
    if layer.type is LayerType.LSTM:
        peepholes = 2 * 3 * h if cell.cell.peepholes else 0  # p ⊙ c and its add, for three gates
        forget = h if cell.cell.forget_bias else 0  # the run-time forget bias
        return 4 * h + peepholes + forget, (cell.gates + 1) * h  # f⊙c, i⊙g, +, o⊙tanh(c); gates and tanh(c)
    if layer.type is LayerType.GRU:
        extra = h if cell.cell.reset_after else 0
        return 5 * h + extra, cell.gates * h  # r⊙·, 1−z, (1−z)⊙n, z⊙h, +
    return 0, cell.gates * h


def _cell_training_per_step(layer: LayerReport, cell: CellInfo) -> tuple[int, str]:
    """Floats one step of one cell keeps for BPTT, and the terms that give them."""
    h, g, r = cell.units, cell.gates, cell.output_size
    if layer.type is LayerType.LSTM:
        n = g * h + 2 * h + r + (h if cell.proj_size else 0)
        text = f"{g}·{h} gates + 2·{h} cell (c_t-1, tanh c_t) + {r} h_t-1"
        return n, text + (f" + {h} o⊙tanh(c_t) for W_hr" if cell.proj_size else "")
    if layer.type is LayerType.GRU:
        return 2 * g * h + h, f"{g}·{h} gates + {g}·{h} recurrent products + {h} h_t-1"
    return h, f"{h} h_t"


@dataclass(frozen=True)
class _Work:
    """One application of a layer: its operations and what it keeps per step."""

    per_step: Ops
    formula: str
    #: floats autograd keeps per step and sequence for BPTT, besides the layer input
    train_floats: int = 0
    train_text: str = ""
    #: floats of the current step's gates and states, per sequence (inference working set)
    state: int = 0


def _recurrent(layer: LayerReport, framework: str) -> _Work:
    d = layer.directions
    per_step = Ops(matmul_macs=_blocks(layer, _PRODUCT_BLOCKS), bias_flops=_blocks(layer, _BIAS_BLOCKS))
    parts, train_text = [], []
    train = 0
    for cell in layer.cells:
        ew, act = _cell_arith(layer, cell, framework)
        per_step = per_step + Ops(elementwise_flops=ew * d, activation_flops=act * d)
        term = f"{cell.gates}·({cell.input_size}·{cell.units} + {cell.output_size}·{cell.units})"
        if cell.proj_size:
            term += f" + {cell.units}·{cell.proj_size}"
        parts.append(f"{d}·[{term}]" if d > 1 else term)
        floats, text = _cell_training_per_step(layer, cell)
        train += floats * d
        train_text.append(f"{d}·({text})" if d > 1 else f"({text})")
    return _Work(
        per_step=per_step,
        formula=" + ".join(parts) + f" = {per_step.macs:,} MACs per step",
        train_floats=train,
        train_text=" + ".join(train_text),
        state=sum(c.gates * c.units + 2 * c.units for c in layer.cells) * d,
    )


def _plain(layer: LayerReport) -> _Work:
    weights = _numel(layer, (Role.KERNEL,))
    bias = _numel(layer, (Role.BIAS, Role.OFFSET))
    if layer.type is LayerType.LAYER_NORMALIZATION:
        features = int(layer.input_shape[-1] or 0)
        scale = _numel(layer, (Role.SCALE,))
        ops = Ops(bias_flops=bias, elementwise_flops=5 * features + scale)
        terms = [f"5·{features} normalize"] + [f"{scale} scale"] * bool(scale) + [f"{bias} offset"] * bool(bias)
        return _Work(ops, " + ".join(terms) + f" = {ops.flops:,} FLOPs per position")
    kernel = next((t for t in layer.tensors if t.role is Role.KERNEL), None)
    if layer.type is LayerType.DENSE and kernel is None:  # its weight is another layer's (tied): the product remains
        macs = int(layer.input_shape[-1] or 0) * int(layer.output_shape[-1] or 0)
        formula = f"{layer.input_shape[-1]}·{layer.output_shape[-1]} = {macs:,} MACs per position (a tied weight)"
        return _Work(Ops(matmul_macs=macs, bias_flops=bias), formula)
    if layer.type in (LayerType.DENSE, LayerType.CONV1D) and kernel is not None:
        shape = "·".join(str(n) for n in kernel.shape)
        return _Work(Ops(matmul_macs=weights, bias_flops=bias), f"{shape} = {weights:,} MACs per position")
    if layer.type is LayerType.EMBEDDING:
        return _Work(Ops(), "lookups: 0 MACs")
    return _Work(Ops(), "0")


def output_width(layer: LayerReport, channels_first: bool) -> int:
    """Features of the layer's output (a channels-first conv keeps them on axis 1)."""
    shape = layer.output_shape
    if layer.type is LayerType.CONV1D and channels_first:
        return int(shape[1] or 0)
    return int(shape[-1] or 0)


def _conv_out_steps(layer: LayerReport, channels_first: bool) -> int | None:
    shape = layer.output_shape
    return shape[2] if channels_first else shape[1]


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Placed:
    """Where a layer sits in time: whether it runs per step, and over how many steps."""

    layer: LayerReport
    #: True when the layer runs at every time step (its input is a sequence)
    sequence: bool
    #: time steps of the layer's input per sequence (1 for a layer after the last step)
    steps_in: int | None
    #: applications per sequence: the input steps, or a conv layer's output positions
    steps: int | None


def _report_steps(report: Report) -> int | None:
    return report.input_shape[1] if len(report.input_shape) >= 2 else None


def layer_steps(report: Report, timesteps: int | None) -> tuple[Placed, ...]:
    """Each layer with its number of steps for sequences of ``timesteps`` (default: the report's)."""
    report_steps = _report_steps(report)
    if timesteps is None:
        timesteps = report_steps
    channels_first = frameworks.get(report.framework).conv_channels_first
    out: list[Placed] = []
    conv_seen = False
    for layer in report.layers:
        sequence = layer.recurrent or len(layer.input_shape) == 3 or layer.type is LayerType.EMBEDDING
        steps_in: int | None = 1
        if sequence:
            steps_in = timesteps if not conv_seen else layer.input_shape[1]
        steps = steps_in
        if layer.type is LayerType.CONV1D:
            if timesteps is not None and timesteps != report_steps:
                raise UsageError(
                    "the model has a conv1d layer, whose output length depends on its strides and padding: "
                    f"give the length in the model (--timesteps {timesteps} or input.timesteps)"
                )
            steps = _conv_out_steps(layer, channels_first)
            conv_seen = True
        out.append(Placed(layer, sequence, steps_in, steps))
    return tuple(out)


def estimate(report: Report, batch: int, timesteps: int | None, lengths: list[int] | None = None) -> Costs:
    """MACs, FLOPs and memory of ``report``'s model for ``batch`` sequences of ``timesteps`` steps.

    ``timesteps`` defaults to the report's input length; ``lengths`` gives each sequence's own
    length (packed sequences): then ``batch`` must equal their number and the longest sets
    the per-sequence figures. Without any length only per-step figures are given.
    """
    if batch < 1:
        raise UsageError(f"--batch must be a positive integer, received {batch}")
    if timesteps is None:
        timesteps = _report_steps(report)  # the model's own length bounds --lengths
    lens: tuple[int, ...] | None = None
    if lengths is not None:
        lens = tuple(lengths)
        if not lens or min(lens) < 1:
            raise UsageError(f"--lengths must be positive integers, received {','.join(map(str, lens)) or 'nothing'}")
        if len(lens) != batch:
            raise UsageError(f"--lengths gives {len(lens)} sequences but --batch is {batch}")
        if timesteps is not None and max(lens) > timesteps:
            raise UsageError(f"--lengths has a sequence of {max(lens)} steps, longer than --timesteps {timesteps}")
        timesteps = timesteps or max(lens)
    if timesteps is None:
        timesteps = _report_steps(report)
    if lens is not None and any(layer.type is LayerType.CONV1D for layer in report.layers):
        raise UsageError("--lengths cannot be combined with a conv1d layer (its windows cross sequence ends)")
    channels_first = frameworks.get(report.framework).conv_channels_first
    layers: list[LayerCost] = []
    notes: list[str] = []
    for placed in layer_steps(report, timesteps):
        work = _recurrent(placed.layer, report.framework) if placed.layer.recurrent else _plain(placed.layer)
        layers.append(_layer_cost(placed, work, batch, lens, channels_first))
    per_step_total = _sum_ops(c.per_step for c in layers if c.every_step)
    per_seq = (
        None
        if any(c.per_sequence is None for c in layers)
        else _sum_ops(c.per_sequence for c in layers if c.per_sequence is not None)
    )
    total = None if any(c.batch is None for c in layers) else _sum_ops(c.batch for c in layers if c.batch is not None)
    if timesteps is None:
        notes.append("The sequence length is unknown: give --timesteps T (or --lengths) for per-sequence figures.")
    memory = _memory(report, layers)
    return Costs(
        framework=report.framework,
        batch=batch,
        timesteps=timesteps,
        lengths=lens,
        layers=tuple(layers),
        per_step=per_step_total,
        per_sequence=per_seq,
        total=total,
        params=report.total,
        trainable=report.trainable,
        memory=memory,
        notes=tuple(notes),
    )


def _layer_cost(
    placed: Placed, work: _Work, batch: int, lens: tuple[int, ...] | None, channels_first: bool
) -> LayerCost:
    """Scale one application of a layer to a sequence and to the batch; add its activation memory."""
    layer, steps = placed.layer, placed.steps
    if not placed.sequence:
        runs: int | None = batch  # once per sequence
    elif lens is not None:
        runs = sum(lens)
    else:
        runs = None if steps is None else batch * steps
    # a conv layer reads more input steps than it computes positions
    rows_in = runs
    if layer.type is LayerType.CONV1D:
        rows_in = None if placed.steps_in is None else batch * placed.steps_in
    training, inference, text = _activation_bytes(layer, work, batch, runs, rows_in, channels_first)
    return LayerCost(
        name=layer.name,
        type=layer.type,
        per_step=work.per_step,
        every_step=placed.sequence,
        steps=steps,
        per_sequence=None if steps is None else work.per_step.times(steps),
        batch=None if runs is None else work.per_step.times(runs),
        formula=work.formula,
        training_bytes=training,
        training_formula=text,
        inference_bytes=inference,
    )


def _activation_bytes(
    layer: LayerReport, work: _Work, batch: int, runs: int | None, rows_in: int | None, channels_first: bool
) -> tuple[int | None, int | None, str]:
    """(training bytes, inference bytes, training formula) for the whole batch.

    ``runs`` is how many times the layer runs in the batch (steps, or sequences after the last
    step), ``rows_in`` how many input vectors it reads.
    """
    if runs is None or rows_in is None:
        return None, None, "unknown sequence length"
    in_width = 0 if layer.type is LayerType.EMBEDDING else int(layer.input_shape[-1] or 0)
    n_in = rows_in * in_width
    n_out = (runs if len(layer.output_shape) == 3 else batch) * output_width(layer, channels_first)
    inference = ACT_BYTES * (n_in + n_out + batch * work.state)
    if layer.recurrent:
        # autograd keeps each stacked layer's input (for dU) and, per step, the cell's state;
        # a simple RNN's saved outputs h_1..h_T are also the next steps' inputs, so h_0 is extra
        inputs = sum(c.input_size for c in layer.cells) * runs
        h0 = sum(c.units for c in layer.cells) * layer.directions * batch if layer.type is LayerType.SIMPLE_RNN else 0
        floats = inputs + work.train_floats * runs + h0
        text = (
            f"4 B × ({'+'.join(str(c.input_size) for c in layer.cells)} inputs + {work.train_text}) per step"
            f" × {runs:,} steps" + (" + h_0" if h0 else "") + f" = {ACT_BYTES * floats:,} B"
        )
        return ACT_BYTES * floats, inference, text
    if layer.type is LayerType.DROPOUT:
        return MASK_BYTES * n_in, inference, f"1 B mask × {n_in:,} = {MASK_BYTES * n_in:,} B"
    if layer.type is LayerType.EMBEDDING:
        return 0, inference, "0 (token ids)"
    if layer.type is LayerType.LAYER_NORMALIZATION:
        floats = n_in + 2 * runs
        text = f"4 B × ({n_in:,} input + 2 × {runs:,} mean, 1/σ) = {ACT_BYTES * floats:,} B"
        return ACT_BYTES * floats, inference, text
    return ACT_BYTES * n_in, inference, f"4 B × {n_in:,} input = {ACT_BYTES * n_in:,} B"


def _memory(report: Report, layers: Sequence[LayerCost]) -> Memory:
    params = tuple(
        MemoryItem(
            f"parameters ({dtype})", report.total * size, f"{report.total:,} × {size} B = {report.total * size:,} B"
        )
        for dtype, size in DTYPE_BYTES.items()
    )
    trainable = report.trainable
    grads = MemoryItem("gradients (float32)", 4 * trainable, f"{trainable:,} trainable × 4 B = {4 * trainable:,} B")
    names = {"sgd": "SGD (no state)", "momentum": "SGD with momentum (1 buffer)", "adam": "Adam (2 moments)"}
    optimizer = tuple(
        MemoryItem(
            f"optimizer: {names[opt]}",
            4 * slots * trainable,
            f"{slots} × {trainable:,} × 4 B = {4 * slots * trainable:,} B",
        )
        for opt, slots in OPTIMIZER_SLOTS.items()
    )
    inference = [c.inference_bytes for c in layers]
    if any(b is None for b in inference):
        inf = MemoryItem("activations, inference", None, "unknown sequence length")
        train = MemoryItem("activations, training (BPTT)", None, "unknown sequence length")
    else:
        peak = max((b or 0 for b in inference), default=0)
        where = next((c.name for c in layers if c.inference_bytes == peak), "")
        inf = MemoryItem(
            "activations, inference",
            peak,
            f"largest layer input + output + step state, at {where}: {peak:,} B" if where else "0 B",
        )
        total = sum(c.training_bytes or 0 for c in layers)
        kept = [c for c in layers if c.training_bytes]
        if len(kept) == 1:
            text = f"{kept[0].name}: {kept[0].training_formula}"
        else:
            text = " + ".join(f"{c.name} {c.training_bytes:,}" for c in kept) + f" = {total:,} B" if kept else "0 B"
        train = MemoryItem("activations, training (BPTT)", total, text)
    return Memory(
        parameters=params, gradients=grads, optimizer=optimizer, inference_activations=inf, training_activations=train
    )


# --------------------------------------------------------------------------- output


def _ops_or_none(ops: Ops | None) -> dict[str, int] | None:
    return None if ops is None else ops.to_dict()


def _item(item: MemoryItem) -> dict[str, Any]:
    return {"label": item.label, "bytes": item.bytes, "formula": item.formula}


def costs_to_dict(costs: Costs) -> dict[str, Any]:
    """The ``costs`` key of the JSON report."""
    mem = costs.memory
    return {
        "convention": costs.convention,
        "batch": costs.batch,
        "timesteps": costs.timesteps,
        "lengths": None if costs.lengths is None else list(costs.lengths),
        "steps_in_batch": costs.steps_in_batch,
        "per_step": costs.per_step.to_dict(),
        "per_sequence": _ops_or_none(costs.per_sequence),
        "total": _ops_or_none(costs.total),
        "layers": [
            {
                "name": c.name,
                "type": c.type.value,
                "every_step": c.every_step,
                "steps": c.steps,
                "per_step": c.per_step.to_dict(),
                "per_sequence": _ops_or_none(c.per_sequence),
                "total": _ops_or_none(c.batch),
                "formula": c.formula,
                "training_activation_bytes": c.training_bytes,
                "training_formula": c.training_formula,
            }
            for c in costs.layers
        ],
        "memory": {
            "parameters": {item.label.split("(")[1].rstrip(")"): _item(item) for item in mem.parameters},
            "gradients": _item(mem.gradients),
            "optimizer": {opt: _item(item) for opt, item in zip(OPTIMIZER_SLOTS, mem.optimizer, strict=True)},
            "activations_inference": _item(mem.inference_activations),
            "activations_training": _item(mem.training_activations),
        },
        "notes": list(costs.notes),
    }


def _n(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def _scope(costs: Costs) -> str:
    if costs.lengths is not None:
        return f"batch {costs.batch}, lengths {','.join(map(str, costs.lengths))} ({sum(costs.lengths)} steps)"
    return f"batch {costs.batch}, {_n(costs.timesteps)} time steps"


def _rows(costs: Costs) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for c in costs.layers:
        seq = c.per_sequence
        tot = c.batch
        rows.append(
            (
                c.name,
                f"{c.per_step.macs:,}",
                f"{c.per_step.flops:,}",
                _n(c.steps),
                _n(seq.macs if seq else None),
                _n(tot.macs if tot else None),
                _n(tot.flops if tot else None),
            )
        )
    seq, tot = costs.per_sequence, costs.total
    rows.append(
        (
            "total",
            f"{costs.per_step.macs:,}",
            f"{costs.per_step.flops:,}",
            _n(costs.timesteps),
            _n(seq.macs if seq else None),
            _n(tot.macs if tot else None),
            _n(tot.flops if tot else None),
        )
    )
    return rows


_HEAD = ("Layer", "MACs/step", "FLOPs/step", "Steps", "MACs/seq", "MACs (batch)", "FLOPs (batch)")


def _split_lines(ops: Ops) -> list[str]:
    return [
        f"matrix products {ops.matmul_macs:,} MACs = {2 * ops.matmul_macs:,} FLOPs",
        f"bias adds {ops.bias_flops:,} FLOPs",
        f"element-wise gate arithmetic {ops.elementwise_flops:,} FLOPs",
        f"activations {ops.activation_flops:,} FLOPs",
    ]


def _memory_lines(mem: Memory) -> list[tuple[str, str, str]]:
    items = [*mem.parameters, mem.gradients, *mem.optimizer, mem.inference_activations, mem.training_activations]
    return [(i.label, _n(i.bytes), i.formula) for i in items]


def render_costs_text(costs: Costs, width: int | None = None) -> str:
    """The costs as plain, stable text (no colour), fitted to ``width`` (default 100)."""
    from lstmcount.renderers import text

    width = width or text.DEFAULT_WIDTH
    columns = [text.Column(_HEAD[0], fit="path")] + [text.Column(h, right=True, fit="keep") for h in _HEAD[1:]]
    lines = text.wrap(f"Costs ({costs.framework}, {_scope(costs)})", width)
    lines += text.table(columns, _rows(costs), width=width, gap="  ")
    lines += text.wrap("Per step: " + "; ".join(_split_lines(costs.per_step)), width, subsequent="  ")
    for c in costs.layers:
        if c.per_step.macs or c.per_step.flops:
            lines += text.wrap(f"{c.name}: {c.formula}", width, indent="  ", subsequent="    ")
    lines.append("Memory")
    mem = _memory_lines(costs.memory)
    w0 = max(len(m[0]) for m in mem)
    w1 = max(len(m[1]) for m in mem)
    for label, value, formula in mem:
        head = f"  {label.ljust(w0)}  {value.rjust(w1)} B   "
        if len(head) + len(formula) <= width:
            lines.append(head + formula)
        else:
            lines.append(head.rstrip())
            lines += text.wrap(formula, width, indent="      ")
    lines += text.wrap(f"Convention: {costs.convention}", width, subsequent="  ")
    for note in costs.notes:
        lines += text.wrap(note, width)
    return "\n".join(lines) + "\n"


def render_costs_markdown(costs: Costs) -> str:
    """The costs as a Markdown section."""
    lines = [
        f"### Costs ({_scope(costs)})",
        "",
        "| " + " | ".join(_HEAD) + " |",
        "| --- |" + " ---: |" * (len(_HEAD) - 1),
    ]
    for row in _rows(costs):
        name = f"`{row[0]}`" if row[0] != "total" else "**total**"
        lines.append("| " + " | ".join((name, *row[1:])) + " |")
    lines += ["", "Per step: " + "; ".join(_split_lines(costs.per_step)) + ".", ""]
    lines += ["| Memory | Bytes | Formula |", "| --- | ---: | --- |"]
    lines += [f"| {label} | {value} | `{formula}` |" for label, value, formula in _memory_lines(costs.memory)]
    lines += ["", f"> {costs.convention}"]
    lines += [f"> {note}" for note in costs.notes]
    return "\n".join(lines) + "\n"


def parse_lengths(text: str | None) -> list[int] | None:
    """``"7,3,1"`` to ``[7, 3, 1]``; a one-line error for anything else."""
    if text is None:
        return None
    try:
        values = [int(v) for v in text.replace(" ", "").split(",")]  # an empty item is an error, not skipped
    except ValueError:
        raise UsageError(f"--lengths must be comma-separated positive integers, received {text!r}") from None
    if not values or min(values) < 1:
        raise UsageError(f"--lengths must be comma-separated positive integers, received {text!r}")
    return values


__all__ = [
    "CONVENTION",
    "Costs",
    "LayerCost",
    "Memory",
    "MemoryItem",
    "Ops",
    "costs_to_dict",
    "estimate",
    "render_costs_markdown",
    "render_costs_text",
]
