"""Command-line input to spec: positional numbers and model flags, or a spec file.

Both ways end in :func:`lstmcount.model.spec.spec_from_dict`, so flags and files are validated by
the same rules. yaml is imported only when a file is actually read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lstmcount.errors import SpecError, UsageError, in_flag_terms
from lstmcount.model.spec import DEFAULT_FRAMEWORK, ModelSpec, spec_from_dict

if TYPE_CHECKING:
    from lstmcount.io.loader import Document

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
    cell_class: str | None = None
    peepholes: bool | None = None
    forget_bias: float | None = None

    def given(self) -> list[str]:
        """The flags that were given, as the user typed them."""
        out = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "reset_after" and value is not None:
                out.append("--reset-after" if value else "--no-reset-after")
            elif f.name == "cell_class" and value is not None:
                out.append("--class")
            elif value not in (None, (), False):
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


#: the flag that sets each field of a recurrent layer built from ``UNITS``
_RECURRENT_FLAGS = {
    "type": "--cell",
    "bidirectional": "--bidirectional",
    "merge_mode": "--merge-mode",
    "num_layers": "--num-layers",
    "proj_size": "--proj-size",
    "use_bias": "--no-bias",
    "nonlinearity": "--nonlinearity",
    "return_sequences": "--return-sequences",
    "class": "--class",
    "peepholes": "--peepholes",
    "forget_bias": "--forget-bias",
}
#: which cell each cell-specific flag belongs to
_CELL_OF_FLAG = {
    "proj_size": ("--proj-size", "lstm"),
    "peepholes": ("--peepholes", "lstm"),
    "forget_bias": ("--forget-bias", "lstm"),
    "reset_after": (None, "gru"),
    "nonlinearity": ("--nonlinearity", "rnn"),
}


class FlagOrigin:
    """Where each field of a spec built from ``INPUT UNITS...`` and flags came from: its flag.

    Like a document's positions for a spec file, it puts an error in the user's own terms:
    ``--dropout: out of range``, not ``layers[1].rate``, and ``--framework pytorch``, not
    ``framework: pytorch``.
    """

    def __init__(self) -> None:
        self.flags: dict[str, str] = {}

    def set(self, path: str, flag: str) -> None:
        """Note that the field at ``path`` was set by ``flag``."""
        self.flags[path] = flag

    def flag_of(self, path: str) -> str:
        """The flag behind a field path (or its nearest parent's), else the path itself."""
        probe = path
        while probe:
            if probe in self.flags:
                return self.flags[probe]
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""
        return path

    def flag(self, field: str, value: str | None) -> str:
        """The flag that sets ``field`` (to ``value``): ``--proj-size``, ``--merge-mode concat``."""
        flag = next(
            (f.split(" (")[0] for path, f in self.flags.items() if path.rsplit(".", 1)[-1] == field),
            "--" + field.replace("_", "-"),
        )
        if value is None or value.lower() == "true":
            return flag
        return f"{flag} {value}"

    def message(self, exc: SpecError) -> str:
        """The error as one line about the flags."""
        text = in_flag_terms(exc.body(), self.flag)
        where = self.flag_of(exc.path) if exc.path else ""
        return " ".join((f"{where}: {text}" if where else text).split())

    def locate(self, exc: SpecError) -> UsageError:
        """``exc`` told in terms of the flags."""
        return UsageError(self.message(exc))


def _check_cell_flags(flags: ModelFlags, cell: str) -> None:
    """Refuse a cell-specific flag given for another cell, naming both."""
    for field, (flag, owner) in _CELL_OF_FLAG.items():
        value = getattr(flags, field)
        if value is None:
            continue
        if flag is None:
            flag = "--reset-after" if value else "--no-reset-after"
        if owner != cell:
            raise UsageError(f"{flag} is an option of --cell {owner}; this model's cell is {cell}")
    if flags.merge_mode is not None and not flags.bidirectional:
        raise UsageError(
            "--merge-mode says how the two directions of --bidirectional layers combine; add --bidirectional"
        )


def spec_from_numbers(numbers: Sequence[int], flags: ModelFlags, framework: str) -> tuple[ModelSpec, FlagOrigin]:
    """``INPUT UNITS...`` plus flags: one recurrent layer per UNITS, then the head; and where each field came from."""
    width, *units = numbers
    cell_flag = flags.cell or "lstm"
    _check_cell_flags(flags, cell_flag)
    cell = CELLS[cell_flag]
    origin = FlagOrigin()
    layers: list[dict[str, Any]] = []
    inp: dict[str, Any] = {"timesteps": flags.timesteps}
    origin.set("input.timesteps", "--timesteps")
    if flags.embedding:
        inp["vocab"] = flags.embedding
        origin.set("input.vocab", "--embedding")
        origin.set("layers[0].vocab", "--embedding")
        origin.set("layers[0].dim", "INPUT")
        origin.set("layers[0]", "--embedding")
        layers.append({"type": "embedding", "dim": width})
    else:
        inp["features"] = width
        origin.set("input.features", "INPUT")
    for n, size in enumerate(units):
        layer: dict[str, Any] = {"type": cell, "units": size}
        at = f"layers[{len(layers)}]"
        origin.set(at, f"UNITS ({size})")
        origin.set(f"{at}.units", "UNITS" if len(units) == 1 else f"UNITS {size} (number {n + 1})")
        for field, flag in _RECURRENT_FLAGS.items():
            origin.set(f"{at}.{field}", flag)
        origin.set(f"{at}.reset_after", "--reset-after" if flags.reset_after else "--no-reset-after")
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
        if flags.cell_class:
            layer["class"] = flags.cell_class
        if flags.peepholes:
            layer["peepholes"] = True
        if flags.forget_bias is not None:
            layer["forget_bias"] = flags.forget_bias
        layers.append(layer)
    if flags.dropout is not None:
        origin.set(f"layers[{len(layers)}]", "--dropout")
        layers.append({"type": "dropout", "rate": flags.dropout})
    for size in flags.dense:
        origin.set(f"layers[{len(layers)}]", f"--dense {size}")
        layers.append({"type": "dense", "units": size})
    try:
        return spec_from_dict({"framework": framework, "input": inp, "layers": layers}), origin
    except SpecError as exc:
        raise origin.locate(exc) from None


@dataclass
class Resolved:
    """What the positional arguments named: a spec, and where its fields came from (a file, or flags)."""

    spec: ModelSpec
    document: Document | FlagOrigin | None = None


def resolve(args: Sequence[str], flags: ModelFlags, framework: str | None) -> Resolved:
    """Turn ``INPUT UNITS...`` or ``SPEC`` plus flags into a spec."""
    if not args:
        raise UsageError("give INPUT UNITS... (e.g. lstmcount 100 128) or a spec file")
    fw = framework if framework and framework != "all" and "," not in framework else None
    if not _looks_numeric(args[0]) and len(args) > 1:
        files = ", ".join(args[:4]) + (", ..." if len(args) > 4 else "")
        raise UsageError(f"give one spec file, received {len(args)} ({files}); lstmcount check takes several")
    if len(args) == 1 and not _looks_numeric(args[0]):
        model_flags = [f for f in flags.given() if f != "--timesteps"]
        if model_flags:
            raise UsageError(
                f"{', '.join(model_flags)} shape a model from INPUT UNITS; "
                f"a spec file ({args[0]}) describes its own layers"
            )
        from lstmcount.io.loader import load_document, spec_from_document

        doc = load_document(args[0])
        spec = spec_from_document(doc)  # in its own framework: the command counts it in --framework
        if flags.timesteps:
            spec = dataclasses.replace(spec, input=dataclasses.replace(spec.input, timesteps=flags.timesteps))
        return Resolved(spec, doc)
    if len(args) < 2:
        raise UsageError(f"give UNITS after INPUT (e.g. lstmcount {args[0]} 128), or a spec file")
    numbers = [_positive(a, "INPUT" if i == 0 else "UNITS") for i, a in enumerate(args)]
    spec, origin = spec_from_numbers(numbers, flags, fw or DEFAULT_FRAMEWORK)
    return Resolved(spec, origin)
