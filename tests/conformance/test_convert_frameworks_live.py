"""lstmcount convert between the frameworks, live: converted weights loaded into the real target framework.

For recurrent cases (LSTM, GRU, simple RNN; bidirectional, stacked, without biases where both
frameworks have that) the source framework's own random weights (a freshly built model's, or
lstmcount's init where the recorder builds from given weights only) are converted with
:func:`lstmcount.numeric.convert.convert`; the target framework then runs on the converted
weights, and its outputs and final states must be the source framework's own on the same input:
float64 within 1e-9 where both compute in float64, float32 within 1e-5 otherwise (ONNX Runtime
computes in float32 only, and MLX's float64 pass is not exact to 1e-9).

The pairs are a seeded sample of (case, source, target) over Flax NNX, Flax linen, MLX, Equinox,
TensorFlow 1, Paddle, ONNX and PyTorch, two cases a pair; Keras 3 and Keras 2 with each of these
but PyTorch (test_convert_live.py converts between PyTorch, Keras 3 and Keras 2 from saved files),
one case a pair, from the Keras model's own weights (its biases drawn, Keras initialising them to
constants), run by the Keras model whose variables are assigned by path; and an LSTM with a
projection between each pair of PyTorch, TensorFlow 1 and Paddle. A conversion that cannot be
exact must be refused, with a reason that names what is in the way. Files go through the CLI and the framework's own
loading call: ``flax.serialization.from_bytes`` of a ``.msgpack`` (NNX and linen), MLX's
``model.load_weights`` of a ``.safetensors``, and PyTorch's ``load_state_dict(strict=True)`` of
a ``.pt``.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import random
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import convert_adapters as keras_adapters
import numpy as np
import pytest
from conftest import need
from recorded import expected_path, spec_of

import lstmcount
from lstmcount.cli import run as cli
from lstmcount.errors import SpecError
from lstmcount.numeric import forward as fw
from lstmcount.numeric.convert import ConversionError, convert
from lstmcount.numeric.weights import write_weights

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # the tf.compat.v1 cells live in tf-keras
if "tensorflow" not in sys.modules and importlib.util.find_spec("paddle"):
    importlib.import_module("paddle")  # Paddle crashes on import once TensorFlow is loaded; not the other way

PACKAGES = {
    "flax": ("jax", "flax"),
    "flax-linen": ("jax", "flax"),
    "mlx": ("mlx.core",),
    "equinox": ("jax", "equinox"),
    "paddle": ("paddle",),
    "tf1": ("tensorflow", "tf_keras"),
    "onnx": ("onnx", "onnxruntime"),
    "pytorch": ("torch",),
    "keras": ("torch", "keras"),
    "keras2": ("tensorflow", "tf_keras"),
}
#: Keras 3 and Keras 2, whose pairs with each other and PyTorch test_convert_live.py covers from saved files
KERAS = ("keras", "keras2")
IDS = [fid for fid in PACKAGES if fid not in KERAS]
SEED = 20261201
#: the frameworks whose pass is exact to 1e-9 in float64
FLOAT64 = {"flax", "flax-linen", "equinox", "tf1", "paddle", "pytorch"}

_BASE = {
    "class": None,
    "num_layers": 1,
    "bidirectional": False,
    "bias": True,
    "proj_size": 0,
    "peepholes": False,
    "forget_bias": None,
    "reset_after": None,
    "nonlinearity": "tanh",
    "options": {},
}
CASES: dict[str, dict[str, Any]] = {
    name: {**_BASE, **case}
    for name, case in {
        "lstm": {"cell": "lstm", "input_size": 3, "hidden_size": 4},
        "lstm_stacked_bidirectional": {
            "cell": "lstm",
            "input_size": 2,
            "hidden_size": 3,
            "num_layers": 2,
            "bidirectional": True,
        },
        "lstm_no_bias": {"cell": "lstm", "input_size": 3, "hidden_size": 3, "bias": False},
        "gru": {"cell": "gru", "input_size": 3, "hidden_size": 4},
        "gru_stacked_bidirectional": {
            "cell": "gru",
            "input_size": 2,
            "hidden_size": 3,
            "num_layers": 2,
            "bidirectional": True,
        },
        "rnn_stacked": {"cell": "rnn", "input_size": 3, "hidden_size": 4, "num_layers": 2},
        "rnn_bidirectional_no_bias": {
            "cell": "rnn",
            "input_size": 2,
            "hidden_size": 3,
            "bidirectional": True,
            "bias": False,
        },
        "lstm_projection": {"cell": "lstm", "input_size": 3, "hidden_size": 4, "proj_size": 2},
        "lstm_projection_stacked_bidirectional": {
            "cell": "lstm",
            "input_size": 2,
            "hidden_size": 4,
            "num_layers": 2,
            "bidirectional": True,
            "proj_size": 3,
        },
    }.items()
}
#: the cases with a projection (PyTorch's proj_size, TensorFlow 1's num_proj, Paddle's proj_size)
PROJECTED = [name for name, case in CASES.items() if case["proj_size"]]
#: the frameworks whose LSTM has a projection
PROJECTING = ("pytorch", "tf1", "paddle")


# --- PyTorch, which has no facts module of its own: the nn.LSTM / nn.GRU / nn.RNN modules ---


def _torch_module(case: dict[str, Any], dtype: Any) -> Any:
    torch = need("torch")
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[case["cell"]]
    torch.manual_seed(SEED)
    module = cls(
        case["input_size"],
        case["hidden_size"],
        num_layers=case["num_layers"],
        bias=case["bias"],
        batch_first=True,
        bidirectional=case["bidirectional"],
        **({"proj_size": case["proj_size"]} if case["proj_size"] else {}),
    )
    return module.to(torch.float64 if np.dtype(dtype) == np.float64 else torch.float32)


def _torch_run(case: dict[str, Any], module: Any, x: np.ndarray) -> dict[str, Any]:
    torch = need("torch")
    with torch.no_grad():
        y, states = module(torch.from_numpy(x))
    h, c = states if case["cell"] == "lstm" else (states, None)
    finals = [{"h": h[i].numpy(), **({"c": c[i].numpy()} if c is not None else {})} for i in range(h.shape[0])]
    return {"output": y.numpy(), "final": finals}


def _torch_forward(case: dict[str, Any], weights: dict[str, np.ndarray], x: np.ndarray) -> dict[str, Any]:
    torch = need("torch")
    module = _torch_module(case, x.dtype)
    module.load_state_dict({k: torch.from_numpy(np.asarray(v, x.dtype)) for k, v in weights.items()}, strict=True)
    return _torch_run(case, module, x)


# --- each framework: its facts module, its own weights, its names ---


def _need(fid: str) -> None:
    if "tensorflow" in PACKAGES[fid] and "tensorflow" not in sys.modules and importlib.util.find_spec("paddle"):
        importlib.import_module("paddle")  # Paddle crashes on import once TensorFlow is loaded; not the other way
    for package in PACKAGES[fid]:
        need(package)


def _facts(fid: str) -> ModuleType:
    _need(fid)
    return importlib.import_module("facts.facts_" + fid.replace("-", "_"))


def _supported(fid: str, case: dict[str, Any]) -> bool:
    if fid == "pytorch":  # every case here is one of nn.LSTM / nn.GRU / nn.RNN's
        _need(fid)
        return True
    if fid == "keras":  # Keras 3's LSTM / GRU / SimpleRNN take what Keras 2's take (read without TensorFlow)
        _need(fid)
        return importlib.import_module("facts.facts_keras2").supported(case) is None
    return _facts(fid).supported(case) is None


def _model(fid: str, case: dict[str, Any]) -> fw.Model:
    spec = spec_of(fid, case)
    assert spec is not None
    return fw.build(spec)


def _to_recorded(fid: str, case: dict[str, Any], model: fw.Model, weights: dict[str, Any]) -> dict[str, Any]:
    """lstmcount's tensors (by its paths) under the names the framework's model gives them."""
    report = model.report
    if fid in KERAS:  # a Keras variable's own path is lstmcount's
        return {p: np.asarray(v) for p, v in weights.items()}
    if fid == "onnx":
        names = {expected_path(fid, report, p["path"]): p["path"] for p in _facts(fid).parameters(case)}
    elif fid in ("flax-linen", "tf1"):
        names = {p: p for p in weights}
    else:
        prefix = f"{report.layers[0].name}."
        names = {p: p[len(prefix) :] for p in weights}
    assert set(names) == set(weights), (sorted(names), sorted(weights))
    return {names[p]: np.asarray(v) for p, v in weights.items()}


def _own_weights(fid: str, case: dict[str, Any], model: fw.Model) -> dict[str, Any]:
    """The framework's own random weights for the case, by lstmcount's paths."""
    report = model.report
    if fid == "pytorch":
        recorded = {k: v.numpy() for k, v in _torch_module(case, np.float32).state_dict().items()}
        return {expected_path(fid, report, k): np.asarray(v) for k, v in recorded.items()}
    if fid in KERAS:
        _need(fid)
        return keras_adapters.own_weights(fid, model, SEED)
    facts = _facts(fid)
    if fid == "flax":
        recorded = facts.get_weights(facts.build(case, np.float32, seed=SEED % 1000)[0])
    elif fid == "equinox":
        recorded = facts.get_weights(facts.build(case, np.float32, seed=SEED % 1000))
    elif fid == "flax-linen":
        from flax.traverse_util import flatten_dict

        variables = facts.init_variables(case, np.float32, seed=SEED % 1000)[2]
        recorded = {k: np.asarray(v) for k, v in flatten_dict(variables["params"], sep="/").items()}
    elif fid in ("mlx", "paddle"):
        recorded = facts.initial_weights(case)
    else:  # TensorFlow 1 and ONNX build from given weights only: lstmcount's init, biases nonzero
        weights = fw.init_weights(model, SEED, np.float32)
        for path, value in weights.items():
            if value.ndim == 1 or (fid == "onnx" and path.endswith(".B")):
                value += 0.1
        return {k: np.asarray(v) for k, v in weights.items()}
    weights = {expected_path(fid, report, k): np.asarray(v) for k, v in recorded.items()}
    assert set(weights) == {t.path for layer in report.layers for t in layer.tensors}
    return weights


def _forward(fid: str, case: dict[str, Any], weights: dict[str, Any], x: np.ndarray) -> dict[str, Any]:
    weights = {k: np.asarray(v, x.dtype) for k, v in weights.items()}
    if fid == "pytorch":
        return _torch_forward(case, weights, x)
    if fid in KERAS:
        return keras_adapters.forward(fid, _model(fid, case), weights, x)
    result: dict[str, Any] = _facts(fid).forward(case, weights, x)
    return result


def _compare(theirs: dict[str, Any], mine: dict[str, Any], tolerance: float) -> None:
    np.testing.assert_allclose(np.asarray(mine["output"]), np.asarray(theirs["output"]), atol=tolerance, rtol=0)
    assert len(mine["final"]) == len(theirs["final"])
    for a, b in zip(mine["final"], theirs["final"], strict=True):
        assert set(a) == set(b)
        for kind in a:
            np.testing.assert_allclose(np.asarray(a[kind]), np.asarray(b[kind]), atol=tolerance, rtol=0, err_msg=kind)


def _case(name: str, fid: str) -> dict[str, Any]:
    """The case as built in ``fid``: an ONNX GRU resets after the product (linear_before_reset=1), as exported."""
    case = CASES[name]
    if fid == "onnx" and case["cell"] == "gru":
        return {**case, "reset_after": True}
    return case


def _target_case(case: dict[str, Any], target: str, model: fw.Model) -> dict[str, Any]:
    """The case as the target builds what lstmcount converted to: a GRU's reset as the converted cell has it."""
    cells = model.report.layers[0].cells
    if case["cell"] != "gru" or not cells:
        return case
    adjusted = {**case, "reset_after": cells[0].cell.reset_after}
    return adjusted if _supported(target, adjusted) else case


def _refusal(case: dict[str, Any], source: str, target: str) -> str | None:
    """What lstmcount must refuse for this pair, by the cells' own definitions; None when it converts."""
    if case["cell"] != "gru":
        return None
    if source == "tf1" and target not in ("tf1", "onnx", *KERAS):  # TensorFlow 1's GRUCell resets before the product
        return "reset"  # (ONNX and Keras have both: linear_before_reset=0, reset_after=False are TensorFlow 1's)
    if target == "tf1" and source != "tf1":
        return "reset"
    if target == "flax" and source != "flax":  # NNX's GRUCell has no b_hn; every other's is random
        return "nowhere to put it"
    return None


def _pairs() -> list[tuple[str, str, str]]:
    """Two sampled cases of each ordered pair, one of each of Keras's; a projection case for each projecting pair."""
    out = []
    rng = random.Random(SEED)
    for source, target in [(a, b) for a in IDS for b in IDS if a != b]:
        out += [(n, source, target) for n in _sample(rng, source, target)]
    rng = random.Random(SEED + 1)
    others = [fid for fid in IDS if fid != "pytorch"]  # Keras with PyTorch: test_convert_live.py
    for source, target in [pair for k in KERAS for o in others for pair in ((k, o), (o, k))]:
        out += [(n, source, target) for n in _sample(rng, source, target, 1)]
    projected = [(a, b) for a in PROJECTING for b in PROJECTING if a != b]
    out += [(PROJECTED[i % len(PROJECTED)], source, target) for i, (source, target) in enumerate(projected)]
    return out


def _sample(rng: random.Random, source: str, target: str, k: int = 2) -> list[str]:
    names = [n for n in CASES if n not in PROJECTED and _possible(n, source) and _possible(n, target)]
    return sorted(rng.sample(names, min(k, len(names))))


def _possible(name: str, fid: str) -> bool:
    """Whether lstmcount counts the case in ``fid`` (the live tests hold it to the framework's own answer)."""
    spec = spec_of(fid, _case(name, fid))
    try:
        return spec is not None and lstmcount.count(spec) is not None
    except SpecError:
        return False


PAIRS = _pairs()


@pytest.mark.parametrize(("name", "source", "target"), PAIRS, ids=[f"{n}-{a}-to-{b}" for n, a, b in PAIRS])
def test_converted_weights_compute_the_same_in_the_target(name: str, source: str, target: str) -> None:
    """The source framework's weights, converted: the target framework computes its outputs and states."""
    case = _case(name, source)
    assert _supported(source, case) and _supported(target, CASES[name])
    model = _model(source, case)
    exact = source in FLOAT64 and target in FLOAT64
    dtype, tolerance = (np.float64, 1e-9) if exact else (np.float32, 1e-5)
    # converted in the dtype the passes run in: two float32 biases summed in float32 are not their float64 sum
    weights = {k: v.astype(dtype) for k, v in _own_weights(source, case, model).items()}
    why = _refusal(case, source, target)
    if why is not None:
        with pytest.raises(ConversionError, match=why):
            convert(model, weights, target)
        return
    conv = convert(model, weights, target)
    x = np.random.default_rng(SEED).standard_normal((2, 5, case["input_size"])).astype(dtype)
    expected = _forward(source, case, _to_recorded(source, case, model, weights), x)
    built = _target_case(CASES[name], target, conv.target)
    converted = _to_recorded(target, built, conv.target, conv.weights)
    _compare(expected, _forward(target, built, converted, x), tolerance)


def test_the_refusals_say_why() -> None:
    """A PyTorch GRU's nonzero b_hn has no place in Flax NNX; TensorFlow 1's GRU resets before the product."""
    case = CASES["gru"]
    model = _model("pytorch", case)
    weights = _own_weights("pytorch", case, model)
    assert np.any(weights["gru.bias_hh_l0"][8:])  # torch's own init: b_hn is random
    with pytest.raises(ConversionError, match=r"b_hn sits inside r ⊙ \(W_n h \+ b_hn\).*nowhere to put it"):
        convert(model, weights, "flax")
    _facts("tf1")
    tf1 = _model("tf1", case)
    with pytest.raises(
        ConversionError, match=r"PyTorch cannot hold this model: .*reset gate after the recurrent product"
    ):
        convert(tf1, _own_weights("tf1", case, tf1), "pytorch")
    with pytest.raises(ConversionError, match=r"TensorFlow 1 cannot hold this model: .*reset_after: false"):
        convert(model, weights, "tf1")


@pytest.mark.parametrize("source", KERAS)
def test_a_keras_gru_is_refused_where_it_cannot_be_exact(source: str) -> None:
    """A Keras GRU (reset_after=True, random recurrent bias): no b_hn in Flax NNX, no reset after the product in TF 1.

    TensorFlow 1's GRU, which resets before the product, converts to a Keras GRU(reset_after=False).
    """
    case = CASES["gru"]
    model = _model(source, case)
    weights = _own_weights(source, case, model)
    assert np.any(weights[f"gru/gru_cell/bias{':0' if source == 'keras2' else ''}"][1, 8:])  # b_hn, nonzero
    with pytest.raises(ConversionError, match=r"b_hn sits inside r ⊙ \(W_n h \+ b_hn\).*nowhere to put it"):
        convert(model, weights, "flax")
    with pytest.raises(ConversionError, match=r"TensorFlow 1 cannot hold this model: .*reset_after: false"):
        convert(model, weights, "tf1")
    _facts("tf1")
    tf1 = _model("tf1", case)
    conv = convert(tf1, _own_weights("tf1", case, tf1), source)
    assert [c.cell.reset_after for layer in conv.target.report.layers for c in layer.cells] == [False]


@pytest.mark.parametrize("target", [fid for fid in PACKAGES if fid not in PROJECTING])
def test_a_projection_is_refused_where_the_lstm_has_none(target: str) -> None:
    """A PyTorch LSTM with proj_size has no counterpart in a framework without a projection: refused, saying so."""
    case = CASES["lstm_projection"]
    model = _model("pytorch", case)
    weights = _own_weights("pytorch", case, model)
    assert weights["lstm.weight_hr_l0"].shape == (2, 4)
    either = r"cannot hold this model: .*(proj_size.*no projection|no projection.*proj_size)"
    with pytest.raises(ConversionError, match=either):
        convert(model, weights, target)


def test_a_refusal_names_the_field_in_plain_words() -> None:
    """The reason reads as text: no ``{field:...}`` mark left in it."""
    case = CASES["lstm_projection"]
    model = _model("pytorch", case)
    with pytest.raises(ConversionError) as info:
        convert(model, _own_weights("pytorch", case, model), "onnx")
    assert "{field:" not in str(info.value)
    assert "layer 'lstm': " in str(info.value) and "(proj_size)" in str(info.value)


# --- through the CLI and a written file, loaded with the framework's own call ---


def _source_file(tmp_path: Path, fid: str, name: str) -> tuple[list[str], dict[str, Any]]:
    """A source's own weights as a .safetensors beside its spec; the CLI's arguments naming them."""
    case = CASES[name]
    model = _model(fid, case)
    weights = _own_weights(fid, case, model)
    spec = spec_of(fid, case)
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    write_weights(tmp_path / "src.safetensors", weights)
    return [str(tmp_path / "src.safetensors"), "--spec", str(tmp_path / "spec.json"), "--from", fid], weights


def _convert_file(tmp_path: Path, args: list[str], target: str, out: str, *extra: str) -> Path:
    path = tmp_path / out
    assert cli(["convert", *args, "--to", target, "-o", str(path), *extra]) == 0
    assert path.is_file()
    return path


def _expected(fid: str, name: str, weights: dict[str, Any], x: np.ndarray) -> dict[str, Any]:
    return _forward(fid, CASES[name], _to_recorded(fid, CASES[name], _model(fid, CASES[name]), weights), x)


def _layer(fid: str, name: str) -> str:
    """The name of the one layer the case is in ``fid`` (``--layer`` takes the source's names)."""
    (layer,) = _model(fid, CASES[name]).report.layers
    return layer.name


CLI_CASES = ["lstm_stacked_bidirectional", "gru", "rnn_stacked"]


@pytest.mark.parametrize("name", CLI_CASES)
def test_a_msgpack_file_is_what_flax_nnx_loads(tmp_path: Path, name: str) -> None:
    """PyTorch into Flax NNX: from_bytes restores the model's Param state from the file, byte for byte to_bytes."""
    need("jax")
    need("flax")
    from flax import nnx, serialization

    facts = _facts("flax")
    case = dict(CASES[name])
    args, weights = _source_file(tmp_path, "pytorch", name)
    if case["cell"] == "gru":  # NNX's GRU has no b_hn: a PyTorch GRU whose b_hn is zero converts
        weights["gru.bias_hh_l0"][2 * case["hidden_size"] :] = 0.0
        write_weights(tmp_path / "src.safetensors", weights)
    path = _convert_file(tmp_path, args, "flax", "params.msgpack", "--layer", _layer("pytorch", name))
    model, layers = facts.build(case, np.float32)
    state = nnx.state(model, nnx.Param)
    target = nnx.to_pure_dict(state)
    data = path.read_bytes()
    restored = serialization.from_bytes(target, data)
    nnx.replace_by_pure_dict(state, restored)
    nnx.update(model, state)
    assert serialization.to_bytes(nnx.to_pure_dict(nnx.state(model, nnx.Param))) == data
    x = np.random.default_rng(1).standard_normal((2, 5, case["input_size"])).astype(np.float32)
    _compare(_expected("pytorch", name, weights, x), facts.run(case, model, layers, x), 1e-5)


@pytest.mark.parametrize("name", CLI_CASES)
def test_a_msgpack_file_is_what_flax_linen_loads(tmp_path: Path, name: str) -> None:
    """MLX into Flax linen: from_bytes of the file gives the variables ({"params": ...}) the model applies."""
    need("jax")
    need("flax")
    from flax import serialization

    facts = _facts("flax-linen")
    case = CASES[name]
    args, weights = _source_file(tmp_path, "mlx", name)
    path = _convert_file(tmp_path, args, "flax-linen", "variables.msgpack")
    module, call, initial = facts.init_variables(case, np.float32)
    data = path.read_bytes()
    variables = serialization.from_bytes(initial, data)
    assert serialization.to_bytes(variables) == data
    assert list(variables) == ["params"]
    x = np.random.default_rng(2).standard_normal((2, 5, case["input_size"])).astype(np.float32)
    _compare(_expected("mlx", name, weights, x), facts.run(case, module, call, variables, x), 1e-5)


@pytest.mark.parametrize("name", CLI_CASES)
def test_a_safetensors_file_is_what_mlx_loads(tmp_path: Path, name: str) -> None:
    """Paddle into MLX: Module.load_weights (strict) of the written file, then the model run."""
    mx = need("mlx.core")
    facts = _facts("mlx")
    case = CASES[name]
    args, weights = _source_file(tmp_path, "paddle", name)
    path = _convert_file(tmp_path, args, "mlx", "weights.safetensors", "--layer", _layer("paddle", name))
    model = facts.build(case)
    model.load_weights(str(path), strict=True)
    x = np.random.default_rng(3).standard_normal((2, 5, case["input_size"])).astype(np.float32)
    inp, finals = mx.array(x), []
    for units in facts._units(case, model):
        outs = []
        for module, reverse in units:
            hs, h, c = facts._run(case["cell"], module, inp[:, ::-1, :] if reverse else inp)
            outs.append(hs[:, ::-1, :] if reverse else hs)
            finals.append({"h": np.array(h), **({"c": np.array(c)} if c is not None else {})})
        inp = outs[0] if len(outs) == 1 else mx.concatenate(outs, axis=-1)
    _compare(_expected("paddle", name, weights, x), {"output": np.array(inp), "final": finals}, 1e-5)


@pytest.mark.parametrize(
    ("name", "source"), [("lstm_stacked_bidirectional", "flax"), ("gru", "mlx"), ("rnn_stacked", "paddle")]
)
def test_a_pt_file_is_what_pytorch_loads(tmp_path: Path, name: str, source: str) -> None:
    """Into PyTorch: torch.load(weights_only=True) of the written file, load_state_dict(strict=True), run."""
    torch = need("torch")
    case = CASES[name]
    args, weights = _source_file(tmp_path, source, name)
    path = _convert_file(tmp_path, args, "pytorch", "state.pt", "--layer", _layer(source, name))
    module = _torch_module(case, np.float32)
    module.load_state_dict(torch.load(path, weights_only=True), strict=True)
    x = np.random.default_rng(4).standard_normal((2, 5, case["input_size"])).astype(np.float32)
    _compare(_expected(source, name, weights, x), _torch_run(case, module, x), 1e-5)


def test_a_msgpack_file_is_for_flax_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A .msgpack for another framework's layout is refused before anything is written."""
    args, _ = _source_file(tmp_path, "pytorch", "lstm")
    assert cli(["convert", *args, "--to", "mlx", "-o", str(tmp_path / "w.msgpack")]) == 2
    assert "Flax checkpoint" in capsys.readouterr().err
    assert not (tmp_path / "w.msgpack").exists()
