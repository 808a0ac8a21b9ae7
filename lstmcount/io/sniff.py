"""What kind of file this is, from its first bytes (and a zip archive's member names), never its suffix alone.

Used wherever lstmcount reads a file it was handed, so that a model file given as a spec, or a
text file given as NumPy data, is named for what it is rather than failing in a parser.
Standard library only; nothing here reads more than the head of a file and a zip's directory.
"""

from __future__ import annotations

import os
import struct
import zipfile
from enum import StrEnum

#: Bytes read to tell a file's kind.
HEAD = 4096


class Kind(StrEnum):
    """The kinds of file lstmcount tells apart; the value is how a message names one."""

    NPY = "a NumPy .npy array"
    NPZ = "a NumPy .npz archive"
    SAFETENSORS = "a safetensors file"
    PYTORCH_ZIP = "a PyTorch checkpoint (torch.save zip archive)"
    TORCHSCRIPT = "a TorchScript archive (torch.jit.save)"
    PYTORCH_LEGACY = "a PyTorch checkpoint in the legacy format (before PyTorch 1.6)"
    PICKLE = "a Python pickle"
    KERAS = "a Keras 3 model archive (.keras)"
    ZIP = "a zip archive"
    MIXED = "a zip archive holding the members of more than one format"
    HDF5 = "an HDF5 file (Keras .h5 weights or model)"
    ONNX = "an ONNX model"
    MSGPACK = "a msgpack file (a Flax checkpoint?)"
    GZIP = "a gzip-compressed file"
    BINARY = "a binary file"
    TEXT = "a text file"


#: the magic number that starts a legacy PyTorch pickle stream (torch/serialization.py MAGIC_NUMBER)
_TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def _zip_kind(path: str | os.PathLike[str]) -> Kind:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return Kind.ZIP
    kinds = zip_kinds(names)
    if len(kinds) > 1:
        return Kind.MIXED
    return kinds[0] if kinds else Kind.ZIP


def zip_kinds(names: list[str]) -> list[Kind]:
    """Every format whose members a zip archive holds (a well-formed archive holds one)."""
    kinds = []
    if any(n.endswith("/constants.pkl") or n == "constants.pkl" for n in names) or any("/code/" in n for n in names):
        kinds.append(Kind.TORCHSCRIPT)
    elif any(n.endswith("/data.pkl") or n == "data.pkl" for n in names):
        kinds.append(Kind.PYTORCH_ZIP)
    if "config.json" in names and any(n.startswith("model.weights.") for n in names):
        kinds.append(Kind.KERAS)
    if any(n.endswith(".npy") for n in names):
        kinds.append(Kind.NPZ)
    return kinds


def _looks_like_onnx(head: bytes) -> bool:
    """An ONNX ModelProto starts with field 1 (ir_version, a small varint), then more fields of it."""
    if len(head) < 4 or head[0] != 0x08 or not 1 <= head[1] <= 20:
        return False
    # the next field is producer_name (2), producer_version (3), domain (4), opset_import (8) or graph (7)
    return head[2] in (0x12, 0x1A, 0x22, 0x2A, 0x3A, 0x42)


def _looks_like_safetensors(head: bytes) -> bool:
    if len(head) < 10:
        return False
    (size,) = struct.unpack("<Q", head[:8])
    return 2 <= size <= 100_000_000 and head[8:9] == b"{"


#: control characters that text files hold (tab, line breaks, form feed, escape)
_TEXT_CONTROLS = frozenset(b"\t\n\r\x0b\x0c\x1b")


def _looks_like_text(head: bytes) -> bool:
    if any(b < 0x20 and b not in _TEXT_CONTROLS for b in head[:512]):
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > len(head) - 4  # a character cut by the end of the head
    return True


def sniff_bytes(head: bytes) -> Kind:
    """The kind of a file that starts with ``head`` (zip archives are only ``ZIP`` here)."""
    if head.startswith(b"\x93NUMPY"):
        return Kind.NPY
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return Kind.ZIP
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return Kind.HDF5
    if head.startswith(b"\x1f\x8b"):
        return Kind.GZIP
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        if head[2:3] == b"\x8a" and int.from_bytes(head[4 : 4 + head[3]], "little") == _TORCH_LEGACY_MAGIC:
            return Kind.PYTORCH_LEGACY
        return Kind.PICKLE
    if _looks_like_safetensors(head):
        return Kind.SAFETENSORS
    if _looks_like_onnx(head):
        return Kind.ONNX
    if _looks_like_text(head):
        return Kind.TEXT
    if _looks_like_msgpack_tree(head):
        return Kind.MSGPACK
    return Kind.BINARY


def _looks_like_msgpack_tree(head: bytes) -> bool:
    """A msgpack map whose first key is a string, as ``flax.serialization.to_bytes`` writes a tree."""
    if not head:
        return False
    if 0x81 <= head[0] <= 0x8F:
        key = 1
    elif head[0] == 0xDE:
        key = 3
    elif head[0] == 0xDF:
        key = 5
    else:
        return False
    return len(head) > key and (0xA1 <= head[key] <= 0xBF or head[key] == 0xD9)


def sniff(path: str | os.PathLike[str], head: bytes | None = None) -> Kind:
    """The kind of the file at ``path`` (its first bytes, and its member names if it is a zip archive)."""
    if head is None:
        with open(path, "rb") as handle:
            head = handle.read(HEAD)
    kind = sniff_bytes(head)
    return _zip_kind(path) if kind is Kind.ZIP else kind


#: the kinds whose tensors lstmcount.importers.read lists by name (a zip's, a pickle's, a graph's, a tree's)
TENSOR_FILES = frozenset({Kind.PYTORCH_ZIP, Kind.PYTORCH_LEGACY, Kind.PICKLE, Kind.ONNX, Kind.MSGPACK})
#: the formats a zip archive can be, for a message about one that is none of them
ZIP_FORMATS = (Kind.PYTORCH_ZIP, Kind.KERAS, Kind.NPZ)

MODEL_KINDS = frozenset(
    {
        Kind.NPY,
        Kind.NPZ,
        Kind.SAFETENSORS,
        Kind.PYTORCH_ZIP,
        Kind.TORCHSCRIPT,
        Kind.PYTORCH_LEGACY,
        Kind.PICKLE,
        Kind.KERAS,
        Kind.HDF5,
        Kind.ONNX,
        Kind.MSGPACK,
        Kind.MIXED,
    }
)
