"""Flax msgpack checkpoints read without Flax: the bounded msgpack reader, and hostile files refused.

The files here are written byte by byte with a small msgpack writer (the layout of
``flax.serialization.to_bytes``: nested maps, each array an ext of type 1 holding ``[shape,
dtype name, data]``), so these tests need neither Flax nor msgpack. Every bad file must end in
one :class:`ModelFileError`, and random bytes in nothing else.
"""

from __future__ import annotations

import os
import struct
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lstmcount.importers import ModelFileError, inspect, read
from lstmcount.importers.msgpack import Ext, Span, Unpacker

EXAMPLES = int(os.environ.get("LSTMCOUNT_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------- a msgpack writer


def pack(value: Any) -> bytes:
    """``value`` as msgpack (dicts, lists, str, int, None, bool; bytes as bin; :class:`Array` as an ndarray ext)."""
    if isinstance(value, Array):
        return value.packed()
    if isinstance(value, Raw):
        return bytes(value)
    if value is None:
        return b"\xc0"
    if isinstance(value, bool):
        return b"\xc3" if value else b"\xc2"
    if isinstance(value, int):
        if 0 <= value < 128:
            return bytes([value])
        for tag, fmt in ((0xCC, ">B"), (0xCD, ">H"), (0xCE, ">I"), (0xCF, ">Q")):
            if 0 <= value < 256 ** struct.calcsize(fmt):
                return bytes([tag]) + struct.pack(fmt, value)
        return b"\xd3" + struct.pack(">q", value)
    if isinstance(value, str):
        raw = value.encode()
        return (bytes([0xA0 | len(raw)]) if len(raw) < 32 else b"\xd9" + bytes([len(raw)])) + raw
    if isinstance(value, bytes):
        return (b"\xc4" + bytes([len(value)]) if len(value) < 256 else b"\xc6" + struct.pack(">I", len(value))) + value
    if isinstance(value, list):
        return bytes([0x90 | len(value)]) + b"".join(pack(v) for v in value)
    if isinstance(value, dict):
        head = bytes([0x80 | len(value)]) if len(value) < 16 else b"\xde" + struct.pack(">H", len(value))
        return head + b"".join(pack(k) + pack(v) for k, v in value.items())
    raise TypeError(value)


class Raw(bytes):
    """Bytes packed as they are (a value written by hand)."""


class Array:
    """An array as flax.serialization writes one: ext type 1 (3 for a scalar) over ``[shape, dtype, data]``."""

    def __init__(self, *shape: int, dtype: str = "float32", itemsize: int = 4, data: bytes | None = None) -> None:
        self.shape, self.dtype = list(shape), dtype
        count = 1
        for n in shape:
            count *= n
        self.data = bytes(count * itemsize) if data is None else data

    def packed(self, code: int | None = None) -> bytes:
        body = pack([self.shape, self.dtype, self.data])
        code = (3 if not self.shape else 1) if code is None else code
        return b"\xc9" + struct.pack(">I", len(body)) + struct.pack(">b", code) + body


def nnx_lstm(features: int, units: int) -> dict[str, Any]:
    """``nnx.state(nnx.RNN(nnx.LSTMCell(features, units)), nnx.Param)`` as a pure dict (NNX sorts the keys)."""
    cell: dict[str, Any] = {}
    for g in "fgio":
        cell[f"h{g}"] = {"bias": Array(units), "kernel": Array(units, units)}
    for g in ("f_", "g", "i", "o"):
        cell[f"i{g}"] = {"kernel": Array(features, units)}
    return {"cell": cell}


def linen_gru(features: int, units: int) -> dict[str, Any]:
    """``nn.RNN(nn.GRUCell(units)).init(...)``: its params collection (keys sorted, as linen's scan writes them)."""
    cell: dict[str, Any] = {
        "hn": {"bias": Array(units), "kernel": Array(units, units)},
        "hr": {"kernel": Array(units, units)},
        "hz": {"kernel": Array(units, units)},
    }
    for g in "nrz":
        cell[f"i{g}"] = {"bias": Array(units), "kernel": Array(features, units)}
    return {"params": {"cell": cell}}


def write(tmp_path: Path, data: bytes, name: str = "model.msgpack") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def refused(tmp_path: Path, data: bytes) -> str:
    """The problem ``lstmcount inspect`` names for a file of ``data`` (it must be one line)."""
    with pytest.raises(ModelFileError) as caught:
        inspect(write(tmp_path, data))
    assert "\n" not in str(caught.value)
    return caught.value.problem


# --------------------------------------------------------------------------- good files


def test_an_nnx_lstm_on_100_features_is_its_117248_parameters(tmp_path: Path) -> None:
    """nnx.LSTMCell(100, 128) in an nnx.RNN: 117,248, one Linear per gate and side, and its per-gate table."""
    found = inspect(write(tmp_path, pack(nnx_lstm(100, 128))))
    assert found.framework == "flax"
    assert (found.report.total, found.file_total, found.unexplained, found.missing) == (117_248, 117_248, [], [])
    (layer,) = found.report.layers
    assert layer.class_name == "LSTMCell"
    assert [(g.symbol, g.input_weights, g.recurrent_weights, g.params) for g in layer.gates] == [
        (g, (100, 128), (128, 128), 29_312) for g in "ifgo"
    ]
    assert {t.name for t in found.file_tensors} == found.explained
    assert "cell.if_.kernel" in found.explained


def test_a_linen_gru_has_its_candidates_second_bias(tmp_path: Path) -> None:
    """nn.GRUCell(128) on 100 features: 88,064, b_hn included, read in linen's naming."""
    found = inspect(write(tmp_path, pack(linen_gru(100, 128))))
    assert (found.framework, found.report.total, found.unexplained, found.missing) == ("flax-linen", 88_064, [], [])
    (layer,) = found.report.layers
    assert [g.params for g in layer.gates] == [29_312, 29_312, 29_440]
    assert "cell/hn/bias" in found.explained


def test_batch_statistics_and_other_collections_are_set_aside(tmp_path: Path) -> None:
    """A linen variables dict's batch_stats are not parameters: the file's total keeps them, the model's does not."""
    tree = {
        "params": {
            "Dense_0": {"kernel": Array(3, 4), "bias": Array(4)},
            "BatchNorm_0": {"scale": Array(4), "bias": Array(4)},
        },
        "batch_stats": {"BatchNorm_0": {"mean": Array(4), "var": Array(4)}},
    }
    found = inspect(write(tmp_path, pack(tree)))
    assert (found.file_total, found.report.total, found.unexplained) == (32, 24, [])
    assert [(n, c) for n, c, _ in found.set_aside] == [("batch_stats/BatchNorm_0/mean, batch_stats/BatchNorm_0/var", 8)]
    assert [layer.class_name for layer in found.report.layers] == ["Dense", "BatchNorm"]


def test_an_unknown_module_is_counted_from_its_tensors(tmp_path: Path) -> None:
    """Tensors no layer of lstmcount explains are a generic layer of their own: the count is the file's."""
    tree = {"attention": {"query": {"kernel": Array(6, 2, 3), "bias": Array(2, 3)}}, "scalar": Array()}
    found = inspect(write(tmp_path, pack(tree)))
    assert found.report.total == found.file_total == 6 * 6 + 6 + 1
    assert found.unexplained == []


def test_a_chunked_array_is_read_from_its_chunks(tmp_path: Path) -> None:
    """An array above 1 GiB is written as 1-D chunks under its shape: one tensor of the whole shape."""
    chunked = {"__msgpack_chunked_array__": True, "shape": {"0": 4, "1": 3}, "chunks": {"0": Array(8), "1": Array(4)}}
    contents = read(write(tmp_path, pack({"dense": {"kernel": chunked, "bias": Array(3)}})))
    assert [(t.name, t.shape) for t in contents.tensors] == [("dense.kernel", (4, 3)), ("dense.bias", (3,))]


def test_each_array_says_where_its_values_lie(tmp_path: Path) -> None:
    """A tensor's data reference is the offset of its raw C-order bytes in the file (little-endian, as Flax writes)."""
    values = struct.pack("<3f", 1.5, -2.0, 4.25)
    data = pack({"dense": {"bias": Array(3, data=values), "kernel": Array(2, 3)}})
    contents = read(write(tmp_path, data))
    bias = contents.tensors[0]
    assert bias.name == "dense.bias" and bias.data is not None
    assert (bias.data.offset, bias.data.order) == (data.index(values), "<")
    assert data[bias.data.offset : bias.data.offset + 12] == values


def test_array_data_is_stepped_over_not_decoded(tmp_path: Path) -> None:
    """A bin is its span in the file, an ext its type and span: the unpacker copies neither."""
    data = pack({"a": b"\x01\x02\x03", "b": Array(2)})
    value = Unpacker(tmp_path, data).unpack()
    assert value["a"] == Span(data.index(b"\x01\x02\x03"), 3)
    assert isinstance(value["b"], Ext) and value["b"].code == 1
    assert value["b"].offset + value["b"].length == len(data)


# --------------------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "an empty file"),
        (pack(nnx_lstm(3, 2))[:-5], "truncated"),
        (b"\x81\xa1a\xdb\xff\xff\xff\xff", "more than lstmcount reads"),  # a str of 4 GiB
        (b"\x81\xa1a\xc6\xff\xff\xff\xff", "truncated: a bin of 4,294,967,295 bytes"),
        (b"\x81\xa1a\xdd\xff\xff\xff\xff", "an array declares 4,294,967,295 entries"),
        (b"\x81\xa1a\xdf\xff\xff\xff\xff", "a map declares 4,294,967,295 entries"),
        (b"\x81\xa1a" * 1000 + b"\xc0", "nested more than 64 deep"),
        (b"\x81\xa1a" + b"\x91" * 1000 + b"\xc0", "nested more than 64 deep"),
        (pack({"a": Array(3, data=bytes(4))}), "declares shape [3] (3 float32 values) but holds 4 bytes"),
        (pack({"a": Array(1000, 1000, data=bytes(24))}), "but holds 24 bytes"),
        (pack({"a": Array(2, dtype="object")}), "has dtype 'object'"),
        (pack({"a": Raw(Array(2).packed(code=5))}), "an ext value of type 5"),
        (pack({"a": 1, "b": "text"}), "without arrays"),
        (pack({"a": Array(2)}) + b"\x00", "1 bytes follow the msgpack value"),
        (b"\x82\xa1a\x01\xa1a\x02", "repeats the key 'a'"),
        (b"\x82\xa1b\x01\x81\xa1a\x01\x01", "a map key at offset 4 is a dict"),
        (b"\x81\xa1a\xc1", "byte 0xc1"),
        (b"\x81\xa2\xff\xfe\x01", "not UTF-8"),
        (b"\x81\xa1a\xc7\x03\x01\x92\x90\xc0", "not [shape, dtype, data]"),
        (b"\x81\xa1a\xc7\x02\x01\x93", "truncated"),  # the ext's payload ends inside its array
        (pack({"a": {"__msgpack_chunked_array__": True, "shape": {"0": 5}, "chunks": {"0": Array(4)}}}), "chunks of"),
        (pack({"a": {"__msgpack_chunked_array__": True, "shape": {"1": 5}, "chunks": {}}}), "numbers its axes"),
    ],
)
def test_a_bad_file_is_refused_with_one_line(tmp_path: Path, data: bytes, problem: str) -> None:
    """Truncated, oversized, deeply nested, inconsistent or mistyped: one ModelFileError naming what is wrong."""
    assert problem in refused(tmp_path, data)


def test_a_tree_that_is_not_a_map_is_refused(tmp_path: Path) -> None:
    """The checkpoint reader itself refuses a msgpack file that holds no map (the sniffer sends none such to it)."""
    from lstmcount.importers import flax

    with pytest.raises(ModelFileError, match="holding a list, not a Flax checkpoint"):
        flax.read(write(tmp_path, pack([1, 2])))


def test_negative_and_oversized_shapes_are_refused(tmp_path: Path) -> None:
    """A shape of a negative size, or more elements than any file holds, is refused before anything is computed."""
    negative = Array(2)
    negative.shape = [-1]
    assert "not sizes >= 0" in refused(tmp_path, pack({"a": negative}))
    huge = Array(data=b"")
    huge.shape = [2**32, 2**32]
    assert "more than any file holds" in refused(tmp_path, pack({"a": huge}))


# --------------------------------------------------------------------------- fuzz


def _read_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "fuzz.msgpack"
        path.write_bytes(data)
        with suppress(ModelFileError):
            inspect(path)


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_raise_nothing_but_a_model_file_error(data: bytes) -> None:
    """Random bytes starting as a msgpack map (so that they are read as one) never raise anything else."""
    _read_bytes(b"\x81" + data)


VALID = pack({"params": {"LSTMCell_0": linen_gru(2, 3)["params"]["cell"], "Dense_0": {"kernel": Array(3, 2)}}})


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), min_size=1, max_size=6))
def test_a_mutated_checkpoint_raises_nothing_but_a_model_file_error(changes: list[tuple[int, int]]) -> None:
    """A real checkpoint's bytes with a few of them changed: read, or refused with one line."""
    data = bytearray(VALID)
    for at, byte in changes:
        data[at] = byte
    _read_bytes(bytes(data))
