"""Flax checkpoints as ``flax.serialization.to_bytes`` writes them, which ``from_bytes`` reads back.

The file is one msgpack map of nested maps keyed by strings, each array an ext value of type 1
whose payload is the msgpack array ``(shape, dtype name, C-order bytes)``; an array larger than
2**30 bytes is a map of 1-D chunks (``{"__msgpack_chunked_array__": True, "shape": ...,
"chunks": ...}``), as Flax splits it. The nesting is each tensor's path split at the
framework's separator:

* Flax NNX: the pure dict of ``nnx.state(model, nnx.Param)``, which has no collection level;
  its keys come out sorted, list indices by their number, as NNX orders a state.
* Flax linen: the variables dict, ``{"params": ...}``; modules in the order given (their creation
  order), and inside a recurrent cell (run by ``nn.RNN``, a lifted scan) the keys sorted.

Written with the standard library and NumPy alone, byte for byte as Flax writes the same tree.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any

import numpy as np

#: the largest array Flax writes whole; a larger one is written in chunks of this many bytes
MAX_CHUNK_SIZE = 2**30
CHUNKED = "__msgpack_chunked_array__"
#: the submodules of linen's recurrent cells, whose trees a lifted scan returns sorted
CELL_GATES = frozenset({"ii", "if", "ig", "io", "hi", "hf", "hg", "ho", "ir", "iz", "in", "hr", "hz", "hn", "i", "h"})

Tree = dict[str, Any]


def tree(weights: Mapping[str, Any], sep: str, *, linen: bool) -> Tree:
    """The nested dict Flax serializes for ``weights`` (path -> array), in Flax's key order."""
    root: Tree = {}
    for path, value in weights.items():
        parts = path.split(sep)
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(f"{path}: {part!r} is a tensor and a module both")
            node = child
        if isinstance(node.get(parts[-1]), dict):
            raise ValueError(f"{path}: a tensor and a module both")
        node[parts[-1]] = np.asarray(value)
    if linen:
        return {"params": _cells_sorted(root)}
    return _sorted(root)


def _key(name: str) -> tuple[int, int, str]:
    return (0, int(name), "") if name.isdigit() else (1, 0, name)


def _sorted(node: Tree) -> Tree:
    return {k: _sorted(v) if isinstance(v, dict) else v for k, v in sorted(node.items(), key=lambda kv: _key(kv[0]))}


def _cells_sorted(node: Tree) -> Tree:
    if node and all(isinstance(v, dict) for v in node.values()) and set(node) <= CELL_GATES:
        return _sorted(node)
    return {k: _cells_sorted(v) if isinstance(v, dict) else v for k, v in node.items()}


def dumps(obj: Tree) -> bytes:
    """The msgpack bytes of a tree of str-keyed dicts and arrays."""
    out: list[bytes] = []
    _pack(obj, out)
    return b"".join(out)


def write(path: str, weights: Mapping[str, Any], *, sep: str, linen: bool) -> None:
    """Write ``weights`` (path -> array, the path split at ``sep``) as a Flax msgpack checkpoint."""
    with open(path, "wb") as f:
        f.write(dumps(tree(weights, sep, linen=linen)))


def _pack(obj: Any, out: list[bytes]) -> None:
    if isinstance(obj, dict):
        _header(MAP, len(obj), out)
        for key, value in obj.items():
            _str(str(key), out)
            _pack(value, out)
    elif isinstance(obj, bool):
        out.append(b"\xc3" if obj else b"\xc2")
    elif isinstance(obj, int):
        _uint(obj, out)
    elif isinstance(obj, str):
        _str(obj, out)
    elif isinstance(obj, np.generic):  # a NumPy scalar: its own ext type, shape ()
        _array(np.asarray(obj), out, code=3)
    else:
        _array(np.asarray(obj), out)


def _array(a: np.ndarray, out: list[bytes], code: int = 1) -> None:
    a = np.asarray(a, dtype=a.dtype.newbyteorder("="), order="C")  # (0-d stays 0-d)
    if a.dtype.hasobject or a.dtype.names is not None:
        raise ValueError(f"cannot write an array of dtype {a.dtype}")
    if a.nbytes > MAX_CHUNK_SIZE:
        flat = a.reshape(-1)
        step = max(MAX_CHUNK_SIZE // a.itemsize, 1)
        chunks = {str(n): flat[i : i + step] for n, i in enumerate(range(0, flat.size, step))}
        _pack({CHUNKED: True, "shape": {str(n): int(d) for n, d in enumerate(a.shape)}, "chunks": chunks}, out)
        return
    payload: list[bytes] = [b"\x93"]
    _header(ARRAY, a.ndim, payload)
    for d in a.shape:
        _uint(int(d), payload)
    _str(a.dtype.name, payload)
    _bin(a.tobytes("C"), payload)
    _ext(code, b"".join(payload), out)


#: msgpack's container headers: (the fix form's high bits, the 16-bit and the 32-bit tags)
MAP, ARRAY = (0x80, b"\xde", b"\xdf"), (0x90, b"\xdc", b"\xdd")


def _header(kind: tuple[int, bytes, bytes], n: int, out: list[bytes]) -> None:
    """The header of a map or array (``kind``: :data:`MAP` or :data:`ARRAY`) of ``n`` entries."""
    fix, tag16, tag32 = kind
    if n < 16:
        out.append(bytes([fix | n]))
    elif n < 2**16:
        out.append(tag16 + struct.pack(">H", n))
    else:
        out.append(tag32 + struct.pack(">I", n))


def _uint(n: int, out: list[bytes]) -> None:
    if n < 0:
        raise ValueError(f"a negative size {n}")
    if n < 0x80:
        out.append(bytes([n]))
    elif n < 2**8:
        out.append(b"\xcc" + struct.pack(">B", n))
    elif n < 2**16:
        out.append(b"\xcd" + struct.pack(">H", n))
    elif n < 2**32:
        out.append(b"\xce" + struct.pack(">I", n))
    else:
        out.append(b"\xcf" + struct.pack(">Q", n))


def _str(s: str, out: list[bytes]) -> None:
    data = s.encode("utf-8")
    n = len(data)
    if n < 32:
        out.append(bytes([0xA0 | n]))
    elif n < 2**8:
        out.append(b"\xd9" + struct.pack(">B", n))
    elif n < 2**16:
        out.append(b"\xda" + struct.pack(">H", n))
    else:
        out.append(b"\xdb" + struct.pack(">I", n))
    out.append(data)


def _bin(data: bytes, out: list[bytes]) -> None:
    n = len(data)
    if n < 2**8:
        out.append(b"\xc4" + struct.pack(">B", n))
    elif n < 2**16:
        out.append(b"\xc5" + struct.pack(">H", n))
    else:
        out.append(b"\xc6" + struct.pack(">I", n))
    out.append(data)


_FIXEXT = {1: 0xD4, 2: 0xD5, 4: 0xD6, 8: 0xD7, 16: 0xD8}


def _ext(code: int, data: bytes, out: list[bytes]) -> None:
    n = len(data)
    if n in _FIXEXT:
        out.append(bytes([_FIXEXT[n], code]))
    elif n < 2**8:
        out.append(b"\xc7" + struct.pack(">BB", n, code))
    elif n < 2**16:
        out.append(b"\xc8" + struct.pack(">HB", n, code))
    else:
        out.append(b"\xc9" + struct.pack(">IB", n, code))
    out.append(data)


__all__ = ["dumps", "tree", "write"]
