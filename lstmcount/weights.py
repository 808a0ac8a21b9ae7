"""Weight files (.npz, .safetensors) read and written with NumPy, and a strict state-dict check.

Keys are the report's tensor paths: layer name + the framework's tensor name
(``lstm/lstm_cell/kernel``, ``bidirectional/forward_lstm/lstm_cell/kernel``,
``lstm.weight_ih_l0_reverse``). A file whose keys all carry one common extra first segment,
as Keras's ``weight.path`` does (``sequential/lstm/lstm_cell/kernel``), is accepted with that
prefix removed, and the check says so.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lstmcount.errors import UsageError
from lstmcount.report import Report

Array = NDArray[Any]

#: safetensors dtype names -> NumPy dtypes (little-endian); BF16 is widened to float32 on read
SAFETENSORS_DTYPES: Mapping[str, str] = {
    "F64": "<f8",
    "F32": "<f4",
    "F16": "<f2",
    "I64": "<i8",
    "I32": "<i4",
    "I16": "<i2",
    "I8": "i1",
    "U64": "<u8",
    "U32": "<u4",
    "U16": "<u2",
    "U8": "u1",
    "BOOL": "?",
}
_NUMPY_TO_SAFETENSORS = {np.dtype(v).str.lstrip("<|"): k for k, v in SAFETENSORS_DTYPES.items()}
MAX_HEADER = 100 * 1024 * 1024


@dataclass
class WeightCheck:
    """The result of a strict load: what is missing, unexpected or mis-shaped."""

    weights: dict[str, Array]  # path -> array, after removing a common prefix
    missing: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)  # path, expected shape
    unexpected: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)  # key, its shape
    mis_shaped: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)
    prefix: str | None = None  # a common prefix that was removed from every key
    layer_prefix: str | None = None  # the one layer's name, put before keys that lacked it

    @property
    def ok(self) -> bool:
        """Whether every tensor is there with its shape, and nothing else."""
        return not (self.missing or self.unexpected or self.mis_shaped)

    def lines(self) -> list[str]:
        """One line per problem, and one for a removed prefix."""
        out = []
        if self.prefix:
            out.append(f"removed the prefix {self.prefix!r} common to every key")
        if self.layer_prefix:
            out.append(f"put the layer name {self.layer_prefix!r} before every key")
        out += [f"missing: {p} (expected shape {_shape(s)})" for p, s in self.missing]
        out += [f"unexpected: {k} (shape {_shape(s)})" for k, s in self.unexpected]
        out += [f"wrong shape: {p}: expected {_shape(e)}, received {_shape(r)}" for p, e, r in self.mis_shaped]
        return out

    def summary(self) -> str:
        """The problems in one line."""
        return "; ".join(line for line in self.lines() if not line.startswith(("removed", "put")))


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def as_array(value: Any) -> Array:
    """A NumPy array from an array, a framework tensor (detached, on the CPU) or a variable."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor or parameter
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def check_weights(report: Report, weights: Mapping[str, Any]) -> WeightCheck:
    """Check ``weights`` against the report's tensors like a strict state-dict load."""
    expected = {t.path: t.shape for layer in report.layers for t in layer.tensors}
    arrays = {str(k): as_array(v) for k, v in weights.items()}
    prefix = _common_prefix(arrays, expected)
    if prefix:
        arrays = {k[len(prefix) :]: v for k, v in arrays.items()}
    layer_prefix = _layer_prefix(report, arrays, expected)
    if layer_prefix:
        arrays = {layer_prefix + k: v for k, v in arrays.items()}
    check = WeightCheck(weights={}, prefix=prefix, layer_prefix=layer_prefix)
    for path, shape in expected.items():
        if path not in arrays:
            check.missing.append((path, shape))
        elif tuple(arrays[path].shape) != shape:
            check.mis_shaped.append((path, shape, tuple(arrays[path].shape)))
        else:
            check.weights[path] = arrays[path]
    check.unexpected = [(k, tuple(v.shape)) for k, v in arrays.items() if k not in expected]
    return check


def _layer_prefix(report: Report, arrays: Mapping[str, Array], expected: Mapping[str, tuple[int, ...]]) -> str | None:
    """The layer name when the model has one layer with weights and every key is that layer's
    tensor without it (a bare ``nn.LSTM`` state dict: ``weight_ih_l0``)."""
    weighted = [layer for layer in report.layers if layer.tensors]
    if len(weighted) != 1 or not arrays or any(k in expected for k in arrays):
        return None
    layer = weighted[0]
    path = layer.tensors[0].path
    prefix = path[: path.index(layer.name) + len(layer.name) + 1]  # the name and its separator
    return prefix if all(prefix + k in expected for k in arrays) else None


def _common_prefix(arrays: Mapping[str, Array], expected: Mapping[str, tuple[int, ...]]) -> str | None:
    """A first path segment every key carries and that removing makes the keys match better."""
    if not arrays or any(k in expected for k in arrays):
        return None
    for sep in ("/", "."):
        heads = {k.split(sep, 1)[0] for k in arrays if sep in k}
        if len(heads) == 1 and all(sep in k for k in arrays):
            prefix = heads.pop() + sep
            if any(k[len(prefix) :] in expected for k in arrays):
                return prefix
    return None


# ---------------------------------------------------------------------------------------------
# files


def read_weights(path: str | os.PathLike[str]) -> dict[str, Array]:
    """Read a .npz or .safetensors file into path -> array."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".npz", ".safetensors"):
        raise UsageError(f"--weights: expected a .npz or .safetensors file, received {p.name!r}")
    if not p.is_file():
        raise UsageError(f"--weights: no such file {str(p)!r}")
    if suffix == ".npz":
        try:
            with np.load(p, allow_pickle=False) as data:
                return {k: data[k] for k in data.files}
        except (OSError, ValueError) as exc:
            raise UsageError(f"--weights: {p.name} is not a readable .npz file ({exc})") from None
    return read_safetensors(p)


def read_safetensors(path: str | os.PathLike[str]) -> dict[str, Array]:
    """Read a safetensors file: an 8-byte little-endian header size, a JSON header, the data."""
    data = Path(path).read_bytes()
    name = Path(path).name
    if len(data) < 8:
        raise UsageError(f"--weights: {name} is too short to be a safetensors file")
    (size,) = struct.unpack("<Q", data[:8])
    if size > min(MAX_HEADER, len(data) - 8):
        raise UsageError(f"--weights: {name}: header size {size} does not fit the file")
    try:
        header = json.loads(data[8 : 8 + size])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"--weights: {name}: the header is not JSON ({exc})") from None
    if not isinstance(header, dict):
        raise UsageError(f"--weights: {name}: the header is not a JSON object")
    body = memoryview(data)[8 + size :]
    out: dict[str, Array] = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        try:
            dtype, shape, (begin, end) = info["dtype"], tuple(info["shape"]), info["data_offsets"]
        except (KeyError, TypeError, ValueError):
            raise UsageError(f"--weights: {name}: tensor {key!r} has no dtype, shape and data_offsets") from None
        if not (isinstance(begin, int) and isinstance(end, int) and 0 <= begin <= end <= len(body)):
            raise UsageError(f"--weights: {name}: tensor {key!r} lies outside the file")
        raw = body[begin:end]
        if dtype == "BF16":
            # bfloat16 is the top half of a float32
            halves = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            arr = halves.view(np.float32)
        elif dtype in SAFETENSORS_DTYPES:
            arr = np.frombuffer(raw, dtype=SAFETENSORS_DTYPES[dtype])
        else:
            raise UsageError(f"--weights: {name}: tensor {key!r} has unsupported dtype {dtype!r}")
        if arr.size != int(np.prod(shape, dtype=np.int64)):
            raise UsageError(
                f"--weights: {name}: tensor {key!r} holds {arr.size} values, shape {list(shape)} "
                f"needs {int(np.prod(shape))}"
            )
        out[key] = arr.reshape(shape).astype(arr.dtype.newbyteorder("="), copy=False)
    return out


def write_weights(path: str | os.PathLike[str], weights: Mapping[str, Array]) -> None:
    """Write path -> array as .npz or .safetensors, by the file's suffix."""
    p = Path(path)
    if p.suffix.lower() == ".safetensors":
        write_safetensors(p, weights)
    elif p.suffix.lower() == ".npz":
        with p.open("wb") as fh:
            np.savez(fh, **{k: np.asarray(v) for k, v in weights.items()})  # type: ignore[arg-type]
    else:
        raise UsageError(f"expected a .npz or .safetensors file name, received {p.name!r}")


def write_safetensors(path: str | os.PathLike[str], weights: Mapping[str, Array]) -> None:
    """Write path -> array in the safetensors format (little-endian, C order)."""
    header: dict[str, Any] = {}
    blobs: list[bytes] = []
    offset = 0
    for key, value in weights.items():
        arr = np.ascontiguousarray(value)
        arr = arr.astype(arr.dtype.newbyteorder("<"))
        code = _NUMPY_TO_SAFETENSORS.get(arr.dtype.str.lstrip("<|"))
        if code is None:
            raise UsageError(f"cannot store {key!r} of dtype {arr.dtype} in safetensors")
        blob = arr.tobytes()
        header[key] = {"dtype": code, "shape": list(arr.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the format pads the header to a multiple of 8
    with Path(path).open("wb") as fh:
        fh.write(struct.pack("<Q", len(text)))
        fh.write(text)
        for blob in blobs:
            fh.write(blob)
