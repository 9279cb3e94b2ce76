"""The code's layers import one way, base <- agents <- model <- experiments (ODD §2), and no
module imports another module's underscore names: what a layer offers the next is its
public interface, so a rule is stated, and changed, in one place."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("base", "agents", "model", "experiments")


def _runtime_imports(path: Path) -> list[ast.ImportFrom]:
    """The relative `from ... import` statements of a module, those only for type checkers
    (under ``if TYPE_CHECKING:``) left out."""
    tree = ast.parse(path.read_text())
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            skipped.update(id(n) for child in node.body for n in ast.walk(child))
    return [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level > 0 and id(n) not in skipped]


def _target_layer(path: Path, node: ast.ImportFrom) -> str:
    """The layer a relative import reaches (its own for ``from . import``)."""
    package = path.relative_to(ROOT).parent.parts
    base = package[: len(package) - (node.level - 1)]
    parts = list(base) + (node.module.split(".") if node.module else [])
    return parts[0] if parts else ""


def _modules() -> list[tuple[str, Path]]:
    return [(layer, p) for layer in LAYERS for p in sorted((ROOT / layer).rglob("*.py"))]


def test_layers_import_only_the_layers_below_them() -> None:
    wrong = []
    for layer, path in _modules():
        for node in _runtime_imports(path):
            target = _target_layer(path, node)
            if target in LAYERS and LAYERS.index(target) > LAYERS.index(layer):
                wrong.append(f"{path.relative_to(ROOT)} imports {target} ({node.module})")
    assert not wrong, wrong
    assert len(_modules()) > 40  # the walk found the package


def test_no_module_imports_another_modules_underscore_names() -> None:
    wrong = [f"{path.relative_to(ROOT)}: {a.name} from {node.module}"
             for _, path in _modules() for node in _runtime_imports(path) for a in node.names
             if a.name.startswith("_") and not a.name.startswith("__")]
    assert not wrong, wrong


def _module_aliases(tree: ast.Module) -> set[str]:
    """Names a module binds to other modules of the package (``from . import savers as sv``,
    ``from ..agents import kernels``)."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            out.update(a.asname or a.name for a in node.names if a.name[:1].islower())
    return out


def test_no_module_reads_another_modules_underscore_names() -> None:
    # `sv._ALT_HOLDINGS` reaches past the interface as `from .savers import _ALT_HOLDINGS`
    # would. Only names bound to package modules are checked, not objects' attributes.
    wrong = []
    for _, path in _modules():
        tree = ast.parse(path.read_text())
        aliases = _module_aliases(tree)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value.id}.{node.attr}")
    assert not wrong, wrong
