"""Shared fixtures: real frameworks (skip, or fail in CI), golden files, the CLI runner."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")

#: Set in CI: a conformance test whose framework is missing fails instead of skipping.
REQUIRE_FRAMEWORKS = os.environ.get("LSTMCOUNT_REQUIRE_FRAMEWORKS") == "1"
GOLDEN = Path(__file__).parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", help="rewrite golden files from current output")


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Import PaddlePaddle first when its tests will run: imported after TensorFlow, it crashes the process.

    (paddlepaddle 3.3.1 segfaults in ``paddle/base/core.py`` once tensorflow 2.21 is loaded, and
    Keras 3 loads TensorFlow for its data adapters whenever it is installed.)
    """
    import importlib.util
    import warnings

    if any("[paddle-" in item.nodeid for item in items) and importlib.util.find_spec("paddle") is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            importlib.import_module("paddle")


def need(module: str) -> ModuleType:
    """Import a framework, or skip (fail when LSTMCOUNT_REQUIRE_FRAMEWORKS=1)."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if REQUIRE_FRAMEWORKS:
            pytest.fail(f"{module} is required here (LSTMCOUNT_REQUIRE_FRAMEWORKS=1): {exc}")
        pytest.skip(f"{module} is not installed")


@pytest.fixture(scope="session")
def torch() -> ModuleType:
    """PyTorch, for conformance tests."""
    return need("torch")


@pytest.fixture(scope="session")
def keras() -> ModuleType:
    """Keras 3 on the torch backend, for conformance tests."""
    need("torch")
    return need("keras")


@pytest.fixture(scope="module")
def one_torch_thread(torch: ModuleType) -> Iterator[None]:
    """One intra-op thread for a module of tiny models: idle OpenMP threads spin on a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def golden(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Compare text with tests/golden/<name>; rewrite it with --update-goldens."""
    update = request.config.getoption("--update-goldens")

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if update or not path.exists():
            if not update and os.environ.get("CI"):
                pytest.fail(f"golden file {name} is missing; run pytest --update-goldens")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        assert text == path.read_text(encoding="utf-8"), f"output differs from golden file {name}"

    return check
