"""Keras 3 models saved as the files people have, with what Keras itself says about each.

Each case builds a model (on the torch backend), saves it in every form a Keras 3 user meets:
the ``.keras`` archive (``model.save``), the ``model.to_json()`` config alone, that config with
the weights of ``model.save_weights`` (``.weights.h5``) and the legacy HDF5 model
(``model.save("....h5")``); and returns the facts read from Keras: ``model.count_params()``,
the trainable weights' total, each weight's dataset in the file and its shape, the file's
datasets, and each recurrent layer's arguments (``layer.get_config()``). A weight's dataset is
found by its value: before saving, every weight is set to its own constant. ``tests/modelfiles.py``
compares ``lstmcount inspect`` with them.

The builders take the Keras module, so that ``models_keras2`` builds the same models with tf-keras.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from math import prod
from pathlib import Path
from typing import Any

#: a case's model, built from the Keras module given (keras or tf_keras)
Builder = Callable[[Any], Any]
RECURRENT = ("LSTM", "GRU", "SimpleRNN")


def seed(K: Any) -> Any:
    """The model of lstmcount's README: 117,248 in the LSTM and 129 in the head."""
    return K.Sequential([K.Input((None, 100)), K.layers.LSTM(128), K.layers.Dense(1)])


def gru_reset_after(K: Any) -> Any:
    return K.Sequential([K.Input((None, 6)), K.layers.GRU(8, reset_after=True), K.layers.Dense(2)])


def gru_reset_before(K: Any) -> Any:
    return K.Sequential([K.Input((None, 6)), K.layers.GRU(8, reset_after=False), K.layers.Dense(2)])


def simple_rnn(K: Any) -> Any:
    return K.Sequential([K.Input((None, 5)), K.layers.SimpleRNN(7, activation="relu"), K.layers.Dense(3)])


def bidirectional_concat(K: Any) -> Any:
    L = K.layers
    return K.Sequential([K.Input((None, 6)), L.Bidirectional(L.LSTM(5, return_sequences=True)), L.LSTM(3)])


def bidirectional_sum(K: Any) -> Any:
    L = K.layers
    return K.Sequential([K.Input((None, 6)), L.Bidirectional(L.GRU(5), merge_mode="sum"), L.Dense(2)])


def stacked(K: Any) -> Any:
    L = K.layers
    return K.Sequential(
        [K.Input((None, 4)), L.LSTM(8, return_sequences=True), L.GRU(6, return_sequences=True), L.SimpleRNN(4)]
    )


def no_bias(K: Any) -> Any:
    L = K.layers
    return K.Sequential(
        [
            K.Input((None, 4)),
            L.LSTM(6, use_bias=False, return_sequences=True),
            L.GRU(5, use_bias=False),
            L.Dense(2, use_bias=False),
        ]
    )


def embedding_lstm(K: Any) -> Any:
    L = K.layers
    return K.Sequential([K.Input((None,), dtype="int32"), L.Embedding(50, 8), L.LSTM(16), L.Dense(3)])


def time_distributed(K: Any) -> Any:
    L = K.layers
    return K.Sequential([K.Input((7, 4)), L.LSTM(6, return_sequences=True), L.TimeDistributed(L.Dense(3))])


def attention(K: Any) -> Any:
    L = K.layers
    x = K.Input((None, 5))
    h = L.LSTM(8, return_sequences=True)(x)
    a = L.Attention(use_scale=True)([h, h])
    y = L.Dense(2)(L.GlobalAveragePooling1D()(a))
    return K.Model(x, y, name="with_attention")


def multi_head_attention(K: Any) -> Any:
    L = K.layers
    x = K.Input((10, 8))
    a = L.MultiHeadAttention(num_heads=2, key_dim=4)(x, x)
    y = L.Dense(1)(L.LSTM(6)(a))
    return K.Model(x, y)


def batch_norm(K: Any) -> Any:
    L = K.layers
    return K.Sequential(
        [K.Input((None, 6)), L.BatchNormalization(), L.LSTM(5, return_sequences=True), L.BatchNormalization(), L.GRU(3)]
    )


def pooling_flatten(K: Any) -> Any:
    L = K.layers
    return K.Sequential(
        [
            K.Input((12, 4)),
            L.Conv1D(6, 3),
            L.MaxPooling1D(2),
            L.LSTM(5, return_sequences=True),
            L.AveragePooling1D(2, padding="same"),
            L.Flatten(),
            L.Dense(2),
        ]
    )


def repeat_vector(K: Any) -> Any:
    L = K.layers
    return K.Sequential(
        [
            K.Input((None, 4)),
            L.LSTM(8),
            L.RepeatVector(5),
            L.LSTM(6, return_sequences=True),
            L.TimeDistributed(L.Dense(3)),
        ]
    )


def shape_layers(K: Any) -> Any:
    """Masking, SpatialDropout1D, Dropout and Activation: no weights, the shape passed on."""
    L = K.layers
    return K.Sequential(
        [
            K.Input((None, 6)),
            L.Masking(0.0),
            L.SpatialDropout1D(0.1),
            L.LSTM(7, return_sequences=True),
            L.Dropout(0.2),
            L.GRU(4),
            L.Activation("tanh"),
            L.Dense(2),
        ]
    )


def merges(K: Any) -> Any:
    L = K.layers
    x = K.Input((None, 5))
    a = L.LSTM(6, return_sequences=True)(x)
    b = L.GRU(6, return_sequences=True)(x)
    s = L.Subtract()([L.Add()([a, b]), b])
    c = L.Concatenate()([s, a])
    return K.Model(x, L.Dense(3)(L.LSTM(4)(c)))


def two_inputs(K: Any) -> Any:
    L = K.layers
    words = K.Input((None,), dtype="int32", name="words")
    extra = K.Input((None, 3), name="extra")
    a = L.LSTM(8)(L.Embedding(40, 6)(words))
    b = L.GRU(5)(extra)
    return K.Model([words, extra], L.Dense(2)(L.Concatenate()([a, b])))


def shared_layer(K: Any) -> Any:
    """One LSTM called on two inputs: its weights once."""
    L = K.layers
    left, right = K.Input((None, 4), name="left"), K.Input((None, 4), name="right")
    shared = L.LSTM(6, name="shared_lstm")
    return K.Model([left, right], L.Dense(1)(L.Concatenate()([shared(left), shared(right)])))


def nested(K: Any) -> Any:
    L = K.layers
    encoder = K.Sequential([K.Input((None, 5)), L.LSTM(8, return_sequences=True), L.GRU(6)], name="encoder")
    x = K.Input((None, 5))
    return K.Model(x, L.Dense(2)(encoder(x)))


def conv_lstm(K: Any) -> Any:
    L = K.layers
    return K.Sequential(
        [K.Input((20, 3)), L.Conv1D(8, 5, strides=2, padding="same"), L.LSTM(6), L.Dense(1, activation="sigmoid")]
    )


def conv_lstm_2d(K: Any) -> Any:
    L = K.layers
    return K.Sequential(
        [
            K.Input((4, 6, 6, 2)),
            L.ConvLSTM2D(3, 3, padding="same", strides=2, return_sequences=True),
            L.Flatten(),
            L.Dense(2),
        ]
    )


def conv_lstm_1d(K: Any) -> Any:
    L = K.layers
    return K.Sequential([K.Input((5, 8, 3)), L.ConvLSTM1D(4, 3, strides=2), L.LSTM(3)])


def custom_layer(K: Any) -> Any:
    L = K.layers
    return K.Sequential([K.Input((None, 4)), L.LSTM(6, return_sequences=True), custom(K)(), L.GRU(3)])


_CUSTOM: dict[str, type] = {}


def custom(K: Any) -> type:
    """A layer of the user's own, registered for saving: a scale and an offset per feature."""
    key = K.__name__
    if key not in _CUSTOM:

        @K.saving.register_keras_serializable(package="lstmcount_tests")
        class FeatureScale(K.layers.Layer):  # type: ignore[misc,name-defined]
            def build(self, input_shape: Any) -> None:
                self.scale = self.add_weight(name="scale", shape=(input_shape[-1],), initializer="ones")
                self.offset = self.add_weight(name="offset", shape=(input_shape[-1],), initializer="zeros")

            def call(self, x: Any) -> Any:
                return x * self.scale + self.offset

        _CUSTOM[key] = FeatureScale
    return _CUSTOM[key]


#: the cases, by name
CASES: dict[str, Builder] = {
    "lstm_100_128": seed,
    "gru_reset_after": gru_reset_after,
    "gru_reset_before": gru_reset_before,
    "simple_rnn": simple_rnn,
    "bidirectional_concat": bidirectional_concat,
    "bidirectional_sum": bidirectional_sum,
    "stacked": stacked,
    "no_bias": no_bias,
    "embedding_lstm": embedding_lstm,
    "time_distributed": time_distributed,
    "attention": attention,
    "multi_head_attention": multi_head_attention,
    "batch_norm": batch_norm,
    "pooling_flatten": pooling_flatten,
    "repeat_vector": repeat_vector,
    "shape_layers": shape_layers,
    "merges": merges,
    "two_inputs": two_inputs,
    "shared_layer": shared_layer,
    "nested": nested,
    "conv_lstm": conv_lstm,
    "conv_lstm_1d": conv_lstm_1d,
    "conv_lstm_2d": conv_lstm_2d,
    "custom_layer": custom_layer,
}

#: every form a case is saved in
FORMS = ("keras", "json", "weights", "h5")
#: the forms a case is saved in where not all: a config alone cannot say what a layer of the user's own
#: holds, and ``inspect(config, weights=...)`` rebuilds the config before it reads the weights (the
#: live tests read that config with its weights through ``keras.read_config(config, weights=...)``)
FORMS_OF = {"custom_layer": ("keras", "h5")}
#: the forms recorded in tests/fixtures/models/keras/ (the live tests save every form): the archive and the
#: config of each case, every form of a few; the large model of the README as its config alone
RECORDED = ("keras", "json")
RECORDED_FORMS = {
    **{name: RECORDED for name in CASES},
    "lstm_100_128": ("json",),
    **{name: FORMS for name in ("bidirectional_concat", "batch_norm", "nested", "conv_lstm_2d")},
    **FORMS_OF,
}


def keras() -> Any:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras as K

    return K


def build(K: Any, name: str) -> Any:
    """Case ``name`` built with fixed names and seed, every weight set to its own constant (1, 2, ...)."""
    import numpy as np

    K.backend.clear_session()
    K.utils.set_random_seed(0)
    model = CASES[name](K)
    for n, w in enumerate(model.weights, start=1):
        w.assign(np.full(tuple(w.shape), n, dtype=_dtype(w)))
    return model


def _dtype(w: Any) -> str:
    dtype = w.dtype
    return str(getattr(dtype, "name", dtype))


def h5_datasets(source: Any) -> dict[str, tuple[list[int], float | None]]:
    """Every dataset of an HDF5 file under the name Keras gives it (``weight_names`` where a group has them)."""
    import h5py
    import numpy as np

    names: dict[str, str] = {}
    out: dict[str, tuple[list[int], float | None]] = {}

    def visit(path: str, obj: Any) -> None:
        if isinstance(obj, h5py.Group) and "weight_names" in obj.attrs:
            for n in obj.attrs["weight_names"]:
                n = n.decode() if isinstance(n, bytes) else str(n)
                names[f"{path}/{n}"] = n
        elif isinstance(obj, h5py.Dataset):
            data = np.asarray(obj[()])
            out[names.get(path, path)] = (list(data.shape), float(data.flat[0]) if data.size else None)

    with h5py.File(source, "r") as handle:
        handle.visititems(visit)
    return out


def _walk(model: Any, scope: str = "") -> list[tuple[str, Any]]:
    """Every layer with its path (nested models' layers under the model's name)."""
    out = []
    for layer in model.layers:
        path = f"{scope}/{layer.name}" if scope else layer.name
        if hasattr(layer, "layers") and type(layer).__name__ in ("Sequential", "Functional", "Model"):
            out += _walk(layer, path)
        else:
            out.append((path, layer))
    return out


def recurrent(model: Any) -> list[dict[str, Any]]:
    """Each recurrent layer's arguments, as Keras holds them (``get_config()``, the built kernel)."""
    out = []
    for path, layer in _walk(model):
        cls = type(layer).__name__
        inner, directions = layer, 1
        if cls == "Bidirectional":
            inner, directions = layer.forward_layer, 2
        if type(inner).__name__ not in RECURRENT:
            continue
        config = inner.get_config()
        found = {
            "path": path,
            "class": type(inner).__name__,
            "input_size": int(inner.cell.kernel.shape[0]),
            "hidden_size": int(config["units"]),
            "num_layers": 1,
            "bidirectional": directions == 2,
            "bias": bool(config.get("use_bias", True)),
            "proj_size": 0,
        }
        if type(inner).__name__ == "GRU":
            found["linear_before_reset"] = int(config.get("reset_after", True))
        out.append(found)
    return out


def facts(model: Any) -> dict[str, Any]:
    """What Keras says about ``model``: its counts and its recurrent layers."""
    return {
        "total": int(model.count_params()),
        "trainable": sum(prod(w.shape) for w in model.trainable_weights),
        "non_trainable": sum(prod(w.shape) for w in model.non_trainable_weights),
        "recurrent": recurrent(model),
    }


def in_file(model: Any, datasets: dict[str, tuple[list[int], float | None]]) -> dict[str, Any]:
    """The file's datasets, and which of them hold the model's weights (by the constant each was given)."""
    weights = {n: list(w.shape) for n, w in enumerate(model.weights, start=1)}
    parameters = {}
    for name, (shape, value) in datasets.items():
        if value is not None and value == int(value) and weights.get(int(value)) == shape:
            parameters[name] = shape
    if len(parameters) != len([s for s in weights.values() if prod(s)]):
        raise AssertionError(f"the file's datasets {sorted(datasets)} do not hold each weight once")
    return {
        "file_total": sum(prod(s) for s, _ in datasets.values()),
        "parameters": parameters,
        "state_dict": {n: s for n, (s, _) in datasets.items()},
    }


def config_only() -> dict[str, Any]:
    """A config holds no tensors: the count alone is compared."""
    return {"file_total": 0, "parameters": {}, "state_dict": {}}


def save(name: str, out: Path, *, forms: tuple[str, ...] = FORMS) -> dict[str, Any]:
    """Build case ``name``, save it in each of ``forms`` into ``out``; the facts, with the files written."""
    return save_with(keras(), name, out, forms, weights_file=f"{name}.weights.h5")


def save_with(K: Any, name: str, out: Path, forms: tuple[str, ...], weights_file: str) -> dict[str, Any]:
    """Case ``name`` built and saved with the Keras module ``K``; ``weights_file`` for ``save_weights``."""
    import io
    import zipfile

    model = build(K, name)
    found = facts(model)
    files: dict[str, str] = {}
    per_form: dict[str, dict[str, Any]] = {}
    for form in forms:
        if form == "keras":
            path = out / f"{name}.keras"
            model.save(path)
            with zipfile.ZipFile(path) as archive:
                weights = io.BytesIO(archive.read("model.weights.h5"))
            per_form[form] = in_file(model, h5_datasets(weights))
            files[path.name] = form
        elif form == "json":
            path = out / f"{name}.to_json"
            path.write_text(model.to_json(), encoding="utf-8")
            per_form[form] = config_only()
            files[path.name] = form
        elif form == "weights":
            path = out / weights_file
            model.save_weights(path)
            config = out / f"{name}.to_json"
            if "json" not in forms:
                config.write_text(model.to_json(), encoding="utf-8")
            per_form[form] = {**in_file(model, h5_datasets(path)), "config": config.name}
            files[path.name] = form
        elif form == "h5":
            path = out / f"{name}.h5"
            model.save(path)
            per_form[form] = in_file(model, h5_datasets(path))
            files[path.name] = form
        else:
            raise ValueError(form)
    found["files"] = files
    found["forms"] = per_form
    first = per_form[next(iter(per_form))]
    found.update({k: first[k] for k in ("file_total", "parameters", "state_dict")})
    return found
