"""Rewrite the recorded fixtures of some frameworks from the installed frameworks themselves.

    python tests/facts/record.py onnx flax flax-linen equinox mlx paddle tf1 keras2

Each writes ``tests/fixtures/recorded/<framework>/<case>.json`` and ``.npz`` (see
``tests/test_recorded.py``). TensorFlow 1's cells need ``TF_USE_LEGACY_KERAS=1``, which this sets.
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: the recorder of each framework, and the arguments it takes
RECORDERS = {
    "onnx": ("record_onnx.py", []),
    "flax": ("record_jax.py", ["flax"]),
    "flax-linen": ("record_jax.py", ["flax_linen"]),
    "equinox": ("record_jax.py", ["equinox"]),
    "mlx": ("record_mlx.py", []),
    "paddle": ("record_paddle.py", []),
    "tf1": ("record_tf1.py", []),
    "keras2": ("record_keras2.py", []),
}


def main(names: list[str]) -> int:
    """Run the recorder of each framework named."""
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    unknown = [n for n in names if n not in RECORDERS]
    if unknown or not names:
        print(f"name one or more of: {', '.join(RECORDERS)}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(HERE))
    for name in names:
        script, args = RECORDERS[name]
        sys.argv = [script, *args]
        runpy.run_path(str(HERE / script), run_name="__main__")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
