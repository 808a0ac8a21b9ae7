"""The layers around the recurrent ones, in every framework beyond Keras 3 and PyTorch: names and shapes, live.

Each framework builds a dense, a 1-D convolution (with and without bias), an embedding and a
layer normalization as its users write them; their parameters (names relative to the layer, and
shapes) must be the ones lstmcount reports. (Keras 3 and PyTorch have their own grids.)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from conftest import need

import lstmcount

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

I, F, K, V = 5, 3, 2, 7  # noqa: E741 - the symbols of the sizes
#: the spec of each layer kind, reading I features (or V token ids)
LAYERS: dict[str, dict[str, Any]] = {
    "dense": {"type": "dense", "units": F},
    "dense_nobias": {"type": "dense", "units": F, "use_bias": False},
    "conv1d": {"type": "conv1d", "filters": F, "kernel_size": K},
    "conv1d_nobias": {"type": "conv1d", "filters": F, "kernel_size": K, "use_bias": False},
    "embedding": {"type": "embedding", "dim": F, "vocab": V},
    "layer_normalization": {"type": "layer_normalization"},
}


def _flax(kind: str) -> dict[str, tuple[int, ...]]:
    need("jax")
    nnx = need("flax.nnx")
    rngs = nnx.Rngs(0)
    make: dict[str, Callable[[], Any]] = {
        "dense": lambda: nnx.Linear(I, F, rngs=rngs),
        "dense_nobias": lambda: nnx.Linear(I, F, use_bias=False, rngs=rngs),
        "conv1d": lambda: nnx.Conv(I, F, kernel_size=(K,), padding="VALID", rngs=rngs),
        "conv1d_nobias": lambda: nnx.Conv(I, F, kernel_size=(K,), padding="VALID", use_bias=False, rngs=rngs),
        "embedding": lambda: nnx.Embed(V, F, rngs=rngs),
        "layer_normalization": lambda: nnx.LayerNorm(I, rngs=rngs),
    }
    state = nnx.to_flat_state(nnx.state(make[kind](), nnx.Param))
    return {".".join(map(str, path)): tuple(v.shape) for path, v in state}


def _flax_linen(kind: str) -> dict[str, tuple[int, ...]]:
    jax = need("jax")
    nn = need("flax.linen")
    import numpy as np
    from flax.traverse_util import flatten_dict

    make: dict[str, Callable[[], Any]] = {
        "dense": lambda: nn.Dense(F),
        "dense_nobias": lambda: nn.Dense(F, use_bias=False),
        "conv1d": lambda: nn.Conv(F, (K,), padding="VALID"),
        "conv1d_nobias": lambda: nn.Conv(F, (K,), padding="VALID", use_bias=False),
        "embedding": lambda: nn.Embed(V, F),
        "layer_normalization": lambda: nn.LayerNorm(),
    }
    x = np.zeros((1, 4), np.int32) if kind == "embedding" else np.zeros((1, 4, I))
    params = make[kind]().init(jax.random.key(0), x)["params"]
    return {"/".join(k): tuple(v.shape) for k, v in flatten_dict(params).items()}


def _equinox(kind: str) -> dict[str, tuple[int, ...]]:
    jax = need("jax")
    eqx = need("equinox")
    key = jax.random.key(0)
    make: dict[str, Callable[[], Any]] = {
        "dense": lambda: eqx.nn.Linear(I, F, key=key),
        "dense_nobias": lambda: eqx.nn.Linear(I, F, use_bias=False, key=key),
        "conv1d": lambda: eqx.nn.Conv1d(I, F, K, key=key),
        "conv1d_nobias": lambda: eqx.nn.Conv1d(I, F, K, use_bias=False, key=key),
        "embedding": lambda: eqx.nn.Embedding(V, F, key=key),
        "layer_normalization": lambda: eqx.nn.LayerNorm(I),
    }
    leaves = jax.tree_util.tree_flatten_with_path(eqx.filter(make[kind](), eqx.is_array))[0]
    return {jax.tree_util.keystr(path).lstrip("."): tuple(leaf.shape) for path, leaf in leaves}


def _mlx(kind: str) -> dict[str, tuple[int, ...]]:
    need("mlx.core")
    mnn = need("mlx.nn")
    from mlx.utils import tree_flatten

    make: dict[str, Callable[[], Any]] = {
        "dense": lambda: mnn.Linear(I, F),
        "dense_nobias": lambda: mnn.Linear(I, F, bias=False),
        "conv1d": lambda: mnn.Conv1d(I, F, K),
        "conv1d_nobias": lambda: mnn.Conv1d(I, F, K, bias=False),
        "embedding": lambda: mnn.Embedding(V, F),
        "layer_normalization": lambda: mnn.LayerNorm(I),
    }
    return {k: tuple(v.shape) for k, v in tree_flatten(make[kind]().parameters())}


def _paddle(kind: str) -> dict[str, tuple[int, ...]]:
    paddle = need("paddle")
    make: dict[str, Callable[[], Any]] = {
        "dense": lambda: paddle.nn.Linear(I, F),
        "dense_nobias": lambda: paddle.nn.Linear(I, F, bias_attr=False),
        "conv1d": lambda: paddle.nn.Conv1D(I, F, K),
        "conv1d_nobias": lambda: paddle.nn.Conv1D(I, F, K, bias_attr=False),
        "embedding": lambda: paddle.nn.Embedding(V, F),
        "layer_normalization": lambda: paddle.nn.LayerNorm(I),
    }
    return {k: tuple(v.shape) for k, v in make[kind]().named_parameters()}


def _keras2(kind: str) -> dict[str, tuple[int, ...]]:
    need("tensorflow")
    tf_keras = need("tf_keras")
    tf_keras.backend.clear_session()
    layers = tf_keras.layers
    make: dict[str, Callable[[], Any]] = {
        "dense": lambda: layers.Dense(F),
        "dense_nobias": lambda: layers.Dense(F, use_bias=False),
        "conv1d": lambda: layers.Conv1D(F, K),
        "conv1d_nobias": lambda: layers.Conv1D(F, K, use_bias=False),
        "embedding": lambda: layers.Embedding(V, F),
        "layer_normalization": lambda: layers.LayerNormalization(),
    }
    layer = make[kind]()
    layer.build((None, 4) if kind == "embedding" else (None, 4, I))
    return {w.name.split("/")[-1]: tuple(w.shape) for w in layer.weights}


def _tf1(kind: str) -> dict[str, tuple[int, ...]]:
    tf = need("tensorflow")
    need("tf_keras")
    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, (None, 4, I))
        if kind.startswith("dense"):
            v1.layers.dense(x, F, use_bias=kind == "dense")
        else:
            v1.layers.conv1d(x, F, K, use_bias=kind == "conv1d")
        return {v.name.split("/", 1)[1].removesuffix(":0"): tuple(v.shape.as_list()) for v in v1.global_variables()}


def _onnx(kind: str) -> dict[str, tuple[int, ...]]:
    """The inputs ONNX's operators take as initializers, as PyTorch's exporter writes the layer."""
    onnx = need("onnx")
    torch = need("torch")
    import io

    make: dict[str, Callable[[], Any]] = {
        "dense": lambda: torch.nn.Linear(I, F),
        "dense_nobias": lambda: torch.nn.Linear(I, F, bias=False),
        "conv1d": lambda: torch.nn.Conv1d(I, F, K),
        "conv1d_nobias": lambda: torch.nn.Conv1d(I, F, K, bias=False),
        "embedding": lambda: torch.nn.Embedding(V, F),
        "layer_normalization": lambda: torch.nn.LayerNorm(I),
    }
    module = make[kind]()
    shape = (2, 4) if kind == "embedding" else ((2, I, 4) if kind.startswith("conv") else (2, 4, I))
    x = torch.zeros(shape, dtype=torch.long if kind == "embedding" else torch.float32)
    buffer = io.BytesIO()
    torch.onnx.export(module, (x,), buffer, dynamo=False)
    model = onnx.load_from_string(buffer.getvalue())
    sizes = {i.name: tuple(i.dims) for i in model.graph.initializer}
    names = {
        "MatMul": ("A", "MatMul.B"),
        "Add": ("Add.B", "Add.B"),  # the exporter adds the bias as either operand
        "Conv": ("X", "W", "B"),
        "Gather": ("data", "indices"),
        "LayerNormalization": ("X", "Scale", "B"),
    }
    out = {}
    for node in model.graph.node:
        for role, i in zip(names[node.op_type], node.input, strict=False):
            if i in sizes:
                out[role] = sizes[i]
    return out


BUILDERS = {
    "flax": _flax,
    "flax-linen": _flax_linen,
    "equinox": _equinox,
    "mlx": _mlx,
    "paddle": _paddle,
    "keras2": _keras2,
    "tf1": _tf1,
    "onnx": _onnx,
}
CASES = [(fid, kind) for fid in BUILDERS for kind in LAYERS]


def _spec(fid: str, kind: str) -> dict[str, Any]:
    layer = {**LAYERS[kind], "name": "x"}
    if kind == "embedding":
        return {"framework": fid, "input": {"timesteps": 4}, "layers": [layer]}
    return {"framework": fid, "input": {"features": I, "timesteps": 4}, "layers": [layer]}


@pytest.mark.parametrize(("fid", "kind"), CASES, ids=[f"{f}-{k}" for f, k in CASES])
def test_layer_tensors_are_the_frameworks(fid: str, kind: str) -> None:
    """A layer's tensors (names under the layer, shapes) are the framework's, or both lack the layer."""
    try:
        report = lstmcount.count(_spec(fid, kind))
    except lstmcount.SpecError as exc:
        if fid == "tf1" and kind in ("embedding", "layer_normalization"):
            return  # tf.compat.v1.layers has neither; lstmcount refuses both
        raise AssertionError(exc.one_line()) from None
    theirs = BUILDERS[fid](kind)
    layer = report.layers[0]
    mine = {t.path.split(layer.name, 1)[1][1:]: t.shape for t in layer.tensors}
    assert mine == theirs
