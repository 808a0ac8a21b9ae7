"""Ground-truth facts for Flax NNX recurrent layers (flax.nnx.RNN over nnx cells).

Model built for a case:
  num_layers == 1, unidirectional:  nnx.RNN(Cell(I, H))                  paths  cell.<...>
  num_layers == 1, bidirectional:   nnx.Bidirectional(nnx.RNN(Cell), nnx.RNN(Cell))
                                                                          paths  forward_rnn.cell.<...>,
                                                                                 backward_rnn.cell.<...>
  num_layers > 1:                   nnx.Sequential(layer_0, layer_1, ...) paths  layers.<k>.<as above>
                                    (options["style"] == "list": a Module with
                                     self.layers = nnx.List([...]); same paths)
Paths are the keys of nnx.to_flat_state(nnx.state(model, nnx.Param)) joined with ".".

case["options"]:
  "style":    "sequential" (default) | "list"        (only matters for num_layers > 1)
  "residual": bool, SimpleCell only (h' = act(W_i x + b_i + W_h h + h)); no parameters
"""

from __future__ import annotations

import numpy as np

CLASSES = {
    "lstm": ("LSTMCell", "OptimizedLSTMCell"),
    "gru": ("GRUCell",),
    "rnn": ("SimpleCell",),
}
NONLINEARITIES = ("tanh", "relu")

_DEFAULTS = {
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


def _norm(case: dict) -> dict:
    c = dict(_DEFAULTS)
    c.update(case)
    c["options"] = dict(c.get("options") or {})
    if c["class"] is None:
        c["class"] = CLASSES.get(c["cell"], (None,))[0]
    return c


def framework_version() -> str:
    import flax
    import jax

    return f"flax {flax.__version__}, jax {jax.__version__}"


def supported(case: dict) -> str | None:
    c = _norm(case)
    if c["cell"] not in CLASSES:
        return f"unknown cell type {c['cell']!r}"
    if c["class"] not in CLASSES[c["cell"]]:
        return f"flax.nnx has no {c['class']!r} cell for {c['cell']}; it has {', '.join(CLASSES[c['cell']])}"
    if not c["bias"]:
        return "flax.nnx cells have no use_bias argument: every cell always creates its bias"
    if c["proj_size"]:
        return "flax.nnx LSTM cells have no projection"
    if c["peepholes"]:
        return "flax.nnx LSTM cells have no peepholes"
    if c["forget_bias"] not in (None, 0, 0.0):
        return "flax.nnx LSTM cells add no run-time forget bias"
    if c["reset_after"] is False:
        return "flax.nnx.GRUCell applies the reset gate after the recurrent product only (reset_after)"
    if c["cell"] == "rnn" and c["nonlinearity"] not in NONLINEARITIES:
        return f"nonlinearity {c['nonlinearity']!r} not among {NONLINEARITIES} (activation_fn)"
    if c["cell"] != "rnn" and c["nonlinearity"] not in (None, "tanh"):
        return "nonlinearity applies to the simple RNN cell only"
    opts = c["options"]
    unknown = set(opts) - {"style", "residual"}
    if unknown:
        return f"unknown options {sorted(unknown)}"
    if opts.get("style", "sequential") not in ("sequential", "list"):
        return f"unknown style {opts['style']!r}"
    if opts.get("residual") and c["class"] != "SimpleCell":
        return "residual is an option of SimpleCell only"
    if c["num_layers"] < 1:
        return "num_layers must be >= 1"
    return None


def _check(c: dict) -> None:
    reason = supported(c)
    if reason:
        raise ValueError(reason)


def _build(c: dict, dtype, seed: int = 0):
    from flax import nnx

    rngs = nnx.Rngs(seed)
    cls = getattr(nnx, c["class"])
    H = c["hidden_size"]
    D = 2 if c["bidirectional"] else 1
    kw = {"param_dtype": dtype, "dtype": dtype, "rngs": rngs}
    if c["class"] == "SimpleCell":
        kw["residual"] = bool(c["options"].get("residual", False))
        kw["activation_fn"] = {"tanh": nnx.tanh, "relu": nnx.relu}[c["nonlinearity"]]

    def layer(in_features):
        if c["bidirectional"]:
            return nnx.Bidirectional(nnx.RNN(cls(in_features, H, **kw)), nnx.RNN(cls(in_features, H, **kw)))
        return nnx.RNN(cls(in_features, H, **kw))

    if c["num_layers"] == 1:
        return layer(c["input_size"]), None
    layers = [layer(c["input_size"] if k == 0 else D * H) for k in range(c["num_layers"])]
    if c["options"].get("style", "sequential") == "list":

        class Stack(nnx.Module):
            def __init__(self, layers):
                self.layers = nnx.List(layers)

            def __call__(self, x):
                for l in self.layers:
                    x = l(x)
                return x

        model = Stack(layers)
    else:
        model = nnx.Sequential(*layers)
    return model, list(model.layers)


def _param_items(model):
    from flax import nnx

    return [(".".join(str(p) for p in path), var) for path, var in nnx.to_flat_state(nnx.state(model, nnx.Param))]


def parameters(case: dict) -> list[dict]:
    import jax.numpy as jnp

    c = _norm(case)
    _check(c)
    model, _ = _build(c, jnp.float32)
    return [
        {"path": path, "shape": [int(s) for s in var.get_value().shape], "trainable": True}
        for path, var in _param_items(model)
    ]


def non_parameter_state(case: dict) -> list[dict]:
    """Entries of nnx.state(model) that are not nnx.Param (RNG streams of RNN/Bidirectional)."""
    import jax.numpy as jnp
    from flax import nnx

    c = _norm(case)
    _check(c)
    model, _ = _build(c, jnp.float32)
    out = []
    for path, var in nnx.to_flat_state(nnx.state(model)):
        if not isinstance(var, nnx.Param):
            val = var.get_value()
            out.append(
                {
                    "path": ".".join(str(p) for p in path),
                    "type": type(var).__name__,
                    "shape": list(val.shape),
                    "dtype": str(val.dtype),
                }
            )
    return out


def build(case: dict, dtype=None, seed: int = 0):
    """The real model (and its list of layers, None for one layer) with the framework's own init."""
    import jax
    import jax.numpy as jnp

    c = _norm(case)
    _check(c)
    if dtype is None:
        dtype = jnp.float32
    if np.dtype(dtype) == np.float64:
        jax.config.update("jax_enable_x64", True)
    return _build(c, dtype, seed)


def get_weights(model) -> dict[str, np.ndarray]:
    return {path: np.asarray(var.get_value()) for path, var in _param_items(model)}


def set_weights(model, weights: dict[str, np.ndarray]) -> None:
    import jax.numpy as jnp
    from flax import nnx

    state = nnx.state(model, nnx.Param)
    items = [(".".join(str(p) for p in path), var) for path, var in nnx.to_flat_state(state)]
    names = {p for p, _ in items}
    if set(weights) != names:
        raise KeyError(
            f"weights keys differ: missing {sorted(names - set(weights))}, unexpected {sorted(set(weights) - names)}"
        )
    for path, var in items:
        old = var.get_value()
        new = np.asarray(weights[path])
        if tuple(new.shape) != tuple(old.shape):
            raise ValueError(f"{path}: shape {new.shape} != {old.shape}")
        var.set_value(jnp.asarray(new, dtype=old.dtype))
    nnx.update(model, state)


def run(case: dict, model, layers, x) -> dict:
    """Run the built model on x (B, T, I); returns output and finals as numpy."""
    import jax.numpy as jnp

    c = _norm(case)
    x = jnp.asarray(x)
    finals = []
    lstm = c["cell"] == "lstm"

    def add(carry):
        if lstm:
            cc, h = carry
            finals.append({"h": np.asarray(h), "c": np.asarray(cc)})
        else:
            finals.append({"h": np.asarray(carry)})

    y = x
    for layer in layers if layers is not None else [model]:
        carry, y = layer(y, return_carry=True)
        if c["bidirectional"]:
            add(carry[0])
            add(carry[1])
        else:
            add(carry)
    if layers is not None:
        y_model = model(x)
        if not np.array_equal(np.asarray(y_model), np.asarray(y)):
            raise AssertionError("layer-by-layer output differs from the model's own call")
    return {"output": np.asarray(y), "final": finals}


def forward(case: dict, weights: dict[str, np.ndarray], x: np.ndarray) -> dict:
    """float64 if x is float64 (jax_enable_x64 switched on; param_dtype=dtype=float64)."""
    x = np.asarray(x)
    model, layers = build(case, dtype=x.dtype)
    set_weights(model, weights)
    return run(case, model, layers, x)
