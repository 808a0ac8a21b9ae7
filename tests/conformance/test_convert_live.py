"""``lstmcount convert`` between PyTorch, Keras 3 and Keras 2: the file loads into the real target, computing the same.

Each case is built in the source framework with random weights (biases too), saved in that
framework's own file, converted by the command in a subprocess, and loaded by the target
framework's ordinary call: ``load_state_dict(strict=True)`` of a ``.pt`` (``torch.load(weights_only=True)``)
or a ``.safetensors`` file, Keras 3's ``model.load_weights`` of a ``.weights.h5`` file, and for
Keras 2 each array of an ``.npz`` assigned to the variable of its name. Both models then run on
the same float32 batch and give the same output.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import need
from convert_adapters import MODULES as KERAS_MODULES
from convert_adapters import build_keras2
from frameworks import build_keras, build_torch

from lstmcount.numeric import forward as fw

#: tf_keras warns that .h5 is its legacy format, which is the format under test
pytestmark = pytest.mark.filterwarnings("ignore:You are saving your model as an HDF5 file")
INPUT = {"features": 5}
STEPS = 6
#: recurrent models each framework builds; every pair converts exactly
CASES: dict[str, list[dict[str, Any]]] = {
    "lstm_dense": [{"type": "lstm", "units": 4}, {"type": "dense", "units": 3}],
    "gru": [{"type": "gru", "units": 4}],
    "gru_no_bias": [{"type": "gru", "units": 3, "use_bias": False}],
    "rnn_bidirectional": [{"type": "simple_rnn", "units": 4, "bidirectional": True}],
    "lstm_stacked_bidirectional": [{"type": "lstm", "units": 3, "num_layers": 2, "bidirectional": True}],
}
FRAMEWORKS = ("pytorch", "keras", "keras2")
#: the file each framework's model is saved as, and the files written for it
SAVED = {"pytorch": ".pt", "keras": ".keras", "keras2": ".h5"}
WRITTEN = {"pytorch": (".pt", ".safetensors"), "keras": (".weights.h5",), "keras2": (".npz",)}
MODULES = {"pytorch": "torch", **KERAS_MODULES}


def _model(framework: str, layers: list[dict[str, Any]]) -> fw.Model:
    return fw.build({"framework": framework, "input": INPUT, "layers": layers})


def build(framework: str, model: fw.Model) -> Any:
    """The real model of ``model`` (a spec and its report) in ``framework``, in inference mode."""
    if framework == "pytorch":
        return build_torch(model.spec, model.report).eval()
    if framework == "keras":
        return build_keras(model.spec, model.report)
    return build_keras2(model.spec, model.report, INPUT["features"])


def randomise(framework: str, built: Any, seed: int) -> None:
    """Every weight drawn from U(-0.5, 0.5), biases included (the initialisers leave them zero)."""
    rng = np.random.default_rng(seed)
    if framework == "pytorch":
        import torch

        with torch.no_grad():
            for p in built.parameters():
                p.copy_(torch.from_numpy(rng.uniform(-0.5, 0.5, tuple(p.shape)).astype(np.float32)))
        return
    for v in built.weights:
        v.assign(rng.uniform(-0.5, 0.5, tuple(v.shape)).astype(np.float32))


def save(framework: str, built: Any, path: Path) -> None:
    """The model in its framework's own file."""
    if framework == "pytorch":
        import torch

        torch.save(built.state_dict(), path)
    else:
        built.save(path)


def run(framework: str, built: Any, x: np.ndarray) -> np.ndarray:
    """The model's output on ``x`` (the last step of each direction)."""
    if framework == "pytorch":
        import torch

        with torch.no_grad():
            return np.asarray(built(torch.from_numpy(x)).numpy())
    if framework == "keras":
        import keras

        return np.asarray(keras.ops.convert_to_numpy(built(x, training=False)))
    return np.asarray(built(x, training=False).numpy())


def load(framework: str, built: Any, path: Path) -> None:
    """The written file loaded by the target framework's ordinary call, every tensor accounted for."""
    if framework == "pytorch":
        import torch

        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(path, weights_only=True)
        built.load_state_dict(state, strict=True)
    elif framework == "keras":
        built.load_weights(str(path))
    else:
        with np.load(path) as arrays:
            values = {name.split(":")[0]: arrays[name] for name in arrays.files}  # Keras 2 names end in :0
        variables = {v.name.split(":")[0]: v for v in built.weights}
        assert set(variables) == set(values)
        for name, v in variables.items():
            assert tuple(v.shape) == values[name].shape, name
            v.assign(values[name])


def convert(src: Path, target: str, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lstmcount", "convert", str(src), "--to", target, "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PAIRS = [(case, a, b) for case in CASES for a in FRAMEWORKS for b in FRAMEWORKS if a != b]


@pytest.mark.parametrize(("case", "source", "target"), PAIRS)
def test_the_converted_file_loads_and_computes_as_the_source(
    case: str, source: str, target: str, tmp_path: Path
) -> None:
    """Source model -> its own file -> convert -> the target's file, loaded strictly: the outputs agree to 1e-5."""
    for framework in (source, target):
        need(MODULES[framework])
        if framework == "keras":
            need("torch")
    need("h5py")
    if "safetensors" in WRITTEN[target]:
        need("safetensors")
    from lstmcount.numeric.convert import read_source, retarget

    original = build(source, _model(source, CASES[case]))
    randomise(source, original, sum(map(ord, case + source)))
    src = tmp_path / f"model{SAVED[source]}"
    save(source, original, src)
    x = np.random.default_rng(7).standard_normal((2, STEPS, INPUT["features"])).astype(np.float32)
    want = run(source, original, x)
    read, _ = read_source(str(src))
    target_model = fw.build(retarget(read, target))  # the model the command converts into
    for suffix in WRITTEN[target]:
        out = tmp_path / f"converted{suffix}"
        done = convert(src, target, out)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"Wrote {out}." in done.stdout and "✓" in done.stdout
        converted = build(target, target_model)
        load(target, converted, out)
        got = run(target, converted, x)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)


def test_a_gru_that_resets_before_the_product_is_refused(tmp_path: Path) -> None:
    """Keras's GRU(reset_after=False) has no PyTorch equivalent: exit 2, the reason, and no file."""
    need("torch")
    keras = need("keras")
    need("h5py")
    model = keras.Sequential([keras.Input((STEPS, 5)), keras.layers.GRU(4, reset_after=False)])
    src = tmp_path / "gru.keras"
    model.save(src)
    out = tmp_path / "gru.pt"
    done = convert(src, "pytorch", out)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "reset gate after the recurrent product" in done.stderr and "reset_after" in done.stderr
    assert done.stderr.count("\n") == 1
    assert not out.exists()


def test_keras_finds_the_layers_by_class_not_by_name(tmp_path: Path) -> None:
    """A .weights.h5 file loads into the user's own model, whatever its layers are called: Keras walks them by class."""
    torch = need("torch")
    keras = need("keras")
    need("h5py")
    original = build("pytorch", _model("pytorch", CASES["lstm_dense"]))
    randomise("pytorch", original, 3)
    src = tmp_path / "model.pt"
    torch.save(original.state_dict(), src)
    out = tmp_path / "model.weights.h5"
    done = convert(src, "keras", out)
    assert done.returncode == 0, done.stdout + done.stderr
    mine = keras.Sequential(
        [keras.Input((STEPS, 5)), keras.layers.LSTM(4, name="encoder"), keras.layers.Dense(3, name="head")]
    )
    mine.load_weights(str(out))
    x = np.random.default_rng(2).standard_normal((3, STEPS, 5)).astype(np.float32)
    np.testing.assert_allclose(run("keras", mine, x), run("pytorch", original, x), rtol=0, atol=1e-5)
    import h5py

    with h5py.File(out) as handle:  # each object's vars group says whose it is
        assert handle["layers/lstm/cell/vars"].attrs["name"] == "lstm_cell"
        assert handle["layers/dense/vars"].attrs["name"] == "linear"  # the source module's name, kept
        assert [handle[f"layers/dense/vars/{i}"].shape for i in range(2)] == [(4, 3), (3,)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "pytorch"], "convert with --to keras"),
        (["--to", "keras", "--layer", "lstm"], "holds a whole model's layers"),
    ],
)
def test_a_weights_h5_file_is_a_whole_keras_model(tmp_path: Path, args: list[str], message: str) -> None:
    """A .weights.h5 file holds a Keras 3 model's objects: another layout or one layer alone is refused in one line."""
    torch = need("torch")
    need("h5py")
    src = tmp_path / "model.pt"
    torch.save(torch.nn.LSTM(5, 4, batch_first=True).state_dict(), src)
    out = tmp_path / "model.weights.h5"
    done = subprocess.run(
        [sys.executable, "-m", "lstmcount", "convert", str(src), *args, "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2 and message in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]
