"""Save real models with their frameworks into ``tests/fixtures/models/<framework>/``, with the frameworks' facts.

    python tests/facts/record_models.py pytorch

Each case's files (see ``tests/facts/models_<framework>.py``) are written beside
``<case>.json``, which holds what the framework says about the model: its counts, each
parameter's name and shape, and its recurrent layers' arguments. ``tests/test_modelfiles.py``
inspects every file and compares; ``tests/conformance/test_modelfiles_live.py`` does the same
with files saved there and then.
"""

from __future__ import annotations

import importlib
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "fixtures" / "models"
#: the frameworks recorded, and the forms each case is saved in (fewer for large cases)
FRAMEWORKS = ("pytorch", "keras", "keras2", "onnx", "flax")


def record(framework: str) -> None:
    """Rewrite the recorded files of ``framework``."""
    module = importlib.import_module(f"facts.models_{framework}")
    out = OUT / framework
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for name in module.CASES:
        facts = module.save(name, out, forms=module.RECORDED_FORMS.get(name, module.FORMS))
        (out / f"{name}.json").write_text(json.dumps(facts, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"{framework}/{name}: {', '.join(facts['files'])}")


def main(names: list[str]) -> int:
    """Record each framework named."""
    unknown = [n for n in names if n not in FRAMEWORKS]
    if unknown or not names:
        print(f"name one or more of: {', '.join(FRAMEWORKS)}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(HERE.parent))
    for name in names:
        record(name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
