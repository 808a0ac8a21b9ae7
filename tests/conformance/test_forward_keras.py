"""The NumPy forward pass agrees with real Keras 3 (torch backend): every layer's output and state.

Each case is built as a real ``keras.Sequential`` (``build_keras``); its biases and layer-norm
parameters are drawn at random (Keras starts them at constants), every variable is copied into
the NumPy pass by its ``weight.path`` (with the leading ``<model>/``, which the pass accepts),
and both run the same batch, in float64 (atol 1e-6) and float32 (atol 1e-4). Final states come
from a copy of each recurrent layer built with ``return_state=True`` and the same weights.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from frameworks import build_keras, dummy_steps, random_spec, spec_dict

from lstmcount.counting.counter import count
from lstmcount.model.spec import ModelSpec, spec_from_dict
from lstmcount.numeric.forward import forward

pytestmark = pytest.mark.conformance

SEED = 777
RANDOM_CASES = 16  # Keras builds layers slowly in eager mode: keep the grid small
TOLERANCE = {"float64": 1e-6, "float32": 1e-4}


def _spec(input_: dict[str, Any], *layers: dict[str, Any]) -> dict[str, Any]:
    return spec_dict("keras", input_, *layers)


FEAT = {"features": 5, "timesteps": 6}

#: every cell and option of the foundation issue, in Keras's terms
CASES: dict[str, dict[str, Any]] = {
    "lstm": _spec(FEAT, {"type": "lstm", "units": 7}),
    "lstm_sequences_no_bias": _spec(FEAT, {"type": "lstm", "units": 7, "use_bias": False, "return_sequences": True}),
    "lstm_stacked": _spec(FEAT, {"type": "lstm", "units": 6, "num_layers": 3, "dropout": 0.2}),
    "gru_reset_after": _spec(FEAT, {"type": "gru", "units": 7, "return_sequences": True}),
    "gru_reset_before": _spec(FEAT, {"type": "gru", "units": 7, "reset_after": False}),
    "gru_reset_before_no_bias": _spec(FEAT, {"type": "gru", "units": 4, "reset_after": False, "use_bias": False}),
    "rnn_tanh": _spec(FEAT, {"type": "simple_rnn", "units": 6}),
    "rnn_relu": _spec(FEAT, {"type": "simple_rnn", "units": 6, "nonlinearity": "relu", "return_sequences": True}),
    **{
        f"bi_{cell}_{mode}_{'seq' if seq else 'last'}": _spec(
            FEAT,
            {"type": cell, "units": 4, "bidirectional": True, "merge_mode": mode, "return_sequences": seq},
        )
        for cell in ("lstm", "gru", "simple_rnn")
        for mode in ("concat", "sum", "ave", "mul")
        for seq in (True, False)
        if (cell == "lstm" or seq)
    },
    "bi_stacked": _spec(FEAT, {"type": "lstm", "units": 4, "bidirectional": True, "num_layers": 2}),
    # both forms of the input product (stacked for I <= 4·B, one product above; B is 3 here)
    "wide_input_wide_h": _spec(
        {"features": 40, "timesteps": 6},
        {"type": "lstm", "units": 10, "bidirectional": True, "return_sequences": True},
        {"type": "gru", "units": 5, "reset_after": False},
    ),
    "narrow_input_wide_h": _spec(
        FEAT,
        {"type": "gru", "units": 9, "bidirectional": True, "return_sequences": True},
        {"type": "simple_rnn", "units": 3, "return_sequences": True},
    ),
    "embedding_head": _spec(
        {"vocab": 40, "timesteps": 7},
        {"type": "embedding", "dim": 6},
        {"type": "gru", "units": 5},
        {"type": "dropout", "rate": 0.5},
        {"type": "dense", "units": 3, "activation": "softmax"},
    ),
    "dense_per_step": _spec(
        FEAT,
        {"type": "dense", "units": 4, "activation": "relu"},
        {"type": "simple_rnn", "units": 3, "return_sequences": True},
        {"type": "dense", "units": 2, "use_bias": False, "activation": "sigmoid"},
    ),
    "conv_same_strided": _spec(
        {"features": 3, "timesteps": 11},
        {"type": "conv1d", "filters": 4, "kernel_size": 4, "strides": 3, "padding": "same", "activation": "tanh"},
        {"type": "lstm", "units": 5},
    ),
    "conv_valid": _spec(
        {"features": 3, "timesteps": 9}, {"type": "conv1d", "filters": 4, "kernel_size": 3, "strides": 2}
    ),
    "layer_norm": _spec(
        FEAT,
        {"type": "layer_normalization"},
        {"type": "lstm", "units": 4, "return_sequences": True},
        {"type": "layer_normalization", "scale": False},
        {"type": "layer_normalization", "center": False},
    ),
}


def _random_cases() -> dict[str, dict[str, Any]]:
    rng = random.Random(SEED)
    return {f"random_{i}": random_spec(rng, "keras", max_layers=3) for i in range(RANDOM_CASES)}


@contextmanager
def floatx(keras: ModuleType, dtype: str) -> Iterator[None]:
    """Build and run Keras layers in ``dtype``, then restore the defaults.

    Keras's type promotion follows JAX's default and narrows every 64-bit result to 32 bits, so
    a float64 model would do its matrix products in float32; like ``jax_enable_x64``, the
    float64 runs here switch that narrowing off, so the reference really is float64.
    """
    from keras.src.backend.common import dtypes

    before, narrowing = keras.config.floatx(), dtypes.BIT64_TO_BIT32_DTYPE
    policy = keras.config.dtype_policy()  # fixed once any layer was made: set it too, not floatx alone
    keras.config.set_floatx(dtype)
    keras.config.set_dtype_policy(dtype)
    if dtype == "float64":
        dtypes.BIT64_TO_BIT32_DTYPE = {}
    try:
        yield
    finally:
        keras.config.set_floatx(before)
        keras.config.set_dtype_policy(policy)
        dtypes.BIT64_TO_BIT32_DTYPE = narrowing


def with_states(keras: ModuleType, layer: Any) -> Any:
    """A copy of a recurrent (or Bidirectional) Keras layer that also returns its final states."""
    kl = keras.layers
    inner = layer.forward_layer if isinstance(layer, kl.Bidirectional) else layer
    config = {**inner.get_config(), "return_state": True}
    config.pop("name")
    clone = type(inner).from_config(config)
    if isinstance(layer, kl.Bidirectional):
        clone = kl.Bidirectional(clone, merge_mode=layer.merge_mode)
    return clone


def keras_run(keras: ModuleType, spec: ModelSpec, dtype: str, seed: int) -> tuple[Any, dict[str, Any], list[Any]]:
    """Build, randomize biases and norms, run a batch layer by layer; return (input, weights, results)."""
    report = count(spec, "keras")
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)
    with floatx(keras, dtype):
        model = build_keras(spec, report)
        for w in model.weights:
            if w.name in ("bias", "beta"):
                w.assign(rng.uniform(-0.5, 0.5, tuple(w.shape)).astype(dtype))
            elif w.name == "gamma":
                w.assign(rng.uniform(0.5, 1.5, tuple(w.shape)).astype(dtype))
        steps = dummy_steps(spec)
        first = report.layers[0]
        if first.type.value == "embedding":
            x = rng.integers(0, first.tensors[0].shape[0], size=(3, steps)).astype(np.int32)  # (B, T)
        else:
            # float32-exact values: the model's Input is float32
            x = rng.standard_normal((3, steps, int(report.input_shape[-1] or 0))).astype(np.float32)  # (B, T, I)
        h = keras.ops.convert_to_tensor(x if x.dtype == np.int32 else x.astype(dtype))
        results = []
        for layer in model.layers:
            states = None
            if isinstance(layer, (keras.layers.RNN, keras.layers.Bidirectional)):
                clone = with_states(keras, layer)
                clone(h)  # build
                clone.set_weights(layer.get_weights())
                states = [keras.ops.convert_to_numpy(s) for s in clone(h)[1:]]
            h = layer(h)
            results.append((layer.name, keras.ops.convert_to_numpy(h), states))
        weights = {w.path: keras.ops.convert_to_numpy(w) for w in model.weights}
    return x, weights, results


def check_case(keras: ModuleType, data: dict[str, Any], dtype: str, seed: int = 0) -> None:
    """NumPy and Keras agree on every layer's output and final states."""
    spec = spec_from_dict(data)
    x, weights, expected = keras_run(keras, spec, dtype, seed)
    mine = forward(spec, weights, x, framework="keras", dtype=dtype)
    atol = TOLERANCE[dtype]
    assert [lo.name for lo in mine.layers] == [name for name, _, _ in expected]
    for lo, (name, out, states) in zip(mine.layers, expected, strict=True):
        np.testing.assert_allclose(lo.output, out, atol=atol, rtol=0, err_msg=f"output of {name}")
        if states is not None:
            assert len(lo.states) == len(states), name
            for a, b in zip(lo.states, states, strict=True):
                assert a.shape == b.shape, name
                np.testing.assert_allclose(a, b, atol=atol, rtol=0, err_msg=f"states of {name}")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", list(CASES))
def test_named_cases(keras: ModuleType, case: str, dtype: str) -> None:
    """Each Keras option of the foundation issue gives Keras's outputs and states."""
    check_case(keras, CASES[case], dtype)


@pytest.mark.parametrize("case", list(_random_cases()))
def test_random_cases(keras: ModuleType, case: str) -> None:
    """Random specs Keras can build give its outputs and states (float64; float32 on every other case)."""
    data = _random_cases()[case]
    seed = int(case.rsplit("_", 1)[1])
    check_case(keras, data, "float64", seed)
    if seed % 2:
        check_case(keras, data, "float32", seed)


def test_api_takes_keras_variables(keras: ModuleType) -> None:
    """Keras variables keyed by their own weight.path go straight into the API."""
    data = _spec({"features": 3, "timesteps": 4}, {"type": "lstm", "units": 5}, {"type": "dense", "units": 2})
    spec = spec_from_dict(data)
    model = build_keras(spec, count(spec, "keras"))
    x = np.random.default_rng(5).standard_normal((2, 4, 3)).astype(np.float32)
    expected = keras.ops.convert_to_numpy(model(x))
    result = forward(spec, {w.path: w for w in model.weights}, x)
    np.testing.assert_allclose(result.output, expected, atol=1e-5)


def test_every_keras_activation_is_known_and_gives_keras_output(keras: ModuleType) -> None:
    """Each activation Keras 3 names (keras.activations) is accepted in a Keras spec, with Keras's output."""
    from keras.src.activations import ALL_OBJECTS_DICT

    from lstmcount.model.spec import ACTIVATION_SPELLINGS

    named = {a for a in ALL_OBJECTS_DICT if a != "threshold"}  # threshold cannot be called with x alone
    assert {ACTIVATION_SPELLINGS[a] for a in named} == set(convention_activations("keras"))
    rng = np.random.default_rng(3)
    # (B, T, I): values on both sides of every kink, exact in float32 (the model's Input is float32)
    x = (3 * rng.standard_normal((2, 6, 5))).astype(np.float32).astype(np.float64)
    for name in sorted(named):
        data = _spec({"features": 5, "timesteps": 6}, {"type": "dense", "units": 6, "activation": name})
        spec = spec_from_dict(data)
        with floatx(keras, "float64"):
            model = build_keras(spec, count(spec, "keras"))
            expected = keras.ops.convert_to_numpy(model(keras.ops.convert_to_tensor(x)))
            weights = {w.path: keras.ops.convert_to_numpy(w) for w in model.weights}
        mine = forward(spec, weights, x, dtype="float64")
        assert mine.output.shape == expected.shape, name
        np.testing.assert_allclose(mine.output, expected, atol=1e-9, rtol=0, err_msg=name)


def convention_activations(framework: str) -> list[str]:
    """The activations lstmcount's module of ``framework`` gives it."""
    from lstmcount import frameworks

    return list(frameworks.get(framework).activations)
