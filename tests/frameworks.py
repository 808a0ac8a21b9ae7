"""Build the real Keras 3 and PyTorch models of a spec, and read their facts back.

Shared by the conformance tests (counts, names, shapes) and the forward-pass tests. Sizes
always come from the spec and from the framework itself; a report supplies only layer names
(so weight paths line up) and the Keras expansion of ``num_layers`` into several layers.
:func:`random_spec` draws seeded specs that a framework can build, for the grids. The
frameworks are imported inside the functions, never at module level.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lstmcount.model.report import LayerReport, Report
from lstmcount.model.spec import (
    Conv1DSpec,
    DenseSpec,
    DropoutSpec,
    EmbeddingSpec,
    GRUSpec,
    LayerNormSpec,
    LayerSpec,
    LSTMSpec,
    ModelSpec,
    Padding,
    RecurrentSpec,
    SimpleRNNSpec,
)

#: Sequence length of the dummy batch when the spec leaves timesteps unknown.
DEFAULT_STEPS = 5
#: Batch size of the dummy batch pushed through a PyTorch model.
DUMMY_BATCH = 2

Facts = dict[str, Any]


# --------------------------------------------------------------------------- shared helpers


def spec_dict(
    framework: str, input_: dict[str, Any], *layers: dict[str, Any], name: str | None = None
) -> dict[str, Any]:
    """A spec mapping for ``framework`` with the given input and layers (and a model name)."""
    out: dict[str, Any] = {"framework": framework, "input": input_, "layers": list(layers)}
    if name:
        out["name"] = name
    return out


def has_dimension_at_least(data: dict[str, Any], size: int) -> bool:
    """Whether any integer in a spec mapping's input or layers is ``size`` or more (a big model)."""
    numbers = [v for layer in data["layers"] for v in layer.values() if isinstance(v, int) and not isinstance(v, bool)]
    numbers += [v for v in data["input"].values() if isinstance(v, int) and not isinstance(v, bool)]
    return max(numbers) >= size


def _groups(report: Report) -> list[tuple[LayerReport, int, int]]:
    """Each report layer with its position in its spec layer's group and the group's size."""
    sizes: dict[int, int] = {}
    for layer in report.layers:
        sizes[layer.spec_index] = sizes.get(layer.spec_index, 0) + 1
    seen: dict[int, int] = {}
    out = []
    for layer in report.layers:
        k = seen.get(layer.spec_index, 0)
        seen[layer.spec_index] = k + 1
        out.append((layer, k, sizes[layer.spec_index]))
    return out


def dummy_steps(spec: ModelSpec) -> int:
    """The sequence length of a dummy batch: the spec's, or the shortest one >= 5 every conv accepts."""
    if spec.input.timesteps is not None:
        return spec.input.timesteps
    steps = DEFAULT_STEPS
    while not _convs_accept(spec, steps):
        steps += 1
    return steps


def _convs_accept(spec: ModelSpec, steps: int) -> bool:
    for layer in spec.layers:
        if isinstance(layer, Conv1DSpec):
            if layer.padding is Padding.SAME:
                steps = -(-steps // layer.strides)
            elif layer.kernel_size > steps:
                return False
            else:
                steps = (steps - layer.kernel_size) // layer.strides + 1
    return True


def input_features(spec: ModelSpec) -> int | None:
    """Features per time step of the model input (None before an embedding)."""
    first = spec.layers[0]
    if isinstance(first, EmbeddingSpec):
        return None
    return spec.input.features or getattr(first, "input_size", None)


def vocab_size(spec: ModelSpec) -> int:
    """Vocabulary of an embedding-first model."""
    first = spec.layers[0]
    assert isinstance(first, EmbeddingSpec)
    vocab = first.vocab or spec.input.vocab
    assert vocab is not None
    return vocab


def _inner_name(layer: LayerReport) -> str | None:
    """The wrapped layer's name in a Keras Bidirectional (``<name>/forward_<inner>/...``), else None."""
    if layer.directions != 2 or not layer.tensors:
        return None
    segment = layer.tensors[0].path.split("/")[1]
    assert segment.startswith("forward_"), f"no forward_ segment in {layer.name}'s tensor paths"
    return segment[len("forward_") :]


# --------------------------------------------------------------------------- Keras


def build_keras(spec: ModelSpec, report: Report, *, auto_names: bool = False, fast_init: bool = False) -> Any:
    """The spec as a ``keras.Sequential``: one Keras layer per report layer, named like it.

    With ``auto_names`` the layers the spec leaves unnamed are left for Keras to name, as a
    user's code would (call ``keras.backend.clear_session()`` first so counters start at 0);
    the caller then checks that Keras chose the report's names. ``fast_init`` fills weights
    with zeros instead of Keras's initializers (an orthogonal 4096-unit recurrent kernel takes
    seconds); names, shapes and counts do not depend on it.
    """
    import keras
    from keras import layers as kl

    steps = spec.input.timesteps
    features = input_features(spec)
    # token ids (B, T) before an embedding, else features (B, T, I)
    shape = (steps,) if features is None else (steps, features)
    inputs = keras.Input(shape=shape, dtype="int32" if features is None else "float32")
    built: list[Any] = []
    for layer, k, size in _groups(report):
        layer_spec = spec.layers[layer.spec_index]
        auto = auto_names and layer_spec.name is None
        name = None if auto else layer.name
        inner_name = None if auto_names else _inner_name(layer)
        built.append(_keras_layer(kl, spec, layer_spec, k, size, name, inner_name, fast_init))
    if spec.name:
        return keras.Sequential([inputs, *built], name=spec.name)
    return keras.Sequential([inputs, *built])


def _keras_layer(
    kl: Any,
    spec: ModelSpec,
    layer_spec: LayerSpec,
    k: int,
    size: int,
    name: str | None,
    inner_name: str | None,
    fast_init: bool,
) -> Any:
    """One Keras layer: stacked layer ``k`` of ``size`` for a recurrent spec layer."""
    built: Any
    zeros: dict[str, Any] = {}
    if isinstance(layer_spec, RecurrentSpec):
        if fast_init:
            zeros = {"kernel_initializer": "zeros", "recurrent_initializer": "zeros"}
        last = k == size - 1
        kwargs: dict[str, Any] = {
            "units": layer_spec.units,
            "use_bias": layer_spec.use_bias,
            "return_sequences": layer_spec.return_sequences if last else True,
            **zeros,
        }
        if k > 0 and layer_spec.dropout:
            kwargs["dropout"] = layer_spec.dropout  # Keras: dropout on the inputs of the next layer
        if isinstance(layer_spec, GRUSpec) and layer_spec.reset_after is not None:
            kwargs["reset_after"] = layer_spec.reset_after
        if isinstance(layer_spec, SimpleRNNSpec):
            kwargs["activation"] = layer_spec.nonlinearity.value
        klass = {LSTMSpec: kl.LSTM, GRUSpec: kl.GRU, SimpleRNNSpec: kl.SimpleRNN}[type(layer_spec)]
        if layer_spec.bidirectional:
            inner = klass(**kwargs, name=inner_name) if inner_name else klass(**kwargs)
            built = kl.Bidirectional(inner, merge_mode=layer_spec.merge_mode.value, name=name)
        else:
            built = klass(**kwargs, name=name)
    elif isinstance(layer_spec, EmbeddingSpec):
        zeros = {"embeddings_initializer": "zeros"} if fast_init else {}
        built = kl.Embedding(input_dim=vocab_size(spec), output_dim=layer_spec.dim, name=name, **zeros)
    elif isinstance(layer_spec, DenseSpec):
        zeros = {"kernel_initializer": "zeros"} if fast_init else {}
        built = kl.Dense(
            layer_spec.units, use_bias=layer_spec.use_bias, activation=layer_spec.activation, name=name, **zeros
        )
    elif isinstance(layer_spec, DropoutSpec):
        built = kl.Dropout(layer_spec.rate, name=name)
    elif isinstance(layer_spec, Conv1DSpec):
        zeros = {"kernel_initializer": "zeros"} if fast_init else {}
        built = kl.Conv1D(
            layer_spec.filters,
            layer_spec.kernel_size,
            strides=layer_spec.strides,
            padding=layer_spec.padding.value,
            use_bias=layer_spec.use_bias,
            activation=layer_spec.activation,
            name=name,
            **zeros,
        )
    elif isinstance(layer_spec, LayerNormSpec):
        built = kl.LayerNormalization(center=layer_spec.center, scale=layer_spec.scale, name=name)
    else:  # pragma: no cover - every layer type is handled above
        raise TypeError(layer_spec)
    if not layer_spec.trainable:
        built.trainable = False
    return built


def _size(shape: Any) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


def keras_facts(model: Any) -> list[Facts]:
    """Per layer of a built Keras model: counts, tensors (name, path, shape) and output shape."""
    prefix = model.name + "/"
    out = []
    for layer in model.layers:
        tensors = []
        for w in layer.weights:
            path = w.path[len(prefix) :] if w.path.startswith(prefix) else w.path
            tensors.append({"name": w.name, "path": path, "shape": [int(s) for s in w.shape]})
        out.append(
            {
                "name": layer.name,
                "params": int(layer.count_params()) if layer.weights else 0,
                "trainable_params": sum(_size(w.shape) for w in layer.trainable_weights),
                "non_trainable_params": sum(_size(w.shape) for w in layer.non_trainable_weights),
                "tensors": tensors,
                "output_shape": [None if s is None else int(s) for s in layer.output.shape],
            }
        )
    return out


# --------------------------------------------------------------------------- PyTorch

#: Every torch.nn.functional activation a layer can name alone, by its Keras name (so forward passes
#: agree); PyTorch's own constants apply (leaky_relu's negative_slope 0.01).
TORCH_ACTIVATIONS: dict[str, Callable[[Any, Any], Any]] = {
    "linear": lambda fn, x: x,
    "relu": lambda fn, x: fn.relu(x),
    "relu6": lambda fn, x: fn.relu6(x),
    "leaky_relu": lambda fn, x: fn.leaky_relu(x),
    "elu": lambda fn, x: fn.elu(x),
    "selu": lambda fn, x: fn.selu(x),
    "celu": lambda fn, x: fn.celu(x),
    "gelu": lambda fn, x: fn.gelu(x),
    "silu": lambda fn, x: fn.silu(x),
    "mish": lambda fn, x: fn.mish(x),
    "sigmoid": lambda fn, x: fn.sigmoid(x),
    "hard_sigmoid": lambda fn, x: fn.hardsigmoid(x),
    "hard_silu": lambda fn, x: fn.hardswish(x),
    "log_sigmoid": lambda fn, x: fn.logsigmoid(x),
    "tanh": lambda fn, x: fn.tanh(x),
    "hard_tanh": lambda fn, x: fn.hardtanh(x),
    "tanh_shrink": lambda fn, x: fn.tanhshrink(x),
    "softplus": lambda fn, x: fn.softplus(x),
    "softsign": lambda fn, x: fn.softsign(x),
    "softmax": lambda fn, x: fn.softmax(x, dim=-1),
    "log_softmax": lambda fn, x: fn.log_softmax(x, dim=-1),
    "softmin": lambda fn, x: fn.softmin(x, dim=-1),
    "hard_shrink": lambda fn, x: fn.hardshrink(x),
    "soft_shrink": lambda fn, x: fn.softshrink(x),
    "glu": lambda fn, x: fn.glu(x, dim=-1),
}
_ACTIVATIONS = TORCH_ACTIVATIONS


def _torch_step(torch: Any, layer_spec: LayerSpec, module: Any, x: Any) -> tuple[Any, Any]:
    """Apply one layer: (what the layer returns, what the next layer reads)."""
    F = torch.nn.functional
    if isinstance(layer_spec, RecurrentSpec):
        out = module(x)[0]  # (B, T, D·Hout)
        if layer_spec.return_sequences:
            return out, out
        if layer_spec.bidirectional:
            h_out = out.shape[-1] // 2
            # forward direction's last step, backward direction's last step (time 0)
            last = torch.cat([out[:, -1, :h_out], out[:, 0, h_out:]], dim=-1)  # (B, 2·Hout)
        else:
            last = out[:, -1]  # (B, Hout)
        return last, last
    if isinstance(layer_spec, Conv1DSpec):
        y = module(x.transpose(1, 2))  # (B, filters, T')
        activation = layer_spec.activation
        if activation:
            y = _ACTIVATIONS[activation](F, y.transpose(1, 2)).transpose(1, 2)
        return y, y.transpose(1, 2)  # next layer reads (B, T', filters)
    y = module(x)
    activation = getattr(layer_spec, "activation", None)
    if activation:
        y = _ACTIVATIONS[activation](F, y)
    return y, y


def _torch_module(torch: Any, layer_spec: LayerSpec, spec: ModelSpec, width: int, fast_init: bool = False) -> Any:
    """The nn.Module of one spec layer reading ``width`` features per step.

    ``fast_init`` leaves the weights uninitialised: built on the meta device, then given empty
    memory (what ``torch.nn.utils.skip_init`` does, for modules it cannot inspect).
    """
    klass, args, kwargs = _torch_recipe(torch.nn, layer_spec, spec, width)
    if fast_init and args is not None:
        return klass(*args, **kwargs, device="meta").to_empty(device="cpu")
    return klass(*(args or ()), **kwargs)


def _torch_recipe(nn: Any, layer_spec: LayerSpec, spec: ModelSpec, width: int) -> tuple[Any, Any, dict[str, Any]]:
    """The class, positional and keyword arguments that build one spec layer in PyTorch."""
    if isinstance(layer_spec, RecurrentSpec):
        kwargs: dict[str, Any] = {
            "input_size": width,
            "hidden_size": layer_spec.units,
            "num_layers": layer_spec.num_layers,
            "bias": layer_spec.use_bias,
            "batch_first": True,
            "bidirectional": layer_spec.bidirectional,
        }
        if layer_spec.num_layers > 1:
            kwargs["dropout"] = layer_spec.dropout
        if isinstance(layer_spec, LSTMSpec):
            return nn.LSTM, (), {**kwargs, "proj_size": layer_spec.proj_size}
        if isinstance(layer_spec, GRUSpec):
            return nn.GRU, (), kwargs
        assert isinstance(layer_spec, SimpleRNNSpec)
        return nn.RNN, (), {**kwargs, "nonlinearity": layer_spec.nonlinearity.value}
    if isinstance(layer_spec, EmbeddingSpec):
        return nn.Embedding, (vocab_size(spec), layer_spec.dim), {}
    if isinstance(layer_spec, DenseSpec):
        return nn.Linear, (width, layer_spec.units), {"bias": layer_spec.use_bias}
    if isinstance(layer_spec, DropoutSpec):
        return nn.Dropout, None, {"p": layer_spec.rate}  # no weights: nothing to skip
    if isinstance(layer_spec, Conv1DSpec):
        conv = {"stride": layer_spec.strides, "padding": layer_spec.padding.value, "bias": layer_spec.use_bias}
        return nn.Conv1d, (width, layer_spec.filters, layer_spec.kernel_size), conv
    if isinstance(layer_spec, LayerNormSpec):
        affine = layer_spec.scale or layer_spec.center
        return nn.LayerNorm, (width,), {"elementwise_affine": affine, "bias": layer_spec.center}
    raise TypeError(layer_spec)  # pragma: no cover


def dummy_input(torch: Any, spec: ModelSpec, batch: int = DUMMY_BATCH) -> Any:
    """A batch for ``spec``'s input: token ids (zeros) or random features."""
    steps = dummy_steps(spec)
    features = input_features(spec)
    if features is None:
        return torch.zeros(batch, steps, dtype=torch.long)  # (B, T) token ids
    return torch.randn(batch, steps, features)  # (B, T, I)


def build_torch(spec: ModelSpec, report: Report, *, fast_init: bool = False) -> Any:
    """The spec as an ``nn.Module`` whose submodules are named like the report's layers.

    Each layer's input width is read from a dummy batch pushed through the layers built so far,
    so ``state_dict()`` keys are the report's tensor paths only if the counter is right.
    ``fast_init`` skips weight initialisation (for the 4096-wide cases; counts do not change).
    """
    import torch

    model = _model_class(torch)()
    x = dummy_input(torch, spec)
    with torch.no_grad():
        for layer in report.layers:
            layer_spec = spec.layers[layer.spec_index]
            module = _torch_module(torch, layer_spec, spec, int(x.shape[-1]), fast_init)
            if not layer_spec.trainable:
                module.requires_grad_(False)
            model.append(layer.name, layer_spec, module)
            module.eval()
            _, x = _torch_step(torch, layer_spec, module, x)
            module.train()
    return model


_MODEL_CLASS: Any = None


def _model_class(torch: Any) -> Any:
    """The nn.Module subclass for spec models (made once, after torch is imported)."""
    global _MODEL_CLASS
    if _MODEL_CLASS is not None:
        return _MODEL_CLASS

    class SpecModel(torch.nn.Module):  # type: ignore[misc, name-defined]
        """Layers applied in order, each a named submodule, batch first."""

        def __init__(self) -> None:
            super().__init__()
            self.order: list[tuple[str, LayerSpec]] = []

        def append(self, name: str, layer_spec: LayerSpec, module: Any) -> None:
            self.add_module(name, module)
            self.order.append((name, layer_spec))

        def forward_layers(self, x: Any) -> list[tuple[str, Any]]:
            """Every layer's own output, in order (conv1d channels first)."""
            outputs = []
            for name, layer_spec in self.order:
                own, x = _torch_step(torch, layer_spec, getattr(self, name), x)
                outputs.append((name, own))
            return outputs

        def forward(self, x: Any) -> Any:
            for name, layer_spec in self.order:
                _, x = _torch_step(torch, layer_spec, getattr(self, name), x)
            return x

    _MODEL_CLASS = SpecModel
    return SpecModel


def torch_facts(module: Any, spec: ModelSpec, report: Report) -> list[Facts]:
    """Per report layer of a built PyTorch model: counts, tensors and output shape.

    Output shapes come from a forward pass with batch 2 and the spec's timesteps (or a dummy
    length when unknown); batch, and time when unknown, are then written None.
    """
    import torch

    module.eval()
    with torch.no_grad():
        outputs = dict(module.forward_layers(dummy_input(torch, spec)))
    unknown_time = spec.input.timesteps is None
    out = []
    for layer in report.layers:
        sub = getattr(module, layer.name)
        params = list(sub.named_parameters())
        shape: list[int | None] = [int(s) for s in outputs[layer.name].shape]
        shape[0] = None
        if unknown_time and len(shape) == 3:  # (B, T, F), or (B, F, T) from a conv1d
            time_axis = 2 if isinstance(spec.layers[layer.spec_index], Conv1DSpec) else 1
            shape[time_axis] = None
        out.append(
            {
                "name": layer.name,
                "params": sum(p.numel() for _, p in params),
                "trainable_params": sum(p.numel() for _, p in params if p.requires_grad),
                "non_trainable_params": sum(p.numel() for _, p in params if not p.requires_grad),
                "tensors": [
                    {"name": n, "path": f"{layer.name}.{n}", "shape": [int(s) for s in p.shape]} for n, p in params
                ],
                "output_shape": shape,
            }
        )
    return out


# --------------------------------------------------------------------------- report side


def report_facts(report: Report) -> list[Facts]:
    """The report's layers in the same form as :func:`keras_facts` and :func:`torch_facts`."""
    return [
        {
            "name": layer.name,
            "params": layer.params,
            "trainable_params": layer.trainable_params,
            "non_trainable_params": layer.non_trainable_params,
            "tensors": [{"name": t.name, "path": t.path, "shape": list(t.shape)} for t in layer.tensors],
            "output_shape": list(layer.output_shape),
        }
        for layer in report.layers
    ]


# --------------------------------------------------------------------------- random specs

RECURRENT_NAMES = ("lstm", "gru", "simple_rnn")


def _size_draw(rng: Any, big: float = 0.0) -> int:
    """A layer size: mostly small, sometimes 1, rarely (``big``) up to 4096."""
    roll = rng.random()
    if roll < big:
        return rng.choice((1024, 2048, 4096))
    if roll < 0.12:
        return 1
    return rng.randint(2, 48)


def random_spec(rng: Any, framework: str, *, max_layers: int = 4) -> dict[str, Any]:
    """A random spec mapping that ``framework`` can build, drawn from ``rng`` (a random.Random)."""
    keras = framework == "keras"
    layers: list[dict[str, Any]] = []
    steps = None if rng.random() < 0.4 else rng.randint(1, 12)
    inp: dict[str, Any] = {"timesteps": steps}
    if rng.random() < 0.2:
        inp["vocab"] = rng.randint(1, 500)
        layers.append({"type": "embedding", "dim": _size_draw(rng)})
    else:
        inp["features"] = _size_draw(rng)
    sequence = True
    n_body = rng.randint(1, max_layers)
    for _ in range(n_body):
        kinds = ["recurrent"] * 5 + ["dense", "dropout", "layer_normalization"]
        if sequence:
            kinds += ["conv1d"]
        else:
            kinds = ["dense", "dropout", "layer_normalization"]
        kind = rng.choice(kinds)
        layer: dict[str, Any]
        if kind == "recurrent":
            layer = _random_recurrent(rng, keras)
            sequence = layer["return_sequences"]
        elif kind == "dense":
            layer = {"type": "dense", "units": _size_draw(rng), "use_bias": rng.random() < 0.8}
            if rng.random() < 0.3:
                layer["activation"] = rng.choice(("relu", "tanh", "sigmoid", "softmax"))
        elif kind == "dropout":
            layer = {"type": "dropout", "rate": rng.choice((0.0, 0.1, 0.5))}
        elif kind == "layer_normalization":
            center, scale = rng.random() < 0.75, rng.random() < 0.75
            if not keras and center and not scale:
                scale = True  # PyTorch LayerNorm has no offset without a scale
            layer = {"type": "layer_normalization", "center": center, "scale": scale}
        else:
            layer = _random_conv(rng, keras, steps)
            steps = _conv_out(layer, steps)
        if rng.random() < 0.15:
            layer["trainable"] = False
        if rng.random() < 0.1:
            layer["name"] = f"my_{kind}_{len(layers)}"
        layers.append(layer)
    return {"framework": framework, "input": inp, "layers": layers}


def _random_recurrent(rng: Any, keras: bool) -> dict[str, Any]:
    cell = rng.choice(RECURRENT_NAMES)
    units = _size_draw(rng)
    layer: dict[str, Any] = {
        "type": cell,
        "units": units,
        "use_bias": rng.random() < 0.8,
        "return_sequences": rng.random() < 0.5,
        "num_layers": rng.choice((1, 1, 1, 2, 2, 3, 4)),
    }
    if rng.random() < 0.35:
        layer["bidirectional"] = True
        if keras:
            layer["merge_mode"] = rng.choice(("concat", "sum", "ave", "mul"))
    if layer["num_layers"] > 1 and rng.random() < 0.5:
        layer["dropout"] = rng.choice((0.1, 0.25))
    if cell == "lstm" and not keras and units > 1 and rng.random() < 0.35:
        layer["proj_size"] = rng.randint(1, units - 1)
    if cell == "gru" and keras and rng.random() < 0.5:
        layer["reset_after"] = rng.random() < 0.5
    if cell == "simple_rnn" and rng.random() < 0.5:
        layer["nonlinearity"] = rng.choice(("tanh", "relu"))
    return layer


def _random_conv(rng: Any, keras: bool, steps: int | None) -> dict[str, Any]:
    padding = rng.choice(("valid", "same"))
    kernel = rng.randint(1, 5)
    if padding == "valid" and steps is not None:
        kernel = min(kernel, steps)
    strides = rng.choice((1, 1, 2, 3))
    if not keras and padding == "same":
        strides = 1  # PyTorch Conv1d: padding 'same' needs stride 1
    return {
        "type": "conv1d",
        "filters": _size_draw(rng),
        "kernel_size": kernel,
        "strides": strides,
        "padding": padding,
        "use_bias": rng.random() < 0.8,
    }


def _conv_out(layer: dict[str, Any], steps: int | None) -> int | None:
    if steps is None:
        return None
    if layer["padding"] == "same":
        return -(-steps // layer["strides"])
    return (steps - layer["kernel_size"]) // layer["strides"] + 1
