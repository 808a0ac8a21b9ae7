"""Keras models: .keras archives, to_json() configs (Keras 3 and 2) and HDF5 files, read as their config defines them.

A Keras model file says its architecture: a config of layers, each with its class, arguments and
(in Keras 3) the shape it was built on, and for a functional model which layers each one reads.
:func:`spec_of` turns that config into a spec layer by layer, in the framework's conventions:
the recurrent layers, Bidirectional, Embedding, Dense, Conv1D, LayerNormalization and Dropout as
themselves; TimeDistributed as the layer it wraps; nested models as their layers, under the
model's name; merges (Concatenate, Add, ...) as generic layers that read several; everything else
as a generic layer with its weights (from the file, or for a few well-known classes from their
arguments), so that nothing is silently left out. A layer called on two inputs is one layer.

The weights themselves live in HDF5 (``model.weights.h5`` inside the archive, or the ``.h5``
file): only the datasets' names, shapes and dtypes are read, with h5py (``lstmcount[h5]``); an
archive can still be counted from its config without it. JSON is parsed with the standard
library, nesting bounded.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from dataclasses import dataclass
from math import prod
from typing import Any, TypeGuard

from lstmcount.frameworks import display
from lstmcount.importers.base import (
    MAX_DEPTH,
    MAX_HEADER,
    MAX_TENSORS,
    Contents,
    DataRef,
    FileTensor,
    ModelFileError,
    load_json,
)
from lstmcount.importers.zips import open_archive, read_member, stored_member

#: the extra that installs h5py, as a message names it
H5_EXTRA = "pip install 'lstmcount[h5]'"
#: largest compressed weights member read into memory (Keras stores it uncompressed)
MAX_COMPRESSED_WEIGHTS = 256 * 2**20

RECURRENT = {"LSTM": "lstm", "GRU": "gru", "SimpleRNN": "simple_rnn"}
MODELS = {"Sequential", "Functional", "Model"}
#: layers with no weights that pass their input's shape on
SAME_SHAPE = {
    "Activation",
    "ActivityRegularization",
    "AlphaDropout",
    "ELU",
    "GaussianDropout",
    "GaussianNoise",
    "LeakyReLU",
    "Masking",
    "ReLU",
    "Softmax",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "ThresholdedReLU",
    "UnitNormalization",
    "Lambda",
    "Identity",
}
#: the convolutional recurrent layers, by their spatial rank
CONV_LSTM = {"ConvLSTM1D": 1, "ConvLSTM2D": 2, "ConvLSTM3D": 3}
MERGES = {"Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Dot"}
#: the variables of classes lstmcount counts from the file, by their creation order
VARIABLES = {
    "BatchNormalization": ("gamma", "beta", "moving_mean", "moving_variance"),
    "Attention": ("scale", "concat_score_weight"),
    "AdditiveAttention": ("scale",),
    "PReLU": ("alpha",),
    "Conv2D": ("kernel", "bias"),
    "Dense": ("kernel", "bias"),
}


@dataclass
class Weight:
    """A dataset of a weights file: its path in the file, the object it belongs to, its shape and dtype."""

    path: str
    owner: tuple[str, ...]  # the names of the objects it sits in, outermost first (model excluded)
    index: int
    shape: tuple[int, ...]
    dtype: str
    leaf: str | None = None  # the variable's own name, where the file gives it (legacy HDF5)
    dataset: str = ""  # the dataset's path in the HDF5 file (``path`` may become the weight's name)

    def __post_init__(self) -> None:
        self.dataset = self.dataset or self.path


@dataclass
class _Shape:
    """The shape of a tensor between layers, batch axis left out (None: unknown size)."""

    dims: tuple[int | None, ...]

    @property
    def last(self) -> int | None:
        return self.dims[-1] if self.dims else None

    @property
    def sequence(self) -> bool:
        return len(self.dims) >= 2


def _dims(shape: Any) -> _Shape | None:
    """A shape from a config (a list with the batch axis first), or None."""
    if isinstance(shape, dict) and "shape" in shape:
        shape = shape["shape"]
    if not isinstance(shape, list) or not shape:
        return None
    if isinstance(shape[0], list):  # several inputs: the first
        return _dims(shape[0])
    rest = shape[1:]
    if not all(d is None or (isinstance(d, int) and not isinstance(d, bool) and d >= 0) for d in rest):
        return None
    return _Shape(tuple(rest))


def parse_json(path: str | os.PathLike[str], raw: bytes, what: str) -> Any:
    """JSON text, read strictly (:func:`lstmcount.importers.base.load_json`), or a one-line error."""
    return load_json(path, raw, what)


def _depth(value: Any, limit: int = MAX_DEPTH * 4) -> None:
    """Refuse a config nested deeper than any model's (JSON parsed, but too deep to walk safely)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            raise RecursionError
        if isinstance(item, dict):
            stack += [(v, depth + 1) for v in item.values()]
        elif isinstance(item, list):
            stack += [(v, depth + 1) for v in item]


def keras_version(config: dict[str, Any], version: str | None) -> str:
    """The framework a config is read in: Keras 2 (tf.keras) for a version 2 file, else Keras 3."""
    if version and version.strip().startswith("2"):
        return "keras2"
    if version:
        return "keras"
    text = json.dumps(config.get("config", {}))[:200000]
    return "keras2" if '"batch_input_shape"' in text and '"DTypePolicy"' not in text else "keras"


class _Builder:
    """A config, layer by layer, as spec layers; with the shape each one gives."""

    def __init__(self, path: str | os.PathLike[str], framework: str, weights: dict[tuple[str, ...], list[Weight]]):
        self.path = path
        self.framework = framework
        self.sep = "/"
        self.weights = weights  # object names -> its datasets (Keras 3 archives)
        self.layers: list[dict[str, Any]] = []
        self.inputs: dict[str, dict[str, Any]] = {}
        self.model_input: dict[str, Any] = {}
        self.outputs: dict[str, tuple[str, _Shape | None]] = {}  # keras layer name -> (spec name, shape)
        self.notes: list[str] = []
        self.bound: dict[str, list[str]] = {}  # report path -> dataset paths
        self.depth = 0

    def fail(self, problem: str) -> ModelFileError:
        return ModelFileError(self.path, problem)

    # -- models

    def model(
        self, entry: dict[str, Any], scope: tuple[str, ...], reads: tuple[str, _Shape | None] | None
    ) -> tuple[str, _Shape | None] | None:
        """The layers of a model (Sequential or functional), the last one's output returned."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail("models nest deeper than lstmcount reads")
        config = entry.get("config")
        if not isinstance(config, dict):
            raise self.fail(f"model {entry.get('class_name')!r} has no config")
        layers = config.get("layers")
        if not isinstance(layers, list):
            raise self.fail(f"model {config.get('name')!r} has no list of layers")
        if len(layers) > MAX_TENSORS:
            raise self.fail(f"a model of {len(layers):,} layers")
        functional = entry.get("class_name") != "Sequential" or any(
            isinstance(x, dict) and x.get("inbound_nodes") for x in layers
        )
        last = reads
        for layer in layers:
            if not isinstance(layer, dict) or not isinstance(layer.get("config"), dict):
                raise self.fail("a layer of the config is not an object with a config")
            cls = layer.get("class_name")
            name = layer["config"].get("name") or layer.get("name")
            if not isinstance(cls, str) or not isinstance(name, str):
                raise self.fail("a layer of the config has no class or no name")
            if functional:
                sources = self.inbound(layer, scope)
                if cls == "InputLayer":
                    last = self.input_layer(layer, name, scope, reads)
                    continue
                if not sources:
                    sources = [last] if last is not None else []
                last = self.layer(layer, cls, name, scope, sources)
            else:
                if cls == "InputLayer":
                    last = self.input_layer(layer, name, scope, reads)
                    continue
                if last is None:
                    last = self.implicit_input(layer, name, scope)
                last = self.layer(layer, cls, name, scope, [last] if last is not None else [])
            if last is not None:
                self.outputs["/".join((*scope, name))] = last
        self.depth -= 1
        return last

    def inbound(self, layer: dict[str, Any], scope: tuple[str, ...]) -> list[tuple[str, _Shape | None]]:
        """What a functional layer's first call reads: each input's source and shape."""
        nodes = layer.get("inbound_nodes")
        if not isinstance(nodes, list) or not nodes:
            return []
        first = nodes[0]
        found: list[tuple[str, _Shape | None]] = []

        def visit(item: Any, depth: int = 0) -> None:
            if depth > MAX_DEPTH:
                raise self.fail("a layer's inputs nest deeper than lstmcount reads")
            if isinstance(item, dict) and item.get("class_name") == "__keras_tensor__":
                cfg = item.get("config") or {}
                history = cfg.get("keras_history")
                if isinstance(history, list) and history and isinstance(history[0], str):
                    source = self.outputs.get("/".join((*scope, history[0])))
                    shape = _dims(cfg.get("shape"))
                    if source is not None:
                        found.append((source[0], shape or source[1]))
                return
            if isinstance(item, list) and len(item) >= 3 and isinstance(item[0], str) and isinstance(item[1], int):
                source = self.outputs.get("/".join((*scope, item[0])))  # Keras 2: [name, node, tensor, kwargs]
                if source is not None:
                    found.append(source)
                return
            if isinstance(item, dict):
                for value in item.values():
                    visit(value, depth + 1)
            elif isinstance(item, list):
                for value in item:
                    visit(value, depth + 1)

        visit(first.get("args", first) if isinstance(first, dict) else first)
        return found

    def input_layer(
        self, layer: dict[str, Any], name: str, scope: tuple[str, ...], reads: tuple[str, _Shape | None] | None
    ) -> tuple[str, _Shape | None]:
        """An input: the model's first, a further one, or (inside a nested model) what the nested model reads."""
        config = layer["config"]
        shape = _dims(config.get("batch_shape") or config.get("batch_input_shape"))
        if scope and reads is not None:
            return reads
        key = "input" if not self.model_input and not self.inputs and not self.layers else name
        spec_input: dict[str, Any] = {}
        dtype = str(config.get("dtype", "float32"))
        if shape is not None:
            if "int" in dtype and len(shape.dims) == 1:
                spec_input["_tokens"] = True
                if shape.dims[0] is not None:
                    spec_input["timesteps"] = shape.dims[0]
            elif shape.last is not None:
                spec_input["features"] = shape.last
                if len(shape.dims) == 2 and shape.dims[0] is not None:
                    spec_input["timesteps"] = shape.dims[0]
        if key == "input":
            self.model_input = spec_input
        else:
            self.inputs[name] = spec_input
        self.outputs["/".join((*scope, name))] = (key, shape)
        return key, shape

    def implicit_input(
        self, layer: dict[str, Any], name: str, scope: tuple[str, ...]
    ) -> tuple[str, _Shape | None] | None:
        """A Sequential without an InputLayer: its first layer's batch_input_shape (Keras 2), or its build shape."""
        config = layer["config"]
        shape = _dims(config.get("batch_input_shape") or config.get("batch_shape"))
        if shape is None:
            shape = _dims((layer.get("build_config") or {}).get("input_shape"))
        if shape is None:
            return None
        fake = {"config": {"batch_shape": [None, *shape.dims], "dtype": config.get("dtype") or "float32"}}
        if layer.get("class_name") == "Embedding":
            fake["config"]["dtype"] = "int32"
        return self.input_layer(fake, "input", scope, None)

    # -- layers

    def layer(
        self,
        layer: dict[str, Any],
        cls: str,
        name: str,
        scope: tuple[str, ...],
        sources: list[tuple[str, _Shape | None]],
    ) -> tuple[str, _Shape | None] | None:
        config = layer["config"]
        built = _dims((layer.get("build_config") or {}).get("input_shape"))
        source = sources[0] if sources else None
        shape = built or (source[1] if source else None)
        if cls in MODELS:
            inner = self.model(layer, (*scope, name), source)
            return inner
        spec: dict[str, Any]
        out: _Shape | None
        if cls == "TimeDistributed":
            inner = config.get("layer")
            if not isinstance(inner, dict) or not isinstance(inner.get("config"), dict):
                raise self.fail(f"TimeDistributed {name!r} wraps no layer")
            inner_shape = _Shape(shape.dims[1:]) if shape is not None and shape.sequence else None
            inner_cls = inner.get("class_name")
            inner_name = inner["config"].get("name") or "layer"
            wrapped = dict(inner)
            wrapped["build_config"] = {"input_shape": [None, *inner_shape.dims]} if inner_shape else None
            result = self.layer(wrapped, str(inner_cls), str(inner_name), (*scope, name), sources)
            if result is None:
                return None
            spec_name, inner_out = result
            steps = shape.dims[0] if shape is not None else None
            return spec_name, _Shape((steps, *inner_out.dims)) if inner_out is not None else None
        if cls in RECURRENT or cls == "Bidirectional":
            spec, out = self.recurrent(config, cls, name, shape)
        elif cls == "Embedding":
            spec, out = self.embedding(config, name, shape)
        elif cls == "Dense" and shape is not None and shape.last is not None:
            units = _int(config.get("units"), "units", name, self)
            spec = {"type": "dense", "units": units}
            if config.get("use_bias") is False:
                spec["use_bias"] = False
            _activation(spec, config)
            out = _Shape((*shape.dims[:-1], units))
        elif (
            cls == "Conv1D"
            and shape is not None
            and config.get("groups", 1) in (1, None)
            and _one(config.get("dilation_rate", 1)) == 1
        ):
            spec, out = self.conv1d(config, name, shape)
        elif (
            cls == "LayerNormalization"
            and config.get("axis", -1) in (-1, [-1])
            and config.get("rms_scaling") is not True
        ):
            spec = {"type": "layer_normalization"}
            if config.get("center") is False:
                spec["center"] = False
            if config.get("scale") is False:
                spec["scale"] = False
            out = shape
        elif cls == "Dropout":
            spec = {"type": "dropout", "rate": float(config.get("rate", 0.0) or 0.0)}
            out = shape
        else:
            spec, out = self.other(layer, config, cls, name, scope, shape, sources)
        spec["name"] = name
        if scope:
            spec["scope"] = "/".join(scope)
        if config.get("trainable") is False:
            spec["trainable"] = False
        self.place(spec, sources, shape, cls)
        full = "/".join((*scope, name))
        self.layers.append(spec)
        return full, out

    def place(
        self, spec: dict[str, Any], sources: list[tuple[str, _Shape | None]], shape: _Shape | None, cls: str
    ) -> None:
        """Where the layer reads from: the previous spec layer by default, else ``from``."""
        previous = self.previous()
        names = [s[0] for s in sources]
        if len(names) > 1 and spec["type"] == "generic":
            spec["from"] = names
            return
        if not names:
            return
        source = names[0]
        if source == "input" and not self.layers:
            return
        if source != previous:
            spec["from"] = source

    def previous(self) -> str | None:
        if not self.layers:
            return "input"
        last = self.layers[-1]
        return "/".join(x for x in (last.get("scope"), last["name"]) if x)

    def recurrent(
        self, config: dict[str, Any], cls: str, name: str, shape: _Shape | None
    ) -> tuple[dict[str, Any], _Shape | None]:
        merge = None
        if cls == "Bidirectional":
            inner = config.get("layer")
            if not isinstance(inner, dict) or inner.get("class_name") not in RECURRENT:
                raise self.fail(f"Bidirectional {name!r} wraps no LSTM, GRU or SimpleRNN")
            merge = config.get("merge_mode", "concat")
            config, cls = inner.get("config") or {}, inner["class_name"]
            if not isinstance(config, dict):
                raise self.fail(f"Bidirectional {name!r} wraps a layer with no config")
        units = _int(config.get("units"), "units", name, self)
        spec: dict[str, Any] = {"type": RECURRENT[cls], "units": units}
        if config.get("use_bias") is False:
            spec["use_bias"] = False
        if config.get("return_sequences"):
            spec["return_sequences"] = True
        if cls == "GRU" and "reset_after" in config:
            spec["reset_after"] = bool(config["reset_after"])
        if cls == "SimpleRNN":
            act = str(config.get("activation", "tanh"))
            if act in ("relu", "tanh"):
                spec["nonlinearity"] = act
        else:
            for key in ("activation", "recurrent_activation"):
                value = config.get(key)
                if isinstance(value, str) and value not in ("tanh", "sigmoid") and key in config:
                    spec[key] = value
        width = units
        if merge is not None:
            spec["bidirectional"] = True
            if merge in ("sum", "mul", "ave", "concat"):
                spec["merge_mode"] = merge
            width = units * 2 if merge == "concat" else units
            if merge is None:
                raise self.fail(
                    f"Bidirectional {name!r} has merge_mode None (two outputs), which lstmcount does not read"
                )
        if shape is not None and shape.last is not None:
            spec["_reads"] = shape.last
        steps = shape.dims[0] if shape is not None and shape.dims else None
        out = _Shape((steps, width)) if config.get("return_sequences") else _Shape((width,))
        return spec, out

    def embedding(
        self, config: dict[str, Any], name: str, shape: _Shape | None
    ) -> tuple[dict[str, Any], _Shape | None]:
        vocab = _int(config.get("input_dim"), "input_dim", name, self)
        dim = _int(config.get("output_dim"), "output_dim", name, self)
        spec = {"type": "embedding", "vocab": vocab, "dim": dim}
        steps = shape.dims[0] if shape is not None and shape.dims else None
        return spec, _Shape((steps, dim))

    def conv1d(self, config: dict[str, Any], name: str, shape: _Shape) -> tuple[dict[str, Any], _Shape | None]:
        filters = _int(config.get("filters"), "filters", name, self)
        kernel = _int(_one(config.get("kernel_size")), "kernel_size", name, self)
        strides = _int(_one(config.get("strides", 1)), "strides", name, self)
        padding = str(config.get("padding", "valid"))
        spec: dict[str, Any] = {"type": "conv1d", "filters": filters, "kernel_size": kernel}
        if strides != 1:
            spec["strides"] = strides
        if padding in ("same", "valid") and padding != "valid":
            spec["padding"] = padding
        if config.get("use_bias") is False:
            spec["use_bias"] = False
        _activation(spec, config)
        steps = shape.dims[0] if shape.dims else None
        if steps is not None:
            steps = -(-steps // strides) if padding == "same" else max(0, (steps - kernel) // strides + 1)
        return spec, _Shape((steps, filters))

    def other(
        self,
        layer: dict[str, Any],
        config: dict[str, Any],
        cls: str,
        name: str,
        scope: tuple[str, ...],
        shape: _Shape | None,
        sources: list[tuple[str, _Shape | None]],
    ) -> tuple[dict[str, Any], _Shape | None]:
        """A layer lstmcount does not model: a generic layer of its weights, and the shape it gives."""
        spec: dict[str, Any] = {"type": "generic", "class": cls}
        out = shape
        tensors = self.file_weights((*scope, name), cls)
        if tensors is None:
            tensors = self.known_weights(cls, config, layer, shape, name)
        if tensors is None:
            raise self.fail(
                f"layer {name!r} is a {cls}, which lstmcount counts from its weights; "
                + ("the file holds none for it" if self.weights else f"read its weights too ({H5_EXTRA} for .h5)")
            )
        if tensors:
            spec["tensors"] = tensors
            if cls == "BatchNormalization":
                spec["frozen"] = [k for k in tensors if k.startswith("moving_")]
        else:
            spec["params"] = 0
        if cls in MERGES and sources:
            dims = [s[1] for s in sources]
            if cls == "Concatenate" and all(d is not None and d.last is not None for d in dims):
                axis = config.get("axis", -1)
                if axis in (-1, len(dims[0].dims)):  # type: ignore[union-attr]
                    out = _Shape((*dims[0].dims[:-1], sum(d.last for d in dims)))  # type: ignore[union-attr, misc]
            else:
                out = dims[0]
            if cls == "Dot":
                out = None
        elif cls == "Flatten" and shape is not None:
            known = [d for d in shape.dims if d is not None]
            out = _Shape((prod(known),)) if len(known) == len(shape.dims) else _Shape((None,))
        elif cls == "RepeatVector" and shape is not None:
            n = config.get("n")
            out = _Shape((n if isinstance(n, int) else None, *shape.dims))
        elif (
            cls in ("GlobalAveragePooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling2D")
            and shape is not None
        ):
            out = _Shape((shape.last,)) if not config.get("keepdims") else _Shape((1, shape.last))
        elif cls in ("MaxPooling1D", "AveragePooling1D") and shape is not None:
            out = _Shape((_pooled(config, shape), shape.last))
        elif cls == "Reshape":
            target = config.get("target_shape")
            out = (
                _Shape(tuple(d if isinstance(d, int) and d >= 0 else None for d in target))
                if isinstance(target, list)
                else None
            )
        elif cls == "Permute" and shape is not None:
            order = config.get("dims")
            if isinstance(order, list) and sorted(order) == list(range(1, len(shape.dims) + 1)):
                out = _Shape(tuple(shape.dims[d - 1] for d in order))
        elif cls == "MultiHeadAttention":
            out = _mha_output(config, layer, shape)
        elif cls in CONV_LSTM:
            out = _conv_lstm_output(config, CONV_LSTM[cls], shape)
        if out is not None:
            if out.last is not None and (shape is None or out.last != shape.last):
                spec["units"] = out.last
            if shape is None or out.sequence != shape.sequence:
                spec["sequence"] = out.sequence
            if (
                out.sequence
                and out.dims[0] is not None
                and (shape is None or not shape.dims or out.dims[0] != shape.dims[0])
            ):
                spec["steps"] = out.dims[0]
        return spec, out

    def file_weights(self, owner: tuple[str, ...], cls: str) -> dict[str, list[int]] | None:
        """A layer's datasets in the weights file, keyed as the framework names its variables where known."""
        if not self.weights:
            return None
        found = [w for key, ws in self.weights.items() if key[: len(owner)] == owner for w in ws]
        if not found:
            return (
                {}
                if cls in MERGES | SAME_SHAPE | {"Flatten", "RepeatVector", "Reshape", "Permute"} or "Pooling" in cls
                else None
            )
        names = VARIABLES.get(cls, ())
        out: dict[str, list[int]] = {}
        if cls == "MultiHeadAttention":  # created query, key, value, then the output
            parts = ("query", "key", "value", "attention_output")
            found.sort(
                key=lambda w: (parts.index(_mha_part(w.owner[-1])) if _mha_part(w.owner[-1]) in parts else 9, w.index)
            )
        for w in found:
            inner = "/".join(w.owner[len(owner) :])
            if cls == "MultiHeadAttention":
                inner = "/".join(_mha_part(x) for x in w.owner[len(owner) :])
            leaf = names[w.index] if not inner and w.index < len(names) else f"variable_{w.index}"
            if w.leaf:
                leaf = w.leaf
            elif cls == "MultiHeadAttention":
                leaf = ("kernel", "bias")[w.index] if w.index < 2 else leaf
            key = f"{inner}/{leaf}" if inner else leaf
            out[key] = list(w.shape)
        return out

    def known_weights(
        self, cls: str, config: dict[str, Any], layer: dict[str, Any], shape: _Shape | None, name: str
    ) -> dict[str, list[int]] | None:
        """The weights a well-known class makes from its arguments, when the file's weights are not read."""
        if (
            cls in MERGES
            or cls in SAME_SHAPE
            or cls in ("Flatten", "RepeatVector", "Reshape", "Permute")
            or "Pooling" in cls
        ):
            if cls == "Lambda":
                self.notes.append(f"{name} is a Lambda layer: its code is not read, and it has no weights.")
            return {}
        if cls == "BatchNormalization" and shape is not None and shape.last is not None:
            axis = config.get("axis", -1)
            size = shape.dims[
                axis if isinstance(axis, int) and axis < 0 else (axis - 1 if isinstance(axis, int) else -1)
            ]
            if size is None:
                return None
            out: dict[str, list[int]] = {}
            if config.get("scale", True):
                out["gamma"] = [size]
            if config.get("center", True):
                out["beta"] = [size]
            out["moving_mean"] = [size]
            out["moving_variance"] = [size]
            return out
        if cls == "MultiHeadAttention":
            return _mha_weights(config, layer, shape)
        if cls in CONV_LSTM:
            return _conv_lstm_weights(config, CONV_LSTM[cls], shape)
        if cls == "Attention":
            out = {}
            if config.get("use_scale"):
                out["scale"] = []
            if config.get("score_mode") == "concat":
                out["concat_score_weight"] = []
            return out
        if cls == "AdditiveAttention" and shape is not None and shape.last is not None:
            return {"scale": [shape.last]} if config.get("use_scale", True) else {}
        return None


def _int(value: Any, key: str, name: str, builder: _Builder) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise builder.fail(f"layer {name!r} gives {key} as {value!r}, not a size")
    return value


def _one(value: Any) -> Any:
    """A size that Keras writes as a one-element list (kernel_size [3])."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _sizes(value: Any, rank: int) -> tuple[int, ...] | None:
    """A size per spatial axis (Keras writes ``3`` or ``[3, 3]``), or None."""
    value = [value] * rank if isinstance(value, int) else value
    if not isinstance(value, list) or len(value) != rank:
        return None
    if not all(isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in value):
        return None
    return tuple(value)


def _conv_lstm_weights(config: dict[str, Any], rank: int, shape: _Shape | None) -> dict[str, list[int]] | None:
    """A ConvLSTM's kernels and bias: the input and the recurrent convolution, four gates each."""
    filters, kernel = config.get("filters"), _sizes(config.get("kernel_size"), rank)
    if shape is None or len(shape.dims) != rank + 2 or not isinstance(filters, int) or kernel is None:
        return None
    channels = shape.dims[1] if config.get("data_format") == "channels_first" else shape.dims[-1]
    if channels is None:
        return None
    out = {
        "kernel": [*kernel, channels, 4 * filters],
        "recurrent_kernel": [*kernel, filters, 4 * filters],
    }
    if config.get("use_bias", True):
        out["bias"] = [4 * filters]
    return out


def _conv_lstm_output(config: dict[str, Any], rank: int, shape: _Shape | None) -> _Shape | None:
    """A ConvLSTM's output: each spatial axis convolved (its strides, padding, dilation), ``filters`` channels."""
    filters = config.get("filters")
    kernel = _sizes(config.get("kernel_size"), rank)
    strides = _sizes(config.get("strides", 1), rank)
    dilation = _sizes(config.get("dilation_rate", 1), rank)
    if shape is None or len(shape.dims) != rank + 2 or not isinstance(filters, int) or None in (kernel, strides):
        return None
    first = config.get("data_format") == "channels_first"
    spatial = shape.dims[2:] if first else shape.dims[1:-1]
    dims: list[int | None] = []
    for size, k, st, d in zip(spatial, kernel or (), strides or (), dilation or (1,) * rank, strict=False):
        if size is None:
            dims.append(None)
        elif config.get("padding", "valid") == "same":
            dims.append(-(-size // st))
        else:
            dims.append(max(0, (size - d * (k - 1) - 1) // st + 1))
    cells = (filters, *dims) if first else (*dims, filters)
    return _Shape((shape.dims[0], *cells) if config.get("return_sequences") else cells)


def _size(value: Any) -> TypeGuard[int]:
    """Whether a config value is a size (an int above 0, not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _pooled(config: dict[str, Any], shape: _Shape) -> int | None:
    """The steps a 1-D pooling gives (channels last): from its pool size, strides and padding, where known."""
    steps = shape.dims[0] if len(shape.dims) == 2 else None
    pool = _one(config.get("pool_size", 2))
    strides = _one(config.get("strides")) or pool
    if config.get("data_format", "channels_last") not in ("channels_last", None) or steps is None:
        return None
    if not _size(pool) or not _size(strides):
        return None
    if config.get("padding", "valid") == "same":
        return -(-steps // strides)
    return max(0, (steps - pool) // strides + 1)


def _activation(spec: dict[str, Any], config: dict[str, Any]) -> None:
    value = config.get("activation")
    if isinstance(value, str) and value not in ("linear", None):
        from lstmcount.model.spec import ACTIVATION_SPELLINGS

        if value.lower() in ACTIVATION_SPELLINGS:
            spec["activation"] = value.lower()


def _mha_sizes(
    config: dict[str, Any], layer: dict[str, Any], shape: _Shape | None
) -> tuple[int, int, int, int, int, int, int] | None:
    heads, key_dim = config.get("num_heads"), config.get("key_dim")
    value_dim = config.get("value_dim") or key_dim
    build = layer.get("build_config") or {}
    query = _dims(build.get("query_shape")) or shape
    value = _dims(build.get("value_shape")) or query
    key = _dims(build.get("key_shape")) or value
    if not all(isinstance(x, int) for x in (heads, key_dim, value_dim)) or not (query and value and key):
        return None
    dq, dv, dk = query.last, value.last, key.last
    if dq is None or dv is None or dk is None:
        return None
    output = config.get("output_shape")
    dout = output[-1] if isinstance(output, list) and output else (output if isinstance(output, int) else dq)
    return heads, key_dim, value_dim, dq, dk, dv, dout  # type: ignore[return-value]


def _mha_weights(config: dict[str, Any], layer: dict[str, Any], shape: _Shape | None) -> dict[str, list[int]] | None:
    sizes = _mha_sizes(config, layer, shape)
    if sizes is None:
        return None
    heads, key_dim, value_dim, dq, dk, dv, dout = sizes
    bias = config.get("use_bias", True)
    out = {"query/kernel": [dq, heads, key_dim]}
    if bias:
        out["query/bias"] = [heads, key_dim]
    out["key/kernel"] = [dk, heads, key_dim]
    if bias:
        out["key/bias"] = [heads, key_dim]
    out["value/kernel"] = [dv, heads, value_dim]
    if bias:
        out["value/bias"] = [heads, value_dim]
    out["attention_output/kernel"] = [heads, value_dim, dout]
    if bias:
        out["attention_output/bias"] = [dout]
    return out


def _mha_part(name: str) -> str:
    """A MultiHeadAttention part by Keras 3's name (tf-keras's archive names it ``_query_dense``, ``_output_dense``)."""
    return {
        "_query_dense": "query",
        "_key_dense": "key",
        "_value_dense": "value",
        "_output_dense": "attention_output",
    }.get(name, name)


def _mha_output(config: dict[str, Any], layer: dict[str, Any], shape: _Shape | None) -> _Shape | None:
    sizes = _mha_sizes(config, layer, shape)
    if sizes is None or shape is None:
        return shape
    return _Shape((*shape.dims[:-1], sizes[-1]))


def spec_of(
    path: str | os.PathLike[str],
    root: Any,
    framework: str,
    weights: dict[tuple[str, ...], list[Weight]] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The spec of a Keras model config (``{"class_name": ..., "config": ...}``), and notes on what it says."""
    if not isinstance(root, dict) or not isinstance(root.get("class_name"), str):
        raise ModelFileError(path, "the model config has no class_name")
    try:
        _depth(root)
    except RecursionError:
        raise ModelFileError(path, "the model config nests deeper than lstmcount reads") from None
    builder = _Builder(path, framework, weights or {})
    if root["class_name"] in MODELS:
        builder.model(root, (), None)
    else:  # a single layer saved alone
        config: dict[str, Any] = root["config"] if isinstance(root.get("config"), dict) else {}
        builder.implicit_input(root, "input", ())
        builder.layer(root, root["class_name"], str(config.get("name") or "layer"), (), [("input", None)])
    if not builder.layers:
        raise ModelFileError(path, "the model config holds no layers")
    return _finish(builder), builder.notes


def _finish(builder: _Builder) -> dict[str, Any]:
    """The spec: the input (token ids before a first embedding), further inputs, and the layers."""
    from lstmcount.importers.reconstruct import sequences

    layers = builder.layers
    model_input = dict(builder.model_input)
    first = layers[0]
    if first["type"] == "embedding":
        model_input.pop("_tokens", None)
        model_input.pop("features", None)
        model_input["vocab"] = first["vocab"]
    elif model_input.pop("_tokens", None):
        model_input["features"] = 1
    reads = first.pop("_reads", None)
    if "features" not in model_input and "vocab" not in model_input:
        if reads is None:
            raise ModelFileError(builder.path, f"the config does not say what layer {first['name']!r} reads")
        model_input["features"] = reads
    inputs: dict[str, dict[str, Any]] = {}
    for name, found in builder.inputs.items():
        found = dict(found)
        readers = [x for x in layers if x.get("from") == name]
        if found.pop("_tokens", None):
            vocab = next((x["vocab"] for x in readers if x["type"] == "embedding"), None)
            found = {"vocab": vocab, **found} if vocab is not None else {"features": 1, **found}
        inputs[name] = found
    for layer in layers:
        layer.pop("_reads", None)
        if layer["type"] == "embedding" and layer is not first and layer.get("from") in inputs:
            inputs[layer["from"]].setdefault("vocab", layer["vocab"])
            layer.pop("vocab")
    sequences(layers)
    spec: dict[str, Any] = {"framework": builder.framework, "input": model_input}
    if inputs:
        spec["inputs"] = inputs
    spec["layers"] = layers
    return spec


# --------------------------------------------------------------------------- HDF5


def _h5py() -> Any:
    try:
        import h5py  # type: ignore[import-untyped]  # h5py ships no type information
    except ImportError:
        return None
    return h5py


def h5_weights(path: str | os.PathLike[str], source: Any) -> tuple[list[Weight], dict[str, Any]]:
    """Every dataset of an HDF5 file (names, shapes, dtypes; no data), and its root attributes."""
    h5py = _h5py()
    if h5py is None:
        raise ModelFileError(path, f"reading HDF5 needs h5py: {H5_EXTRA}")
    out: list[Weight] = []
    try:
        with h5py.File(source, "r") as handle:
            attrs = {
                k: _attr(v)
                for k, v in handle.attrs.items()
                if k in ("model_config", "keras_version", "backend", "layer_names")
            }
            layer_names = {}

            def visit(name: str, obj: Any) -> None:
                if len(out) > MAX_TENSORS:
                    raise ModelFileError(path, f"more than {MAX_TENSORS:,} datasets")
                if isinstance(obj, h5py.Dataset):
                    parts = name.split("/")
                    index = int(parts[-1]) if parts[-1].isdigit() else len(out)
                    out.append(
                        Weight(name, tuple(parts[:-1]), index, tuple(int(d) for d in obj.shape or ()), str(obj.dtype))
                    )
                elif isinstance(obj, h5py.Group) and "weight_names" in obj.attrs:
                    layer_names[name] = [_attr(n) for n in obj.attrs["weight_names"]]

            handle.visititems(visit)
            if layer_names:
                attrs["weight_names"] = layer_names
            if out and any(w.path.endswith("/vars/0") or "/vars/" in w.path for w in out):
                attrs["vars_names"] = _vars_names(handle)
    except ModelFileError:
        raise
    except (OSError, ValueError, KeyError, RuntimeError, TypeError) as exc:
        raise ModelFileError(
            path, f"the HDF5 data cannot be read ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
        ) from None
    return out, attrs


def _attr(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list):
        return [_attr(v) for v in value]
    return value


def _vars_names(handle: Any) -> dict[str, str]:
    """Each object group of a Keras 3 weights file -> the object's name (its ``vars`` group's attribute)."""
    names: dict[str, str] = {}

    def visit(name: str, obj: Any) -> None:
        if name.endswith("vars") and hasattr(obj, "attrs") and "name" in obj.attrs:
            names[name[: -len("vars")].rstrip("/")] = str(_attr(obj.attrs["name"]))

    handle.visititems(visit)
    return names


def _snake(name: str) -> str:
    """A class name as Keras names its object in a weights file (``MultiHeadAttention`` -> ``multi_head_attention``)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _config_names(config: Any) -> dict[str, str]:
    """Each object group of an archive's weights -> its layer's name, from the config (files whose groups say none).

    Keras saves a model's layers as ``layers/<class in snake case>`` (``lstm``, ``lstm_1``, ... in
    the order of ``model.layers``, which for a Sequential leaves out its InputLayer), a nested
    model's under its own ``layers``, a wrapper's layer as ``layer`` (TimeDistributed) or
    ``forward_layer`` and ``backward_layer`` (Bidirectional).
    """
    names: dict[str, str] = {}

    def model(entry: dict[str, Any], group: str, depth: int) -> None:
        layers = (entry.get("config") or {}).get("layers")
        if depth > MAX_DEPTH or not isinstance(layers, list):
            return
        used: dict[str, int] = {}
        for layer in layers:
            if not isinstance(layer, dict) or not isinstance(layer.get("config"), dict):
                continue
            cls = str(layer.get("class_name", "")).split(">")[-1]
            if cls == "InputLayer" and entry.get("class_name") == "Sequential":
                continue
            snake = _snake(cls)
            used[snake] = used.get(snake, -1) + 1
            path = f"{group}/{snake}_{used[snake]}" if used[snake] else f"{group}/{snake}"
            one(layer, path.lstrip("/"), depth)

    def one(layer: dict[str, Any], path: str, depth: int) -> None:
        config = layer["config"]
        name = config.get("name")
        if isinstance(name, str):
            names[path] = name
        if layer.get("class_name") in MODELS:
            model(layer, f"{path}/layers", depth + 1)
        inner = config.get("layer")
        if isinstance(inner, dict) and isinstance(inner.get("config"), dict):
            inner_name = inner["config"].get("name")
            if layer.get("class_name") == "Bidirectional" and isinstance(inner_name, str):
                names[f"{path}/forward_layer"] = f"forward_{inner_name}"
                names[f"{path}/backward_layer"] = f"backward_{inner_name}"
            elif isinstance(inner_name, str):
                names[f"{path}/layer"] = inner_name

    if isinstance(config, dict) and config.get("class_name") in MODELS:
        model(config, "layers", 0)
    return names


def _by_object(weights: list[Weight], names: dict[str, str]) -> dict[tuple[str, ...], list[Weight]]:
    """Keras 3 datasets by the names of the objects they sit in (``layers/lstm/cell/vars/0`` -> (shared, lstm_cell))."""
    out: dict[tuple[str, ...], list[Weight]] = {}
    for w in weights:
        group = "/".join(w.owner[:-1]) if w.owner and w.owner[-1] == "vars" else "/".join(w.owner)
        chain: list[str] = []
        parts = group.split("/") if group else []
        for n in range(1, len(parts) + 1):
            prefix = "/".join(parts[:n])
            if prefix in names:
                chain.append(names[prefix])
            elif chain and parts[n - 1] not in ("layers", "vars"):  # a part the file names by attribute alone
                chain.append(parts[n - 1])
        w.owner = tuple(chain)
        out.setdefault(tuple(chain), []).append(w)
    for found in out.values():
        found.sort(key=lambda w: w.index)
    return out


def _by_layer(weights: list[Weight], weight_names: dict[str, list[str]]) -> dict[tuple[str, ...], list[Weight]]:
    """Legacy HDF5 datasets by the objects their names give: each layer's group, then the scopes of its weight names.

    A layer's group (``model_weights/lstm``) lists its weights' names in creation order
    (``lstm/lstm_cell/kernel:0``; Keras 3 puts the model's name first, ``sequential/lstm/...``;
    a nested model's group names its layers' weights without the model's own name). Each
    dataset's ``path`` becomes the weight's name when the names are unique in the file.
    """
    by_path = {w.path: w for w in weights}
    placed: list[tuple[Weight, str]] = []
    for group, names in weight_names.items():
        layer = group.split("/")[-1]
        for name in names:
            w = by_path.get(f"{group}/{name}")
            if w is None or not isinstance(name, str):
                continue
            parts = name.split("/")
            scopes = parts[:-1]
            scopes = scopes[scopes.index(layer) :] if layer in scopes else [layer, *scopes]
            w.owner = tuple(scopes)
            w.leaf = parts[-1].split(":")[0]
            placed.append((w, name))
    names_used = [n for _, n in placed]
    unique = len(set(names_used)) == len(names_used)
    out: dict[tuple[str, ...], list[Weight]] = {}
    for w, name in placed:
        if unique:
            w.path = name
        group_of = out.setdefault(w.owner, [])
        w.index = len(group_of)
        group_of.append(w)
    return out


def bind(report: Any, weights: dict[tuple[str, ...], list[Weight]]) -> dict[str, list[str]]:
    """Each report tensor's dataset in a Keras 3 weights file: by object, in creation order, shape for shape."""
    out: dict[str, list[str]] = {}
    free = {key: list(ws) for key, ws in weights.items()}
    for layer in report.layers:
        prefix = tuple(layer.name.split("/"))
        candidates = [w for key, ws in free.items() if key[: len(prefix)] == prefix for w in ws]
        if not candidates:  # a wrapper's layer, whose weights the file keeps under the wrapper's name alone
            candidates = [w for key, ws in free.items() if key and prefix[: len(key)] == key for w in ws]
        candidates.sort(key=lambda w: (_order(w.owner[len(prefix) :]), w.index))
        for t in layer.tensors:
            match = next((w for w in candidates if w.shape == t.shape), None)
            if match is None:
                continue
            candidates.remove(match)
            for ws in free.values():
                if match in ws:
                    ws.remove(match)
            out[t.path] = [match.path]
    return out


def _order(chain: tuple[str, ...]) -> tuple[Any, ...]:
    """Keras's creation order of a layer's parts: the forward direction first."""
    return tuple((0 if x.startswith("forward") else 1 if x.startswith("backward") else 2, x) for x in chain)


def read_archive(path: str | os.PathLike[str]) -> Contents:
    """A Keras 3 ``.keras`` archive: ``config.json``, ``metadata.json`` and ``model.weights.h5``."""
    with open_archive(path) as archive:
        names = archive.namelist()
        if "config.json" not in names:
            raise ModelFileError(path, "a Keras archive without config.json")
        config = parse_json(path, read_member(path, archive, "config.json", MAX_HEADER), "config.json")
        version = None
        if "metadata.json" in names:
            meta = parse_json(path, read_member(path, archive, "metadata.json", MAX_HEADER), "metadata.json")
            version = meta.get("keras_version") if isinstance(meta, dict) else None
        weights: list[Weight] = []
        attrs: dict[str, Any] = {}
        have_h5 = _h5py() is not None
        if "model.weights.h5" in names and have_h5:
            info = archive.getinfo("model.weights.h5")
            if info.compress_type == zipfile.ZIP_STORED:
                with stored_member(path, archive, info) as member:
                    weights, attrs = h5_weights(path, member)
            elif info.file_size <= MAX_COMPRESSED_WEIGHTS:
                data = read_member(path, archive, "model.weights.h5", MAX_COMPRESSED_WEIGHTS)
                weights, attrs = h5_weights(path, io.BytesIO(data))
            else:
                raise ModelFileError(
                    path, "model.weights.h5 is compressed and too large to read; Keras stores it uncompressed"
                )
    framework = keras_version(config if isinstance(config, dict) else {}, str(version) if version else "3")
    objects = _by_object(weights, attrs.get("vars_names") or _config_names(config))
    spec, notes = spec_of(path, config, framework, objects)
    contents = Contents(path=str(path), format=f"Keras {version or '3'} model archive (.keras)", framework=framework)
    contents.spec = spec
    contents.notes += notes
    if weights:
        where = os.fspath(path)
        contents.tensors = [
            FileTensor(w.path, w.shape, w.dtype, DataRef(where, dataset=w.dataset, member="model.weights.h5"))
            for w in weights
        ]
        contents.binder = lambda report: bind(report, objects)
    elif "model.weights.h5" in names and not have_h5:
        contents.notes.append(f"Counted from config.json: model.weights.h5 is not read without h5py ({H5_EXTRA}).")
    return contents


def read_config(path: str | os.PathLike[str], weights: str | os.PathLike[str] | None = None) -> Contents:
    """A ``model.to_json()`` file: the architecture alone; with ``weights``, the ``save_weights`` file beside it.

    With its weights, a layer lstmcount counts from its weights (a class of the user's own) is
    rebuilt from them, as in an archive.
    """
    size = os.path.getsize(path)
    if size > MAX_HEADER:
        raise ModelFileError(path, f"a config of {size:,} bytes, more than lstmcount reads ({MAX_HEADER:,})")
    with open(path, "rb") as handle:
        root = parse_json(path, handle.read(), "the config")
    version = root.get("keras_version") if isinstance(root, dict) else None
    framework = keras_version(root if isinstance(root, dict) else {}, str(version) if version else None)
    held, objects = _weights_file(weights, root) if weights is not None else (None, {})
    spec, notes = spec_of(path, root, framework, objects)
    contents = Contents(path=str(path), format=f"{display(framework)} model config (to_json)", framework=framework)
    contents.spec = spec
    contents.notes += notes
    if held is None:
        contents.notes.append(
            "The count is what the config's layers make; give their weights with --weights to account for them."
        )
    else:
        contents.tensors, contents.binder = held.tensors, held.binder
        contents.format = f"{contents.format}, with weights from {held.path} ({held.format})"
    return contents


def read_h5(path: str | os.PathLike[str]) -> Contents:
    """An HDF5 file: a Keras 2 / tf.keras model (``model_config`` and ``model_weights``), or a weights file alone."""
    weights, attrs = h5_weights(path, os.fspath(path))
    config_text = attrs.get("model_config")
    if config_text is None:
        if attrs.get("vars_names") or attrs.get("weight_names"):
            raise ModelFileError(
                path,
                "a Keras weights file holds no architecture; inspect the model's config "
                "(model.to_json() or the .keras archive) with --weights for this file",
            )
        raise ModelFileError(path, "an HDF5 file that is no Keras model (no model_config attribute)")
    if not isinstance(config_text, str):
        raise ModelFileError(path, "the model_config attribute is not text")
    config = parse_json(path, config_text.encode("utf-8"), "the model_config attribute")
    version = attrs.get("keras_version")
    framework = keras_version(config if isinstance(config, dict) else {}, str(version) if version else "2")
    objects = _by_layer(weights, attrs.get("weight_names") or {})
    spec, notes = spec_of(path, config, framework, objects)
    label = "Keras 2 (tf.keras)" if framework == "keras2" else f"Keras {version}"
    contents = Contents(path=str(path), format=f"{label} HDF5 model (.h5)", framework=framework)
    contents.spec = spec
    contents.notes += notes
    contents.tensors = _tensors(path, weights)
    contents.binder = lambda report: bind(report, objects)
    return contents


def _tensors(path: str | os.PathLike[str], weights: list[Weight]) -> list[FileTensor]:
    """The datasets of an HDF5 file as its tensors, each with where its values lie."""
    where = os.fspath(path)
    return [FileTensor(w.path, w.shape, w.dtype, DataRef(where, dataset=w.dataset)) for w in weights]


def read_weights(path: str | os.PathLike[str]) -> Contents:
    """A weights file alone (``model.save_weights``): Keras 3's objects and variables, or Keras 2's named weights."""
    return _weights_file(path, None)[0]


def _weights_file(path: str | os.PathLike[str], config: Any) -> tuple[Contents, dict[tuple[str, ...], list[Weight]]]:
    """A weights file and its datasets by object; ``config`` names the objects of a file that does not."""
    weights, attrs = h5_weights(path, os.fspath(path))
    if attrs.get("model_config") is not None:
        raise ModelFileError(path, "a whole Keras model (it has its own config): inspect it on its own")
    contents = Contents(path=str(path), format="Keras weights (HDF5)", framework=None)
    if "vars_names" in attrs and (attrs["vars_names"] or config is not None):
        objects = _by_object(weights, attrs["vars_names"] or _config_names(config))
    elif any(attrs.get("weight_names", {}).values()):
        objects = _by_layer(weights, attrs["weight_names"])
    else:
        raise ModelFileError(path, "an HDF5 file that holds no Keras weights")
    contents.tensors = _tensors(path, weights)
    contents.binder = lambda report: bind(report, objects)
    return contents, objects


def looks_like_config(head: bytes) -> bool:
    """Whether a JSON text starts as a Keras model config does (its first key ``module`` or ``class_name``)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith(b"{"):
        return False
    rest = text[1:].lstrip()
    return rest.startswith((b'"module"', b'"class_name"'))


__all__ = ["bind", "looks_like_config", "read_archive", "read_config", "read_h5", "read_weights", "spec_of"]
