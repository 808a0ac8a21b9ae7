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
import sys
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

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
    return TensorStub(tuple(size), storage.dtype, storage, offset)


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


def load(data: bytes, path: str | os.PathLike[str]) -> tuple[Any, dict[str, StorageStub]]:
    """The pickled object (with stubs), and the storages it refers to; a bad or unsafe pickle is a ModelFileError."""
    unpickler = Unpickler(data, path)
    limit = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(max(limit, 2000))
        return unpickler.load(), unpickler.storages
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
