"""Ground-truth facts for MLX recurrent layers (mlx.nn.LSTM, mlx.nn.GRU, mlx.nn.RNN).

MLX has one single-layer, unidirectional layer per cell type and no cells, no num_layers,
no bidirectional flag.  Stacked and bidirectional networks are built as users do: a container
module holding a list attribute of layers (like ``mlx.nn.Sequential``), and for a bidirectional
layer a module with one layer per direction that runs the second one on the time-reversed input.

Parameter paths (``mlx.utils.tree_flatten(model.parameters())``, which is also what
``Module.save_weights`` writes):

* num_layers == 1 and not bidirectional: the layer itself, e.g. ``Wx``, ``Wh``, ``bias``.
* otherwise: ``{prefix}.{k}.<name>`` for layer k, or ``{prefix}.{k}.{fwd}.<name>`` and
  ``{prefix}.{k}.{bwd}.<name>`` when bidirectional; ``prefix="layers"``, ``fwd="forward"``,
  ``bwd="backward"`` by default (``case["options"]``: ``prefix``, ``directions``).

Options (``case["options"]``): ``prefix`` (str), ``directions`` ([fwd, bwd] attribute names).
``nonlinearity`` for "rnn" names an ``mlx.nn`` activation function ("tanh", "relu", ...).
Float64 runs on the CPU device: the model is cast with ``Module.set_dtype(mx.float64)``.
"""

from __future__ import annotations

import numpy as np

_CLASSES = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}


def _opts(case):
    o = case.get("options") or {}
    dirs = o.get("directions", ["forward", "backward"])
    return o.get("prefix", "layers"), dirs[0], dirs[1]


def supported(case: dict) -> str | None:
    cell = case.get("cell")
    if cell not in _CLASSES:
        return f"unknown cell {cell!r}"
    cls = case.get("class")
    if cls not in (None, _CLASSES[cell]):
        return f"MLX has no class {cls!r} for {cell}; only mlx.nn.{_CLASSES[cell]} (no cell classes)"
    if case.get("proj_size", 0):
        return "mlx.nn.LSTM has no projection (proj_size)"
    if case.get("peepholes", False):
        return "mlx.nn.LSTM has no peephole connections"
    if case.get("forget_bias") is not None:
        return "mlx.nn.LSTM has no run-time forget bias"
    if cell == "gru" and case.get("reset_after") is False:
        return "mlx.nn.GRU applies the reset gate after the recurrent product only (reset_after=True)"
    if cell == "rnn":
        nl = case.get("nonlinearity", "tanh") or "tanh"
        import mlx.nn as nn

        if not callable(getattr(nn, nl, None)):
            return f"mlx.nn has no activation function {nl!r}"
    if int(case.get("num_layers", 1)) < 1:
        return "num_layers must be >= 1"
    return None


def _single(case, in_size):
    import mlx.nn as nn

    cell = case["cell"]
    H = int(case["hidden_size"])
    bias = bool(case.get("bias", True))
    if cell == "lstm":
        return nn.LSTM(in_size, H, bias=bias)
    if cell == "gru":
        return nn.GRU(in_size, H, bias=bias)
    nl = case.get("nonlinearity", "tanh") or "tanh"
    return nn.RNN(in_size, H, bias=bias, nonlinearity=getattr(nn, nl))


def build(case: dict):
    """The model as users build it; see the module docstring for the container layout."""
    import mlx.nn as nn

    reason = supported(case)
    if reason:
        raise ValueError(reason)
    L = int(case.get("num_layers", 1))
    bi = bool(case.get("bidirectional", False))
    I, H = int(case["input_size"]), int(case["hidden_size"])
    if L == 1 and not bi:
        return _single(case, I)
    prefix, fwd, bwd = _opts(case)

    class BiLayer(nn.Module):
        def __init__(self, in_size):
            super().__init__()
            setattr(self, fwd, _single(case, in_size))
            setattr(self, bwd, _single(case, in_size))

    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            layers = []
            for k in range(L):
                in_size = I if k == 0 else (2 * H if bi else H)
                layers.append(BiLayer(in_size) if bi else _single(case, in_size))
            setattr(self, prefix, layers)

    return Stack()


def _units(case, model):
    """[(layer_module, reverse)] in the order layer 0 fwd, layer 0 bwd, layer 1 fwd, ..."""
    L = int(case.get("num_layers", 1))
    bi = bool(case.get("bidirectional", False))
    if L == 1 and not bi:
        return [[(model, False)]]
    prefix, fwd, bwd = _opts(case)
    out = []
    for layer in getattr(model, prefix):
        out.append([(layer[fwd], False), (layer[bwd], True)] if bi else [(layer, False)])
    return out


def parameters(case: dict) -> list[dict]:
    from mlx.utils import tree_flatten

    model = build(case)
    trainable = {k for k, _ in tree_flatten(model.trainable_parameters())}
    return [
        {"path": k, "shape": [int(s) for s in v.shape], "trainable": k in trainable}
        for k, v in tree_flatten(model.parameters())
    ]


def _run(cell, layer, x):
    """Run one MLX layer on x (B, T, in); return (output (B, T, H), h_last, c_last or None)."""
    if cell == "lstm":
        hs, cs = layer(x)
        return hs, hs[:, -1, :], cs[:, -1, :]
    hs = layer(x)
    return hs, hs[:, -1, :], None


def forward(case: dict, weights: dict, x: np.ndarray) -> dict:
    import mlx.core as mx

    model = build(case)
    dtype = mx.float64 if x.dtype == np.float64 else mx.float32
    model.set_dtype(dtype)
    model.load_weights([(k, mx.array(np.asarray(v), dtype=dtype)) for k, v in weights.items()], strict=True)
    cell = case["cell"]
    inp = mx.array(x, dtype=dtype)
    final = []
    for units in _units(case, model):
        outs = []
        for layer, reverse in units:
            xi = inp[:, ::-1, :] if reverse else inp
            hs, h, c = _run(cell, layer, xi)
            if reverse:
                hs = hs[:, ::-1, :]
            outs.append(hs)
            st = {"h": h}
            if c is not None:
                st["c"] = c
            final.append(st)
        inp = outs[0] if len(outs) == 1 else mx.concatenate(outs, axis=-1)
    mx.eval(inp)
    npdt = np.float64 if dtype == mx.float64 else np.float32
    return {
        "output": np.array(inp, dtype=npdt),
        "final": [{k: np.array(v, dtype=npdt) for k, v in st.items()} for st in final],
    }


def initial_weights(case: dict, dtype=np.float32) -> dict:
    """The framework's own initial weights of a freshly built model, by path."""
    from mlx.utils import tree_flatten

    model = build(case)
    return {k: np.array(v).astype(dtype) for k, v in tree_flatten(model.parameters())}


def version() -> str:
    import mlx.core as mx

    return mx.__version__
