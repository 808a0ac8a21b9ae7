"""The import graph: dependencies point one way, and only the command layer knows click."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "lstmcount"
#: the modules allowed to import click: the entry points, the group and the commands
COMMAND_LAYER = ("lstmcount.__main__", "lstmcount.cli", "lstmcount.commands")


def module_name(path: Path) -> str:
    """``lstmcount/commands/check.py`` -> ``lstmcount.commands.check``."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imports(name: str) -> tuple[set[str], set[str]]:
    """The package modules ``name`` imports at run time (anywhere in it), and the outside packages."""
    tree = ast.parse(MODULES[name].read_text())
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    inside: set[str] = set()
    outside: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)) or _type_checking_only(node, parents):
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            assert node.level == 0, f"{name}: relative import"
            base = node.module or ""
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        for target in targets:
            if target.split(".")[0] == "lstmcount":
                while target not in MODULES:
                    target = target.rsplit(".", 1)[0]
                if target != name:
                    inside.add(target)
            else:
                outside.add(target.split(".")[0])
    return inside, outside


GRAPH = {name: imports(name) for name in MODULES}


def test_only_the_command_layer_imports_click() -> None:
    """No module below ``lstmcount.cli`` and ``lstmcount.commands`` imports click, even inside a function."""
    offenders = [n for n, (_, outside) in GRAPH.items() if "click" in outside and not n.startswith(COMMAND_LAYER)]
    assert offenders == []


def test_the_core_never_imports_the_command_layer() -> None:
    """Dependencies point one way: no core module imports the CLI or a command."""
    offenders = [
        (n, sorted(t for t in inside if t.startswith(COMMAND_LAYER)))
        for n, (inside, _) in GRAPH.items()
        if not n.startswith(COMMAND_LAYER) and any(t.startswith(COMMAND_LAYER) for t in inside)
    ]
    assert offenders == []


def test_the_import_graph_has_no_cycles() -> None:
    """No module depends on itself through others (lazy imports inside functions count too)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for succ in sorted(GRAPH[node][0]):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for name in GRAPH:
        if name not in index:
            visit(name)
    assert cycles == []


def test_importing_any_core_module_loads_no_click() -> None:
    """In a fresh interpreter, importing each core module on its own leaves click unloaded."""
    core = [n for n in MODULES if not n.startswith(COMMAND_LAYER)]
    probe = (
        "import importlib, sys\n"
        f"for name in {core!r}:\n"
        "    importlib.import_module(name)\n"
        "    assert 'click' not in sys.modules, name\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
