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


def load_json(path: str | os.PathLike[str], raw: bytes, what: str) -> Any:
    """A JSON document read strictly: no key twice in an object, no integer beyond 64 bits.

    Readers of one JSON text disagree on a repeated key (the first or the last wins), so a file
    that has one is refused rather than read as one of the two models it describes.
    """

    import json

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise _RefusedJsonError(f"{what} names {key[:80]!r} twice")
            out[key] = value
        return out

    def integer(text: str) -> int:
        if len(text) > MAX_DIGITS:
            raise _RefusedJsonError(f"{what} holds an integer of {len(text):,} digits")
        return int(text)

    try:
        return json.loads(raw, object_pairs_hook=pairs, parse_int=integer)
    except _RefusedJsonError as exc:
        raise ModelFileError(path, str(exc)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(path, f"{what} is not JSON ({type(exc).__name__}: {exc})".split("\n")[0]) from None
    except RecursionError:
        raise ModelFileError(path, f"{what} nests deeper than lstmcount reads") from None


class _RefusedJsonError(ValueError):
    """What :func:`load_json` refuses in a document that parses."""


@dataclass(frozen=True)
class DataRef:
    """Where a tensor's values lie, so that they can be read when asked for (inspecting never reads them).

    Either a byte range of ``file`` (from ``offset``, ``strides`` in elements, or C order), inside
    zip member ``member`` when that member is compressed; or HDF5 dataset ``dataset`` of ``file``
    (of the HDF5 file that is zip member ``member``).
    """

    file: str
    offset: int = 0
    #: byte order of the values: "<" little-endian, ">" big-endian
    order: str = "<"
    strides: tuple[int, ...] | None = None
    member: str | None = None
    dataset: str | None = None


@dataclass(frozen=True)
class FileTensor:
    """One tensor a file holds: its name in the file, shape and dtype (no data; ``data`` says where it lies)."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    data: DataRef | None = field(default=None, compare=False, repr=False)

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
    #: whether ``spec`` is rebuilt from the tensors' names and shapes, not read from the file's own layers
    rebuilt: bool = False
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


#: Largest integer a file may declare anywhere (a size, an offset, a count): what 64 bits hold.
MAX_INT = 2**63 - 1
#: Most digits of a number in a JSON header (MAX_INT has 19).
MAX_DIGITS = 24


def check_shape(path: str | os.PathLike[str], name: str, shape: Any) -> tuple[int, ...]:
    """A declared shape as a tuple, or the error saying what is wrong with it."""
    if not isinstance(shape, (list, tuple)) or len(shape) > MAX_AXES:
        raise ModelFileError(path, f"tensor {name!r} declares no valid shape")
    if any(isinstance(n, int) and abs(n) > MAX_INT for n in shape):
        raise ModelFileError(path, f"tensor {name!r} declares a size beyond 64 bits")
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise ModelFileError(path, f"tensor {name!r} declares shape {list(shape)!r}, not sizes >= 0")
    if prod(shape) > MAX_ELEMENTS:
        raise ModelFileError(path, f"tensor {name!r} declares {prod(shape):,} elements, more than any file holds")
    return tuple(shape)
