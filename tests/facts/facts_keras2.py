"""Keras 2 (the tf-keras package, tf.keras with TF_USE_LEGACY_KERAS=1) recurrent layers, read from the real package.

Classes (``case["class"]``):
  * "lstm": ``LSTM`` (default; ``tf_keras.layers.LSTM``, lstm.py), ``v1.LSTM`` (``tf.compat.v1.keras.layers.LSTM``,
    lstm_v1.py, recurrent_activation="hard_sigmoid"), ``CuDNNLSTM`` (``tf.compat.v1.keras.layers.CuDNNLSTM``)
  * "gru": ``GRU`` (default, reset_after=True), ``v1.GRU`` (gru_v1.py, reset_after=False, hard_sigmoid), ``CuDNNGRU``
  * "rnn": ``SimpleRNN``

Built as users do: a stack of layers (``lstm``, ``lstm_1``, ...; ``return_sequences=True`` on all but
the last in a Sequential); bidirectional = ``Bidirectional(layer)`` per layer (``bidirectional``,
``bidirectional_1``, ...; children ``forward_<name>``, ``backward_<name>``), merge_mode "concat".
Here the stack is a functional model whose every layer has return_sequences=True and
return_state=True, which creates the same weights under the same names.

Parameter paths are the variable names, as ``model.weights`` and the legacy ``.h5`` ``weight_names``
show them: ``lstm/lstm_cell/kernel:0``, ``bidirectional/forward_lstm/lstm_cell/kernel:0``,
``cu_dnnlstm/kernel:0``. Names are made after ``tf_keras.backend.clear_session()``.

CuDNNLSTM/CuDNNGRU build on CPU but cannot run there (no CPU kernel for ``CudnnRNNV3``). Their
``forward`` saves the weights to a legacy .h5 and loads them into ``LSTM(recurrent_activation="sigmoid")``
/ ``GRU(reset_after=True, recurrent_activation="sigmoid")`` with ``load_weights``, i.e. through Keras's
own ``hdf5_format._convert_rnn_weights``, and runs that.

Options: ``activation``, ``recurrent_activation``, ``unit_forget_bias`` (initializer only),
``implementation`` (1 or 2; v2 LSTM/GRU computation mode). Float64: every layer gets dtype="float64".
"""

from __future__ import annotations

import os
from typing import Any

CLASSES = {
    "lstm": ("LSTM", "v1.LSTM", "CuDNNLSTM"),
    "gru": ("GRU", "v1.GRU", "CuDNNGRU"),
    "rnn": ("SimpleRNN",),
}
CUDNN = ("CuDNNLSTM", "CuDNNGRU")
CUDNN_FORWARD_NOTE = (
    "CuDNN layers cannot run on CPU (no CudnnRNNV3 kernel); output computed by saving the weights to a legacy .h5 "
    "and loading them into LSTM(recurrent_activation='sigmoid') / "
    "GRU(reset_after=True, recurrent_activation='sigmoid') "
    "through tf_keras hdf5_format._convert_rnn_weights"
)
KNOWN_OPTIONS = {"activation", "recurrent_activation", "unit_forget_bias", "implementation"}


def _keras():
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    import tf_keras

    tf.get_logger().setLevel("ERROR")
    v1 = tf.compat.v1.keras.layers
    if not hasattr(v1, "CuDNNLSTM"):
        import tf_keras.api._v1.keras.layers as v1
    return tf, tf_keras, v1


def framework_version() -> str:
    tf, K, _ = _keras()
    return f"tf-keras {K.__version__} (tensorflow {tf.__version__})"


def _class(case: dict) -> str:
    return case.get("class") or CLASSES.get(case["cell"], ("?",))[0]


def supported(case: dict) -> str | None:
    cell = case.get("cell")
    if cell not in CLASSES:
        return f"unknown cell {cell!r}"
    cls = _class(case)
    if cls not in CLASSES[cell]:
        return f"Keras 2 has no {cls} for a {cell} (choose from {', '.join(CLASSES[cell])})"
    opts = case.get("options") or {}
    unknown = set(opts) - KNOWN_OPTIONS
    if unknown:
        return f"unknown options {sorted(unknown)}"
    if int(case.get("num_layers", 1)) < 1 or int(case["input_size"]) < 1 or int(case["hidden_size"]) < 1:
        return "sizes and num_layers must be at least 1"
    if case.get("proj_size", 0):
        return "Keras 2 recurrent layers have no projection"
    if case.get("peepholes", False):
        return "Keras 2 LSTM has no peepholes (tf.keras.experimental.PeepholeLSTMCell is gone from tf-keras)"
    if case.get("forget_bias") is not None:
        return "Keras 2 has no run-time forget bias (unit_forget_bias only initializes the stored bias)"
    if cell != "rnn" and case.get("nonlinearity", "tanh") != "tanh":
        return "nonlinearity is the SimpleRNN activation; for LSTM/GRU use options['activation']"
    if cell != "gru" and case.get("reset_after") is not None:
        return "reset_after exists only on GRU"
    if cls in CUDNN:
        if not case.get("bias", True):
            return f"{cls} always has biases (no use_bias)"
        if case.get("reset_after") is False:
            return "CuDNNGRU always applies the reset gate after the recurrent product"
        if set(opts) - {"unit_forget_bias"} or (cls == "CuDNNGRU" and opts):
            return f"{cls} has fixed activations (tanh, sigmoid) and takes none of {sorted(opts)}"
    if "unit_forget_bias" in opts and cell != "lstm":
        return "unit_forget_bias exists only on LSTM"
    if "recurrent_activation" in opts and cell == "rnn":
        return "SimpleRNN has no recurrent_activation"
    if "implementation" in opts and opts["implementation"] not in (1, 2):
        return "implementation must be 1 or 2"
    return None


def _layer_kwargs(case: dict, cls: str, dtype: str) -> dict[str, Any]:
    opts = case.get("options") or {}
    kw: dict[str, Any] = {"return_sequences": True, "return_state": True, "dtype": dtype}
    if cls in CUDNN:
        if "unit_forget_bias" in opts:
            kw["unit_forget_bias"] = bool(opts["unit_forget_bias"])
        return kw
    kw["use_bias"] = bool(case.get("bias", True))
    if case["cell"] == "rnn":
        kw["activation"] = case.get("nonlinearity", "tanh")
    for key in ("activation", "recurrent_activation", "implementation"):
        if key in opts:
            kw[key] = opts[key]
    if "unit_forget_bias" in opts:
        kw["unit_forget_bias"] = bool(opts["unit_forget_bias"])
    if case["cell"] == "gru" and case.get("reset_after") is not None:
        kw["reset_after"] = bool(case["reset_after"])
    return kw


def _layer_class(K, v1, cls: str):
    return {
        "LSTM": K.layers.LSTM,
        "GRU": K.layers.GRU,
        "SimpleRNN": K.layers.SimpleRNN,
        "v1.LSTM": v1.LSTM,
        "v1.GRU": v1.GRU,
        "CuDNNLSTM": v1.CuDNNLSTM,
        "CuDNNGRU": v1.CuDNNGRU,
    }[cls]


def _build(case: dict, dtype: str, steps=None, cls: str | None = None, kw_override: dict | None = None):
    """A fresh functional model; returns (model, [recurrent layer per stack level])."""
    _tf, K, v1 = _keras()
    K.backend.clear_session()
    cls = cls or _class(case)
    layer_cls = _layer_class(K, v1, cls)
    kw = _layer_kwargs(case, cls, dtype)
    kw.update(kw_override or {})
    inp = K.Input((steps, int(case["input_size"])), dtype=dtype)
    y = inp
    finals = []
    layers = []
    for _ in range(int(case.get("num_layers", 1))):
        layer = layer_cls(int(case["hidden_size"]), **kw)
        if case.get("bidirectional", False):
            layer = K.layers.Bidirectional(layer, merge_mode="concat", dtype=dtype)
        outs = layer(y)
        y, states = outs[0], outs[1:]
        n = len(states) // (2 if case.get("bidirectional", False) else 1)
        for d in range(len(states) // n):
            s = states[d * n : (d + 1) * n]
            finals.append({"h": s[0], "c": s[1]} if case["cell"] == "lstm" else {"h": s[0]})
        layers.append(layer)
    model = K.Model(inp, {"output": y, "final": finals})
    return model, layers


def _check(case: dict) -> None:
    reason = supported(case)
    if reason is not None:
        raise ValueError(reason)


def parameters(case: dict) -> list[dict]:
    _check(case)
    model, _ = _build(case, "float32")
    trainable = {id(w) for w in model.trainable_weights}
    return [
        {"path": w.name, "shape": [int(d) for d in w.shape], "trainable": id(w) in trainable} for w in model.weights
    ]


def _to_numpy(res) -> dict:
    return {
        "output": res["output"].numpy(),
        "final": [{k: v.numpy() for k, v in f.items()} for f in res["final"]],
    }


def _load(model, weights: dict, dtype: str) -> None:
    import numpy as np

    paths = [w.name for w in model.weights]
    missing = sorted(set(paths) - set(weights))
    extra = sorted(set(weights) - set(paths))
    if missing or extra:
        raise KeyError(f"weights do not match the variables: missing {missing}, unexpected {extra}")
    for w in model.weights:
        value = np.asarray(weights[w.name], dtype=dtype)
        if tuple(value.shape) != tuple(int(d) for d in w.shape):
            raise ValueError(f"{w.name}: shape {value.shape}, variable has {tuple(w.shape)}")
        w.assign(value)


def forward(case: dict, weights: dict, x) -> dict:
    import numpy as np

    _check(case)
    x = np.asarray(x)
    dtype = "float64" if x.dtype == np.float64 else "float32"
    cls = _class(case)
    model, _ = _build(case, dtype, steps=x.shape[1])
    _load(model, weights, dtype)
    if cls in CUDNN:
        model = _cudnn_twin(case, model, dtype, x.shape[1])
    return _to_numpy(model(x.astype(dtype)))


def _cudnn_twin(case: dict, cudnn_model, dtype: str, steps):
    """The LSTM/GRU model Keras loads a CuDNN model's legacy .h5 weights into (load_weights converts them)."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "cudnn.h5")
        cudnn_model.save_weights(path, save_format="h5")
        if case["cell"] == "lstm":
            twin, _ = _build(case, dtype, steps, cls="LSTM", kw_override={"recurrent_activation": "sigmoid"})
        else:
            twin, _ = _build(
                case, dtype, steps, cls="GRU", kw_override={"recurrent_activation": "sigmoid", "reset_after": True}
            )
        twin.load_weights(path)
    return twin


def own_run(case: dict, x) -> tuple[dict, dict]:
    """The framework's own initial weights (by path) and its own output on x (not for CuDNN classes)."""
    import numpy as np

    _check(case)
    x = np.asarray(x)
    dtype = "float64" if x.dtype == np.float64 else "float32"
    model, _ = _build(case, dtype, steps=x.shape[1])
    values = {w.name: w.numpy() for w in model.weights}
    return values, _to_numpy(model(x.astype(dtype)))


def sequential(case: dict, dtype: str = "float32"):
    """The Sequential model a user writes for the case (last layer without return_sequences)."""
    _check(case)
    _tf, K, v1 = _keras()
    K.backend.clear_session()
    cls = _class(case)
    layer_cls = _layer_class(K, v1, cls)
    kw = _layer_kwargs(case, cls, dtype)
    kw.pop("return_state")
    L = int(case.get("num_layers", 1))
    layers: list[Any] = [K.Input((None, int(case["input_size"])), dtype=dtype)]
    for k in range(L):
        layer = layer_cls(int(case["hidden_size"]), **{**kw, "return_sequences": k < L - 1})
        layers.append(K.layers.Bidirectional(layer, dtype=dtype) if case.get("bidirectional", False) else layer)
    return K.Sequential(layers)
