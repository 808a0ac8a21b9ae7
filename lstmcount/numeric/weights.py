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
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lstmcount import frameworks
from lstmcount.errors import UsageError
from lstmcount.io.sniff import TENSOR_FILES, Kind, sniff
from lstmcount.model.report import Report
from lstmcount.model.spec import ModelSpec

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
    #: tensors of the right name and shape whose values cannot be weights: path, what is wrong
    bad_values: list[tuple[str, str]] = field(default_factory=list)
    prefix: str | None = None  # a common prefix that was removed from every key
    layer_prefix: str | None = None  # the one layer's name, put before keys that lacked it
    #: what would make the file fit (another framework's layout, the file's own layer names)
    hints: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every tensor is there with its shape and real, finite values, and nothing else."""
        return not (self.missing or self.unexpected or self.mis_shaped or self.bad_values)

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
        out += [f"wrong values: {p}: {why}" for p, why in self.bad_values]
        out += [f"hint: {h}" for h in self.hints]
        return out

    def summary(self) -> str:
        """The problems in one line."""
        return "; ".join(line for line in self.lines() if not line.startswith(("removed", "put", "hint")))


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def as_array(value: Any) -> Array:
    """A NumPy array from an array, a framework tensor (detached, on the CPU) or a variable."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor or parameter
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def check_weights(report: Report, weights: Mapping[str, Any]) -> WeightCheck:
    """Check ``weights`` against the report's tensors like a strict state-dict load."""
    tensors = [t for layer in report.layers for t in layer.tensors]
    expected = {t.path: t.shape for t in tensors}
    #: every other name a framework's files also store a tensor under (Paddle's nested names)
    alias_of = {alias: t.path for t in tensors for alias in t.aliases}
    known = {**expected, **{a: expected[p] for a, p in alias_of.items()}}
    arrays = {str(k): as_array(v) for k, v in weights.items()}
    prefix = _common_prefix(arrays, known)
    if prefix:
        arrays = {k[len(prefix) :]: v for k, v in arrays.items()}
    layer_prefix = _layer_prefix(report, arrays, known)
    if layer_prefix:
        arrays = {layer_prefix + k: v for k, v in arrays.items()}
    check = WeightCheck(weights={}, prefix=prefix, layer_prefix=layer_prefix)
    for t in tensors:
        path, shape = t.path, t.shape
        given = [name for name in (path, *t.aliases) if name in arrays]
        if not given:
            check.missing.append((path, shape))
            continue
        first = arrays[given[0]]
        if tuple(first.shape) != shape:
            check.mis_shaped.append((given[0], shape, tuple(first.shape)))
        elif (why := value_problem(first)) is not None:
            check.bad_values.append((given[0], why))
        elif any(not np.array_equal(arrays[other], first) for other in given[1:]):
            check.bad_values.append((path, f"other values under its other name {given[1]}"))
        else:
            check.weights[path] = first
    check.unexpected = [(k, tuple(v.shape)) for k, v in arrays.items() if k not in known]
    return check


def value_problem(array: Array) -> str | None:
    """Why ``array`` cannot hold weights or features (not real floating point, NaN, infinite), or None."""
    if not np.issubdtype(array.dtype, np.floating):
        return f"{array.dtype} values, not floating point"
    if array.size and not np.isfinite(array).all():
        nan = int(np.isnan(array).sum())
        inf = int(np.isinf(array).sum())
        parts = [f"{nan:,} NaN"] * bool(nan) + [f"{inf:,} infinite"] * bool(inf)
        return " and ".join(parts) + " of " + f"{array.size:,} values"
    return None


def _layer_prefix(report: Report, arrays: Mapping[str, Array], expected: Mapping[str, tuple[int, ...]]) -> str | None:
    """The layer name when the model has one layer with weights and every key is that layer's
    tensor without it (a bare ``nn.LSTM`` state dict: ``weight_ih_l0``)."""
    weighted = [layer for layer in report.layers if layer.tensors]
    if len(weighted) != 1 or not arrays or any(k in expected for k in arrays):
        return None
    layer = weighted[0]
    path = layer.tensors[0].path
    if layer.name not in path:  # the framework does not put the layer's name in its paths
        return None
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


def _checked_file(path: str | os.PathLike[str], flag: str) -> Path:
    """``path`` as an existing regular file, or the one-line error naming ``flag``."""
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{flag}: {p} is a directory, not a file")
    if not p.is_file():
        raise UsageError(f"{flag}: no such file {str(p)!r}")
    return p


def _wrong_kind(p: Path, flag: str, kind: Kind, wanted: str) -> UsageError:
    what = "a text file" if kind is Kind.TEXT else kind.value
    return UsageError(f"{flag}: {p.name} is {what}, not {wanted}")


def read_weights(path: str | os.PathLike[str], flag: str = "--weights") -> dict[str, Array]:
    """Read a NumPy ``.npz`` or a ``.safetensors`` file (told apart by content) into path -> array."""
    p = _checked_file(path, flag)
    kind = sniff(p)
    named = p.suffix.lower()
    # the content decides; a broken file (too short to tell) gets its format's own diagnosis by its name
    if kind is Kind.SAFETENSORS or (named == ".safetensors" and kind is Kind.BINARY):
        return read_safetensors(p)
    if kind in TENSOR_FILES:
        return read_model_file(p)
    if kind is not Kind.NPZ and not (named == ".npz" and kind in (Kind.ZIP, Kind.BINARY)):
        raise _wrong_kind(p, flag, kind, "a NumPy .npz or a safetensors file")
    try:
        with np.load(p, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise UsageError(f"{flag}: {p.name} is not a readable .npz archive ({_reason(exc)})") from None


def read_model_file(path: str | os.PathLike[str]) -> dict[str, Array]:
    """A model file's tensors (a PyTorch checkpoint, an ONNX model, ...), by their names in the file.

    The file is read as ``lstmcount inspect`` reads it (nothing in it runs); then each tensor's
    values are read from where the file keeps them.
    """
    from lstmcount.importers import read
    from lstmcount.numeric.filedata import read_values

    contents = read(path)
    return read_values((t for t in contents.tensors if t.name not in contents.aside), str(path))


def read_array(path: str | os.PathLike[str], flag: str = "--input") -> Array:
    """Read one NumPy ``.npy`` array (told apart by content, never unpickled)."""
    p = _checked_file(path, flag)
    kind = sniff(p)
    if kind is not Kind.NPY:
        raise _wrong_kind(p, flag, kind, "a NumPy .npy array")
    try:
        array: Array = np.load(p, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise UsageError(f"{flag}: {p.name} is not a readable .npy array ({_reason(exc)})") from None
    return array


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


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


def fit_hints(spec: ModelSpec, report: Report, weights: Mapping[str, Any]) -> list[str]:
    """What would make weights that do not fit the model fit: another framework, or the file's layer names.

    Tried in turn: the same model in another framework's layout (the file holds PyTorch tensors
    but the model is counted in Keras's), and the model with its layers renamed as the file
    names them (automatic names such as ``lstm_1`` count up in a notebook session).
    """
    from lstmcount.counting.counter import count
    from lstmcount.errors import SpecError

    hints = []
    for fw in frameworks.every():
        if fw.id == report.framework:
            continue
        try:
            other = count(spec, fw.id)
        except SpecError:
            continue
        if _names_fit(check_weights(other, weights)):
            hints.append(f"these are {fw.display} tensor names: use --framework {fw.id}")
    renamed = _renamed_layers(report, check_weights(report, weights))
    if renamed:
        pairs = ", ".join(f"{mine!r} is {theirs!r}" for mine, theirs in renamed)
        hints.append(
            f"the file names its layers otherwise ({pairs}; automatic names count up in a notebook session): "
            "set each layer's name: in a spec to the file's"
        )
    return hints


def _names_fit(check: WeightCheck) -> bool:
    return not (check.missing or check.unexpected or check.mis_shaped)


def _renamed_layers(report: Report, check: WeightCheck) -> list[tuple[str, str]]:
    """(model's name, file's name) for each layer whose every tensor the file holds under another layer name."""
    sep = frameworks.get(report.framework).path_sep
    missing = {p for p, _ in check.missing}
    unexpected = {k: shape for k, shape in check.unexpected}
    theirs: dict[str, set[tuple[str, tuple[int, ...]]]] = {}
    for key, shape in unexpected.items():
        head, _, rest = key.partition(sep)
        if rest:
            theirs.setdefault(head, set()).add((rest, shape))
    pairs = []
    for layer in report.layers:
        mine = {(t.path[len(layer.name) + 1 :], t.shape) for t in layer.tensors}
        if not mine or not all(t.path in missing for t in layer.tensors):
            continue
        match = [name for name, tensors in theirs.items() if tensors == mine and name != layer.name]
        if len(match) == 1:
            pairs.append((layer.name, match[0]))
            del theirs[match[0]]
    return pairs
