"""TensorFlow 1 recurrent cells (tf.compat.v1.nn.rnn_cell + dynamic_rnn), read from the real package.

Cells: ``LSTMCell`` (default for "lstm"), ``BasicLSTMCell``, ``GRUCell``, ``BasicRNNCell``. In
TensorFlow 2.16+ these live in tf-keras (``tf_keras/src/layers/rnn/legacy_cells.py``) and appear
under ``tf.compat.v1.nn.rnn_cell`` only when ``TF_USE_LEGACY_KERAS=1`` is set before TensorFlow is
imported; otherwise the same classes are taken from tf-keras directly.

Everything runs in a TF1 graph (``tf.Graph`` + ``tf.compat.v1.Session``), as TF1 users ran it.
Parameter paths are the checkpoint keys (``v.name`` without the ``:0`` suffix), e.g.
``rnn/lstm_cell/kernel``; the variables themselves show ``rnn/lstm_cell/kernel:0``.

Building "as users do":
  * one layer: ``dynamic_rnn(cell, x)`` -> ``rnn/<cell>/...``
  * num_layers > 1: ``dynamic_rnn(MultiRNNCell([...]), x)`` -> ``rnn/multi_rnn_cell/cell_<k>/<cell>/...``
  * bidirectional, one layer: ``bidirectional_dynamic_rnn(fw, bw, x)`` -> ``bidirectional_rnn/{fw,bw}/<cell>/...``
  * bidirectional, num_layers > 1: the scopes of the removed ``tf.contrib.rnn.stack_bidirectional_dynamic_rnn``
    (layer k reads the concatenated [fw; bw] output of layer k-1) ->
    ``stack_bidirectional_rnn/cell_<k>/bidirectional_rnn/{fw,bw}/<cell>/...``;
    with ``options["bidi_stacking"] = "multi_rnn_cell"`` instead
    ``bidirectional_dynamic_rnn(MultiRNNCell, MultiRNNCell)``
    (each direction is its own stack; layer k >= 1 reads only its own direction, input R not 2R) ->
    ``bidirectional_rnn/{fw,bw}/multi_rnn_cell/cell_<k>/<cell>/...``.

Options: ``cell_clip``, ``proj_clip`` (LSTMCell), ``activation`` (a Keras activation name, for
lstm/gru; rnn takes ``case["nonlinearity"]``), ``bidi_stacking`` (see above).
Float64 runs in float64: the cells take the dtype of the input (``dynamic_rnn(dtype=...)``).
"""

from __future__ import annotations

import os
from typing import Any

CLASSES = {"lstm": ("LSTMCell", "BasicLSTMCell"), "gru": ("GRUCell",), "rnn": ("BasicRNNCell",)}
CELL_SCOPE = {
    "LSTMCell": "lstm_cell",
    "BasicLSTMCell": "basic_lstm_cell",
    "GRUCell": "gru_cell",
    "BasicRNNCell": "basic_rnn_cell",
}
KNOWN_OPTIONS = {"cell_clip", "proj_clip", "activation", "bidi_stacking"}
BIDI_STACKINGS = ("stack_bidirectional_dynamic_rnn", "multi_rnn_cell")


def _tf():
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import warnings

    warnings.filterwarnings("ignore", message=r"`tf\.nn\.rnn_cell\.\w+` is deprecated")
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    rc = tf.compat.v1.nn.rnn_cell
    if getattr(rc, "LSTMCell", None) is None:
        from tf_keras.src.layers.rnn import legacy_cells as rc
    return tf, rc


def framework_version() -> str:
    tf, _ = _tf()
    import tf_keras

    return f"tensorflow {tf.__version__}, tf-keras {tf_keras.__version__} (legacy_cells)"


def _class(case: dict) -> str:
    return case.get("class") or CLASSES.get(case["cell"], ("?",))[0]


def supported(case: dict) -> str | None:
    cell = case.get("cell")
    if cell not in CLASSES:
        return f"unknown cell {cell!r}"
    cls = _class(case)
    if cls not in CLASSES[cell]:
        return f"tf.compat.v1.nn.rnn_cell has no {cls} for a {cell} (choose from {', '.join(CLASSES[cell])})"
    opts = case.get("options") or {}
    unknown = set(opts) - KNOWN_OPTIONS
    if unknown:
        return f"unknown options {sorted(unknown)}"
    if int(case.get("num_layers", 1)) < 1 or int(case["input_size"]) < 1 or int(case["hidden_size"]) < 1:
        return "sizes and num_layers must be at least 1"
    if not case.get("bias", True):
        return "TF1 cells always create their bias variables; there is no use_bias switch"
    if case.get("proj_size", 0) and cls != "LSTMCell":
        return "only LSTMCell has a projection (num_proj)"
    if case.get("peepholes", False) and cls != "LSTMCell":
        return "only LSTMCell has peepholes (use_peepholes)"
    if case.get("forget_bias") is not None and cell != "lstm":
        return "forget_bias exists only on the LSTM cells"
    if cell == "gru" and case.get("reset_after"):
        return "GRUCell applies the reset gate before the recurrent product only (no reset_after)"
    if cell != "rnn" and case.get("nonlinearity", "tanh") != "tanh":
        return "nonlinearity is the simple-RNN activation; for LSTM/GRU use options['activation']"
    if ("cell_clip" in opts or "proj_clip" in opts) and cls != "LSTMCell":
        return "cell_clip/proj_clip exist only on LSTMCell"
    if "proj_clip" in opts and not case.get("proj_size", 0):
        return "proj_clip needs num_proj"
    if opts.get("bidi_stacking", BIDI_STACKINGS[0]) not in BIDI_STACKINGS:
        return f"bidi_stacking must be one of {BIDI_STACKINGS}"
    if "activation" in opts and cell == "rnn":
        return "for BasicRNNCell give the activation as case['nonlinearity']"
    return None


def _make_cell(tf, rc, case: dict):
    cls = _class(case)
    opts = case.get("options") or {}
    H = int(case["hidden_size"])
    if cls == "LSTMCell":
        kw: dict[str, Any] = {"use_peepholes": bool(case.get("peepholes", False))}
        if case.get("proj_size", 0):
            kw["num_proj"] = int(case["proj_size"])
        if case.get("forget_bias") is not None:
            kw["forget_bias"] = float(case["forget_bias"])
        if "cell_clip" in opts:
            kw["cell_clip"] = float(opts["cell_clip"])
        if "proj_clip" in opts:
            kw["proj_clip"] = float(opts["proj_clip"])
        if "activation" in opts:
            kw["activation"] = opts["activation"]
        return rc.LSTMCell(H, **kw)
    if cls == "BasicLSTMCell":
        kw = {}
        if case.get("forget_bias") is not None:
            kw["forget_bias"] = float(case["forget_bias"])
        if "activation" in opts:
            kw["activation"] = opts["activation"]
        return rc.BasicLSTMCell(H, **kw)
    if cls == "GRUCell":
        return rc.GRUCell(H, activation=opts.get("activation"))
    nl = case.get("nonlinearity", "tanh")
    return rc.BasicRNNCell(H, activation=None if nl == "tanh" else nl)


def _split_state(case: dict, state) -> dict:
    if case["cell"] == "lstm":
        return {"h": state.h, "c": state.c}
    return {"h": state}


def _build(tf, rc, case: dict, x):
    """The user-level graph on x; returns (output, [final state dict per (layer, direction)])."""
    v1 = tf.compat.v1
    L = int(case.get("num_layers", 1))
    dtype = x.dtype
    if not case.get("bidirectional", False):
        if L == 1:
            out, st = v1.nn.dynamic_rnn(_make_cell(tf, rc, case), x, dtype=dtype)
            return out, [_split_state(case, st)]
        cell = rc.MultiRNNCell([_make_cell(tf, rc, case) for _ in range(L)])
        out, st = v1.nn.dynamic_rnn(cell, x, dtype=dtype)
        return out, [_split_state(case, s) for s in st]
    stacking = (case.get("options") or {}).get("bidi_stacking", BIDI_STACKINGS[0])
    if L == 1:
        (o_fw, o_bw), (s_fw, s_bw) = v1.nn.bidirectional_dynamic_rnn(
            _make_cell(tf, rc, case), _make_cell(tf, rc, case), x, dtype=dtype
        )
        return tf.concat([o_fw, o_bw], 2), [_split_state(case, s_fw), _split_state(case, s_bw)]
    if stacking == "multi_rnn_cell":
        fw = rc.MultiRNNCell([_make_cell(tf, rc, case) for _ in range(L)])
        bw = rc.MultiRNNCell([_make_cell(tf, rc, case) for _ in range(L)])
        (o_fw, o_bw), (s_fw, s_bw) = v1.nn.bidirectional_dynamic_rnn(fw, bw, x, dtype=dtype)
        finals = []
        for k in range(L):
            finals += [_split_state(case, s_fw[k]), _split_state(case, s_bw[k])]
        return tf.concat([o_fw, o_bw], 2), finals
    finals = []
    prev = x
    with v1.variable_scope("stack_bidirectional_rnn"):
        for k in range(L):
            with v1.variable_scope(f"cell_{k}"):
                (o_fw, o_bw), (s_fw, s_bw) = v1.nn.bidirectional_dynamic_rnn(
                    _make_cell(tf, rc, case), _make_cell(tf, rc, case), prev, dtype=dtype
                )
                prev = tf.concat([o_fw, o_bw], 2)
            finals += [_split_state(case, s_fw), _split_state(case, s_bw)]
    return prev, finals


def _check(case: dict) -> None:
    reason = supported(case)
    if reason is not None:
        raise ValueError(reason)


def _graph(case: dict, dtype: str, shape):
    tf, rc = _tf()
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(dtype, shape, name="x")
        out, finals = _build(tf, rc, case, x)
        variables = list(tf.compat.v1.global_variables())
        trainable = {id(v) for v in tf.compat.v1.trainable_variables()}
    return tf, g, x, out, finals, variables, trainable


def checkpoint_path(variable_name: str) -> str:
    return variable_name[:-2] if variable_name.endswith(":0") else variable_name


def parameters(case: dict) -> list[dict]:
    _check(case)
    _, _, _, _, _, variables, trainable = _graph(case, "float32", [None, None, int(case["input_size"])])
    return [
        {"path": checkpoint_path(v.name), "shape": [int(d) for d in v.shape], "trainable": id(v) in trainable}
        for v in variables
    ]


def forward(case: dict, weights: dict, x) -> dict:
    import numpy as np

    _check(case)
    x = np.asarray(x)
    dtype = "float64" if x.dtype == np.float64 else "float32"
    tf, g, xp, out, finals, variables, _ = _graph(case, dtype, list(x.shape))
    paths = [checkpoint_path(v.name) for v in variables]
    missing = sorted(set(paths) - set(weights))
    extra = sorted(set(weights) - set(paths))
    if missing or extra:
        raise KeyError(f"weights do not match the variables: missing {missing}, unexpected {extra}")
    with g.as_default(), tf.compat.v1.Session(graph=g) as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        for v, p in zip(variables, paths, strict=True):
            value = np.asarray(weights[p], dtype=dtype)
            if list(value.shape) != [int(d) for d in v.shape]:
                raise ValueError(f"{p}: shape {value.shape}, variable has {v.shape}")
            v.load(value, sess)
        res = sess.run({"output": out, "final": finals}, feed_dict={xp: x.astype(dtype)})
    return {"output": res["output"], "final": [dict(f) for f in res["final"]]}


def own_run(case: dict, x) -> tuple[dict, dict]:
    """The framework's own initial weights (by path) and its own output on x, in one session."""
    import numpy as np

    _check(case)
    x = np.asarray(x)
    dtype = "float64" if x.dtype == np.float64 else "float32"
    tf, g, xp, out, finals, variables, _ = _graph(case, dtype, list(x.shape))
    with g.as_default(), tf.compat.v1.Session(graph=g) as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        values = sess.run({checkpoint_path(v.name): v for v in variables})
        res = sess.run({"output": out, "final": finals}, feed_dict={xp: x.astype(dtype)})
    return values, {"output": res["output"], "final": [dict(f) for f in res["final"]]}


def checkpoint_variables(case: dict, directory: str) -> list[tuple[str, list[int]]]:
    """Save the case with tf.compat.v1.train.Saver and list the checkpoint (name, shape), sorted by name."""
    _check(case)
    tf, g, _, _, _, _, _ = _graph(case, "float32", [None, None, int(case["input_size"])])
    with g.as_default(), tf.compat.v1.Session(graph=g) as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        prefix = tf.compat.v1.train.Saver().save(sess, os.path.join(directory, "model.ckpt"))
    return [(n, list(s)) for n, s in tf.train.list_variables(prefix)]
