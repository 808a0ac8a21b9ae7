"""Ground-truth facts for Equinox recurrent cells (eqx.nn.LSTMCell, eqx.nn.GRUCell).

Equinox has cells only: one unbatched time step, cell(x_t (I,), state) -> new state.
A sequence layer is written by the user with jax.lax.scan over time (zero initial state, as in
the cells' docstrings) and jax.vmap over the batch. Equinox has no simple RNN cell, no stacking
and no bidirectional wrapper; the model built here is:
  num_layers == 1, unidirectional:  the cell itself                   paths weight_ih, weight_hh, bias[, bias_n]
  num_layers == 1, bidirectional:   Bidirectional(forward, backward)  paths forward.<...>, backward.<...>
  num_layers > 1:                   Stacked(layers=[layer_0, ...])    paths layers.<k>.<as above>
Bidirectional and Stacked are plain eqx.Module classes defined below; the backward cell runs on the
time-reversed sequence and its outputs are reversed back before concatenation [forward, backward].
Paths are jax.tree_util.tree_flatten_with_path keys (GetAttrKey name, SequenceKey index) joined with
"."; that is also the order in which eqx.tree_serialise_leaves writes the leaves.
"""

from __future__ import annotations

import numpy as np

CLASSES = {"lstm": ("LSTMCell",), "gru": ("GRUCell",)}

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
    import equinox
    import jax

    return f"equinox {equinox.__version__}, jax {jax.__version__}"


def supported(case: dict) -> str | None:
    c = _norm(case)
    if c["cell"] == "rnn":
        return "equinox.nn has no simple RNN cell (only LSTMCell and GRUCell)"
    if c["cell"] not in CLASSES:
        return f"unknown cell type {c['cell']!r}"
    if c["class"] not in CLASSES[c["cell"]]:
        return f"equinox.nn has no {c['class']!r}; it has {CLASSES[c['cell']][0]}"
    if c["proj_size"]:
        return "eqx.nn.LSTMCell has no projection"
    if c["peepholes"]:
        return "eqx.nn.LSTMCell has no peepholes"
    if c["forget_bias"] not in (None, 0, 0.0):
        return "eqx.nn.LSTMCell adds no run-time forget bias"
    if c["reset_after"] is False:
        return "eqx.nn.GRUCell applies the reset gate after the recurrent product only (reset_after)"
    if c["nonlinearity"] not in (None, "tanh"):
        return "equinox cells have fixed activations (sigmoid, tanh)"
    if c["options"]:
        return f"unknown options {sorted(c['options'])}"
    if c["num_layers"] < 1:
        return "num_layers must be >= 1"
    return None


def _check(c: dict) -> None:
    reason = supported(c)
    if reason:
        raise ValueError(reason)


def _classes():
    import equinox as eqx

    class Bidirectional(eqx.Module):
        forward: eqx.Module
        backward: eqx.Module

    class Stacked(eqx.Module):
        layers: list

    return Bidirectional, Stacked


def _build(c: dict, dtype, seed: int = 0):
    import equinox as eqx
    import jax

    Bidirectional, Stacked = _classes()
    cls = getattr(eqx.nn, c["class"])
    H = c["hidden_size"]
    D = 2 if c["bidirectional"] else 1
    keys = iter(jax.random.split(jax.random.key(seed), D * c["num_layers"]))

    def cell(in_size):
        return cls(in_size, H, use_bias=bool(c["bias"]), dtype=dtype, key=next(keys))

    def layer(in_size):
        if c["bidirectional"]:
            return Bidirectional(forward=cell(in_size), backward=cell(in_size))
        return cell(in_size)

    layers = [layer(c["input_size"] if k == 0 else D * H) for k in range(c["num_layers"])]
    if c["num_layers"] == 1:
        return layers[0]
    return Stacked(layers=layers)


def _layers(model) -> list:
    return list(model.layers) if hasattr(model, "layers") else [model]


def _key_name(k) -> str:
    for attr in ("name", "idx", "key"):
        if hasattr(k, attr):
            return str(getattr(k, attr))
    return str(k)


def _leaves(model) -> list:
    import jax

    flat, _ = jax.tree_util.tree_flatten_with_path(model)
    return [(".".join(_key_name(k) for k in path), leaf) for path, leaf in flat]


def build(case: dict, dtype=None, seed: int = 0):
    import jax

    c = _norm(case)
    _check(c)
    if dtype is not None and np.dtype(dtype) == np.float64:
        jax.config.update("jax_enable_x64", True)
    return _build(c, None if dtype is None else np.dtype(dtype).type, seed)


def parameters(case: dict) -> list[dict]:
    model = build(case, np.float32)
    return [{"path": p, "shape": [int(s) for s in leaf.shape], "trainable": True} for p, leaf in _leaves(model)]


def get_weights(model) -> dict[str, np.ndarray]:
    return {p: np.asarray(leaf) for p, leaf in _leaves(model)}


def set_weights(model, weights: dict[str, np.ndarray]):
    import jax
    import jax.numpy as jnp

    flat, treedef = jax.tree_util.tree_flatten_with_path(model)
    names = [".".join(_key_name(k) for k in path) for path, _ in flat]
    if set(names) != set(weights):
        raise KeyError(
            f"weights keys differ: missing {sorted(set(names) - set(weights))}, "
            f"unexpected {sorted(set(weights) - set(names))}"
        )
    new = []
    for name, (_, leaf) in zip(names, flat, strict=True):
        w = np.asarray(weights[name])
        if w.shape != leaf.shape:
            raise ValueError(f"{name}: shape {w.shape} != {leaf.shape}")
        new.append(jnp.asarray(w, dtype=leaf.dtype))
    return jax.tree_util.tree_unflatten(treedef, new)


def scan_cell(cell, xs, lstm: bool):
    """One direction over an unbatched sequence xs (T, I): (outputs (T, H), final state)."""
    import jax
    import jax.numpy as jnp

    H = cell.hidden_size
    zeros = jnp.zeros((H,), xs.dtype)
    init = (zeros, zeros) if lstm else zeros

    def step(state, x):
        state = cell(x, state)
        return state, (state[0] if lstm else state)

    final, ys = jax.lax.scan(step, init, xs)
    return ys, final


def run(case: dict, model, x) -> dict:
    import jax
    import jax.numpy as jnp

    c = _norm(case)
    lstm = c["cell"] == "lstm"
    y = jnp.asarray(x)
    finals = []

    def add(state):
        if lstm:
            finals.append({"h": np.asarray(state[0]), "c": np.asarray(state[1])})
        else:
            finals.append({"h": np.asarray(state)})

    def one(cell, seq, reverse):
        def f(xs):
            if reverse:
                ys, fin = scan_cell(cell, xs[::-1], lstm)
                return ys[::-1], fin
            return scan_cell(cell, xs, lstm)

        return jax.vmap(f)(seq)

    for layer in _layers(model):
        if c["bidirectional"]:
            yf, ff = one(layer.forward, y, False)
            yb, fb = one(layer.backward, y, True)
            add(ff)
            add(fb)
            y = jnp.concatenate([yf, yb], axis=-1)
        else:
            y, fin = one(layer, y, False)
            add(fin)
    return {"output": np.asarray(y), "final": finals}


def forward(case: dict, weights: dict[str, np.ndarray], x: np.ndarray) -> dict:
    """float64 if x is float64 (jax_enable_x64 switched on; cells built with dtype=float64)."""
    x = np.asarray(x)
    model = set_weights(build(case, dtype=x.dtype), weights)
    return run(case, model, x)
