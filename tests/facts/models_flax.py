"""Flax models saved as ``flax.serialization.to_bytes`` checkpoints, with what Flax itself says about each.

Each case builds a Flax NNX module or a linen model and saves it the ways Flax users do: an NNX
model's parameters (``nnx.state(model, nnx.Param)``) and its whole state but the random
streams (``nnx.state(model, nnx.Not(nnx.RngState))``, batch statistics included), both as pure
dicts; a linen model's variables (``model.init(...)``, every collection) and its ``params``
alone. The facts are read from Flax: the parameter count (every ``nnx.Param``, or every leaf of
the ``params`` collection), each parameter's path and shape, each file's total, and each
recurrent layer's arguments (the cell's class, ``in_features``/``hidden_features`` or the
``features`` and the inputs it is called on). ``tests/modelfiles.py`` compares ``lstmcount
inspect`` with them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from math import prod
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import linen as nn
from flax import nnx, serialization
from flax.traverse_util import flatten_dict

#: the cell classes, by name (NNX and linen have the same four)
NNX_CELLS = (nnx.LSTMCell, nnx.OptimizedLSTMCell, nnx.GRUCell, nnx.SimpleCell)


class NnxTagger(nnx.Module):
    """An embedding, a stacked bidirectional LSTM (an nnx.Sequential of two) and a linear head."""

    def __init__(self, rngs: nnx.Rngs) -> None:
        self.embedding = nnx.Embed(50, 8, rngs=rngs)
        self.lstm = nnx.Sequential(
            nnx.Bidirectional(nnx.RNN(nnx.LSTMCell(8, 16, rngs=rngs)), nnx.RNN(nnx.LSTMCell(8, 16, rngs=rngs))),
            nnx.Bidirectional(nnx.RNN(nnx.LSTMCell(32, 16, rngs=rngs)), nnx.RNN(nnx.LSTMCell(32, 16, rngs=rngs))),
        )
        self.head = nnx.Linear(32, 5, rngs=rngs)


class NnxConvRecurrent(nnx.Module):
    """A 1-D convolution, batch normalization, an optimized LSTM, a layer normalization and a head."""

    def __init__(self, rngs: nnx.Rngs) -> None:
        self.conv = nnx.Conv(6, 9, kernel_size=(3,), rngs=rngs)
        self.bn = nnx.BatchNorm(9, rngs=rngs)
        self.rnn = nnx.RNN(nnx.OptimizedLSTMCell(9, 12, rngs=rngs))
        self.norm = nnx.LayerNorm(12, rngs=rngs)
        self.head = nnx.Linear(12, 2, use_bias=False, rngs=rngs)


class NnxMixed(nnx.Module):
    """A GRU, a simple RNN and a stack of two different cells, which is two layers, and attention."""

    def __init__(self, rngs: nnx.Rngs) -> None:
        self.gru = nnx.RNN(nnx.GRUCell(4, 6, rngs=rngs))
        self.simple = nnx.RNN(nnx.SimpleCell(6, 3, rngs=rngs))
        self.pair = nnx.Sequential(
            nnx.RNN(nnx.LSTMCell(3, 5, rngs=rngs)), nnx.RNN(nnx.OptimizedLSTMCell(5, 5, rngs=rngs))
        )
        self.attention = nnx.MultiHeadAttention(2, 6, decode=False, rngs=rngs)


class LinenTagger(nn.Module):
    """Embed, a bidirectional GRU, an LSTM and a Dense head, written the compact way (cells named by class)."""

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        x = nn.Embed(40, 6)(x)
        x = nn.Bidirectional(nn.RNN(nn.GRUCell(8)), nn.RNN(nn.GRUCell(8)))(x)
        x = nn.RNN(nn.LSTMCell(7))(x)
        return nn.Dense(3)(x)


class LinenConvRecurrent(nn.Module):
    """Conv, BatchNorm, an OptimizedLSTMCell, a SimpleCell, LayerNorm and Dense."""

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        x = nn.Conv(9, kernel_size=(3,))(x)
        x = nn.BatchNorm(use_running_average=False)(x)
        x = nn.RNN(nn.OptimizedLSTMCell(12))(x)
        x = nn.RNN(nn.SimpleCell(4))(x)
        x = nn.LayerNorm()(x)
        return nn.Dense(2, use_bias=False)(x)


class LinenSetup(nn.Module):
    """Submodules made in setup and named by their attributes: rnn/cell, bi/forward_rnn/cell, head."""

    def setup(self) -> None:
        self.rnn = nn.RNN(nn.LSTMCell(4))
        self.bi = nn.Bidirectional(nn.RNN(nn.GRUCell(3)), nn.RNN(nn.GRUCell(3)))
        self.head = nn.Dense(2)

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.head(self.bi(self.rnn(x)))


#: a case: which API, how its model is built, and the input it is initialised on (linen)
Case = tuple[str, Callable[[], Any], tuple[tuple[int, ...], Any] | None]


def _nnx(build: Callable[[nnx.Rngs], Any]) -> Callable[[], Any]:
    return lambda: build(nnx.Rngs(0))


#: the cases, by name
CASES: dict[str, Case] = {
    "nnx_lstm_100_128": ("nnx", _nnx(lambda r: nnx.RNN(nnx.LSTMCell(100, 128, rngs=r))), None),
    "nnx_gru_100_128": ("nnx", _nnx(lambda r: nnx.RNN(nnx.GRUCell(100, 128, rngs=r))), None),
    "nnx_stacked": (
        "nnx",
        _nnx(lambda r: nnx.Sequential(*(nnx.RNN(nnx.GRUCell(n, 6, rngs=r)) for n in (5, 6, 6)))),
        None,
    ),
    "nnx_bidirectional": (
        "nnx",
        _nnx(lambda r: nnx.Bidirectional(nnx.RNN(nnx.SimpleCell(3, 4, rngs=r)), nnx.RNN(nnx.SimpleCell(3, 4, rngs=r)))),
        None,
    ),
    "nnx_tagger": ("nnx", _nnx(NnxTagger), None),
    "nnx_conv_recurrent": ("nnx", _nnx(NnxConvRecurrent), None),
    "nnx_mixed": ("nnx", _nnx(NnxMixed), None),
    "linen_lstm_100_128": ("linen", lambda: nn.RNN(nn.LSTMCell(128)), ((1, 2, 100), jnp.float32)),
    "linen_gru_100_128": ("linen", lambda: nn.RNN(nn.GRUCell(128)), ((1, 2, 100), jnp.float32)),
    "linen_tagger": ("linen", LinenTagger, ((1, 4), jnp.int32)),
    "linen_conv_recurrent": ("linen", LinenConvRecurrent, ((1, 5, 6), jnp.float32)),
    "linen_setup": ("linen", LinenSetup, ((1, 3, 5), jnp.float32)),
}

#: every form a case is saved in (a case is saved in its API's)
FORMS = ("nnx_params", "nnx_state", "linen_variables", "linen_params")
#: the forms a large case is recorded in: none, its files are large (the live tests save every form)
RECORDED_FORMS: dict[str, tuple[str, ...]] = {
    "nnx_lstm_100_128": (),
    "nnx_gru_100_128": (),
    "linen_lstm_100_128": (),
    "linen_gru_100_128": (),
}


def _flat(tree: Any, sep: str) -> dict[str, list[int]]:
    """Each array of a tree by its path joined with ``sep``, with its shape."""
    return {sep.join(str(k) for k in path): list(v.shape) for path, v in flatten_dict(tree).items()}


def _nnx_recurrent(model: Any) -> list[dict[str, Any]]:
    """Each nnx.RNN or nnx.Bidirectional (an nnx.Sequential of like ones: one stacked layer), its cell's arguments."""

    def cell_of(module: Any) -> Any:
        return module.forward_rnn.cell if isinstance(module, nnx.Bidirectional) else module.cell

    def entry(path: tuple[Any, ...], modules: list[Any]) -> dict[str, Any]:
        cell = cell_of(modules[0])
        return {
            "path": ".".join(str(p) for p in path),
            "class": type(cell).__name__,
            "input_size": cell.in_features,
            "hidden_size": cell.hidden_features,
            "num_layers": len(modules),
            "bidirectional": isinstance(modules[0], nnx.Bidirectional),
            "bias": True,
            "proj_size": 0,
        }

    out = []
    inside: set[tuple[Any, ...]] = set()
    for path, module in sorted(nnx.iter_modules(model), key=lambda item: len(item[0])):  # outer modules first
        if any(path[: len(p)] == p for p in inside):
            continue
        if isinstance(module, nnx.Sequential):
            layers = list(module.layers)
            if layers and all(isinstance(m, (nnx.RNN, nnx.Bidirectional)) for m in layers):
                cells = [cell_of(m) for m in layers]
                directions = 2 if isinstance(layers[0], nnx.Bidirectional) else 1
                alike = all(
                    type(m) is type(layers[0])
                    and type(c) is type(cells[0])
                    and c.hidden_features == cells[0].hidden_features
                    and (k == 0 or c.in_features == cells[0].hidden_features * directions)
                    for k, (m, c) in enumerate(zip(layers, cells, strict=True))
                )
                if alike and len(layers) > 1:
                    out.append(entry(path, layers))
                    inside.add(tuple(path))
                    continue
        if isinstance(module, (nnx.RNN, nnx.Bidirectional)):
            out.append(entry(path, [module]))
            inside.add(tuple(path))
    return out


def _linen_recurrent(model: Any, variables_input: tuple[tuple[int, ...], Any]) -> tuple[Any, list[dict[str, Any]]]:
    """The variables of a linen model, and each cell it calls with its class, features and the inputs' width."""
    seen: dict[str, dict[str, Any]] = {}

    def intercept(next_fun: Any, args: Any, kwargs: Any, context: Any) -> Any:
        module = context.module
        if context.method_name == "__call__" and isinstance(module, nn.RNNCellBase):
            path = "/".join(module.scope.path)
            seen.setdefault(
                path,
                {
                    "path": path,
                    "class": type(module).__name__,
                    "input_size": int(args[1].shape[-1]),
                    "hidden_size": module.features,
                    "num_layers": 1,
                    "bidirectional": False,
                    "bias": True,
                    "proj_size": 0,
                },
            )
        return next_fun(*args, **kwargs)

    order: dict[str, Any] = {}

    def init(key: jax.Array, x: jax.Array) -> Any:
        variables = model.init(key, x)
        order["keys"] = _keys(variables)  # jax.eval_shape returns the dicts with their keys sorted
        return variables

    shape, dtype = variables_input
    with nn.intercept_methods(intercept):
        variables = jax.eval_shape(init, jax.random.key(0), jnp.ones(shape, dtype))
    return _zeros(variables, order["keys"]), list(seen.values())


def _keys(tree: Any) -> Any:
    """The keys of every dict of a tree, in their order (None for a leaf)."""
    return {k: _keys(v) for k, v in tree.items()} if isinstance(tree, Mapping) else None


def _zeros(tree: Any, keys: Any = None) -> Any:
    """The arrays of a tree of shapes (``jax.eval_shape``'s): zeros of each shape and dtype, its keys in order.

    The models are built abstractly, every parameter a shape and dtype, so that no initializer is
    compiled; the file holds zeros where a trained model holds weights, which names, shapes and
    counts do not depend on.
    """
    if isinstance(tree, Mapping):  # in the order ``keys`` gives (the model's), or the tree's own
        return {k: _zeros(tree[k], None if keys is None else keys[k]) for k in (tree if keys is None else keys)}
    return np.zeros(tree.shape, tree.dtype)


def _total(tree: Any) -> int:
    return sum(prod(v.shape) for v in flatten_dict(tree).values())


def save(name: str, out: Path, *, forms: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Build case ``name``, save it in each of ``forms`` (default: all its API's) into ``out``; the facts."""
    api, build, init = CASES[name]
    forms = tuple(f for f in (FORMS if forms is None else forms) if f.startswith(api + "_"))
    files: dict[str, str] = {}
    per_form: dict[str, dict[str, Any]] = {}
    if api == "nnx":
        model = nnx.eval_shape(build)
        params = _zeros(nnx.to_pure_dict(nnx.state(model, nnx.Param)))
        facts: dict[str, Any] = {
            "total": _total(params),
            "parameters": _flat(params, "."),
            "recurrent": _nnx_recurrent(model),
        }
        state = _zeros(nnx.to_pure_dict(nnx.state(model, nnx.Not(nnx.RngState))))
        trees = {"nnx_params": params, "nnx_state": state}
        sep = "."
    else:
        assert init is not None
        variables, recurrent = _linen_recurrent(build(), init)
        params = variables["params"]
        facts = {"total": _total(params), "parameters": _flat(params, "/"), "recurrent": recurrent}
        trees = {"linen_variables": variables, "linen_params": params}
        sep = "/"
    facts["trainable"] = facts["total"]
    for form in forms:
        tree = trees[form]
        path = out / f"{name}.{form.removeprefix(api + '_')}.msgpack"
        path.write_bytes(serialization.to_bytes(tree))
        files[path.name] = form
        flat = _flat(tree, sep)
        if form == "linen_variables":  # the parameters are named without their collection
            flat = {k.removeprefix("params/"): v for k, v in flat.items()}
        per_form[form] = {"file_total": _total(tree), "state_dict": flat}
    facts["files"] = files
    facts["forms"] = per_form
    first = per_form[next(iter(per_form))] if per_form else {"file_total": facts["total"], "state_dict": {}}
    facts["file_total"], facts["state_dict"] = first["file_total"], first["state_dict"]
    return facts
