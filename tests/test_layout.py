"""The shape of the package: no import cycle, small modules, a readable Value.

These guard what makes the code easy to follow from one module to the next;
each names what to change when it fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "autograd"
EXTENSION = PACKAGE / "sphinxext"


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_within(root: Path) -> dict[str, dict[str, int]]:
    """Each module's imports of the package's modules, lazy ones included, by line."""
    modules = {_module_name(path, root): path for path in root.rglob("*.py")}
    imports: dict[str, dict[str, int]] = {}
    for name, path in modules.items():
        found: dict[str, int] = {}
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    submodule = f"{node.module}.{alias.name}"
                    target = submodule if submodule in modules else node.module
                    if target in modules and target != name:
                        found.setdefault(target, node.lineno)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in modules and alias.name != name:
                        found.setdefault(alias.name, node.lineno)
        imports[name] = found
    return imports


def import_cycles(imports: dict[str, dict[str, int]]) -> list[list[str]]:
    """The cycles of the import graph, each once, as the modules in order."""
    cycles: list[list[str]] = []
    seen: set[frozenset[str]] = set()

    def visit(path: list[str]) -> None:
        for target in imports.get(path[-1], {}):
            if target == path[0]:
                if frozenset(path) not in seen:
                    seen.add(frozenset(path))
                    cycles.append(path)
            elif target not in path and target > path[0]:
                visit([*path, target])

    for start in sorted(imports):
        visit([start])
    return cycles


def test_no_module_of_the_package_imports_one_that_imports_it_back() -> None:
    imports = imports_within(PACKAGE)
    described = [
        " -> ".join(f"{a} (line {imports[a][b]})" for a, b in zip(c, [*c[1:], c[0]], strict=True))
        for c in import_cycles(imports)
    ]
    assert not described, "import cycles (move the shared name to a module both can import):\n" + (
        "\n".join(described)
    )


def test_the_cycle_finder_finds_a_lazy_cycle(tmp_path: Path) -> None:
    package = tmp_path / "autograd"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from autograd.b import f\n")
    (package / "b.py").write_text("def f():\n    from autograd import a\n")
    cycles = import_cycles(imports_within(package))
    assert cycles == [["autograd.a", "autograd.b"]]


@pytest.mark.parametrize("path", sorted(EXTENSION.rglob("*.py")), ids=lambda p: p.name)
def test_each_module_of_the_extension_keeps_to_400_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= 400, f"{path.name} has {lines} lines: split it by what each part does"


def test_the_value_class_reads_in_under_300_lines() -> None:
    tree = ast.parse((PACKAGE / "engine.py").read_text(encoding="utf-8"))
    value = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Value")
    assert value.end_lineno is not None
    lines = value.end_lineno - value.lineno + 1
    assert lines < 300, f"class Value has {lines} lines: move what is not its own to the module"


def test_the_extension_keeps_no_untyped_attribute() -> None:
    ignored = [
        f"{path.name}:{number}"
        for path in sorted(EXTENSION.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "type: ignore[attr-defined]" in line
    ]
    assert not ignored, f"attributes set where no type declares them: {ignored}"
