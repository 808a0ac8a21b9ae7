"""Ground-truth facts for Flax linen recurrent layers (flax.linen.RNN over linen cells).

Paths are the keys of flax.traverse_util.flatten_dict(variables["params"], sep="/")
(the top-level "params" collection name is not part of the path).

case["options"]["style"] chooses how the model is written (H = hidden_size, k = layer index):
  "compact" (default)  a parent Module whose @nn.compact __call__ does, per layer,
                       nn.RNN(Cell(H))(x)  or  nn.Bidirectional(nn.RNN(Cell(H)), nn.RNN(Cell(H)))(x).
                       The cell is created inside the compact scope, so the parent adopts it under an
                       auto-name and the RNN/Bidirectional wrappers add no level:
                       <Cell>_<n>/..., n counting cells in creation order (bidirectional: forward
                       cell 2k, backward cell 2k+1).
  "named"              as "compact" with explicit cell names Cell(H, name=...):
                       options["names"] (one per cell, creation order) or
                       layer<k> / layer<k>_fwd, layer<k>_bwd.
  "setup"              a parent Module whose setup() does self.layers = [nn.RNN(Cell(H)), ...]:
                       layers_<k>/cell/...  or  layers_<k>/forward_rnn/cell/..., layers_<k>/backward_rnn/cell/...
  "bare"               the wrapper itself is the top module: cell/... or forward_rnn/cell/...,
                       backward_rnn/cell/...; for num_layers > 1 nn.Sequential([...]):
                       layers_<k>/cell/...
Other options: "residual" (SimpleCell), "reset_gate" (MGUCell).
"""

from __future__ import annotations

import numpy as np

CLASSES = {
    "lstm": ("LSTMCell", "OptimizedLSTMCell"),
    "gru": ("GRUCell", "MGUCell"),
    "rnn": ("SimpleCell",),
}
NONLINEARITIES = ("tanh", "relu")
STYLES = ("compact", "named", "setup", "bare")

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
    if c["class"] == "ConvLSTMCell":
        return "ConvLSTMCell is a convolutional cell over (B, T, *spatial, C) inputs, not a vector RNN"
    if c["class"] not in CLASSES[c["cell"]]:
        return f"flax.linen has no {c['class']!r} cell for {c['cell']}; it has {', '.join(CLASSES[c['cell']])}"
    if not c["bias"]:
        return "flax.linen cells have no use_bias attribute: every cell always creates its bias"
    if c["proj_size"]:
        return "flax.linen LSTM cells have no projection"
    if c["peepholes"]:
        return "flax.linen LSTM cells have no peepholes"
    if c["forget_bias"] not in (None, 0, 0.0):
        return "flax.linen LSTMCell/OptimizedLSTMCell add no run-time forget bias"
    if c["reset_after"] is False:
        return "flax.linen.GRUCell applies the reset gate after the recurrent product only (reset_after)"
    if c["cell"] == "rnn" and c["nonlinearity"] not in NONLINEARITIES:
        return f"nonlinearity {c['nonlinearity']!r} not among {NONLINEARITIES} (activation_fn)"
    if c["cell"] != "rnn" and c["nonlinearity"] not in (None, "tanh"):
        return "nonlinearity applies to the simple RNN cell only"
    opts = c["options"]
    unknown = set(opts) - {"style", "names", "residual", "reset_gate"}
    if unknown:
        return f"unknown options {sorted(unknown)}"
    if opts.get("style", "compact") not in STYLES:
        return f"unknown style {opts['style']!r}"
    if opts.get("residual") and c["class"] != "SimpleCell":
        return "residual is an option of SimpleCell only"
    if "reset_gate" in opts and c["class"] != "MGUCell":
        return "reset_gate is an option of MGUCell only"
    if "names" in opts and opts.get("style") != "named":
        return "names need style 'named'"
    if c["num_layers"] < 1:
        return "num_layers must be >= 1"
    return None


def _check(c: dict) -> None:
    reason = supported(c)
    if reason:
        raise ValueError(reason)


def _cell_names(c: dict) -> list[str]:
    D = 2 if c["bidirectional"] else 1
    names = c["options"].get("names")
    if names is not None:
        if len(names) != D * c["num_layers"]:
            raise ValueError("options['names'] needs one name per cell")
        return list(names)
    if D == 1:
        return [f"layer{k}" for k in range(c["num_layers"])]
    return [f"layer{k}_{d}" for k in range(c["num_layers"]) for d in ("fwd", "bwd")]


def _make(c: dict, dtype):
    """Returns (module, call(module, x) -> (y, finals_carries)) for the case."""
    import flax.linen as nn

    cls = getattr(nn, c["class"])
    H = c["hidden_size"]
    kw = {"features": H, "param_dtype": dtype, "dtype": dtype}
    if c["class"] == "SimpleCell":
        kw["residual"] = bool(c["options"].get("residual", False))
        kw["activation_fn"] = {"tanh": nn.tanh, "relu": nn.relu}[c["nonlinearity"]]
    if c["class"] == "MGUCell":
        kw["reset_gate"] = bool(c["options"].get("reset_gate", True))
    style = c["options"].get("style", "compact")
    L = c["num_layers"]
    bi = c["bidirectional"]

    def cell(name=None):
        return cls(**kw) if name is None else cls(**kw, name=name)

    def wrapper(names=(None, None)):
        if bi:
            return nn.Bidirectional(nn.RNN(cell(names[0])), nn.RNN(cell(names[1])))
        return nn.RNN(cell(names[0]))

    def apply_layer(layer, x, carries):
        carry, x = layer(x, return_carry=True)
        carries.extend(carry if bi else [carry])
        return x

    if style in ("compact", "named"):
        names = _cell_names(c) if style == "named" else [None] * ((2 if bi else 1) * L)

        class Model(nn.Module):
            @nn.compact
            def __call__(self, x):
                carries = []
                for k in range(L):
                    nk = names[2 * k : 2 * k + 2] if bi else names[k : k + 1]
                    x = apply_layer(wrapper(nk), x, carries)
                return x, carries

        return Model(), lambda m, x: m(x)

    if style == "setup":

        class Model(nn.Module):
            def setup(self):
                self.layers = [wrapper() for _ in range(L)]

            def __call__(self, x):
                carries = []
                for layer in self.layers:
                    x = apply_layer(layer, x, carries)
                return x, carries

        return Model(), lambda m, x: m(x)

    if L == 1:
        return wrapper(), lambda m, x: _single(m, x, bi)
    model = nn.Sequential([wrapper() for _ in range(L)])

    def call(m, x):
        carries = []
        y = x
        for layer in m.layers:
            y = apply_layer(layer, y, carries)
        y_seq = m(x)
        return y, carries, y_seq

    return model, call


def _single(m, x, bi):
    carry, y = m(x, return_carry=True)
    return y, list(carry) if bi else [carry]


def build(case: dict, dtype=None):
    """(module, call, init_fn): call(bound_module, x) returns (y, carries[, y_sequential])."""
    import jax

    c = _norm(case)
    _check(c)
    if dtype is None:
        dtype = np.float32
    if np.dtype(dtype) == np.float64:
        jax.config.update("jax_enable_x64", True)
    return _make(c, np.dtype(dtype).type)


def init_variables(case: dict, dtype=None, seed: int = 0):
    import jax
    import jax.numpy as jnp

    c = _norm(case)
    model, call = build(c, dtype)
    dtype = np.float32 if dtype is None else dtype
    x = jnp.zeros((1, 2, c["input_size"]), dtype)
    return model, call, model.init(jax.random.key(seed), x, method=call)


def _flat(params) -> list:
    from flax.traverse_util import flatten_dict

    return list(flatten_dict(params, sep="/").items())


def parameters(case: dict) -> list[dict]:
    _, _, variables = init_variables(case)
    if set(variables) != {"params"}:
        raise AssertionError(f"unexpected collections {sorted(variables)}")
    return [{"path": p, "shape": [int(s) for s in a.shape], "trainable": True} for p, a in _flat(variables["params"])]


def variables_from_weights(weights: dict[str, np.ndarray], dtype=None) -> dict:
    import jax.numpy as jnp
    from flax.traverse_util import unflatten_dict

    return {"params": unflatten_dict({k: jnp.asarray(v, dtype=dtype) for k, v in weights.items()}, sep="/")}


def run(case: dict, model, call, variables, x) -> dict:
    import jax.numpy as jnp

    c = _norm(case)
    res = model.apply(variables, jnp.asarray(x), method=call)
    y, carries = res[0], res[1]
    if len(res) == 3 and not np.array_equal(np.asarray(res[2]), np.asarray(y)):
        raise AssertionError("layer-by-layer output differs from nn.Sequential's own call")
    finals = []
    for carry in carries:
        if c["cell"] == "lstm":
            cc, h = carry
            finals.append({"h": np.asarray(h), "c": np.asarray(cc)})
        else:
            finals.append({"h": np.asarray(carry)})
    return {"output": np.asarray(y), "final": finals}


def forward(case: dict, weights: dict[str, np.ndarray], x: np.ndarray) -> dict:
    """float64 if x is float64 (jax_enable_x64 switched on; param_dtype=dtype=float64)."""
    x = np.asarray(x)
    model, call, v0 = init_variables(case, dtype=x.dtype)
    expect = {p: a.shape for p, a in _flat(v0["params"])}
    if set(weights) != set(expect):
        raise KeyError(
            f"weights keys differ: missing {sorted(set(expect) - set(weights))}, "
            f"unexpected {sorted(set(weights) - set(expect))}"
        )
    for p, s in expect.items():
        if tuple(np.shape(weights[p])) != tuple(s):
            raise ValueError(f"{p}: shape {np.shape(weights[p])} != {s}")
    return run(case, model, call, variables_from_weights(weights, x.dtype), x)
