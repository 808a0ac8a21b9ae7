"""Command-line input to spec: positional numbers and model flags, or a spec file.

Both ways end in :func:`lstmcount.spec.spec_from_dict`, so flags and files are validated by
the same rules. yaml is imported only when a file is actually read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lstmcount.errors import SpecError, UsageError
from lstmcount.spec import Framework, ModelSpec, spec_from_dict

if TYPE_CHECKING:
    from lstmcount.loader import Document

CELLS = {"lstm": "lstm", "gru": "gru", "rnn": "simple_rnn"}


@dataclass(frozen=True)
class ModelFlags:
    """The model flags shared by count, verify and explain (``None`` = not given)."""

    cell: str | None = None
    bidirectional: bool | None = None
    merge_mode: str | None = None
    num_layers: int | None = None
    proj_size: int | None = None
    no_bias: bool | None = None
    embedding: int | None = None
    dense: tuple[int, ...] = ()
    dropout: float | None = None
    timesteps: int | None = None
    return_sequences: bool | None = None
    reset_after: bool | None = None
    nonlinearity: str | None = None

    def given(self) -> list[str]:
        """The flags that were given, as the user typed them."""
        out = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value not in (None, (), False):
                out.append("--" + f.name.replace("_", "-"))
        return out


def _positive(text: str, what: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise UsageError(f"{what} must be a positive integer, received {text!r}") from None
    if value < 1:
        raise UsageError(f"{what} must be a positive integer, received {text!r}")
    return value


def _looks_numeric(text: str) -> bool:
    return text.lstrip("+-").replace("_", "").isdigit()


def spec_from_numbers(numbers: Sequence[int], flags: ModelFlags, framework: Framework) -> ModelSpec:
    """``INPUT UNITS...`` plus flags: one recurrent layer per UNITS, then the head."""
    width, *units = numbers
    cell = CELLS[flags.cell or "lstm"]
    layers: list[dict[str, Any]] = []
    inp: dict[str, Any] = {"timesteps": flags.timesteps}
    if flags.embedding:
        inp["vocab"] = flags.embedding
        layers.append({"type": "embedding", "dim": width})
    else:
        inp["features"] = width
    for n, size in enumerate(units):
        layer: dict[str, Any] = {"type": cell, "units": size}
        last = n == len(units) - 1
        layer["return_sequences"] = bool(flags.return_sequences) if last else True
        if flags.bidirectional:
            layer["bidirectional"] = True
        if flags.merge_mode:
            layer["merge_mode"] = flags.merge_mode
        if flags.num_layers:
            layer["num_layers"] = flags.num_layers
        if flags.proj_size:
            layer["proj_size"] = flags.proj_size
        if flags.no_bias:
            layer["use_bias"] = False
        if flags.reset_after is not None:
            layer["reset_after"] = flags.reset_after
        if flags.nonlinearity:
            layer["nonlinearity"] = flags.nonlinearity
        layers.append(layer)
    if flags.dropout is not None:
        layers.append({"type": "dropout", "rate": flags.dropout})
    for size in flags.dense:
        layers.append({"type": "dense", "units": size})
    try:
        return spec_from_dict({"framework": framework.value, "input": inp, "layers": layers})
    except SpecError as exc:
        raise UsageError(_flag_message(exc)) from None


def _flag_message(exc: SpecError) -> str:
    """A spec error from flags, told in terms of the flags."""
    field = exc.path.rsplit(".", 1)[-1]
    flag = {"units": "UNITS", "features": "INPUT", "dim": "INPUT", "vocab": "--embedding", "use_bias": "--no-bias"}.get(
        field, "--" + field.replace("_", "-")
    )
    text = f"{flag}: {exc.message}"
    if exc.expected is not None:
        text += f" (expected {exc.expected}, received {exc.received})"
    if exc.hint:
        text += f"; {exc.hint}"
    return text.replace("layers[", "layer [")


@dataclass
class Resolved:
    """What the positional arguments named: a spec, and the document it came from if any."""

    spec: ModelSpec
    document: Document | None = None


def resolve(args: Sequence[str], flags: ModelFlags, framework: str | None) -> Resolved:
    """Turn ``INPUT UNITS...`` or ``SPEC`` plus flags into a spec."""
    if not args:
        raise UsageError("give INPUT UNITS... (e.g. lstmcount 100 128) or a spec file")
    fw = Framework(framework) if framework and framework != "all" else None
    if len(args) == 1 and not _looks_numeric(args[0]):
        model_flags = [f for f in flags.given() if f != "--timesteps"]
        if model_flags:
            raise UsageError(
                f"{', '.join(model_flags)} shape a model from INPUT UNITS; "
                f"a spec file ({args[0]}) describes its own layers"
            )
        from lstmcount.loader import load_document, spec_from_document

        doc = load_document(args[0])
        spec = spec_from_document(doc)  # in its own framework: the command counts it in --framework
        if flags.timesteps:
            spec = dataclasses.replace(spec, input=dataclasses.replace(spec.input, timesteps=flags.timesteps))
        return Resolved(spec, doc)
    if len(args) < 2:
        raise UsageError(f"give UNITS after INPUT (e.g. lstmcount {args[0]} 128), or a spec file")
    numbers = [_positive(a, "INPUT" if i == 0 else "UNITS") for i, a in enumerate(args)]
    return Resolved(spec_from_numbers(numbers, flags, fw or Framework.KERAS))
