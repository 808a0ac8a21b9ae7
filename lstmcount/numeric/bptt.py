"""Backpropagation through time in NumPy: each step's share of the gradient of the shared weights.

A small recurrent layer (LSTM, GRU or simple RNN, one direction) is run forward over T steps
with seeded weights and input, the loss is the sum of squares of the last hidden state, and the
backward pass walks the steps from T down to 1. Every step uses the same weight tensors, so each
step adds a contribution to their gradient; the gradient is the sum of those contributions, and
one update is applied to the one set of weights. The weights are kept in a canonical gate order
(LSTM i, f, g, o; GRU r, z, n) and in the row-vector layout ``x U + h W + b``; the framework's
own tensors are made from them by the placements the counter gives each tensor.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lstmcount import frameworks
from lstmcount.cells import Biases, CellSpec, Param
from lstmcount.counting.counter import count
from lstmcount.errors import UsageError
from lstmcount.frameworks.base import Framework
from lstmcount.model.report import LayerReport, Report, TensorReport
from lstmcount.model.spec import LayerType, LSTMSpec, ModelSpec, RecurrentSpec

Array = NDArray[np.float64]

#: Canonical gate order of the row-vector weights, per cell type.
CANONICAL: dict[LayerType, tuple[str, ...]] = {
    LayerType.LSTM: ("i", "f", "g", "o"),
    LayerType.GRU: ("r", "z", "n"),
    LayerType.SIMPLE_RNN: ("h",),
}
#: The tiny model used when the user's layer is too large to print.
TINY_INPUT, TINY_UNITS = 3, 2
#: Largest layer shown as it is (input features and units).
MAX_SHOWN = 8
#: Default sequence length and batch size.
DEFAULT_STEPS, DEFAULT_BATCH = 3, 1
#: Longest sequence and largest batch the demonstration runs (one table row per step).
MAX_STEPS, MAX_BATCH = 10, 8
#: Step of the central finite differences, and the agreement the description reports.
FD_EPS, FD_TOLERANCE = 1e-6, 1e-7
#: Standard deviation of the seeded weights.
WEIGHT_SCALE = 1.0
#: Names of the canonical weights.
WEIGHTS = ("U", "W", "bx", "bh")


@dataclass(frozen=True)
class Cell:
    """One recurrent cell: type, activation, and weights in canonical order and row layout.

    ``U`` is (I, G·H) and multiplies x_t, ``W`` is (H, G·H) and multiplies h_{t-1}; ``bx`` is
    the bias (the input bias when there are two) and ``bh`` the recurrent bias, each (G·H,) or
    None. A GRU with ``reset_after`` applies the reset gate to ``h W_n + bh_n``; without it, to
    h_{t-1} before the product.
    """

    kind: LayerType
    U: Array  # (I, G*H)
    W: Array  # (H, G*H)
    bx: Array | None  # (G*H,)
    bh: Array | None  # (G*H,)
    activation: str = "tanh"
    reset_after: bool = True
    forget_bias: float = 0.0

    @property
    def units(self) -> int:
        """H."""
        return int(self.W.shape[0])

    def params(self) -> dict[str, Array]:
        """The weights by name, without the absent biases."""
        out = {"U": self.U, "W": self.W}
        if self.bx is not None:
            out["bx"] = self.bx
        if self.bh is not None:
            out["bh"] = self.bh
        return out

    def with_params(self, params: dict[str, Array]) -> Cell:
        """A copy with some weights replaced."""
        return dataclasses.replace(self, **params)  # type: ignore[arg-type]


def _sigmoid(a: Array) -> Array:
    return 1.0 / (1.0 + np.exp(-a))


def _act(name: str, a: Array) -> Array:
    return np.maximum(a, 0.0) if name == "relu" else np.tanh(a)


def _act_grad(name: str, a: Array, out: Array) -> Array:
    return (a > 0).astype(np.float64) if name == "relu" else 1.0 - out**2


def _bias(cell: Cell, which: str, width: int) -> Array:
    vector = cell.bx if which == "x" else cell.bh
    return np.zeros(width) if vector is None else vector


def forward(cell: Cell, x: Array) -> tuple[Array, list[dict[str, Array]]]:
    """Run ``cell`` over ``x`` (B, T, I) from zero state; the last h (B, H) and each step's cache."""
    batch, steps, _ = x.shape
    h_ = cell.units
    h = np.zeros((batch, h_))  # (B, H)
    c = np.zeros((batch, h_))  # (B, H), LSTM only
    caches = []
    for t in range(steps):
        xt = x[:, t, :]  # (B, I)
        ax = xt @ cell.U + _bias(cell, "x", cell.U.shape[1])  # (B, G*H)
        if cell.kind is LayerType.LSTM:
            a = ax + h @ cell.W + _bias(cell, "h", cell.W.shape[1])  # (B, 4H)
            i, f = _sigmoid(a[:, :h_]), _sigmoid(a[:, h_ : 2 * h_] + cell.forget_bias)  # (B, H) each
            g, o = np.tanh(a[:, 2 * h_ : 3 * h_]), _sigmoid(a[:, 3 * h_ :])  # (B, H) each
            c_new = f * c + i * g  # (B, H)
            h_new = o * np.tanh(c_new)  # (B, H)
            caches.append({"x": xt, "h": h, "c": c, "i": i, "f": f, "g": g, "o": o, "c_new": c_new})
            h, c = h_new, c_new
        elif cell.kind is LayerType.GRU:
            if cell.reset_after:
                ah = h @ cell.W + _bias(cell, "h", cell.W.shape[1])  # (B, 3H)
                r = _sigmoid(ax[:, :h_] + ah[:, :h_])  # (B, H)
                z = _sigmoid(ax[:, h_ : 2 * h_] + ah[:, h_ : 2 * h_])  # (B, H)
                n = np.tanh(ax[:, 2 * h_ :] + r * ah[:, 2 * h_ :])  # (B, H)
                caches.append({"x": xt, "h": h, "r": r, "z": z, "n": n, "ah": ah})
            else:
                bh = _bias(cell, "h", cell.W.shape[1])  # (3H,): outside the reset, a constant like bx
                a_rz = ax[:, : 2 * h_] + h @ cell.W[:, : 2 * h_] + bh[: 2 * h_]  # (B, 2H)
                r, z = _sigmoid(a_rz[:, :h_]), _sigmoid(a_rz[:, h_:])  # (B, H) each
                n = np.tanh(ax[:, 2 * h_ :] + (r * h) @ cell.W[:, 2 * h_ :] + bh[2 * h_ :])  # (B, H)
                caches.append({"x": xt, "h": h, "r": r, "z": z, "n": n})
            h = z * h + (1.0 - z) * n  # (B, H)
        else:
            a = ax + h @ cell.W + _bias(cell, "h", cell.W.shape[1])  # (B, H)
            h_new = _act(cell.activation, a)
            caches.append({"x": xt, "h": h, "a": a, "out": h_new})
            h = h_new
    return h, caches


def loss(cell: Cell, x: Array) -> float:
    """The loss of the demonstration: the sum of squares of the last hidden state."""
    h, _ = forward(cell, x)
    return float(np.sum(h**2))


def backward(cell: Cell, x: Array) -> list[dict[str, Array]]:
    """Each step's contribution to the gradient of each weight, for steps 1..T (index 0 = step 1).

    The backward pass visits the steps from T down to 1; step t's contribution is the gradient
    through step t's own use of the shared weights.
    """
    h_last, caches = forward(cell, x)
    h_ = cell.units
    dh = 2.0 * h_last  # (B, H): dL/dh_T
    dc = np.zeros_like(dh)  # (B, H), LSTM only
    out: list[dict[str, Array]] = []
    for k in reversed(range(len(caches))):
        cache = caches[k]
        xt, h_prev = cache["x"], cache["h"]
        if cell.kind is LayerType.LSTM:
            i, f, g, o, c_prev = cache["i"], cache["f"], cache["g"], cache["o"], cache["c"]
            tanh_c = np.tanh(cache["c_new"])  # (B, H)
            do = dh * tanh_c
            dc = dc + dh * o * (1.0 - tanh_c**2)
            di, df, dg = dc * g, dc * c_prev, dc * i
            da = np.concatenate(
                [di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2), do * o * (1 - o)], axis=1
            )  # (B, 4H)
            step = {"U": xt.T @ da, "W": h_prev.T @ da, "bx": da.sum(0), "bh": da.sum(0)}
            dh, dc = da @ cell.W.T, dc * f
        elif cell.kind is LayerType.GRU:
            r, z, n = cache["r"], cache["z"], cache["n"]
            dz = dh * (h_prev - n)
            dn = dh * (1.0 - z)
            dh_prev = dh * z
            dan = dn * (1.0 - n**2)  # (B, H): through tanh
            if cell.reset_after:
                ah_n = cache["ah"][:, 2 * h_ :]
                dar = dan * ah_n * r * (1 - r)
                daz = dz * z * (1 - z)
                dax = np.concatenate([dar, daz, dan], axis=1)  # (B, 3H)
                dah = np.concatenate([dar, daz, dan * r], axis=1)  # (B, 3H)
                step = {"U": xt.T @ dax, "W": h_prev.T @ dah, "bx": dax.sum(0), "bh": dah.sum(0)}
                dh = dh_prev + dah @ cell.W.T
            else:
                d_rh = dan @ cell.W[:, 2 * h_ :].T  # (B, H): gradient at r ⊙ h_{t-1}
                dar = d_rh * h_prev * r * (1 - r)
                daz = dz * z * (1 - z)
                da_rz = np.concatenate([dar, daz], axis=1)  # (B, 2H)
                dax = np.concatenate([da_rz, dan], axis=1)  # (B, 3H)
                dw = np.concatenate([h_prev.T @ da_rz, (r * h_prev).T @ dan], axis=1)  # (H, 3H)
                step = {"U": xt.T @ dax, "W": dw, "bx": dax.sum(0), "bh": dax.sum(0)}
                dh = dh_prev + d_rh * r + da_rz @ cell.W[:, : 2 * h_].T
        else:
            da = dh * _act_grad(cell.activation, cache["a"], cache["out"])  # (B, H)
            step = {"U": xt.T @ da, "W": h_prev.T @ da, "bx": da.sum(0), "bh": da.sum(0)}
            dh = da @ cell.W.T
        out.append({name: value for name, value in step.items() if name in cell.params()})
    out.reverse()
    return out


def finite_differences(cell: Cell, x: Array, eps: float = FD_EPS) -> dict[str, Array]:
    """The gradient of :func:`loss` by central differences, element by element (float64)."""
    grads: dict[str, Array] = {}
    for name, value in cell.params().items():
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            plus, minus = value.copy(), value.copy()
            plus[index] += eps
            minus[index] -= eps
            grad[index] = (loss(cell.with_params({name: plus}), x) - loss(cell.with_params({name: minus}), x)) / (
                2 * eps
            )
        grads[name] = grad
    return grads


# --------------------------------------------------------------------------- framework layout


def to_framework(arrays: dict[str, Array], tensors: tuple[TensorReport, ...], cell: CellSpec) -> dict[str, Array]:
    """Canonical arrays (weights or their gradients) as the framework's own tensors, by name.

    Each tensor is filled block by block from its placements (direction 0 of a tensor that
    holds both); a block the canonical arrays lack (the recurrent bias of a cell with one) is 0.
    """
    order = CANONICAL[LayerType(cell.kind.value)]
    h_ = cell.units
    out: dict[str, Array] = {}
    for tensor in tensors:
        value = np.zeros(tensor.shape)
        for p in tensor.placements:
            if p.direction not in (None, 0):
                continue
            cols = slice(order.index(p.role) * h_, (order.index(p.role) + 1) * h_)
            source = {Param.U: "U", Param.W: "W", Param.BX: "bx", Param.BH: "bh"}.get(p.param)
            if source is None or source not in arrays:  # pragma: no cover - refused before: projection, peepholes
                raise UsageError(f"--bptt cannot show tensor {tensor.name}")
            block = arrays[source][..., cols]  # (I, H), (H, H) row layout, or (H,)
            p.write(value, block.T if block.ndim == 2 else block)  # from the canonical (H, I) orientation
        out[tensor.name] = value
    return out


# --------------------------------------------------------------------------- the demonstration


@dataclass(frozen=True)
class BPTTResult:
    """A forward and backward pass through time, with each step's contribution."""

    layer: LayerReport
    fw: Framework
    cell: Cell
    x: Array  # (B, T, I)
    loss: float
    steps: list[dict[str, Array]]  # canonical gradients, index 0 = step 1
    finite: dict[str, Array]  # canonical gradient by central differences
    tiny: bool  # the user's layer was too large (or of another shape) and a tiny one is shown
    asked: tuple[int, int] = (DEFAULT_BATCH, DEFAULT_STEPS)  # batch and steps asked for, before the caps

    @property
    def tensors(self) -> tuple[TensorReport, ...]:
        """The framework tensors of the cell."""
        return self.layer.tensors

    def framework(self, arrays: dict[str, Array]) -> dict[str, Array]:
        """``arrays`` as the framework's tensors."""
        return to_framework(arrays, self.tensors, self.layer.cells[0].cell)

    def total(self) -> dict[str, Array]:
        """The gradient: the sum of the steps' contributions."""
        return {name: sum((s[name] for s in self.steps), np.zeros_like(v)) for name, v in self.cell.params().items()}


def make_cell(spec: CellSpec, rng: np.random.Generator) -> Cell:
    """A cell with seeded weights (normal, scale WEIGHT_SCALE) in canonical order and row layout."""
    width = spec.gates * spec.units
    U = rng.normal(0.0, WEIGHT_SCALE, (spec.inputs, width))  # noqa: N806 - the symbol; (I, G*H)
    W = rng.normal(0.0, WEIGHT_SCALE, (spec.units, width))  # noqa: N806 - the symbol; (H, G*H)
    bx = rng.normal(0.0, WEIGHT_SCALE, width) if spec.biases is not Biases.NONE else None  # (G*H,)
    bh = None
    if spec.biases in (Biases.TWO, Biases.HN):
        bh = rng.normal(0.0, WEIGHT_SCALE, width)  # (G*H,)
        if spec.biases is Biases.HN:
            bh[: width - spec.units] = 0.0  # the candidate's recurrent bias only
    return Cell(
        kind=LayerType(spec.kind.value),
        U=U,
        W=W,
        bx=bx,
        bh=bh,
        activation=spec.cell_activation,
        reset_after=spec.reset_after,
        forget_bias=spec.forget_bias,
    )


def _unsupported(spec: CellSpec) -> str | None:
    """Why the demonstration cannot run a cell, or None."""
    if spec.peepholes:
        return "--bptt shows cells without peepholes"
    if spec.kind.value != "simple_rnn" and (spec.gate_activation, spec.cell_activation) != ("sigmoid", "tanh"):
        return "--bptt shows cells with sigmoid gates and a tanh candidate"
    return None


def _small(layer: LayerReport) -> bool:
    cell = layer.cells[0]
    return (
        len(layer.cells) == 1
        and layer.directions == 1
        and not cell.proj_size
        and cell.input_size <= MAX_SHOWN
        and cell.units <= MAX_SHOWN
    )


def run_for(
    report: Report, spec: ModelSpec, *, steps: int | None = None, batch: int | None = None, seed: int = 0
) -> BPTTResult:
    """Run the demonstration on the model's first recurrent layer if small, else on a tiny one like it."""
    layer = next((x for x in report.layers if x.recurrent), None)
    if layer is None:
        raise UsageError("--bptt needs a recurrent layer (lstm, gru or rnn) in the model")
    layer_spec = spec.layers[layer.spec_index]
    assert isinstance(layer_spec, RecurrentSpec)
    tiny = not _small(layer)
    if tiny:
        changes: dict[str, Any] = {
            "units": TINY_UNITS,
            "bidirectional": False,
            "num_layers": 1,
            "input_size": None,
            "name": None,
            "return_sequences": False,
        }
        if isinstance(layer_spec, LSTMSpec):
            changes["proj_size"] = 0
        small_spec = dataclasses.replace(
            spec,
            input=dataclasses.replace(spec.input, features=TINY_INPUT, vocab=None),
            layers=(dataclasses.replace(layer_spec, **changes),),
        )
        layer = count(small_spec, report.framework).layers[0]
        layer_spec = small_spec.layers[0]
        assert isinstance(layer_spec, RecurrentSpec)
    fw = frameworks.get(report.framework)
    info = layer.cells[0]
    problem = _unsupported(info.cell)
    if problem:
        raise UsageError(problem)
    rng = np.random.default_rng(seed)
    cell = make_cell(info.cell, rng)
    shape = (min(batch or DEFAULT_BATCH, MAX_BATCH), min(steps or DEFAULT_STEPS, MAX_STEPS), info.input_size)
    x = rng.normal(0.0, 1.0, shape)  # (B, T, I)
    own = tuple(t for t in layer.tensors if t.holds(info.stack_index, 0))
    layer = dataclasses.replace(layer, tensors=own)
    return BPTTResult(
        asked=(batch or DEFAULT_BATCH, steps or DEFAULT_STEPS),
        layer=layer,
        fw=fw,
        cell=cell,
        x=x,
        loss=loss(cell, x),
        steps=backward(cell, x),
        finite=finite_differences(cell, x),
        tiny=tiny,
    )


def _number(value: float) -> str:
    text = f"{value:+.4f}"
    return " 0.0000" if text in ("+0.0000", "-0.0000") else text


def _vector(values: Array, h_: int) -> str:
    flat = values.reshape(-1)
    groups = [" ".join(_number(v) for v in flat[k : k + h_]) for k in range(0, flat.size, h_)]
    return "[ " + " | ".join(groups) + " ]"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(widths[i]) for i, c in enumerate(header)).rstrip()]
    lines.append("  ".join("─" * w for w in widths))
    lines.extend("  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in rows)
    return lines


def _capped(asked: tuple[int, int], batch: int, steps: int) -> list[str]:
    if asked == (batch, steps):
        return []
    return [
        f"(asked for B = {asked[0]}, T = {asked[1]}; the demonstration runs at most B = {MAX_BATCH}, T = {MAX_STEPS})"
    ]


def describe(result: BPTTResult) -> list[str]:
    """The demonstration as text: per-step contributions, their sum, the check and the update."""
    info, layer = result.layer.cells[0], result.layer
    batch, steps, _ = result.x.shape
    names = [t.name for t in result.tensors]
    h_ = info.units
    order = ", ".join(g.symbol for g in layer.gate_defs)
    what = f"{layer.class_name}, I = {info.input_size}, H = {h_}"
    lines = []
    if result.tiny:
        lines.append("The model's first recurrent layer is too large to print; shown instead: a tiny one")
        lines.append(f"like it, {what}, one direction, one layer.")
    else:
        lines.append(f"The model's layer {layer.name}: {what}.")
    lines += [
        f"T = {steps} steps, batch B = {batch}; weights and input drawn from numpy's default_rng(0);",
        *_capped(result.asked, batch, steps),
        f"loss L = sum of squares of h_{steps} = {result.loss:.6f}.",
        f"Forward: steps 1 to {steps} all use the same {', '.join(names)}.",
        f"Backward: the pass visits step {steps} first and step 1 last; each step adds its own share",
        "to the gradient of every tensor (‖·‖ is the Frobenius norm):",
        "",
    ]
    per_step = [result.framework(s) for s in result.steps]
    total = result.framework(result.total())
    rows = []
    for t in reversed(range(steps)):
        rows.append([f"step {t + 1}"] + [f"{np.linalg.norm(per_step[t][n]):.4f}" for n in names])
    rows.append(["sum (‖Σ‖)"] + [f"{np.linalg.norm(total[n]):.4f}" for n in names])
    lines += ["  " + line for line in _table(["", *(f"‖∂L/∂{n}‖" for n in names)], rows)]
    for vec in names[2:]:
        rows_of = ["[0] (input bias)", "[1] (recurrent bias)"] if total[vec].ndim == 2 else [""]
        for r, label in enumerate(rows_of):
            lines += ["", f"∂L/∂{vec}{label} step by step, in the gate order {order}:"]
            for t in reversed(range(steps)):
                value = per_step[t][vec][r] if label else per_step[t][vec]
                lines.append(f"  step {t + 1}  {_vector(value, h_)}")
            lines.append(f"  sum     {_vector(total[vec][r] if label else total[vec], h_)}")
    worst = max(float(np.max(np.abs(result.total()[n] - result.finite[n]))) for n in result.finite)
    verdict = "agree" if worst < FD_TOLERANCE else "DISAGREE"
    if steps > 1 and float(np.linalg.norm(result.steps[0]["W"])) == 0.0:
        lines += ["", f"Step 1 adds nothing to ∂L/∂{names[1]}: it multiplies h_0 = 0."]
    lines += [
        "",
        f"Check: the sum over steps and central finite differences of L (ε = {FD_EPS:g}) {verdict} for",
        f"every element of every tensor (max difference below {FD_TOLERANCE:g}).",
        f"Update: with learning rate η, {names[0]} ← {names[0]} − η · sum, and likewise for each tensor:",
        "one update of the one shared set of weights per batch, after the backward pass has visited",
        "every step. No step has weights of its own, so none is updated first or separately.",
    ]
    return lines


__all__ = [
    "BPTTResult",
    "Cell",
    "backward",
    "describe",
    "finite_differences",
    "forward",
    "loss",
    "run_for",
    "to_framework",
]
