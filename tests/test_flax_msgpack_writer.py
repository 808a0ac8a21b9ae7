"""The Flax checkpoint writer, without Flax: msgpack bytes as Flax writes them, read back by lstmcount's reader.

The conformance tests (tests/conformance/test_convert_frameworks_live.py) load the written
files with ``flax.serialization.from_bytes`` and compare them with ``to_bytes``; these check the
encoding byte by byte against the layout Flax documents, and the round trip, everywhere.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lstmcount.errors import UsageError
from lstmcount.exporters import write
from lstmcount.exporters.flax_msgpack import dumps, tree
from lstmcount.importers import read
from lstmcount.numeric import forward as fw
from lstmcount.numeric.convert import convert
from lstmcount.numeric.filedata import read_values


def test_the_bytes_are_flax_s() -> None:
    """A 2×2 float32 kernel, a 0-d array, a NumPy scalar and an empty array, each as to_bytes writes it."""
    kernel = np.arange(4, dtype=np.float32).reshape(2, 2)
    assert dumps({"h": {"kernel": kernel}}) == (
        b"\x81\xa1h\x81\xa6kernel\xc7\x1e\x01\x93\x92\x02\x02\xa7float32\xc4\x10" + kernel.tobytes()
    )
    assert dumps({"s": np.float32(1)}) == b"\x81\xa1s\xd8\x03\x93\x90\xa7float32\xc4\x04\x00\x00\x80\x3f"
    assert dumps({"s": np.ones((), np.float32)}) == b"\x81\xa1s\xd8\x01\x93\x90\xa7float32\xc4\x04\x00\x00\x80\x3f"
    assert dumps({"e": np.zeros((0,), np.float32)}) == b"\x81\xa1e\xc7\x0d\x01\x93\x91\x00\xa7float32\xc4\x00"
    big = np.zeros((300, 2))
    assert dumps({"b": big})[:22] == b"\x81\xa1b\xc8\x12\xd1\x01\x93\x92\xcd\x01\x2c\x02\xa7float64\xc5"


def test_the_trees_are_nested_and_ordered_as_flax_s() -> None:
    """NNX: sorted, list indices by number, no collection; linen: under params, a cell's gates sorted."""
    nnx = tree({"b.layers.10.k": 1.0, "b.layers.2.k": 2.0, "a.k": 3.0}, ".", linen=False)
    assert list(nnx) == ["a", "b"] and list(nnx["b"]["layers"]) == ["2", "10"]
    linen = tree({"LSTMCell_0/ii/kernel": 0, "LSTMCell_0/hi/kernel": 0, "LSTMCell_0/hi/bias": 0, "Dense_0/kernel": 0,
                  "Dense_0/bias": 0}, "/", linen=True)  # fmt: skip
    assert list(linen) == ["params"]
    assert list(linen["params"]) == ["LSTMCell_0", "Dense_0"]
    assert list(linen["params"]["LSTMCell_0"]) == ["hi", "ii"] and list(linen["params"]["LSTMCell_0"]["hi"]) == [
        "bias",
        "kernel",
    ]
    assert list(linen["params"]["Dense_0"]) == ["kernel", "bias"]


@pytest.mark.parametrize("target", ["flax", "flax-linen"])
def test_a_written_checkpoint_reads_back(tmp_path: Path, target: str) -> None:
    """PyTorch weights converted and written as .msgpack: lstmcount reads every tensor back, value for value."""
    built = fw.build({"framework": "pytorch", "input": {"features": 5}, "layers": [{"type": "lstm", "units": 4}]})
    conv = convert(built, fw.init_weights(built, 0, np.float32), target)
    out = write(tmp_path / "w.msgpack", conv.weights, model=conv.target)
    contents = read(out)
    assert contents.framework == target
    values = read_values(contents.tensors)  # named by the framework's paths, as inspect names them
    assert set(values) == set(conv.weights)
    for path, value in conv.weights.items():
        np.testing.assert_array_equal(np.asarray(values[path]), value)


def test_a_checkpoint_is_written_for_flax_only(tmp_path: Path) -> None:
    """A .msgpack of another framework's layout is refused, and nothing is written."""
    built = fw.build({"framework": "pytorch", "input": {"features": 5}, "layers": [{"type": "gru", "units": 4}]})
    with pytest.raises(UsageError, match="Flax checkpoint"):
        write(tmp_path / "w.msgpack", fw.init_weights(built, 0), model=built)
    assert not list(tmp_path.iterdir())
