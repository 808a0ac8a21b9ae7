"""``lstmcount verify FILE`` runs the model rebuilt from a PyTorch file on the file's own weights, as PyTorch does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import need

#: recurrent modules, each run as PyTorch runs it (batch first, the last step's output)
MODULES = {
    "lstm": lambda t: t.nn.LSTM(5, 7, batch_first=True),
    "lstm_stacked_bidirectional": lambda t: t.nn.LSTM(5, 7, num_layers=2, bidirectional=True, batch_first=True),
    "lstm_projection": lambda t: t.nn.LSTM(5, 7, proj_size=3, batch_first=True),
    "gru_no_bias": lambda t: t.nn.GRU(5, 6, bias=False, batch_first=True),
    "rnn_bidirectional": lambda t: t.nn.RNN(5, 4, bidirectional=True, batch_first=True),
}
#: how each is saved
FORMS = ("pt", "legacy", "checkpoint", "safetensors", "npz", "float64", "transposed")


def _save(torch: Any, module: Any, form: str, path: Path) -> None:
    state = module.state_dict()
    if form == "pt":
        torch.save(state, path)
    elif form == "legacy":
        torch.save(state, path, _use_new_zipfile_serialization=False)
    elif form == "checkpoint":
        optimizer = torch.optim.Adam(module.parameters())
        torch.save({"epoch": 3, "model_state_dict": state, "optimizer_state_dict": optimizer.state_dict()}, path)
    elif form == "safetensors":
        from safetensors.torch import save_file

        save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    elif form == "npz":
        np.savez(path, **{k: v.numpy() for k, v in state.items()})
    elif form == "float64":
        torch.save({k: v.double() for k, v in state.items()}, path)
    elif form == "transposed":  # each matrix saved as a transposed view of its transpose: strides, not C order
        torch.save({k: v.t().contiguous().t() if v.dim() == 2 else v for k, v in state.items()}, path)


def _suffix(form: str) -> str:
    return {"safetensors": ".safetensors", "npz": ".npz"}.get(form, ".pt")


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", sorted(MODULES))
def test_verify_file_runs_the_files_weights(name: str, form: str, tmp_path: Path) -> None:
    """The output of verify FILE --input x equals PyTorch's on the same input (the last step of each direction)."""
    torch = need("torch")
    if form == "safetensors":
        need("safetensors")
    torch.manual_seed(sum(map(ord, name + form)))
    module = MODULES[name](torch).eval()
    path = tmp_path / f"{name}{_suffix(form)}"
    _save(torch, module, form, path)
    x = np.random.default_rng(0).standard_normal((3, 4, 5))
    np.save(tmp_path / "x.npy", x.astype(np.float64 if form == "float64" else np.float32))
    run = subprocess.run(
        [sys.executable, "-m", "lstmcount", "verify", str(path), "--input", "x.npy", "--save-output", "out.npy"]
        + (["--dtype", "float64"] if form == "float64" else []),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "tensors match by name, shape and values" in run.stdout
    with torch.no_grad():
        module = module.double() if form == "float64" else module
        y = module(torch.from_numpy(np.load(tmp_path / "x.npy")))[0].numpy()
    width = y.shape[-1] // (2 if module.bidirectional else 1)
    last = np.concatenate([y[:, -1, :width], y[:, 0, width:]], axis=-1) if module.bidirectional else y[:, -1]
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), last, rtol=1e-5, atol=1e-6)


#: Keras models, each run as Keras runs it
KERAS = {
    "lstm_dense": lambda k: [k.layers.LSTM(7), k.layers.Dense(3)],
    "gru_stacked": lambda k: [k.layers.GRU(6, return_sequences=True), k.layers.GRU(4)],
    "bidirectional_rnn": lambda k: [k.layers.Bidirectional(k.layers.SimpleRNN(5))],
}


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize("name", sorted(KERAS))
def test_verify_file_runs_a_keras_files_weights(name: str, suffix: str, tmp_path: Path) -> None:
    """verify FILE on a saved Keras model gives Keras's own output for the same input."""
    keras = need("keras")
    need("h5py")
    keras.utils.set_random_seed(sum(map(ord, name)))
    model = keras.Sequential([keras.Input((4, 5)), *KERAS[name](keras)])
    path = tmp_path / f"{name}{suffix}"
    model.save(path)
    x = np.random.default_rng(1).standard_normal((3, 4, 5)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    run = subprocess.run(
        [sys.executable, "-m", "lstmcount", "verify", path.name, "--input", "x.npy", "--save-output", "out.npy"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    want = keras.ops.convert_to_numpy(model(x))
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript", "dynamo"])
@pytest.mark.parametrize("name", ["lstm_stacked_bidirectional", "gru_no_bias", "lstm"])
def test_verify_file_runs_an_onnx_models_weights(name: str, dynamo: bool, tmp_path: Path) -> None:
    """verify FILE on an exported ONNX model gives PyTorch's output for the same input (inline and external data)."""
    torch = need("torch")
    need("onnx")
    if dynamo:
        need("onnxscript")
    torch.manual_seed(sum(map(ord, name)))
    module = MODULES[name](torch).eval()
    x = np.random.default_rng(2).standard_normal((3, 4, 5)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    import contextlib
    import io
    import warnings

    quiet = contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO())
    with warnings.catch_warnings(), quiet[0], quiet[1]:
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.from_numpy(x),), str(tmp_path / "m.onnx"), dynamo=dynamo)
    run = subprocess.run(
        [sys.executable, "-m", "lstmcount", "verify", "m.onnx", "--input", "x.npy", "--save-output", "out.npy"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    with torch.no_grad():
        y = module(torch.from_numpy(x))[0].numpy()
    width = y.shape[-1] // (2 if module.bidirectional else 1)
    last = np.concatenate([y[:, -1, :width], y[:, 0, width:]], axis=-1) if module.bidirectional else y[:, -1]
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), last, rtol=1e-5, atol=1e-6)
