"""Keras 3 and Keras 2 models of an lstmcount model, as the convert conformance tests build and run them.

:func:`build_keras2` writes a spec as a ``tf_keras.Sequential`` named as the report names it (as
:func:`frameworks.build_keras` does for Keras 3). :func:`recurrent_model` builds the recurrent
layers of a model in either Keras as a functional model whose every layer returns its sequence
and its final states, named as the report names them, so that a variable's own path
(``variable.path`` in Keras 3, ``variable.name`` in Keras 2) is lstmcount's path of the tensor.
The frameworks are imported inside the functions, never at module level.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from frameworks import _groups, _inner_name, _keras_layer

from lstmcount.model.spec import GRUSpec, LSTMSpec, ModelSpec, RecurrentSpec, SimpleRNNSpec
from lstmcount.numeric import forward as fw

#: the module each Keras is imported as
MODULES = {"keras": "keras", "keras2": "tf_keras"}


def keras_module(fid: str) -> Any:
    """Keras 3 (``keras``) or Keras 2 (``tf_keras``)."""
    if fid == "keras2":
        os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tf_keras

        return tf_keras
    import keras

    return keras


def build_keras2(spec: ModelSpec, report: Any, features: int) -> Any:
    """The spec as a ``tf_keras.Sequential``, its layers named as the report's (as build_keras does for Keras 3)."""
    import tf_keras

    layers = [
        _keras_layer(
            tf_keras.layers, spec, spec.layers[layer.spec_index], k, size, layer.name, _inner_name(layer), False
        )
        for layer, k, size in _groups(report)
    ]
    return tf_keras.Sequential([tf_keras.Input((spec.input.timesteps, features)), *layers])


def variable_path(fid: str, variable: Any) -> str:
    """A Keras variable's own path: lstmcount's path of the tensor it holds."""
    return str(variable.path if fid == "keras" else variable.name)


def recurrent_model(fid: str, model: fw.Model, dtype: str = "float32") -> tuple[Any, list[tuple[str, ...]]]:
    """The model's recurrent layers in Keras, each returning its sequence and its final states.

    Returns the functional model (outputs: the last layer's sequence, then every final state)
    and the kinds of the final states of each cell, in order (stacked layer, then direction).
    """
    K = keras_module(fid)
    spec, report = model.spec, model.report
    features = spec.input.features
    inputs = K.Input((None, features), dtype=dtype)
    y, states, kinds = inputs, [], []
    for layer, _, _ in _groups(report):
        layer_spec = spec.layers[layer.spec_index]
        assert isinstance(layer_spec, RecurrentSpec), layer_spec
        kwargs: dict[str, Any] = {
            "units": layer_spec.units,
            "use_bias": layer_spec.use_bias,
            "return_sequences": True,
            "return_state": True,
            "dtype": dtype,
        }
        if isinstance(layer_spec, GRUSpec) and layer_spec.reset_after is not None:
            kwargs["reset_after"] = layer_spec.reset_after
        if isinstance(layer_spec, SimpleRNNSpec):
            kwargs["activation"] = layer_spec.nonlinearity.value
        klass = {LSTMSpec: K.layers.LSTM, GRUSpec: K.layers.GRU, SimpleRNNSpec: K.layers.SimpleRNN}[type(layer_spec)]
        if layer_spec.bidirectional:
            inner = klass(**kwargs, name=_inner_name(layer))
            built = K.layers.Bidirectional(inner, merge_mode=layer_spec.merge_mode.value, name=layer.name, dtype=dtype)
        else:
            built = klass(**kwargs, name=layer.name)
        outs = built(y)
        y, finals = outs[0], list(outs[1:])
        kind: tuple[str, ...] = ("h", "c") if isinstance(layer_spec, LSTMSpec) else ("h",)
        assert len(finals) == len(kind) * layer.directions
        kinds += [kind] * layer.directions
        states += finals
    return K.Model(inputs, [y, *states]), kinds


def own_weights(fid: str, model: fw.Model, seed: int) -> dict[str, np.ndarray]:
    """The Keras model's own initial weights by lstmcount's paths, its biases drawn from U(-0.5, 0.5).

    Keras initialises biases to zeros (an LSTM's forget gate to ones); a conversion that lost a
    bias would go unseen with them.
    """
    K = keras_module(fid)
    K.utils.set_random_seed(seed)
    built, _ = recurrent_model(fid, model)
    rng = np.random.default_rng(seed)
    weights = {}
    for v in built.weights:
        value = np.array(K.ops.convert_to_numpy(v) if fid == "keras" else v.numpy())
        if variable_path(fid, v).endswith(("bias", "bias:0")):
            value = rng.uniform(-0.5, 0.5, value.shape).astype(value.dtype)
        weights[variable_path(fid, v)] = value
    assert set(weights) == {t.path for layer in model.report.layers for t in layer.tensors}
    return weights


def forward(fid: str, model: fw.Model, weights: dict[str, Any], x: np.ndarray) -> dict[str, Any]:
    """Keras's output and final states on ``x`` with the weights assigned, each to the variable of its path."""
    K = keras_module(fid)
    dtype = "float64" if x.dtype == np.float64 else "float32"
    built, kinds = recurrent_model(fid, model, dtype)
    variables = {variable_path(fid, v): v for v in built.weights}
    assert set(variables) == set(weights), (sorted(variables), sorted(weights))
    for path, v in variables.items():
        value = np.asarray(weights[path], dtype)
        assert tuple(v.shape) == value.shape, path
        v.assign(value)
    outs = built(x, training=False)
    arrays = [np.asarray(K.ops.convert_to_numpy(o) if fid == "keras" else o.numpy()) for o in outs]
    output, states = arrays[0], iter(arrays[1:])
    finals = [{k: next(states) for k in kind} for kind in kinds]
    return {"output": output, "final": finals}
