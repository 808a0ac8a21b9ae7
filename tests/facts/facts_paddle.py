"""Ground-truth facts for PaddlePaddle recurrent layers.

Classes (``case["class"]``):

* ``None`` (or "LSTM", "GRU", "SimpleRNN"): ``paddle.nn.LSTM`` / ``GRU`` / ``SimpleRNN``
  (``RNNBase``, a ``LayerList`` of ``RNN(cell)`` or ``BiRNN(cell_fw, cell_bw)``), built with
  ``num_layers``, ``direction`` ("forward" or ``options["direction"]``, default "bidirect"),
  ``proj_size`` (LSTM), ``activation`` (SimpleRNN).
* "RNN": the cell wrappers users compose by hand: ``paddle.nn.RNN(cell)`` or
  ``paddle.nn.BiRNN(cell_fw, cell_bw)``; a ``paddle.nn.LayerList`` of them when num_layers > 1.
* "LSTMCell", "GRUCell", "SimpleRNNCell": one cell, stepped over time in Python.

Parameter paths (``parameters``):

* class None: ``model.named_parameters()`` (each tensor once).  These are the flat aliases
  ``weight_ih_l{k}[_reverse]`` that ``RNNBase.__init__`` assigns by zipping a name list with
  ``self.parameters()``; tensors left without an alias keep their nested path
  (``{k}.cell.weight_ho``, ``{k}.cell_bw.bias_hh``).  With ``proj_size`` the zip is misaligned
  (e.g. ``weight_ih_l1`` is ``0.cell.weight_ho``).  ``options["paths"] = "nested"`` gives the
  nested paths instead (``{k}.cell.weight_ih``, ``{k}.cell_fw.weight_ih``, ``{k}.cell_bw...``).
  ``state_dict()`` holds both spellings, so every tensor twice (``state_dict_keys``).
* class "RNN": ``cell.weight_ih`` / ``cell_fw.weight_ih`` (one layer), ``{k}.cell.weight_ih`` /
  ``{k}.cell_fw.weight_ih`` (LayerList).
* cell classes: ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``, ``weight_ho``.

``bias=False`` sets ``bias_ih_attr=False, bias_hh_attr=False`` (``options["bias_ih"]`` /
``options["bias_hh"]`` set one side only).  Paddle still creates both biases, as frozen
(``stop_gradient=True``) zeros; they are listed with ``trainable: False``.
Float64: ``paddle.set_default_dtype("float64")`` while the layer is built and run (restored afterwards).
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np

_BASE = {"lstm": "LSTM", "gru": "GRU", "rnn": "SimpleRNN"}
_CELL = {"lstm": "LSTMCell", "gru": "GRUCell", "rnn": "SimpleRNNCell"}


def _import_paddle():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import paddle
    return paddle


def _kind(case):
    cell, cls = case.get("cell"), case.get("class")
    if cls in (None, _BASE.get(cell)):
        return "base"
    if cls == "RNN":
        return "wrap"
    if cls == _CELL.get(cell):
        return "cell"
    return None


def _bias_attrs(case):
    o = case.get("options") or {}
    on = bool(case.get("bias", True))
    bih = o.get("bias_ih", on)
    bhh = o.get("bias_hh", on)
    return (None if bih else False), (None if bhh else False)


def supported(case: dict) -> str | None:
    cell = case.get("cell")
    if cell not in _BASE:
        return f"unknown cell {cell!r}"
    kind = _kind(case)
    if kind is None:
        return (
            f"Paddle has no class {case.get('class')!r} for {cell}; use None/{_BASE[cell]!r}, 'RNN' or {_CELL[cell]!r}"
        )
    H = int(case["hidden_size"])
    P = int(case.get("proj_size", 0) or 0)
    if P and cell != "lstm":
        return "proj_size exists only for Paddle LSTM"
    if P < 0 or (P and P >= H):
        return "Paddle requires 0 < proj_size < hidden_size"
    if case.get("peepholes", False):
        return "Paddle LSTM has no peephole connections"
    if case.get("forget_bias") is not None:
        return "Paddle LSTM has no run-time forget bias"
    if cell == "gru" and case.get("reset_after") is False:
        return "Paddle GRU applies the reset gate after the recurrent product only (reset_after=True)"
    if cell == "rnn" and (case.get("nonlinearity") or "tanh") not in ("tanh", "relu"):
        return "Paddle SimpleRNN activation must be 'tanh' or 'relu'"
    if int(case.get("num_layers", 1)) < 1:
        return "num_layers must be >= 1"
    if kind == "cell" and (int(case.get("num_layers", 1)) != 1 or case.get("bidirectional", False)):
        return "a single cell has one layer and one direction; use class None or 'RNN'"
    if kind == "base" and _bias_attrs(case) != (None, None):
        return (
            "Paddle 3.3.1 nn.LSTM/GRU/SimpleRNN with bias_*_attr=False fail on CPU: IndexError in "
            "flatten_parameters or a crash in the fused rnn kernel; use class 'RNN' (cell wrappers)"
        )
    o = case.get("options") or {}
    if o.get("paths", "named") not in ("named", "nested"):
        return "options['paths'] must be 'named' or 'nested'"
    if o.get("direction", "bidirect") not in ("bidirect", "bidirectional"):
        return "options['direction'] must be 'bidirect' or 'bidirectional'"
    return None


@contextlib.contextmanager
def _dtype(paddle, dtype):
    old = paddle.get_default_dtype()
    paddle.set_default_dtype(dtype)
    try:
        yield
    finally:
        paddle.set_default_dtype(old)


def _cell(paddle, case, in_size):
    cell = case["cell"]
    H = int(case["hidden_size"])
    bih, bhh = _bias_attrs(case)
    kw = {"bias_ih_attr": bih, "bias_hh_attr": bhh}
    if cell == "lstm":
        return paddle.nn.LSTMCell(in_size, H, proj_size=int(case.get("proj_size", 0) or 0), **kw)
    if cell == "gru":
        return paddle.nn.GRUCell(in_size, H, **kw)
    return paddle.nn.SimpleRNNCell(in_size, H, activation=case.get("nonlinearity") or "tanh", **kw)


def build(case: dict, dtype: str = "float32"):
    """The Paddle layer for the case, built with ``dtype`` as the default dtype."""
    reason = supported(case)
    if reason:
        raise ValueError(reason)
    paddle = _import_paddle()
    cell = case["cell"]
    I, H = int(case["input_size"]), int(case["hidden_size"])
    L = int(case.get("num_layers", 1))
    bi = bool(case.get("bidirectional", False))
    P = int(case.get("proj_size", 0) or 0)
    kind = _kind(case)
    with _dtype(paddle, dtype):
        if kind == "base":
            direction = (case.get("options") or {}).get("direction", "bidirect") if bi else "forward"
            bih, bhh = _bias_attrs(case)
            kw = {"num_layers": L, "direction": direction, "bias_ih_attr": bih, "bias_hh_attr": bhh}
            if cell == "lstm":
                m = paddle.nn.LSTM(I, H, proj_size=P, **kw)
            elif cell == "gru":
                m = paddle.nn.GRU(I, H, **kw)
            else:
                m = paddle.nn.SimpleRNN(I, H, activation=case.get("nonlinearity") or "tanh", **kw)
        elif kind == "cell":
            m = _cell(paddle, case, I)
        else:
            out = P or H
            layers = []
            for k in range(L):
                in_size = I if k == 0 else (2 * out if bi else out)
                if bi:
                    layers.append(paddle.nn.BiRNN(_cell(paddle, case, in_size), _cell(paddle, case, in_size)))
                else:
                    layers.append(paddle.nn.RNN(_cell(paddle, case, in_size)))
            m = layers[0] if L == 1 else paddle.nn.LayerList(layers)
    m.eval()
    return m


def _named(case, m):
    if _kind(case) == "base" and (case.get("options") or {}).get("paths", "named") == "nested":
        out = []
        for k, sub in enumerate(m):
            out.extend((f"{k}.{n}", p) for n, p in sub.named_parameters())
        return out
    return list(m.named_parameters())


def parameters(case: dict) -> list[dict]:
    m = build(case)
    return [
        {"path": n, "shape": [int(s) for s in p.shape], "trainable": not p.stop_gradient} for n, p in _named(case, m)
    ]


def state_dict_keys(case: dict) -> list[list]:
    """[[key, shape], ...] of ``model.state_dict()`` (what ``paddle.save`` writes, in order)."""
    m = build(case)
    return [[k, [int(s) for s in v.shape]] for k, v in m.state_dict().items()]


def _zero_state(paddle, case, B, dtype):
    H = int(case["hidden_size"])
    P = int(case.get("proj_size", 0) or 0)
    h = paddle.zeros([B, P or H], dtype=dtype)
    if case["cell"] == "lstm":
        return (h, paddle.zeros([B, H], dtype=dtype))
    return h


def _state_dict(case, st):
    if case["cell"] == "lstm":
        return {"h": st[0], "c": st[1]}
    return {"h": st}


def forward(case: dict, weights: dict, x: np.ndarray) -> dict:
    paddle = _import_paddle()
    dtype = "float64" if x.dtype == np.float64 else "float32"
    m = build(case, dtype)
    named = dict(_named(case, m))
    if set(named) != set(weights):
        raise KeyError(
            f"weights keys differ: missing {sorted(set(named) - set(weights))}, "
            f"extra {sorted(set(weights) - set(named))}"
        )
    for n, p in named.items():
        v = np.asarray(weights[n], dtype=dtype)
        if list(v.shape) != list(p.shape):
            raise ValueError(f"{n}: shape {v.shape} != {list(p.shape)}")
        p.set_value(v)
    kind = _kind(case)
    cell = case["cell"]
    P = int(case.get("proj_size", 0) or 0)
    B = x.shape[0]
    xt = paddle.to_tensor(x, dtype=dtype)
    final = []
    with paddle.no_grad(), _dtype(paddle, dtype):
        if kind == "base":
            y, st = m(xt)
            if cell == "lstm":
                h, c = st
                final = [{"h": h[k], "c": c[k]} for k in range(h.shape[0])]
            else:
                final = [{"h": st[k]} for k in range(st.shape[0])]
        elif kind == "cell":
            state = _zero_state(paddle, case, B, dtype) if P else None
            ys = []
            for t in range(x.shape[1]):
                out, state = m(xt[:, t, :], state)
                ys.append(out)
            y = paddle.stack(ys, axis=1)
            final = [_state_dict(case, state)]
        else:
            layers = [m] if int(case.get("num_layers", 1)) == 1 else list(m)
            bi = bool(case.get("bidirectional", False))
            y = xt
            for layer in layers:
                init = None
                if P:
                    z = _zero_state(paddle, case, B, dtype)
                    init = (z, _zero_state(paddle, case, B, dtype)) if bi else z
                y, st = layer(y, init)
                if bi:
                    final += [_state_dict(case, st[0]), _state_dict(case, st[1])]
                else:
                    final.append(_state_dict(case, st))
    npdt = np.float64 if dtype == "float64" else np.float32
    return {
        "output": np.asarray(y.numpy(), dtype=npdt),
        "final": [{k: np.asarray(v.numpy(), dtype=npdt) for k, v in s.items()} for s in final],
    }


def initial_weights(case: dict, dtype=np.float32) -> dict:
    """The framework's own initial weights of a freshly built layer, by path."""
    m = build(case)
    return {n: p.numpy().astype(dtype) for n, p in _named(case, m)}


def version() -> str:
    return _import_paddle().__version__
