"""Unpickling without running anything: the few globals a state dict needs, mapped to local stubs.

A pickle names the functions that rebuild its objects; the standard unpickler imports and calls
them, which is how a pickle runs code. Here :meth:`Unpickler.find_class` answers only an
allowlist, and with stand-ins defined in this module (no named module is ever imported): a
tensor becomes a :class:`TensorStub` holding its shape and dtype, a storage a
:class:`StorageStub` holding its key and element count, a NumPy array (Paddle's checkpoints)
an :class:`ArrayStub`. Any other global refuses the whole file, naming it.
"""

from __future__ import annotations

import io
import os
import pickle
import pickletools
import sys
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, BinaryIO

from lstmcount.importers.base import MAX_AXES, ModelFileError

#: PyTorch's storage classes -> the dtype of their elements
STORAGES = {
    "FloatStorage": "float32",
    "DoubleStorage": "float64",
    "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16",
    "LongStorage": "int64",
    "IntStorage": "int32",
    "ShortStorage": "int16",
    "CharStorage": "int8",
    "ByteStorage": "uint8",
    "BoolStorage": "bool",
    "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128",
}
#: NumPy dtype strings (without byte order) -> dtype names, for pickled arrays
NUMPY_DTYPES = {
    "f8": "float64",
    "f4": "float32",
    "f2": "float16",
    "i8": "int64",
    "i4": "int32",
    "i2": "int16",
    "i1": "int8",
    "u8": "uint64",
    "u4": "uint32",
    "u2": "uint16",
    "u1": "uint8",
    "b1": "bool",
    "float64": "float64",
    "float32": "float32",
    "float16": "float16",
    "int64": "int64",
    "int32": "int32",
    "bool": "bool",
}


@dataclass
class StorageStub:
    """A storage a pickle refers to: its dtype, its key in the archive, how many elements it holds."""

    dtype: str
    key: str
    numel: int


@dataclass
class TensorStub:
    """A tensor rebuilt from a pickle: shape and dtype (no data); ``parameter`` for an nn.Parameter."""

    shape: tuple[int, ...]
    dtype: str
    storage: StorageStub | None = None
    offset: int = 0
    parameter: bool = False
    #: the elements between neighbours along each axis (None: contiguous)
    stride: tuple[int, ...] | None = None

    @property
    def extent(self) -> int:
        """Elements of its storage the tensor reaches, from its offset: what the storage must hold."""
        if any(n == 0 for n in self.shape):
            return 0
        if self.stride is None:
            n = 1
            for d in self.shape:
                n *= d
            return n
        return 1 + sum((d - 1) * abs(st) for d, st in zip(self.shape, self.stride, strict=False))


class StorageType:
    """Stands for ``torch.<dtype>Storage`` in a persistent id."""

    def __init__(self, name: str) -> None:
        self.dtype = STORAGES[name]


class ArrayStub:
    """Stands for a pickled ``numpy.ndarray``: its state says its shape and dtype."""

    def __init__(self, *args: Any) -> None:
        self.shape: tuple[int, ...] = ()
        self.dtype = ""

    def __setstate__(self, state: Any) -> None:
        if not (isinstance(state, tuple) and len(state) >= 4):
            raise pickle.UnpicklingError("an array's state is not (version, shape, dtype, fortran, data)")
        shape, dtype = state[1], state[2]
        if not isinstance(shape, tuple) or not all(isinstance(n, int) and n >= 0 for n in shape):
            raise pickle.UnpicklingError("an array's shape is not sizes")
        self.shape = shape
        self.dtype = dtype.name if isinstance(dtype, DtypeStub) else ""


class DtypeStub:
    """Stands for ``numpy.dtype(...)``."""

    def __init__(self, code: Any = "", *args: Any) -> None:
        text = str(code).lstrip("<>|=")
        self.name = NUMPY_DTYPES.get(text, text)

    def __setstate__(self, state: Any) -> None:
        pass


class ScalarStub:
    """Stands for a pickled NumPy scalar (a number kept in a checkpoint's metadata)."""

    def __init__(self, *args: Any) -> None:
        pass


def _rebuild_tensor(storage: Any, offset: Any, size: Any, stride: Any = None, *rest: Any) -> TensorStub:
    if not isinstance(storage, StorageStub):
        raise pickle.UnpicklingError("a tensor refers to no storage")
    if not isinstance(size, tuple) or len(size) > MAX_AXES or not all(isinstance(n, int) and n >= 0 for n in size):
        raise pickle.UnpicklingError("a tensor's size is not sizes")
    if not isinstance(offset, int) or offset < 0:
        raise pickle.UnpicklingError("a tensor's storage offset is not a size")
    strides = None
    if stride is not None:
        if not isinstance(stride, tuple) or len(stride) != len(size) or not all(isinstance(n, int) for n in stride):
            raise pickle.UnpicklingError("a tensor's stride is not one step per axis")
        strides = tuple(stride)
    return TensorStub(tuple(size), storage.dtype, storage, offset, stride=strides)


def _rebuild_parameter(data: Any, *rest: Any) -> Any:
    if isinstance(data, TensorStub):
        data.parameter = True
    return data


def _reconstruct(cls: Any, shape: Any, dtype: Any) -> ArrayStub:
    return ArrayStub()


def _encode(text: Any, encoding: str = "latin1") -> bytes:
    """``_codecs.encode``, which protocol-2 pickles use to spell bytes."""
    if not isinstance(text, str):
        raise pickle.UnpicklingError("_codecs.encode of no string")
    return text.encode(encoding)


#: the globals a state dict needs, and what stands for each; anything else refuses the file
ALLOWED: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): ArrayStub,
    ("numpy", "dtype"): DtypeStub,
    ("numpy.core.multiarray", "scalar"): ScalarStub,
    ("numpy._core.multiarray", "scalar"): ScalarStub,
    ("_codecs", "encode"): _encode,
    ("builtins", "set"): set,
    ("__builtin__", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "slice"): slice,
    **{("torch", name): StorageType(name) for name in STORAGES},
}
#: what a refused global most likely means, by the module it comes from
WHOLE_MODULE = "a whole module pickled (torch.save(model)): its classes are code, which lstmcount never runs"


class Unpickler(pickle.Unpickler):
    """An unpickler that resolves only :data:`ALLOWED` globals, and persistent ids to storages."""

    def __init__(self, data: bytes, path: str | os.PathLike[str]) -> None:
        super().__init__(io.BytesIO(data), encoding="latin1")
        self.path = path
        self.storages: dict[str, StorageStub] = {}

    def find_class(self, module: str, name: str) -> Any:
        found = ALLOWED.get((module, name))
        if found is None:
            raise Refused(module, name)
        return found

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError("a persistent id that is no storage")
        kind, key, numel = pid[1], pid[2], pid[4]
        dtype = kind.dtype if isinstance(kind, StorageType) else None
        if dtype is None or not isinstance(numel, int) or numel < 0:
            raise pickle.UnpicklingError("a storage of unknown type or size")
        key = str(key)
        found = self.storages.get(key)
        if found is None:
            found = self.storages[key] = StorageStub(dtype, key, numel)
        return found


class Refused(pickle.UnpicklingError):
    """A global outside the allowlist: the file wants code run."""

    def __init__(self, module: str, name: str) -> None:
        super().__init__(f"{module}.{name}")
        self.module, self.name = module, name


#: longest integer a pickle may spell (LONG1, LONG4), in bytes: a size or an offset fits in 8
MAX_LONG = 16
#: the opcodes that store into the memo at an index the pickle gives
PUTS = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})
#: the opcode whose argument is the length of the bytes that follow (protocol 4)
FRAMES = frozenset({"FRAME"})


@dataclass
class Pickled:
    """An unpickled object (with stubs), the storages it refers to, and the size of its pickle."""

    obj: Any
    storages: dict[str, StorageStub]
    #: opcodes in the pickle: a bound on how many objects it can build without referring to one twice
    ops: int
    #: bytes the pickle takes, up to and including its STOP
    end: int


class _Window:
    """A binary stream seen from where it stands to ``size`` bytes on: reading past that end is an error.

    :func:`pickletools.genops` reads a declared length at once; through a window, a length beyond
    the bytes that remain is refused before anything is read or allocated.
    """

    def __init__(self, stream: BinaryIO, size: int) -> None:
        self.stream = stream
        self.start = stream.tell()
        self.size = size

    def tell(self) -> int:
        return self.stream.tell() - self.start

    def read(self, n: int = -1) -> bytes:
        left = self.size - self.tell()
        if n > left:
            raise ValueError(f"a length of {n:,} bytes where {left:,} remain")
        return self.stream.read(left if n < 0 else n)

    def readline(self) -> bytes:
        return self.stream.readline(max(self.size - self.tell(), 0))


def scan(stream: BinaryIO, size: int, path: str | os.PathLike[str]) -> tuple[int, int]:
    """Check the opcodes of the pickle at ``stream``'s position before it is unpickled; its opcode count and length.

    The C unpickler trusts what a pickle declares: a memo index makes it grow its memo table to
    that size, a frame or a string its declared length. Here every memo index must be the next
    free one (as every pickler writes them), every declared length must fit in the ``size``
    bytes that remain, and no integer may be longer than a size needs.
    """
    ops = puts = 0
    window = _Window(stream, size)
    try:
        for op, arg, pos in pickletools.genops(window):  # type: ignore[arg-type]
            ops += 1
            if op.name in PUTS:
                if not isinstance(arg, int) or arg > puts:
                    raise ModelFileError(path, f"the pickle stores at memo index {arg:,} after {puts:,} entries")
                puts += arg == puts
            elif op.name == "MEMOIZE":
                puts += 1
            elif op.name in FRAMES and isinstance(arg, int) and arg > size - window.tell():
                raise ModelFileError(path, f"the pickle declares a frame of {arg:,} bytes, more than remain")
            elif op.name in ("LONG1", "LONG4") and isinstance(arg, int) and abs(arg).bit_length() > 8 * MAX_LONG:
                raise ModelFileError(path, f"the pickle spells an integer of more than {MAX_LONG} bytes")
            if op.name == "STOP":
                return ops, (pos or 0) + 1
    except (ValueError, EOFError) as exc:
        raise ModelFileError(path, f"the pickle cannot be read ({str(exc)[:200]})") from None
    raise ModelFileError(path, "the pickle ends before its STOP")  # pragma: no cover - genops raises first


def load(data: bytes | BinaryIO, path: str | os.PathLike[str], size: int | None = None) -> Pickled:
    """The pickle in ``data`` (bytes, or a stream at its start, at most ``size`` bytes), unpickled with stubs.

    Its opcodes are checked by :func:`scan` first; a stream is left just after the pickle. A bad
    or unsafe pickle is a ModelFileError.
    """
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    start = stream.tell()
    ops, end = scan(stream, len(data) if isinstance(data, bytes) else size or 0, path)
    stream.seek(start)
    unpickler = Unpickler(stream.read(end), path)
    limit = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(max(limit, 2000))
        return Pickled(unpickler.load(), unpickler.storages, ops, end)
    except Refused as exc:
        what = WHOLE_MODULE if exc.module.startswith(("torch.nn", "__main__", "__torch__")) else "code"
        raise ModelFileError(
            path,
            f"the pickle needs {exc.module}.{exc.name}, which lstmcount does not load ({what}); "
            "save the model's state_dict() instead",
        ) from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        raise ModelFileError(path, f"the pickle cannot be read ({exc or type(exc).__name__})") from None
    except (RecursionError, MemoryError):
        raise ModelFileError(path, "the pickle nests too deep or is too large to read") from None
    finally:
        sys.setrecursionlimit(limit)
