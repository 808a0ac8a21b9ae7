"""Weight files with NumPy only (.npz, .safetensors) and the strict state-dict check."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from lstmcount.api import count_dict
from lstmcount.errors import UsageError
from lstmcount.numeric.weights import check_weights, read_safetensors, read_weights, write_safetensors, write_weights

SEED_MODEL = {"input": {"features": 100}, "layers": [{"type": "lstm", "units": 128}, {"type": "dense", "units": 1}]}


def seed_weights() -> dict[str, np.ndarray]:
    """The Keras seed model's tensors, filled with distinct numbers."""
    report = count_dict(SEED_MODEL)
    return {t.path: np.arange(t.params, dtype=np.float32).reshape(t.shape) for t in report.layers[0].tensors} | {
        t.path: np.ones(t.shape, np.float32) for t in report.layers[1].tensors
    }


@pytest.mark.parametrize("suffix", [".npz", ".safetensors"])
def test_round_trip(tmp_path: Path, suffix: str) -> None:
    """Writing then reading gives the same names, shapes, dtypes and values."""
    weights = seed_weights() | {"extra.int": np.array([[1, 2]], dtype=np.int64), "extra.f64": np.array([0.5])}
    path = tmp_path / f"w{suffix}"
    write_weights(path, weights)
    back = read_weights(path)
    assert list(back) == list(weights)
    for key, value in weights.items():
        assert back[key].dtype == value.dtype and back[key].shape == value.shape
        np.testing.assert_array_equal(back[key], value)


def test_reads_files_written_by_the_safetensors_package(tmp_path: Path) -> None:
    """A file from safetensors.numpy.save_file reads back equal, and ours loads in safetensors."""
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    weights = {
        "a.weight": np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32),
        "a.bias": np.arange(5, dtype=np.float16),
        "b": np.array([True, False]),
    }
    theirs = tmp_path / "theirs.safetensors"
    safetensors_numpy.save_file(weights, str(theirs), metadata={"format": "np"})
    for key, value in read_safetensors(theirs).items():
        np.testing.assert_array_equal(value, weights[key])
    ours = tmp_path / "ours.safetensors"
    write_safetensors(ours, weights)
    for key, value in safetensors_numpy.load_file(str(ours)).items():
        np.testing.assert_array_equal(value, weights[key])


def _safetensors_bytes(header: dict[str, object], body: bytes) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


def test_bfloat16_widens_to_float32(tmp_path: Path) -> None:
    """BF16 tensors (the top 16 bits of a float32) read as float32 values."""
    values = np.array([1.0, -2.5, 0.15625], dtype=np.float32)
    top = (values.view(np.uint32) >> 16).astype("<u2").tobytes()
    path = tmp_path / "bf16.safetensors"
    path.write_bytes(_safetensors_bytes({"t": {"dtype": "BF16", "shape": [3], "data_offsets": [0, 6]}}, top))
    np.testing.assert_array_equal(read_safetensors(path)["t"], values)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x01\x02\x03", "too short"),
        (struct.pack("<Q", 10**12) + b"{}", "does not fit"),
        (struct.pack("<Q", 3) + b"{x}", "not JSON"),
        (_safetensors_bytes({"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 64]}}, b"\0" * 8), "outside"),
        (_safetensors_bytes({"t": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8), "holds 2"),
        (_safetensors_bytes({"t": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}, b"\0" * 8), "dtype"),
        (_safetensors_bytes({"t": {"shape": [1]}}, b""), "no dtype"),
    ],
)
def test_broken_safetensors_are_usage_errors(tmp_path: Path, content: bytes, message: str) -> None:
    """A truncated or inconsistent safetensors file is a one-line usage error naming the problem."""
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(UsageError, match=message):
        read_weights(path)


def test_files_of_other_kinds_and_missing_files(tmp_path: Path) -> None:
    """.npz, .safetensors and model files are read by content; other files are named for what they are."""
    import gzip
    import zipfile

    from lstmcount.importers.base import ModelFileError

    with zipfile.ZipFile(tmp_path / "w.pt", "w") as archive:
        archive.writestr("w/data.pkl", b"\x80\x02}q\x00.")
    with pytest.raises(ModelFileError, match=r"w\.pt: the file holds no tensors"):
        read_weights(tmp_path / "w.pt")
    (tmp_path / "w.gz").write_bytes(gzip.compress(b"weights"))
    with pytest.raises(UsageError, match=r"w\.gz is a gzip-compressed file, not a NumPy \.npz or a safetensors file"):
        read_weights(tmp_path / "w.gz")
    with pytest.raises(UsageError, match="no such file"):
        read_weights(tmp_path / "w.npz")
    with pytest.raises(UsageError, match="is a directory"):
        read_weights(tmp_path)
    (tmp_path / "junk.npz").write_text("not a zip")
    with pytest.raises(UsageError, match=r"junk\.npz is a text file, not a NumPy \.npz or a safetensors file"):
        read_weights(tmp_path / "junk.npz")
    np.savez(tmp_path / "good.npz", a=np.zeros(3))
    (tmp_path / "cut.npz").write_bytes((tmp_path / "good.npz").read_bytes()[:-20])
    with pytest.raises(UsageError, match=r"cut\.npz is not a readable \.npz archive"):
        read_weights(tmp_path / "cut.npz")


def test_strict_check_lists_missing_unexpected_and_misshaped() -> None:
    """Like load_state_dict(strict=True): each problem is listed with the expected shape."""
    report = count_dict(SEED_MODEL)
    weights = seed_weights()
    assert check_weights(report, weights).ok
    del weights["dense/bias"]
    weights["lstm/lstm_cell/recurrent_kernel"] = np.zeros((512, 128))
    weights["lstm/lstm_cell/bias_hh"] = np.zeros(512)
    check = check_weights(report, weights)
    assert not check.ok
    assert check.missing == [("dense/bias", (1,))]
    assert check.mis_shaped == [("lstm/lstm_cell/recurrent_kernel", (128, 512), (512, 128))]
    assert check.unexpected == [("lstm/lstm_cell/bias_hh", (512,))]
    assert check.lines() == [
        "missing: dense/bias (expected shape (1,))",
        "unexpected: lstm/lstm_cell/bias_hh (shape (512,))",
        "wrong shape: lstm/lstm_cell/recurrent_kernel: expected (128, 512), received (512, 128)",
    ]


def test_common_model_prefix_is_removed_and_reported() -> None:
    """Keys that all start with 'sequential/' (Keras weight.path) match once the prefix goes."""
    report = count_dict(SEED_MODEL)
    prefixed = {f"sequential/{k}": v for k, v in seed_weights().items()}
    check = check_weights(report, prefixed)
    assert check.ok and check.prefix == "sequential/"
    assert "removed the prefix 'sequential/'" in check.lines()[0]
    # PyTorch keys under a wrapper module: model.lstm.weight_ih_l0
    torch_report = count_dict({**SEED_MODEL, "framework": "pytorch"})
    wrapped = {f"model.{t.path}": np.zeros(t.shape) for layer in torch_report.layers for t in layer.tensors}
    assert check_weights(torch_report, wrapped).prefix == "model."


def test_no_prefix_removed_when_keys_already_match() -> None:
    """A prefix is only removed when no key matches as given."""
    report = count_dict(SEED_MODEL)
    weights = seed_weights() | {"sequential/x": np.zeros(1)}
    check = check_weights(report, weights)
    assert check.prefix is None and check.unexpected == [("sequential/x", (1,))]


def test_bare_keys_of_a_one_layer_model_get_its_name() -> None:
    """A bare nn.LSTM state dict (weight_ih_l0, ...) fits a one-layer PyTorch model named lstm."""
    report = count_dict({"framework": "pytorch", "input": {"features": 3}, "layers": [{"type": "lstm", "units": 2}]})
    bare = {t.name: np.zeros(t.shape) for t in report.layers[0].tensors}
    check = check_weights(report, bare)
    assert check.ok and check.layer_prefix == "lstm."
    assert check.lines() == ["put the layer name 'lstm.' before every key"]
    two_layers = count_dict({**SEED_MODEL, "framework": "pytorch"})
    assert not check_weights(two_layers, {"weight_ih_l0": np.zeros((512, 100))}).ok
