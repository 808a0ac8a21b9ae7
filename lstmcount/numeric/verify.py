"""The verify command: build the model as NumPy arrays, run a batch through it, show each count hold.

The weights get the framework's tensor names and shapes from the report (or come from a
``.npz``/``.safetensors`` file, checked like a strict state-dict load); the forward pass in
:mod:`lstmcount.numeric.forward` runs a random batch (or ``--input``) through them. Per layer the
command prints expected vs actual output shape and counted vs allocated elements, then the final
states of each recurrent layer and a line showing that every time step used the same weight
arrays. Exit 0 when everything matches, 1 on a mismatch, 2 on bad input. numpy is imported
only inside the functions, so the counting path stays light.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lstmcount.errors import UsageError
from lstmcount.frameworks.base import States
from lstmcount.model.report import LayerReport, Report
from lstmcount.model.spec import Conv1DSpec, LayerType, ModelSpec, Padding

if TYPE_CHECKING:
    from lstmcount.numeric.forward import ForwardResult, Model
    from lstmcount.numeric.weights import WeightCheck

GIB = 1024**3
DEFAULT_BATCH = 2
DEFAULT_STEPS = 6
#: Version of the ``--format json`` document.
VERIFY_SCHEMA_VERSION = 1
UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "kib": 1024,
    "m": 1000**2,
    "mb": 1000**2,
    "mib": 1024**2,
    "g": 1000**3,
    "gb": 1000**3,
    "gib": GIB,
    "t": 1000**4,
    "tb": 1000**4,
    "tib": 1024**4,
}


def default_steps(spec: ModelSpec) -> int:
    """A sequence length for a spec that leaves it open: 6, or the shortest every conv1d accepts."""
    steps = DEFAULT_STEPS
    while True:
        length = steps
        for layer in spec.layers:
            if isinstance(layer, Conv1DSpec):
                if layer.padding is Padding.SAME:
                    length = -(-length // layer.strides)
                elif layer.kernel_size > length:
                    break
                else:
                    length = (length - layer.kernel_size) // layer.strides + 1
        else:
            return steps
        steps += 1


def parse_size(text: str) -> int:
    """A byte count such as ``2GiB``, ``512MB``, ``1e9`` or ``4096``."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([a-z]*)\s*", text.lower())
    if not match or match.group(2) not in UNITS:
        raise UsageError(f"--max-memory: expected a size such as 2GiB, 512MB or 1000000, received {text!r}")
    return int(float(match.group(1)) * UNITS[match.group(2)])


def human_bytes(n: float) -> str:
    """``n`` bytes in binary units: ``1.5 GiB``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


@dataclass(frozen=True)
class LayerCheck:
    """One layer: expected vs actual output shape, counted params vs allocated elements."""

    name: str
    class_name: str
    expected_shape: tuple[int | None, ...]
    actual_shape: tuple[int, ...]
    counted: int
    allocated: int
    finite: bool = True  # every output value is a number (no NaN or infinity)

    @property
    def ok(self) -> bool:
        """Shapes and counts agree, and the output is finite."""
        return self.expected_shape == self.actual_shape and self.counted == self.allocated and self.finite


@dataclass(frozen=True)
class StateCheck:
    """The final states of one recurrent layer: names, expected and actual shapes."""

    layer: str
    names: tuple[str, ...]
    expected: tuple[tuple[int, ...], ...]
    actual: tuple[tuple[int, ...], ...]

    @property
    def ok(self) -> bool:
        """Every state has its expected shape."""
        return self.expected == self.actual


@dataclass(frozen=True)
class SharingCheck:
    """Weight sharing over time: what the steps of a recurrent layer read, vs the layer's tensors."""

    layer: str
    reached: frozenset[str]  # tensors the steps' arrays were made from
    tensors: frozenset[str]  # the layer's tensors in the report
    arrays: int  # distinct arrays read over all steps
    same_every_step: bool  # every step of a cell read the very same arrays
    steps: tuple[int, ...]  # steps run by each cell instance
    expected_steps: int

    @property
    def ok(self) -> bool:
        """Every cell ran every step on the same arrays, made from exactly the layer's tensors."""
        return (
            self.reached == self.tensors and self.same_every_step and all(s == self.expected_steps for s in self.steps)
        )


@dataclass
class VerifyResult:
    """Everything ``verify`` found."""

    report: Report
    batch: int
    steps: int
    dtype: str
    source: str  # "random weights (seed 0)" or the file name
    estimate: int
    weights: WeightCheck | None = None
    layers: list[LayerCheck] = field(default_factory=list)
    states: list[StateCheck] = field(default_factory=list)
    sharing: list[SharingCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No mismatch anywhere."""
        checks: list[Any] = [*self.layers, *self.states, *self.sharing]
        return (self.weights is None or self.weights.ok) and all(c.ok for c in checks)


def _labels(layer: LayerReport) -> list[str]:
    """A label per cell instance (stacked layer, direction), in the order the framework returns their states."""
    words = ("forward", "backward")
    several = len(layer.cells) > 1
    return [
        "_".join(filter(None, [str(c.stack_index) if several else "", words[d] if layer.directions > 1 else ""]))
        for c in layer.cells
        for d in range(layer.directions)
    ]


def state_names(layer: LayerReport, states: States) -> tuple[str, ...]:
    """Names of a recurrent layer's final states: h_n, c_n (stacked), or h, c of each cell instance."""
    kinds: tuple[str, ...] = ("h", "c") if layer.type is LayerType.LSTM else ("h",)
    if states is States.STACKED:
        return tuple(f"{k}_n" for k in kinds)
    if states is States.PER_CELL_CH:
        kinds = tuple(reversed(kinds))
    labels = _labels(layer)
    if len(labels) == 1:
        return kinds
    return tuple(f"{k}_{label}" for label in labels for k in kinds)


def expected_states(layer: LayerReport, batch: int, states: States) -> tuple[tuple[int, ...], ...]:
    """Shapes of the final states the report implies."""
    kinds: tuple[str, ...] = ("h", "c") if layer.type is LayerType.LSTM else ("h",)
    if states is States.STACKED:
        cell = layer.cells[-1]
        widths = {"h": cell.output_size, "c": cell.units}
        n = len(layer.cells) * layer.directions
        return tuple((n, batch, widths[k]) for k in kinds)
    if states is States.PER_CELL_CH:
        kinds = tuple(reversed(kinds))
    return tuple(
        (batch, {"h": c.output_size, "c": c.units}[k])
        for c in layer.cells
        for _ in range(layer.directions)
        for k in kinds
    )


def verify_model(
    model: Model,
    *,
    batch: int,
    steps: int,
    seed: int,
    dtype: str,
    max_memory: int,
    weights_file: str | None = None,
    input_file: str | None = None,
    save_output: str | None = None,
    arrays: Mapping[str, Any] | None = None,
) -> VerifyResult:
    """Check the memory estimate, make or load the weights, run the pass and compare."""
    import numpy as np

    from lstmcount.numeric import forward as fw
    from lstmcount.numeric.weights import check_weights, fit_hints, read_weights

    out_path = output_path(save_output) if save_output else None
    x = None
    if input_file:
        _fits_in_memory(input_file, "--input", max_memory)
        x = _read_input(input_file, model)
        batch, steps = int(x.shape[0]), int(x.shape[1])
        if steps != (model.spec.input.timesteps or steps):
            raise UsageError(
                f"--input: {input_file} has {steps} steps, the model takes {model.spec.input.timesteps} "
                f"(its input.timesteps); give --timesteps {steps} to run it on these"
            )
    model = fw.build(model, timesteps=steps)
    report = model.report
    itemsize = np.dtype(fw.DTYPES[dtype]).itemsize
    estimate = fw.estimate_bytes(report, batch, steps, itemsize)
    if estimate > max_memory:
        weights_bytes = report.total * itemsize
        if weights_bytes > max_memory:
            fix = f"the weights alone take {human_bytes(weights_bytes)}; use smaller sizes or raise --max-memory"
        else:
            fix = "lower --batch or --timesteps, or raise --max-memory"
        raise UsageError(
            f"the forward pass needs about {human_bytes(estimate)} ({report.total:,} weights and the "
            f"activations of batch {batch} × {steps} steps in {dtype}), above --max-memory "
            f"{human_bytes(max_memory)}; {fix}"
        )
    result = VerifyResult(
        report=report, batch=batch, steps=steps, dtype=dtype, source=f"random weights (seed {seed})", estimate=estimate
    )
    if weights_file:
        size = Path(weights_file).stat().st_size if Path(weights_file).is_file() else 0
        if size + estimate > max_memory:
            raise UsageError(
                f"--weights: {weights_file} holds {human_bytes(size)}; with the pass (about "
                f"{human_bytes(estimate)}) that is above --max-memory {human_bytes(max_memory)}"
            )
        result.source = weights_file
        if arrays is None:
            arrays = read_weights(weights_file)
        result.weights = check_weights(report, arrays)
        if not result.weights.ok:
            result.weights.hints = fit_hints(model.spec, report, arrays)
            return result
        weights = {k: np.ascontiguousarray(v, dtype=fw.DTYPES[dtype]) for k, v in result.weights.weights.items()}
    else:
        weights = fw.init_weights(model, seed, fw.DTYPES[dtype])
    if x is None:
        x = fw.random_input(model, batch, steps, seed, fw.DTYPES[dtype])
    trace = fw.Trace()
    out = fw.run(model, weights, x, dtype=fw.DTYPES[dtype], trace=trace)
    if out_path is not None:
        save_array(out_path, out.output)
    _compare(result, model, weights, out, trace)
    return result


def _fits_in_memory(path: str, flag: str, max_memory: int) -> None:
    size = Path(path).stat().st_size if Path(path).is_file() else 0
    if size > max_memory:
        raise UsageError(f"{flag}: {path} holds {human_bytes(size)}, above --max-memory {human_bytes(max_memory)}")


def _read_input(path: str, model: Model) -> Any:
    """The ``--input`` batch: (B, T, I) real features, or (B, T) integer token ids before an embedding."""
    import numpy as np

    from lstmcount.numeric.weights import read_array, value_problem

    x = read_array(path, "--input")
    if x.ndim not in (2, 3) or 0 in x.shape:
        raise UsageError(f"--input: expected (B, T, I) features or (B, T) token ids, received shape {x.shape}")
    ids = model.report.layers[0].type is LayerType.EMBEDDING
    if ids:
        if x.dtype.kind not in "iu":
            raise UsageError(f"--input: an embedding takes integer token ids, received {x.dtype} values")
        return x
    if x.dtype.kind in "iu":
        raise UsageError(
            f"--input: {x.dtype} values for a model that takes features; token ids need an embedding layer first, "
            "and features are floating point (save them as float32 or float64)"
        )
    problem = value_problem(x)
    if problem is not None:
        raise UsageError(f"--input: {path} has {problem}")
    return np.asarray(x)


def output_path(path: str) -> Path:
    """Where ``--save-output`` writes: exactly the path given, a ``.npy`` file in an existing directory."""
    from lstmcount.io.atomic import output_path as checked

    return checked(path, option="--save-output", suffixes=(".npy",))


def save_array(path: Path, array: Any) -> None:
    """Write ``array`` as ``.npy`` at ``path``, atomically (a reader never sees half a file)."""
    import numpy as np

    from lstmcount.io.atomic import replacing

    try:
        with replacing(path) as tmp, open(tmp, "wb") as handle:
            np.save(handle, array)
    except OSError as exc:
        raise UsageError(f"--save-output: cannot write {str(path)!r}: {exc.strerror or exc}") from None


def _compare(result: VerifyResult, model: Model, weights: dict[str, Any], out: ForwardResult, trace: Any) -> None:
    import numpy as np

    from lstmcount.numeric.forward import expected_shape

    fw = model.fw
    for layer, lo in zip(model.report.layers, out.layers, strict=True):
        allocated = sum(int(weights[t.path].size) for t in layer.tensors)
        result.layers.append(
            LayerCheck(
                name=layer.name,
                class_name=layer.class_name,
                expected_shape=expected_shape(layer.output_shape, result.batch, result.steps),
                actual_shape=lo.shape,
                counted=layer.params,
                allocated=allocated,
                finite=bool(np.isfinite(lo.output).all()),
            )
        )
        if not layer.recurrent:
            continue
        result.states.append(
            StateCheck(
                layer=layer.name,
                names=state_names(layer, fw.states),
                expected=expected_states(layer, result.batch, fw.states),
                actual=tuple(tuple(s.shape) for s in lo.states),
            )
        )
        sharing = trace.layer(layer.name)
        layer_steps = expected_shape(layer.input_shape, result.batch, result.steps)[1]
        result.sharing.append(
            SharingCheck(
                layer=layer.name,
                reached=sharing.tensors,
                tensors=frozenset(t.path for t in layer.tensors),
                arrays=sharing.arrays,
                same_every_step=sharing.same_every_step,
                steps=sharing.runs,
                expected_steps=int(layer_steps or 0),
            )
        )


# ---------------------------------------------------------------------------------------------
# rendering


def _fmt_shape(shape: tuple[Any, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def render_verify(result: VerifyResult, width: int | None = None) -> str:
    """The result as text, fitted to ``width``: weights check, per-layer table, final states, sharing, verdict."""
    from lstmcount.renderers import text

    width = width or text.DEFAULT_WIDTH
    report = result.report
    lines = text.wrap(
        f"Forward pass in {report.framework_display} conventions: batch {result.batch}, "
        f"{result.steps} steps, {result.dtype}, {result.source}; about {human_bytes(result.estimate)} of memory",
        width,
        subsequent="  ",
    )
    if result.weights is not None:
        check = result.weights
        lines += text.wrap(
            f"Weights: {len(check.weights)} of "
            f"{sum(len(layer.tensors) for layer in report.layers)} tensors match by name, shape and values "
            + _mark(check.ok),
            width,
        )
        for line in check.lines():
            lines += text.wrap(line, width, indent="  ", subsequent="    ")
        if not check.ok:
            lines.append("The weights do not fit this model; no forward pass was run.")
            return "\n".join(lines) + "\n"
    rows = [
        [
            c.name,
            c.class_name,
            _fmt_shape(c.expected_shape),
            _fmt_shape(c.actual_shape),
            f"{c.counted:,}",
            f"{c.allocated:,}",
            _mark(c.ok) + ("" if c.finite else " output not finite"),
        ]
        for c in result.layers
    ]
    counted, allocated = sum(c.counted for c in result.layers), sum(c.allocated for c in result.layers)
    rows.append(["Total", "", "", "", f"{counted:,}", f"{allocated:,}", _mark(counted == allocated)])
    columns = [
        text.Column("Layer", fit="path"),
        text.Column("Class"),
        text.Column("Expected shape"),
        text.Column("Actual shape"),
        text.Column("Counted", right=True, fit="keep"),
        text.Column("Allocated", right=True, fit="keep"),
        text.Column(""),
    ]
    lines += text.table(columns, rows, width=width, gap="  ")
    if result.states:
        lines.append("Final states")
        for s in result.states:
            parts = []
            for name, exp, act in zip(s.names, s.expected, s.actual, strict=False):
                parts.append(
                    f"{name} {_fmt_shape(act)}"
                    if exp == act
                    else f"{name} {_fmt_shape(act)} (expected {_fmt_shape(exp)})"
                )
            if len(s.actual) != len(s.expected):
                parts.append(f"{len(s.actual)} states (expected {len(s.expected)})")
            lines += text.wrap(f"{s.layer}: {', '.join(parts)} {_mark(s.ok)}", width, indent="  ", subsequent="    ")
    if result.sharing:
        lines.append("Weights shared across time steps")
        for w in result.sharing:
            cells = len(w.steps)
            steps = "the 1 step" if w.expected_steps == 1 else f"all {w.expected_steps} steps"
            who = "its cell" if cells == 1 else f"each of its {cells} cells"
            same = "the same" if w.same_every_step else "DIFFERENT"
            line = (
                f"  {w.layer}: {steps} of {who} read {same} arrays ({w.arrays} in all), made once from "
                f"{len(w.reached)} tensors; the layer has {len(w.tensors)}, whatever T is {_mark(w.ok)}"
            )
            lines += text.wrap(line.strip(), width, indent="  ", subsequent="    ")
            lines += [f"    not read: {p}" for p in sorted(w.tensors - w.reached)]
            lines += [f"    read but not the layer's: {p}" for p in sorted(w.reached - w.tensors)]
    lines.append("All shapes and counts match." if result.ok else "Mismatch: see the lines marked ✗.")
    return "\n".join(lines) + "\n"


def verify_document(result: VerifyResult) -> dict[str, Any]:
    """The result as the ``--format json`` document (keys pinned by ``tests/test_verify_cli.py``)."""
    report = result.report
    weights: dict[str, Any] | None = None
    if result.weights is not None:
        check = result.weights
        weights = {
            "ok": check.ok,
            "matched": len(check.weights),
            "expected": sum(len(layer.tensors) for layer in report.layers),
            "missing": [{"path": p, "expected_shape": list(s)} for p, s in check.missing],
            "unexpected": [{"key": k, "shape": list(s)} for k, s in check.unexpected],
            "wrong_shape": [{"path": p, "expected_shape": list(e), "shape": list(r)} for p, e, r in check.mis_shaped],
            "wrong_values": [{"path": p, "problem": why} for p, why in check.bad_values],
            "removed_prefix": check.prefix,
            "added_layer_prefix": check.layer_prefix,
            "hints": list(check.hints),
        }
    return {
        "schema_version": VERIFY_SCHEMA_VERSION,
        "framework": report.framework,
        "batch": result.batch,
        "timesteps": result.steps,
        "dtype": result.dtype,
        "weights_source": result.source,
        "estimated_bytes": result.estimate,
        "ok": result.ok,
        "ran": result.weights is None or result.weights.ok,
        "weights": weights,
        "layers": [
            {
                "name": c.name,
                "class_name": c.class_name,
                "expected_shape": list(c.expected_shape),
                "shape": list(c.actual_shape),
                "counted": c.counted,
                "allocated": c.allocated,
                "finite": c.finite,
                "ok": c.ok,
            }
            for c in result.layers
        ],
        "counted": sum(c.counted for c in result.layers),
        "allocated": sum(c.allocated for c in result.layers),
        "states": [
            {
                "layer": st.layer,
                "names": list(st.names),
                "expected_shapes": [list(e) for e in st.expected],
                "shapes": [list(a) for a in st.actual],
                "ok": st.ok,
            }
            for st in result.states
        ],
        "sharing": [
            {
                "layer": w.layer,
                "steps": w.expected_steps,
                "steps_run": list(w.steps),
                "same_arrays_every_step": w.same_every_step,
                "arrays": w.arrays,
                "tensors_read": sorted(w.reached),
                "tensors": sorted(w.tensors),
                "ok": w.ok,
            }
            for w in result.sharing
        ],
    }
