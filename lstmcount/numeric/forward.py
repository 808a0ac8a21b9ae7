"""The forward pass in NumPy, on weights in each framework's own names, shapes and gate order.

Every fact about a framework (tensor names and shapes, which axis holds the gates, the gate
order, bias vectors, weight layout, state layout, layer-norm epsilon) is read from the report
the counter builds from :mod:`lstmcount.frameworks`; this module never asks which framework it
is running. The recurrent layers follow cuDNN's plan: one matrix product of every time step's
input with the fused input weights, then per step one ``(B, R) x (R, G·H)`` product into
preallocated buffers, with the activations applied in place. The cell (one time step) is kept
apart from the loop over time.

Shapes in comments: B batch, T steps, I input features, H units, R width of h (P with a
projection, else H), G gates, F features, K kernel width, V vocabulary.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lstmcount import frameworks
from lstmcount.api import as_spec
from lstmcount.cells import Biases, CellSpec, Kind, Param
from lstmcount.counting.counter import count
from lstmcount.errors import LstmcountError, UsageError
from lstmcount.frameworks.base import Framework, Role, States
from lstmcount.model.report import LayerReport, OutShape, Report, TensorReport
from lstmcount.model.spec import (
    Conv1DSpec,
    DenseSpec,
    LayerNormSpec,
    LayerSpec,
    LayerType,
    MergeMode,
    ModelSpec,
    Padding,
    RecurrentSpec,
)

Array = NDArray[Any]
DTYPES = {"float32": np.float32, "float64": np.float64}


class WeightsError(LstmcountError):
    """Weights that do not fit the model: missing, unexpected or mis-shaped tensors."""

    exit_code = 1


# ---------------------------------------------------------------------------------------------
# activations


def _sigmoid_(a: Array) -> None:
    """sigmoid(a) = (tanh(a/2) + 1) / 2, in place and without overflow."""
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5


def _tanh_(a: Array) -> None:
    np.tanh(a, out=a)


def _relu_(a: Array) -> None:
    np.maximum(a, 0, out=a)


#: the activation of a simple RNN cell, applied in place to its (H, B) state
CELL_ACTIVATIONS: Mapping[str, Callable[[Array], None]] = {"tanh": _tanh_, "relu": _relu_}


def _sigmoid(x: Array) -> Array:
    y = x.copy()
    _sigmoid_(y)
    return y


def _softplus(x: Array) -> Array:
    y: Array = np.logaddexp(x, 0)
    return y


def _softmax(x: Array) -> Array:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    y: Array = e / e.sum(axis=-1, keepdims=True)
    return y


def _log_softmax(x: Array) -> Array:
    shifted = x - x.max(axis=-1, keepdims=True)
    y: Array = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return y


def _gelu(x: Array) -> Array:
    from math import erf, sqrt

    y: Array = x * 0.5 * (1 + np.vectorize(erf, otypes=[x.dtype])(x / sqrt(2)))
    return y


def _sparsemax(x: Array) -> Array:
    """Keras 3's sparsemax over the last axis, as every Keras backend computes it.

    The support is Martins and Astudillo's; the threshold is ``(sum over the support of the
    cumulative sums of the sorted values - 1) / k``, as in keras/src/backend/*/nn.py (where the
    paper takes the k-th cumulative sum alone, so Keras's rows need not sum to 1).
    """
    z = -np.sort(-x, axis=-1)  # descending
    k = np.arange(1, x.shape[-1] + 1, dtype=x.dtype)
    cumulative = np.cumsum(z, axis=-1)
    support = z - (cumulative - 1) / k > 0
    size = support.sum(axis=-1, keepdims=True)
    tau = (np.where(support, cumulative, 0).sum(axis=-1, keepdims=True) - 1) / size
    y: Array = np.maximum(x - tau, 0)
    return y


def _hard_sigmoid(x: Array, slope: float | None = None) -> Array:
    """``clip(slope · x + 1/2, 0, 1)``: the slope is 1/6 (relu6(x + 3) / 6) or 0.2 (Keras 2, ONNX)."""
    return np.clip(x * (1 / 6 if slope is None else slope) + 0.5, 0, 1)


SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

#: every activation of :data:`lstmcount.model.spec.ACTIVATIONS`: (x, the framework's constant) -> y
FUNCTIONS: Mapping[str, Callable[[Array, Any], Array]] = {
    "linear": lambda x, c: x,
    "relu": lambda x, c: np.maximum(x, 0),
    "relu6": lambda x, c: np.clip(x, 0, 6),
    "leaky_relu": lambda x, c: np.where(x >= 0, x, c * x),
    "elu": lambda x, c: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "celu": lambda x, c: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),  # alpha 1: the same as elu
    "selu": lambda x, c: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0))),
    "gelu": lambda x, c: _gelu(x),
    "silu": lambda x, c: x * _sigmoid(x),
    "mish": lambda x, c: x * np.tanh(_softplus(x)),
    "sigmoid": lambda x, c: _sigmoid(x),
    "hard_sigmoid": lambda x, c: _hard_sigmoid(x, c),
    "hard_silu": lambda x, c: x * _hard_sigmoid(x),
    "log_sigmoid": lambda x, c: -_softplus(-x),
    "tanh": lambda x, c: np.tanh(x),
    "hard_tanh": lambda x, c: np.clip(x, -1, 1),
    "tanh_shrink": lambda x, c: x - np.tanh(x),
    "softplus": lambda x, c: _softplus(x),
    "softsign": lambda x, c: x / (1 + np.abs(x)),
    "softmax": lambda x, c: _softmax(x),
    "log_softmax": lambda x, c: _log_softmax(x),
    "softmin": lambda x, c: _softmax(-x),
    "sparsemax": lambda x, c: _sparsemax(x),
    "exponential": lambda x, c: np.exp(x),
    "hard_shrink": lambda x, c: np.where(np.abs(x) > 0.5, x, 0),
    "soft_shrink": lambda x, c: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0)),
    "sparse_plus": lambda x, c: np.where(x <= -1, 0, np.where(x < 1, (x + 1) ** 2 / 4, x)),
    "sparse_sigmoid": lambda x, c: np.where(x <= -1, 0, np.where(x >= 1, 1, (x + 1) / 2)),
    "squareplus": lambda x, c: (x + np.sqrt(x * x + 4)) / 2,
    "glu": lambda x, c: np.split(x, 2, axis=-1)[0] * _sigmoid(np.split(x, 2, axis=-1)[1]),
}


def activate(fw: Framework, name: str | None, x: Array) -> Array:
    """``x`` through the activation ``name`` as the framework defines it (``None`` is linear)."""
    if name is None:
        return x
    y = FUNCTIONS[name](x, fw.activations.get(name))
    return np.asarray(y, dtype=x.dtype)


# ---------------------------------------------------------------------------------------------
# the model: spec + report, and what a pass returns


class Scratch:
    """Work buffers a model keeps between passes, by shape and dtype, one set per thread.

    A pass writes the input product of every step into one buffer, often tens of MiB. Fresh
    memory that large comes from the operating system as new pages, which it must zero on first
    touch (a few milliseconds per 50 MiB); kept here, a second pass of the same model reuses it.
    Passes in different threads never share a buffer.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    @property
    def _buffers(self) -> dict[tuple[tuple[int, ...], str], Array]:
        buffers: dict[tuple[tuple[int, ...], str], Array] | None = getattr(self._local, "buffers", None)
        if buffers is None:
            buffers = self._local.buffers = {}
        return buffers

    def get(self, shape: tuple[int, ...], dtype: Any) -> Array:
        """A buffer of ``shape`` and ``dtype`` (its contents are left over from the last use)."""
        key = (shape, np.dtype(dtype).str)
        buffers = self._buffers
        if key not in buffers:
            buffers[key] = np.empty(shape, dtype)
        return buffers[key]

    @property
    def nbytes(self) -> int:
        """Bytes held for this thread."""
        return sum(b.nbytes for b in self._buffers.values())


@dataclass(frozen=True)
class Model:
    """A validated spec and its report in one framework's conventions.

    ``scratch`` holds the work buffers of its passes, reused by the next pass of the same model.
    """

    spec: ModelSpec
    report: Report
    scratch: Scratch = field(default_factory=Scratch, compare=False, repr=False)

    @property
    def fw(self) -> Framework:
        """The framework's module of data."""
        return frameworks.get(self.report.framework)

    def layer_spec(self, layer: LayerReport) -> LayerSpec:
        """The spec entry that made ``layer``."""
        return self.spec.layers[layer.spec_index]

    @property
    def tensors(self) -> tuple[TensorReport, ...]:
        """Every weight tensor, in report order."""
        return tuple(t for layer in self.report.layers for t in layer.tensors)


def build(
    model: ModelSpec | Mapping[str, Any] | str | os.PathLike[str] | Model,
    framework: str | None = None,
    timesteps: int | None = None,
) -> Model:
    """Count ``model`` (a spec, its dict form, a spec file, or a built model) into a :class:`Model`."""
    if isinstance(model, Model):
        spec = model.spec
        framework = framework or model.report.framework
    else:
        spec = as_spec(model)
    if timesteps is not None and timesteps != spec.input.timesteps:
        spec = dataclasses.replace(spec, input=dataclasses.replace(spec.input, timesteps=timesteps))
    return Model(spec, count(spec, framework))


@dataclass
class Trace:
    """Which weight arrays each time step of each recurrent cell read.

    ``steps[key][t]`` holds the ids of the arrays step ``t`` of cell ``key`` (layer, stacked
    index, direction) read, and ``origins`` maps an array's id to the framework tensors it was
    made from (itself, a transposed copy, or the input product of every step at once).
    """

    steps: dict[tuple[str, int, int], list[frozenset[int]]] = field(default_factory=dict)
    origins: dict[int, frozenset[str]] = field(default_factory=dict)
    #: the arrays themselves, kept alive so that no id is reused while the trace lives
    held: list[Array] = field(default_factory=list)

    def touch(self, key: tuple[str, int, int], arrays: list[Array]) -> None:
        """Note that the next step of cell ``key`` read ``arrays``."""
        self.steps.setdefault(key, []).append(frozenset(id(a) for a in arrays))

    def derive(self, array: Array, sources: tuple[str, ...]) -> None:
        """Note that ``array`` was made from the tensors ``sources`` (paths)."""
        self.held.append(array)
        self.origins[id(array)] = self.origins.get(id(array), frozenset()) | frozenset(sources)

    def layer(self, layer: str) -> LayerSharing:
        """How a layer's steps shared their weights."""
        tensors: set[str] = set()
        arrays: set[int] = set()
        same = True
        runs: list[int] = []
        for (name, _, _), steps in self.steps.items():
            if name != layer:
                continue
            runs.append(len(steps))
            for ids in steps:
                same = same and ids == steps[0]
                arrays |= ids
                for i in ids:
                    tensors |= self.origins.get(i, frozenset())
        return LayerSharing(tensors=frozenset(tensors), arrays=len(arrays), same_every_step=same, runs=tuple(runs))


@dataclass(frozen=True)
class LayerSharing:
    """What the steps of one recurrent layer read: tensors reached, distinct arrays, steps run per cell."""

    tensors: frozenset[str]
    arrays: int
    same_every_step: bool
    runs: tuple[int, ...]


@dataclass(frozen=True)
class LayerOutput:
    """What one layer produced: its output array (in the framework's layout) and final states."""

    name: str
    output: Array
    states: tuple[Array, ...] = ()

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the output."""
        return tuple(self.output.shape)


@dataclass(frozen=True)
class ForwardResult:
    """A forward pass: the model output, every layer's output and the recurrent final states.

    ``states[layer]`` follows the framework: stacked ``(h_n, c_n)`` of shape
    ``(layers·directions, B, width)`` (PyTorch), or per direction ``[h, c]`` arrays of shape
    ``(B, width)``, forward first (Keras ``return_state``).
    """

    output: Array
    layers: tuple[LayerOutput, ...]

    @property
    def states(self) -> dict[str, tuple[Array, ...]]:
        """Final states of each recurrent layer, by layer name."""
        return {lo.name: lo.states for lo in self.layers if lo.states}


# ---------------------------------------------------------------------------------------------
# the public entry point


def forward(
    model: ModelSpec | Mapping[str, Any] | str | os.PathLike[str] | Model,
    weights: Mapping[str, Any],
    inputs: Any,
    *,
    framework: str | None = None,
    dtype: str | None = None,
    trace: Trace | None = None,
) -> ForwardResult:
    """Run ``inputs`` through the model with ``weights`` (tensor path -> array).

    ``inputs`` is ``(B, T, I)`` features, or ``(B, T)`` token ids before an embedding. The keys
    of ``weights`` are the report's tensor paths (``lstm/lstm_cell/kernel``,
    ``lstm.weight_ih_l0``); a common ``<model name>/`` prefix, as Keras's ``weight.path`` has,
    is accepted. ``dtype`` (float32 or float64) defaults to the inputs' and weights' own.
    Returns the output and the final states in the framework's layout.
    """
    from lstmcount.numeric.weights import as_array, check_weights

    x = as_array(inputs)
    steps = x.shape[1] if x.ndim >= 2 else None
    built = build(model, framework, timesteps=steps)
    check = check_weights(built.report, weights)
    if not check.ok:
        raise WeightsError("weights do not fit the model: " + check.summary())
    wanted = _dtype(dtype, x, check.weights.values())
    arrays = {k: np.ascontiguousarray(v, dtype=wanted) for k, v in check.weights.items()}
    return run(built, arrays, x, dtype=wanted, trace=trace)


def _dtype(name: str | None, x: Array, weights: Any) -> Any:
    if name:
        return DTYPES[name]
    kinds = [a.dtype for a in (x, *(np.asarray(w) for w in weights)) if np.issubdtype(a.dtype, np.floating)]
    found = np.result_type(*kinds) if kinds else np.dtype(np.float32)
    return np.float64 if found == np.float64 else np.float32


def _check_chain(spec: ModelSpec) -> None:
    """The pass runs a chain of layers on one input: a layer reading another input, or tying weights, is refused."""
    if spec.inputs:
        raise UsageError(
            f"the forward pass runs one input through a chain of layers; this model has {len(spec.inputs) + 1} inputs"
        )
    previous = None
    for layer in spec.layers:
        if layer.reads is not None and layer.reads != previous:
            raise UsageError(
                f"the forward pass runs a chain of layers; layer {layer.name!r} reads {layer.reads!r}, "
                "not the layer before it"
            )
        if layer.tied:
            uses = ", ".join(layer.tied.values())
            raise UsageError(f"the forward pass does not run tied weights: layer {layer.name!r} uses {uses}")
        previous = layer.name


def run(
    model: Model, weights: Mapping[str, Array], inputs: Array, *, dtype: Any = np.float32, trace: Trace | None = None
) -> ForwardResult:
    """The forward pass proper, on checked weights of the right dtype (tensor path -> array)."""
    fw = model.fw
    _check_chain(model.spec)
    x = _model_input(model, np.asarray(inputs), dtype)  # (B, T, I) or (B, T) ids
    outputs: list[LayerOutput] = []
    for layer in model.report.layers:
        spec = model.layer_spec(layer)
        w = {t.path: weights[t.path] for t in layer.tensors}
        states: tuple[Array, ...] = ()
        if layer.type is LayerType.GENERIC:
            raise UsageError(
                f"the forward pass cannot run layer {layer.name!r}: lstmcount does not model {layer.class_name} layers"
            )
        if layer.recurrent:
            x, states = _recurrent_layer(fw, layer, spec, w, x, trace, model.scratch)  # (B, T, F) or (B, F)
        else:
            x = LAYERS[layer.type](fw, layer, spec, w, x)  # (B, T, F) or (B, F)
        shown = _framework_layout(fw, layer, x)
        outputs.append(LayerOutput(layer.name, shown, states))
    return ForwardResult(output=outputs[-1].output, layers=tuple(outputs))


def _model_input(model: Model, x: Array, dtype: Any) -> Array:
    first = model.report.layers[0]
    if first.type is LayerType.EMBEDDING:
        if x.ndim != 2 or not np.issubdtype(x.dtype, np.integer):
            raise UsageError(
                f"an embedding input takes integer token ids of shape (B, T), received {x.dtype} {tuple(x.shape)}"
            )
        vocab = first.tensors[0].shape[0]
        if x.size and (x.min() < 0 or x.max() >= vocab):
            raise UsageError(f"token ids must lie in [0, {vocab}), received ids from {x.min()} to {x.max()}")
        return x
    features = model.report.input_shape[-1]
    if x.ndim != 3 or x.shape[2] != features:
        raise UsageError(f"the input must have shape (B, T, {features}), received {tuple(x.shape)}")
    from lstmcount.numeric.weights import value_problem

    problem = value_problem(x)
    if problem is not None:
        raise UsageError(f"the input has {problem}; the model takes real features")
    return np.ascontiguousarray(x, dtype=dtype)  # (B, T, I)


def _framework_layout(fw: Framework, layer: LayerReport, x: Array) -> Array:
    """A layer's output as the framework returns it (a channels-first convolution: (B, F, T))."""
    if layer.type is LayerType.CONV1D and fw.conv_channels_first:
        return x.transpose(0, 2, 1)  # (B, F, T)
    return x


def expected_shape(shape: OutShape, batch: int, steps: int | None) -> tuple[int | None, ...]:
    """A report shape with the batch axis and an unknown step count filled in."""
    out = [batch if i == 0 else d for i, d in enumerate(shape)]
    return tuple(steps if d is None else d for d in out)


# ---------------------------------------------------------------------------------------------
# plain layers


def _by_role(tensors: Mapping[str, Array], layer: LayerReport) -> dict[Role, Array]:
    return {t.role: tensors[t.path] for t in layer.tensors}


def _embedding(fw: Framework, layer: LayerReport, spec: LayerSpec, w: Mapping[str, Array], x: Array) -> Array:
    table = _by_role(w, layer)[Role.EMBEDDINGS]  # (V, F)
    return table[x]  # (B, T, F)


def _dense(fw: Framework, layer: LayerReport, spec: LayerSpec, w: Mapping[str, Array], x: Array) -> Array:
    assert isinstance(spec, DenseSpec)
    roles = _by_role(w, layer)
    kernel = roles[Role.KERNEL]  # (F, I) out-first, else (I, F)
    y = x @ (kernel.T if fw.out_features_first else kernel)  # (B, T, F) or (B, F)
    if Role.BIAS in roles:
        y += roles[Role.BIAS].reshape(-1)  # (F,)
    return activate(fw, spec.activation, y)  # (B, T, F) or (B, F); glu halves F


def _dropout(fw: Framework, layer: LayerReport, spec: LayerSpec, w: Mapping[str, Array], x: Array) -> Array:
    return x  # identity at inference


def _conv1d(fw: Framework, layer: LayerReport, spec: LayerSpec, w: Mapping[str, Array], x: Array) -> Array:
    assert isinstance(spec, Conv1DSpec)
    roles = _by_role(w, layer)
    kernel = roles[Role.KERNEL]  # axes in the framework's order (conv_kernel: "KIF", "FIK", ...)
    kernel = kernel.transpose([fw.conv_kernel.index(axis) for axis in "KIF"])  # (K, I, F)
    k, s = spec.kernel_size, spec.strides
    steps = x.shape[1]
    if spec.padding is Padding.SAME:
        out_steps = -(-steps // s)
        total = max(0, (out_steps - 1) * s + k - steps)
        left = total // 2
        x = np.pad(x, ((0, 0), (left, total - left), (0, 0)))  # (B, T + pad, I)
    windows = np.lib.stride_tricks.sliding_window_view(x, k, axis=1)[:, ::s]  # (B, T', I, K)
    y = np.einsum("btik,kif->btf", windows, kernel, optimize=True)  # (B, T', F)
    if Role.BIAS in roles:
        y += roles[Role.BIAS].reshape(-1)  # (F,)
    return np.ascontiguousarray(activate(fw, spec.activation, y))  # (B, T', F); glu halves F


def _layer_norm(fw: Framework, layer: LayerReport, spec: LayerSpec, w: Mapping[str, Array], x: Array) -> Array:
    assert isinstance(spec, LayerNormSpec)
    roles = _by_role(w, layer)
    mean = x.mean(axis=-1, keepdims=True)  # (B, T, 1)
    centred = x - mean  # (B, T, F)
    var = (centred * centred).mean(axis=-1, keepdims=True)  # (B, T, 1)
    y: Array = centred / np.sqrt(var + fw.layer_norm_epsilon)  # (B, T, F)
    if Role.SCALE in roles:
        y *= roles[Role.SCALE]  # (F,)
    if Role.OFFSET in roles:
        y += roles[Role.OFFSET]  # (F,)
    return y


Layer = Callable[[Framework, LayerReport, LayerSpec, Mapping[str, Array], Array], Array]
LAYERS: Mapping[LayerType, Layer] = {
    LayerType.EMBEDDING: _embedding,
    LayerType.DENSE: _dense,
    LayerType.DROPOUT: _dropout,
    LayerType.CONV1D: _conv1d,
    LayerType.LAYER_NORMALIZATION: _layer_norm,
}


# ---------------------------------------------------------------------------------------------
# recurrent cells: the weights of one cell instance, gathered from the framework's tensors
#
# Whatever the framework's layout, a cell's weights are first gathered into the canonical
# blocks of lstmcount.cells, fused gates-major in one fixed order per kind (CELL_ORDER: the
# sigmoid gates first, so that they form one run of rows). Inside a recurrent layer the data are
# kept time-major and feature-major, batch last: the input as (T, I, B), the input product as
# (T, G·H, B), every step's h as (T, R, B), the fused gates as (G·H, B). Then every product is
# (G·H, K) x (K, B) (the shape BLAS runs fastest for a small batch), each gate's activation
# works on one contiguous block, and a step's h is one contiguous block.

#: the order of the gates in a gathered cell: sigmoid gates first, so that they are one run of rows
CELL_ORDER: Mapping[Kind, tuple[str, ...]] = {
    Kind.LSTM: ("i", "f", "o", "g"),
    Kind.GRU: ("r", "z", "n"),
    Kind.RNN: ("h",),
}


@dataclass
class Cell:
    """One cell instance (one direction of one stacked layer), gathered and ready for the products.

    ``u`` and ``w`` are gates-major ``(G·H, I)`` and ``(G·H, R)`` matrices in :data:`CELL_ORDER`.
    With ``halved`` the rows of the sigmoid gates (and their biases and peepholes) are scaled by
    ½ once here, so that one ``tanh`` covers every gate: ``sigmoid(x) = (1 + tanh(x / 2)) / 2``.
    ``b_x`` is the constant added to ``U x_t`` at every step: the input bias, plus the recurrent
    bias wherever the two are only ever summed, plus a run-time forget bias. A GRU that resets
    after the product keeps its candidate's recurrent bias apart in ``b_rec`` (``(H, 1)``), as it
    sits inside ``r ⊙ (W_n h + b_rec)``.
    """

    spec: CellSpec
    u: Array  # (G·H, I)
    w: Array  # (G·H, R)
    b_x: Array | None  # (G·H, 1) bias added to U x_t
    b_rec: Array | None  # (H, 1) the recurrent bias of a GRU candidate that resets after
    proj: Array | None  # (P, H)
    peep: dict[str, Array]  # (H, 1) per peephole gate, halved with its gate
    halved: bool
    origins: dict[int, tuple[str, ...]]  # id of each array above -> the tensors it was made from

    @property
    def kind(self) -> Kind:
        """LSTM, GRU or simple RNN."""
        return self.spec.kind

    @property
    def units(self) -> int:
        """H."""
        return self.spec.units

    def block(self, role: str) -> slice:
        """Rows of gate ``role`` in the gathered tensors."""
        index = CELL_ORDER[self.spec.kind].index(role)
        return slice(index * self.units, (index + 1) * self.units)


def make_cell(layer: LayerReport, w: Mapping[str, Array], k: int, d: int, dtype: Any = None) -> Cell:
    """The weights of cell ``(k, d)`` of ``layer``, gathered from the blocks its tensors hold."""
    info = next(c for c in layer.cells if c.stack_index == k)
    spec = info.cell
    h, order = spec.units, CELL_ORDER[spec.kind]
    gates = len(order)
    tensors = [t for t in layer.tensors if t.holds(k, d)]
    dtype = dtype or w[tensors[0].path].dtype
    u = np.empty((gates * h, spec.inputs), dtype)
    wr = np.empty((gates * h, spec.width), dtype)
    bx = np.zeros(gates * h, dtype) if spec.biases is not Biases.NONE else None
    bh: dict[str, Array] = {}
    peep: dict[str, Array] = {}
    proj: Array | None = None
    made: dict[str, list[str]] = {name: [] for name in ("u", "w", "b", "rec", "proj", "peep")}
    rows = {role: slice(n * h, (n + 1) * h) for n, role in enumerate(order)}
    for t in tensors:
        a = w[t.path]
        for p in t.placements:
            if p.direction not in (None, d):
                continue
            block = p.read(a, spec.block_shape(p.param))
            if p.param is Param.U:
                u[rows[p.role]] = block
                made["u"].append(t.path)
            elif p.param is Param.W:
                wr[rows[p.role]] = block
                made["w"].append(t.path)
            elif p.param is Param.BX:
                assert bx is not None
                bx[rows[p.role]] = block
                made["b"].append(t.path)
            elif p.param is Param.BH:
                bh[p.role] = block
            elif p.param is Param.PEEP:
                peep[p.role] = np.array(block, dtype).reshape(h, 1)
                made["peep"].append(t.path)
            else:
                proj = np.ascontiguousarray(block, dtype)  # (P, H)
                made["proj"].append(t.path)
    bh_paths = [t.path for t in tensors for p in t.placements if p.param is Param.BH and p.direction in (None, d)]
    b_rec: Array | None = None
    for role, vector in bh.items():
        if spec.kind is Kind.GRU and role == "n" and spec.reset_after:
            b_rec = np.array(vector, dtype).reshape(h, 1)  # inside r ⊙ (W_n h + b_hn)
            made["rec"] = bh_paths
            continue
        if bx is None:  # pragma: no cover - a recurrent bias comes with an input bias in every table
            bx = np.zeros(gates * h, dtype)
        bx[rows[role]] += vector
        made["b"] += bh_paths
    if spec.kind is Kind.LSTM and spec.forget_bias:
        if bx is None:
            bx = np.zeros(gates * h, dtype)
        bx[rows["f"]] += spec.forget_bias
    sigmoid_rows = [r for r in order if _gate_activation(spec, r) == "sigmoid"]
    halved = bool(sigmoid_rows) and spec.kind is not Kind.RNN
    if halved:
        run = slice(rows[sigmoid_rows[0]].start, rows[sigmoid_rows[-1]].stop)  # one run (CELL_ORDER)
        u[run] *= 0.5
        wr[run] *= 0.5
        if bx is not None:
            bx[run] *= 0.5
        for role in peep:
            peep[role] *= 0.5
    cell = Cell(
        spec=spec,
        u=u,
        w=wr,
        b_x=None if bx is None else bx.reshape(-1, 1),
        b_rec=b_rec,
        proj=proj,
        peep=peep,
        halved=halved,
        origins={},
    )
    named = {"u": cell.u, "w": cell.w, "b": cell.b_x, "rec": cell.b_rec, "proj": cell.proj}
    cell.origins = {id(a): tuple(dict.fromkeys(made[n])) for n, a in named.items() if a is not None}
    for a in peep.values():
        cell.origins[id(a)] = tuple(dict.fromkeys(made["peep"]))
    return cell


def _gate_activation(spec: CellSpec, role: str) -> str:
    if spec.kind is Kind.RNN or role in ("g", "n"):
        return spec.cell_activation
    return spec.gate_activation


def _activate_(constants: Mapping[str, Any], name: str, a: Array, halved: bool = False) -> None:
    """``a`` through activation ``name`` in place; ``halved`` rows hold tanh(x / 2) of a sigmoid gate."""
    if halved:
        a += 1
        a *= 0.5
    elif name == "tanh":
        np.tanh(a, out=a)
    elif name == "sigmoid":
        _sigmoid_(a)
    elif name == "relu":
        np.maximum(a, 0, out=a)
    else:
        a[...] = FUNCTIONS[name](a, constants.get(name))


# ---------------------------------------------------------------------------------------------
# one time step of each cell; every buffer is preallocated and written in place


@dataclass
class LSTMState:
    """Buffers of an LSTM cell: the fused gates, c, and a scratch block; views of the gates in ``z``."""

    z: Array  # (4H, B)
    c: Array  # (H, B)
    tmp: Array  # (H, B)
    b: Array | None  # (4H, B) the bias b_x, repeated for each sequence of the batch
    sig: Array  # (3H, B) the sigmoid gates i, f, o: one run
    i: Array  # (H, B)
    f: Array  # (H, B)
    g: Array  # (H, B)
    o: Array  # (H, B)
    constants: Mapping[str, Any]

    def reads(self, cell: Cell) -> list[tuple[Array, tuple[str, ...]]]:
        """The weight arrays a step reads besides the input product, with their tensors."""
        return _reads(cell, [cell.w, cell.proj, *cell.peep.values()], self.b)


def _bias_block(cell: Cell, batch: int) -> Array | None:
    """The bias b_x as a contiguous ``(G·H, B)`` block: adding it is then one flat loop, not G·H short ones."""
    if cell.b_x is None:
        return None
    return np.ascontiguousarray(np.broadcast_to(cell.b_x, (cell.b_x.shape[0], batch)))  # (G·H, B)


def _reads(cell: Cell, weights: list[Array | None], bias: Array | None) -> list[tuple[Array, tuple[str, ...]]]:
    """Arrays a step reads (cell weights, and the bias block made from ``b_x``) with their tensors."""
    arrays = [(a, cell.origins[id(a)]) for a in weights if a is not None]
    if bias is not None:
        assert cell.b_x is not None
        arrays.append((bias, cell.origins[id(cell.b_x)]))
    return arrays


def lstm_state(cell: Cell, batch: int, dtype: Any, constants: Mapping[str, Any] = {}) -> LSTMState:
    """Zeroed buffers for an LSTM cell."""
    h = cell.units
    z = np.empty((4 * h, batch), dtype)  # (4H, B) in CELL_ORDER: i, f, o, g
    return LSTMState(
        z=z,
        c=np.zeros((h, batch), dtype),  # (H, B)
        tmp=np.empty((h, batch), dtype),  # (H, B)
        b=_bias_block(cell, batch),
        sig=z[: 3 * h],
        i=z[cell.block("i")],
        f=z[cell.block("f")],
        g=z[cell.block("g")],
        o=z[cell.block("o")],
        constants=constants,
    )


def lstm_step(cell: Cell, s: LSTMState, xw_t: Array, h_prev: Array, h_out: Array) -> None:
    """One LSTM step: gates from U x_t (given), b and W h_{t-1}; updates c, writes h_t.

    With the sigmoid rows halved (:class:`Cell`), one tanh covers all the fused gates: tanh(x)
    for the candidate, tanh(x / 2) for the sigmoid gates, whose sigmoid is then ``(1 + tanh(x / 2)) / 2``.
    Peepholes add ``p ⊙ c_{t-1}`` to the input and forget gates and ``p ⊙ c_t`` to the output gate.
    """
    z = s.z
    spec = cell.spec
    np.matmul(cell.w, h_prev, out=z)  # (4H, B)
    z += xw_t  # (4H, B)
    if s.b is not None:
        z += s.b  # (4H, B)
    peep = cell.peep
    if peep:
        s.i += peep["i"] * s.c  # (H, B)  p_i ⊙ c_{t-1}
        s.f += peep["f"] * s.c  # (H, B)  p_f ⊙ c_{t-1}
    if cell.halved and spec.cell_activation == "tanh" and not peep:
        np.tanh(z, out=z)  # (4H, B)  tanh(g); tanh(x / 2) for the sigmoid gates
        _activate_(s.constants, "sigmoid", s.sig, halved=True)  # (3H, B)
    else:
        gates = s.z[: 2 * cell.units] if peep else s.sig  # the output gate waits for c_t with peepholes
        if cell.halved:
            np.tanh(gates, out=gates)
        _activate_(s.constants, spec.gate_activation, gates, halved=cell.halved)
        _activate_(s.constants, spec.cell_activation, s.g)
    s.c *= s.f  # (H, B)  f * c_{t-1}
    np.multiply(s.i, s.g, out=s.tmp)  # (H, B)  i * g
    s.c += s.tmp  # (H, B)
    if peep:
        s.o += peep["o"] * s.c  # (H, B)  p_o ⊙ c_t
        if cell.halved:
            np.tanh(s.o, out=s.o)
        _activate_(s.constants, spec.gate_activation, s.o, halved=cell.halved)
    np.copyto(s.tmp, s.c)
    _activate_(s.constants, spec.cell_activation, s.tmp)  # (H, B)  tanh(c_t)
    if cell.proj is None:
        np.multiply(s.tmp, s.o, out=h_out)  # (H, B)  o * tanh(c)
    else:
        s.tmp *= s.o  # (H, B)
        np.matmul(cell.proj, s.tmp, out=h_out)  # (P, B)  P (o * tanh(c))


@dataclass
class GRUState:
    """Buffers of a GRU cell (gathered in the order r, z, n)."""

    hw: Array  # (3H, B) W h_{t-1}
    b: Array | None  # (3H, B) the bias b_x, repeated for each sequence of the batch
    g: Array  # (2H, B) reset and update gates
    n: Array  # (H, B) candidate
    rh: Array  # (H, B) r * h (reset before)
    constants: Mapping[str, Any]

    def reads(self, cell: Cell) -> list[tuple[Array, tuple[str, ...]]]:
        """The weight arrays a step reads besides the input product, with their tensors."""
        arrays = [(cell.w, cell.origins[id(cell.w)])]
        if cell.b_rec is not None:
            arrays.append((cell.b_rec, cell.origins[id(cell.b_rec)]))
        return arrays + _reads(cell, [], self.b)


def gru_state(cell: Cell, batch: int, dtype: Any, constants: Mapping[str, Any] = {}) -> GRUState:
    """Buffers for a GRU cell."""
    h = cell.units
    return GRUState(
        hw=np.empty((3 * h, batch), dtype),  # (3H, B)
        b=_bias_block(cell, batch),
        g=np.empty((2 * h, batch), dtype),  # (2H, B)
        n=np.empty((h, batch), dtype),  # (H, B)
        rh=np.empty((h, batch), dtype),  # (H, B)
        constants=constants,
    )


def gru_step(cell: Cell, s: GRUState, xw_t: Array, h_prev: Array, h_out: Array) -> None:
    """One GRU step: h_t = z * h_{t-1} + (1 - z) * n.

    Reset after the product: ``n = tanh(U_n x + b_n + r * (W_n h + b_hn))``; reset before:
    ``n = tanh(U_n x + b_n + W_n (r * h))``.
    """
    h = cell.units
    spec = cell.spec
    if s.b is not None:
        xw_t += s.b  # (3H, B)  U x_t + b, in the input product's own buffer
    if spec.reset_after:
        np.matmul(cell.w, h_prev, out=s.hw)  # (3H, B)
        hrz = s.hw[: 2 * h]
    else:
        hrz = s.hw[: 2 * h]
        np.matmul(cell.w[: 2 * h], h_prev, out=hrz)  # (2H, B)
    np.add(xw_t[: 2 * h], hrz, out=s.g)  # (2H, B)  r and z
    if cell.halved:
        np.tanh(s.g, out=s.g)
    _activate_(s.constants, spec.gate_activation, s.g, halved=cell.halved)
    r, z = s.g[:h], s.g[h:]
    if spec.reset_after:
        hn = s.hw[2 * h :]  # (H, B)  W_n h
        if cell.b_rec is not None:
            hn += cell.b_rec  # (H, B)
        np.multiply(r, hn, out=s.n)  # (H, B)  r * (W_n h + b_hn)
    else:
        np.multiply(r, h_prev, out=s.rh)  # (H, B)  r * h
        np.matmul(cell.w[2 * h :], s.rh, out=s.n)  # (H, B)  W_n (r * h)
    s.n += xw_t[2 * h :]  # (H, B)
    _activate_(s.constants, spec.cell_activation, s.n)  # (H, B)
    np.subtract(h_prev, s.n, out=h_out)  # (H, B)  h - n
    h_out *= z  # (H, B)  z * (h - n)
    h_out += s.n  # (H, B)  n + z * (h - n) = (1 - z) n + z h


@dataclass
class RNNState:
    """A simple RNN cell needs no buffer beyond h, only its bias block."""

    b: Array | None  # (H, B) the bias b_x, repeated for each sequence of the batch
    constants: Mapping[str, Any]

    def reads(self, cell: Cell) -> list[tuple[Array, tuple[str, ...]]]:
        """The weight arrays a step reads besides the input product, with their tensors."""
        return _reads(cell, [cell.w], self.b)


def rnn_state(cell: Cell, batch: int, dtype: Any, constants: Mapping[str, Any] = {}) -> RNNState:
    """Buffers for a simple RNN cell: the bias block."""
    return RNNState(b=_bias_block(cell, batch), constants=constants)


def rnn_step(cell: Cell, s: RNNState, xw_t: Array, h_prev: Array, h_out: Array) -> None:
    """One simple RNN step: h_t = act(U x_t + b + W h_{t-1})."""
    np.matmul(cell.w, h_prev, out=h_out)  # (H, B)
    h_out += xw_t  # (H, B)
    if s.b is not None:
        h_out += s.b  # (H, B)
    _activate_(s.constants, cell.spec.cell_activation, h_out)  # (H, B)


STEPS: Mapping[Kind, tuple[Callable[..., Any], Callable[..., None]]] = {
    Kind.LSTM: (lstm_state, lstm_step),
    Kind.GRU: (gru_state, gru_step),
    Kind.RNN: (rnn_state, rnn_step),
}


# ---------------------------------------------------------------------------------------------
# the loop over time


#: The input product is one stacked product, each step's ``(G·H, I) x (I, B)`` written to its
#: own contiguous block, while the input is narrow next to the batch: ``I <= STACKED_WIDTH · B``.
#: Each of those products reads U again, which costs more than it saves once I is wide; then
#: it is one ``(G·H, I) x (I, T·B)`` product, and each step reads its slice as ``G·H`` short
#: rows spread over the whole result. Measured for an LSTM (H=512, B=64, T=100, float32, two
#: threads) as a ratio to ``torch.nn.LSTM``: at I=256 stacked 1.20-1.28 against one product
#: 1.30-1.39; at I=512 a tie (1.27 and 1.23); at I=1024 stacked 1.18 against one product 1.10.
STACKED_WIDTH = 4


def input_operand(x: Array) -> Array:
    """What the input product multiplies: ``x`` ``(T, I, B)`` itself when narrow, else ``(I, T·B)``.

    See :data:`STACKED_WIDTH`. The wide form is a copy made in the order that keeps the
    innermost axis in memory innermost; it is made once per layer, for both directions.
    """
    steps, width, batch = x.shape
    if width <= STACKED_WIDTH * batch:
        return x  # (T, I, B)
    if x.strides[2] == x.itemsize:  # B innermost: a previous layer's h
        return np.ascontiguousarray(x.transpose(1, 0, 2)).reshape(width, steps * batch)  # (I, T·B)
    return np.ascontiguousarray(x.transpose(0, 2, 1)).reshape(steps * batch, width).T  # (I, T·B), a view of (T·B, I)


def input_product(cell: Cell, operand: Array, batch: int, out: Array | None = None) -> Array:
    """``U x_t`` for every step at once; returns ``(T, G·H, B)``.

    ``operand`` comes from :func:`input_operand`: for ``(T, I, B)``, one stacked product whose
    result is time-major, each step's block contiguous; for ``(I, T·B)``, one
    ``(G·H, I) x (I, T·B)`` product, returned as a ``(T, G·H, B)`` view. ``out`` is a buffer
    of ``T·G·H·B`` elements. The bias is not added here: a pass over the whole product would
    run at memory speed, while each step adds it to its own slice, which is in cache by then.
    """
    rows = cell.u.shape[0]  # G·H
    if operand.ndim == 3:
        stacked = None if out is None else out.reshape(operand.shape[0], rows, batch)
        xw: Array = np.matmul(cell.u, operand, out=stacked)  # (T, G·H, B)
        return xw
    steps = operand.shape[1] // batch
    flat = None if out is None else out.reshape(rows, steps * batch)
    xw = np.matmul(cell.u, operand, out=flat)  # (G·H, T·B)
    return xw.reshape(rows, steps, batch).transpose(1, 0, 2)  # (T, G·H, B), a view


def run_cell(
    cell: Cell,
    x: Array,
    batch: int,
    *,
    reverse: bool,
    keep_sequence: bool,
    out: Array | None = None,
    xw_buffer: Array | None = None,
    trace: Trace | None = None,
    key: tuple[str, int, int] = ("", 0, 0),
    constants: Mapping[str, Any] | None = None,
) -> tuple[Array, tuple[Array, ...]]:
    """Run one cell over the input ``x``, as :func:`input_operand` gives it, for a batch of ``batch``.

    Returns every step's h as ``(T, R, B)`` in time order (written into ``out`` when given),
    or, when ``keep_sequence`` is false, only the final h ``(R, B)`` (then only what the next
    step needs is kept), and the final states ``h`` ``(R, B)`` and, for an LSTM, ``c`` ``(H, B)``.
    """
    dtype = x.dtype
    width = cell.w.shape[1]  # R
    make_state, step = STEPS[cell.kind]
    state = make_state(cell, batch, dtype, constants or {})
    xw = input_product(cell, x, batch, xw_buffer)  # (T, G·H, B)
    steps = xw.shape[0]
    if out is None:
        out = np.empty((steps if keep_sequence else 2, width, batch), dtype)  # (T, R, B) or ping-pong (2, R, B)
    h_prev = np.zeros((width, batch), dtype)  # (R, B)
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    reads = _trace_reads(trace, cell, state, xw) if trace is not None else []
    for n, t in enumerate(order):
        h_out = out[t if keep_sequence else n % 2]  # (R, B)
        step(cell, state, xw[t], h_prev, h_out)
        if trace is not None:
            trace.touch(key, reads)
        h_prev = h_out
    final_h = h_prev.copy()  # (R, B)
    states = (final_h, state.c.copy()) if isinstance(state, LSTMState) else (final_h,)
    return (out if keep_sequence else final_h), states


def _trace_reads(trace: Trace, cell: Cell, state: Any, xw: Array) -> list[Array]:
    """The weight arrays every step of ``cell`` reads, each registered with the tensors it came from."""
    trace.derive(xw, cell.origins[id(cell.u)])
    reads = [xw]
    for array, made_from in state.reads(cell):
        trace.derive(array, made_from)
        reads.append(array)
    return reads


def _merge(mode: MergeMode, a: Array, b: Array) -> Array:
    if mode is MergeMode.CONCAT:
        return np.concatenate([a, b], axis=-2)  # (T, 2R, B) or (2R, B)
    if mode is MergeMode.SUM:
        return a + b
    if mode is MergeMode.AVE:
        return (a + b) / 2
    return a * b


def _recurrent_layer(
    fw: Framework,
    layer: LayerReport,
    spec: LayerSpec,
    w: Mapping[str, Array],
    x: Array,
    trace: Trace | None,
    scratch: Scratch,
) -> tuple[Array, tuple[Array, ...]]:
    """A recurrent layer on (B, T, I): every stacked cell and direction, merged, and the final states.

    The cells take turns with one input-product buffer from ``scratch`` (under a trace, each
    cell has its own, so that every array read is told apart).
    """
    assert isinstance(spec, RecurrentSpec)
    sequences = len(layer.output_shape) == 3
    batch, steps, _ = x.shape
    x_t = x.transpose(1, 2, 0)  # (T, I, B), a view
    finals: list[tuple[Array, ...]] = []  # per cell instance (k, d): h, c as (R, B), (H, B)
    cells = list(layer.cells)
    out: Array = x_t
    for n, info in enumerate(cells):
        operand = input_operand(x_t)  # (T, I, B) or (I, T·B)
        last = n == len(cells) - 1
        keep = sequences or not last
        merge = spec.merge_mode if last else MergeMode.CONCAT
        width = info.output_size
        shared = None
        if keep and merge is MergeMode.CONCAT:
            # both directions write straight into their half of the concatenation
            shared = np.empty((steps, layer.directions * width, batch), x_t.dtype)  # (T, D·R, B)
        per_dir: list[Array] = []
        for d in range(layer.directions):
            cell = make_cell(layer, w, info.stack_index, d, x_t.dtype)
            key = (layer.name, info.stack_index, d)
            into = None if shared is None else shared[:, d * width : (d + 1) * width]  # (T, R, B)
            xw_buffer = None if trace else scratch.get((steps * cell.u.shape[0] * batch,), x_t.dtype)
            y, states = run_cell(
                cell,
                operand,
                batch,
                reverse=d == 1,
                keep_sequence=keep,
                out=into,
                xw_buffer=xw_buffer,
                trace=trace,
                key=key,
                constants=fw.activations,
            )
            # without the sequence, y is each direction's final step: forward t = T-1, backward t = 0
            per_dir.append(y)  # (T, R, B) or (R, B)
            finals.append(states)
        if shared is not None:
            out = shared  # (T, D·R, B)
        else:
            out = per_dir[0] if len(per_dir) == 1 else _merge(merge, per_dir[0], per_dir[1])
        if not last:
            x_t = out  # (T, D·R, B)
    result = out.transpose(2, 0, 1) if sequences else out.T  # (B, T, F) or (B, F), views
    return result, _states_layout(fw, finals)


def _states_layout(fw: Framework, finals: list[tuple[Array, ...]]) -> tuple[Array, ...]:
    """Final states as the framework returns them, batch first (each cell's are h, then c)."""
    if fw.states is States.STACKED:
        kinds = len(finals[0])
        return tuple(np.stack([f[j].T for f in finals]) for j in range(kinds))  # (L·D, B, width)
    if fw.states is States.PER_CELL_CH:
        return tuple(np.ascontiguousarray(a.T) for f in finals for a in reversed(f))  # c, h per cell
    return tuple(np.ascontiguousarray(a.T) for f in finals for a in f)  # h, c per cell, each (B, width)


# ---------------------------------------------------------------------------------------------
# weights and inputs for a check run


def init_weights(model: Model, seed: int = 0, dtype: Any = np.float32) -> dict[str, Array]:
    """Random weights in the framework's names and shapes (uniform in ±1/sqrt(fan), as PyTorch)."""
    rng = np.random.default_rng(seed)
    out: dict[str, Array] = {}
    for layer in model.report.layers:
        for t in layer.tensors:
            scale = 1.0 / np.sqrt(max(1, _fan(layer, t)))
            if t.role is Role.SCALE:
                out[t.path] = (1 + rng.uniform(-0.1, 0.1, t.shape)).astype(dtype)
            else:
                out[t.path] = rng.uniform(-scale, scale, t.shape).astype(dtype)
    return out


def _fan(layer: LayerReport, t: TensorReport) -> int:
    if layer.cells:
        return layer.cells[0].units
    if t.role is Role.EMBEDDINGS:
        return 1
    return int(np.prod(t.shape)) // max(1, t.shape[0] if len(t.shape) > 1 else t.shape[-1])


def random_input(model: Model, batch: int, steps: int, seed: int = 0, dtype: Any = np.float32) -> Array:
    """A random batch: token ids before an embedding, else standard normal features."""
    rng = np.random.default_rng(seed + 1)
    first = model.report.layers[0]
    if first.type is LayerType.EMBEDDING:
        vocab = first.tensors[0].shape[0]
        return rng.integers(0, vocab, size=(batch, steps))  # (B, T)
    features = int(model.report.input_shape[-1] or 0)
    return rng.standard_normal((batch, steps, features)).astype(dtype)  # (B, T, I)


def estimate_bytes(report: Report, batch: int, steps: int, itemsize: int) -> int:
    """Bytes a pass needs at most: weights, the input, each layer's output and the recurrent buffers.

    Each input and recurrent weight is counted twice more (a gates-major copy, with room to
    spare); a layer may copy its input into the layout its products want; each cell repeats its
    bias for the batch; random weights and inputs are drawn in float64. A peak measured with
    ``tracemalloc`` stays below the estimate (``tests/test_verify_cli.py``).
    """
    elements = report.total
    first = report.input_shape
    inputs = batch * steps * int(first[-1] or 1) if len(first) == 3 else batch * steps
    largest = max([inputs, *(t.params for layer in report.layers for t in layer.tensors)])
    elements += inputs
    for layer in report.layers:
        sizes = [expected_shape(shape, batch, steps) for shape in (layer.input_shape, layer.output_shape)]
        elements += sum(int(np.prod([d or 1 for d in shape], dtype=np.float64)) for shape in sizes)
        layer_steps = int(expected_shape(layer.input_shape, batch, steps)[1] or 1)
        if layer.cells:
            elements += 2 * sum(t.params for t in layer.tensors if t.role in (Role.INPUT, Role.RECURRENT))
        for cell in layer.cells:
            # the input product and every step's h, per direction, plus the gate buffers
            per_dir = batch * layer_steps * (cell.gates * cell.units + 2 * cell.output_size)
            per_dir += batch * (cell.gates + 4) * cell.units
            elements += per_dir * layer.directions
    return int(elements) * itemsize + largest * 8


def iter_recurrent(report: Report) -> Iterator[LayerReport]:
    """The recurrent layers of a report."""
    return (layer for layer in report.layers if layer.recurrent)
