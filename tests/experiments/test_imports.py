"""The experiments package imports its own modules at the top only, and without a cycle."""

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import affectvlm.experiments

PACKAGE = "affectvlm.experiments"
FOLDER = Path(affectvlm.experiments.__file__).parent


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.ImportFrom) and node.module:
        return [node.module]
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    return []


def _modules() -> dict[str, ast.Module]:
    return {
        f"{PACKAGE}.{path.stem}": ast.parse(path.read_text(encoding="utf-8"))
        for path in FOLDER.glob("*.py")
        if path.stem != "__init__"
    }


def test_no_module_of_the_package_is_imported_inside_a_function():
    hidden = []
    for name, tree in _modules().items():
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                hidden += [(name, m) for m in _imported(node) if m.startswith(PACKAGE)]
    assert hidden == []


def test_the_package_modules_import_each_other_without_a_cycle():
    modules = _modules()
    graph = {
        name: {m for node in tree.body for m in _imported(node) if m in modules}
        for name, tree in modules.items()
    }
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:  # pragma: no cover - the failure message is the cycle
        raise AssertionError(f"import cycle: {exc.args[1]}") from None
    assert set(order) == set(modules)
    assert graph[f"{PACKAGE}.runner"]  # the graph is read at all: the runner imports siblings
