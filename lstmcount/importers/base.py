"""What an importer returns, the limits every reader keeps, and the error a bad file gets.

An importer reads a model file's metadata — tensor names, shapes and dtypes, and for graph
formats the layers — never its tensor data, and never runs anything from it. Everything here is
the standard library: no numpy, no framework.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from math import prod
from typing import Any

from lstmcount.errors import LstmcountError

#: Largest pickle a checkpoint may hold (its records only: tensor data lives elsewhere in the archive).
MAX_PICKLE = 256 * 2**20
#: Largest header or metadata member read into memory (a safetensors header, a config, a .npy header).
MAX_HEADER = 64 * 2**20
#: Most tensors (or archive members) a file may declare.
MAX_TENSORS = 1_000_000
#: Most axes a tensor may have.
MAX_AXES = 16
#: Largest number of elements a tensor may declare (beyond any file's size).
MAX_ELEMENTS = 2**48
#: Deepest nesting of containers read from a file (checkpoint dictionaries, configs).
MAX_DEPTH = 64

#: bytes per element of each dtype name, as the readers give them
ITEMSIZE = {
    "float64": 8,
    "float32": 4,
    "float16": 2,
    "bfloat16": 2,
    "float8_e4m3fn": 1,
    "float8_e5m2": 1,
    "int64": 8,
    "int32": 4,
    "int16": 2,
    "int8": 1,
    "uint64": 8,
    "uint32": 4,
    "uint16": 2,
    "uint8": 1,
    "bool": 1,
    "complex64": 8,
    "complex128": 16,
}


class ModelFileError(LstmcountError):
    """A model file that cannot be read as what it claims to be: one line naming the file and what is wrong."""

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        super().__init__(f"{os.fspath(path)}: {problem}")
        self.path = str(path)
        self.problem = problem


@dataclass(frozen=True)
class FileTensor:
    """One tensor a file holds: its name in the file, shape and dtype (no data)."""

    name: str
    shape: tuple[int, ...]
    dtype: str

    @property
    def params(self) -> int:
        """Elements of the tensor."""
        return prod(self.shape)


@dataclass
class Contents:
    """What a model file holds, read from its metadata.

    ``tensors`` are the model's (its parameters and buffers, in the file's order);
    ``set_aside`` what the file holds besides the model (an optimizer's state, a training
    step), with the number of elements and why it is not the model's. A graph format gives its
    layers as a spec already (``spec``); a state dict leaves that to the reconstruction.
    """

    path: str
    format: str
    framework: str | None
    tensors: list[FileTensor] = field(default_factory=list)
    set_aside: list[tuple[str, int, str]] = field(default_factory=list)
    spec: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    #: names of tensors the file stores under a second name too (Paddle's aliases): counted once
    aliases: dict[str, str] = field(default_factory=dict)
    #: whether the tensors are in the order the model made them (safetensors sorts its keys)
    ordered: bool = True
    #: names of ``tensors`` that are not the model's (buffers, a graph's constants), set aside
    aside: frozenset[str] = frozenset()
    #: for a graph format, the file's tensors behind each tensor of the rebuilt model, by its path
    #: (an exporter may store one under another name and shape, or compute it from several)
    bindings: dict[str, list[str]] | None = None
    #: or a function that finds them once the rebuilt model is counted (Keras names objects, not tensors)
    binder: Callable[[Any], dict[str, list[str]]] | None = None

    @property
    def total(self) -> int:
        """Elements of every model tensor in the file, each counted once."""
        return sum(t.params for t in self.tensors)


def check_shape(path: str | os.PathLike[str], name: str, shape: Any) -> tuple[int, ...]:
    """A declared shape as a tuple, or the error saying what is wrong with it."""
    if not isinstance(shape, (list, tuple)) or len(shape) > MAX_AXES:
        raise ModelFileError(path, f"tensor {name!r} declares no valid shape")
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise ModelFileError(path, f"tensor {name!r} declares shape {list(shape)!r}, not sizes >= 0")
    if prod(shape) > MAX_ELEMENTS:
        raise ModelFileError(path, f"tensor {name!r} declares {prod(shape):,} elements, more than any file holds")
    return tuple(shape)
