"""Keras 2 (tf-keras, ``import tf_keras``) models saved as the files people have, with what Keras itself says.

The cases are those of ``models_keras`` built with tf-keras; each is saved as the legacy HDF5
model (``model.save("....h5")``), the ``model.to_json()`` config, that config with the weights
of ``model.save_weights("..._weights.h5")`` (Keras 2's HDF5 weights, named ``lstm/lstm_cell/kernel:0``)
and tf-keras's own ``.keras`` archive. The facts come from tf-keras as in ``models_keras``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from facts import models_keras

CASES = models_keras.CASES
#: every form a case is saved in
FORMS = ("h5", "json", "weights", "keras")
#: the forms a case is saved in where not all (a config alone cannot say what a layer of the user's own holds)
FORMS_OF = models_keras.FORMS_OF
#: the forms recorded in tests/fixtures/models/keras2/ (the live tests save every form)
RECORDED_FORMS = {
    **{name: ("h5", "json") for name in CASES},
    "lstm_100_128": ("json",),
    **{name: FORMS for name in ("bidirectional_sum", "shared_layer", "nested", "time_distributed")},
    **FORMS_OF,
}


def keras() -> Any:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tf_keras

    return tf_keras


def save(name: str, out: Path, *, forms: tuple[str, ...] = FORMS) -> dict[str, Any]:
    """Build case ``name`` with tf-keras, save it in each of ``forms`` into ``out``; the facts, with the files."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf-keras calls .h5 legacy when it writes one
        return models_keras.save_with(keras(), name, out, forms, weights_file=f"{name}_weights.h5")
