"""Layers that only look down: every import inside the package goes to the
same layer or a lower one, in the order ``docs/architecture.md`` gives.

The order is defined once, in the block of ``docs/architecture.md`` between
``<!-- layers: ...`` and ``<!-- end of layers -->`` (bottom layer first, the
units of one layer on one line); this test reads it from there.  Every import
counts, at the top of a module and inside functions, so an import hidden in a
function to dodge a cycle is caught too; so does a function named by dotted path
for import on first call (``lazy("gutbalance.io.biom_table:load_table")``, see
``gutbalance/lazy.py``): deferred, it still only looks down.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "gutbalance"
DOC = ROOT / "docs" / "architecture.md"

#: Optional dependencies (extras in pyproject.toml), the web app (which needs
#: the web extras), platform modules, anndata (needed only to save or convert
#: a cohort, and slower to import than all of gutbalance; h5py beside it in the
#: .h5ad parser, which anndata has loaded already) and matplotlib
#: (needed only for --figures; at the top of report/ it would load into every
#: web worker before its address-space limit is set): the only imports that
#: may stay inside a function, each with a comment saying why.
LAZY_ALLOWED = (
    "dask", "distributed", "uvicorn", "fastapi", "sqlalchemy", "alembic", "zxcvbn", "SALib", "resource", "gutbalance.web",
    "anndata", "h5py", "matplotlib",
)


def read_layers(doc: Path = DOC) -> list[list[str]]:
    """The layer table of ``docs/architecture.md``: bottom layer first."""
    text = doc.read_text(encoding="utf-8")
    found = re.search(r"<!-- layers:[^\n]*-->\s*```\n(.*?)```\s*<!-- end of layers -->", text, re.S)
    if found is None:
        raise AssertionError(f"{doc}: no layer table between '<!-- layers: ... -->' and '<!-- end of layers -->'")
    return [line.split() for line in found.group(1).splitlines() if line.strip()]


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, "gutbalance.reference.core"
    path: Path
    line: int
    target: str  # the imported gutbalance module, "gutbalance.scores"
    in_function: bool
    deferred: bool = False  # named by dotted path, lazy("module:attribute"), imported on first call


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str, package: Path) -> bool:
    rel = package.parent / Path(*name.split("."))
    return rel.with_suffix(".py").is_file() or (rel / "__init__.py").is_file()


def imports(path: Path, package_dir: Path = PACKAGE) -> list[Import]:
    """Every import in one file of the package: of gutbalance modules, and of
    anything inside a function; with the line and whether it is in a function."""
    name = module_name(path, package_dir)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            targets: list[str] = []
            if isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - (child.level - 1)]
                    source = ".".join(base + ([child.module] if child.module else []))
                else:
                    source = child.module or ""
                # "from . import knowledge" imports the module gutbalance.knowledge
                targets = [f"{source}.{a.name}" if _is_module(f"{source}.{a.name}", package_dir) else source for a in child.names]
            for target in dict.fromkeys(targets):
                if target == "gutbalance" or target.startswith("gutbalance.") or isinstance(child, (ast.Import, ast.ImportFrom)) and in_function:
                    found.append(Import(name, path, child.lineno, target, in_function))
            if (deferred := lazy_target(child)) is not None:
                found.append(Import(name, path, child.lineno, deferred, in_function=False, deferred=True))
            visit(child, inner)

    visit(tree, False)
    return found


def lazy_target(node: ast.AST) -> str | None:
    """The module of ``lazy("module:attribute")`` (a call of ``gutbalance.lazy.lazy``), else None."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "lazy" and node.args):
        return None
    first = node.args[0]
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        return None
    return first.value.partition(":")[0]


def unit(module: str) -> str:
    """The layer unit of a gutbalance module: the first name under the package
    (``gutbalance.reference.core`` -> ``reference``), ``__init__`` for the root."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def all_imports() -> list[Import]:
    return [imp for path in sorted(PACKAGE.rglob("*.py")) for imp in imports(path)]


def test_the_layer_table_is_readable_and_names_each_unit_once():
    layers = read_layers()
    names = [u for layer in layers for u in layer]
    assert len(names) == len(set(names)), f"{DOC}: a unit is in more than one layer: {names}"
    assert layers[-1] == ["__init__", "__main__"], "the package root is the top: only users import it"


def test_every_module_is_in_a_layer():
    known = {u for layer in read_layers() for u in layer}
    units = {unit(module_name(p)) for p in PACKAGE.rglob("*.py")}
    missing = sorted(units - known)
    assert not missing, (
        f"gutbalance modules in no layer: {', '.join(missing)}; add each to the layer table of {DOC.relative_to(ROOT)}"
    )
    stale = sorted(known - units)
    assert not stale, f"the layer table of {DOC.relative_to(ROOT)} names units that do not exist: {', '.join(stale)}"


def upward(found: list[Import], layers: list[list[str]]) -> list[str]:
    """One message per import that goes to a higher layer."""
    level = {u: i for i, layer in enumerate(layers) for u in layer}
    wrong = []
    for imp in found:
        if not imp.target.startswith("gutbalance"):
            continue
        here, there = unit(imp.module), unit(imp.target)
        if here in level and there in level and level[there] > level[here]:
            where = "by dotted path" if imp.deferred else "inside a function" if imp.in_function else "at module level"
            wrong.append(
                f"{_shown(imp.path)}:{imp.line}: {imp.module} imports {imp.target} ({where}): "
                f"layer '{here}' ({level[here] + 1}) may not import layer '{there}' ({level[there] + 1})"
            )
    return wrong


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def test_no_module_imports_a_higher_layer():
    wrong = upward(all_imports(), read_layers())
    assert not wrong, "imports that look up (order in docs/architecture.md, 'Layers'):\n" + "\n".join(wrong)


def test_no_in_function_imports_but_optional_dependencies():
    wrong = []
    for imp in all_imports():
        if not imp.in_function:
            continue
        if any(imp.target == name or imp.target.startswith(f"{name}.") for name in LAZY_ALLOWED):
            continue
        wrong.append(f"{_shown(imp.path)}:{imp.line}: {imp.module} imports {imp.target} inside a function")
    assert not wrong, (
        "imports inside functions (move them to the top of the module; only optional dependencies "
        f"{sorted(LAZY_ALLOWED)} may stay lazy):\n" + "\n".join(wrong)
    )


# --- the checker checks ----------------------------------------------------------------


def _package(tmp_path: Path, probe: str) -> tuple[Path, Path]:
    package = tmp_path / "gutbalance"
    for sub in ("reference", "scores", "report"):
        (package / sub).mkdir(parents=True)
        (package / sub / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "report" / "render.py").write_text("")
    path = package / "reference" / "probe.py"
    path.write_text(probe)
    return package, path


@pytest.mark.parametrize(
    ("source", "in_function", "target"),
    [
        ("from ..scores import score\n", False, "gutbalance.scores"),
        ("def f():\n    from .. import scores\n", True, "gutbalance.scores"),
        ("import gutbalance.report.render\n", False, "gutbalance.report.render"),
        ("from .. import __version__\n", False, "gutbalance"),
        ("class A:\n    def f(self):\n        import numpy\n", True, "numpy"),
    ],
)
def test_the_checker_sees_every_kind_of_import(tmp_path, source, in_function, target):
    package, path = _package(tmp_path, source)
    (found,) = imports(path, package)
    assert (found.target, found.in_function, found.module) == (target, in_function, "gutbalance.reference.probe")


def test_a_function_named_by_dotted_path_counts_as_an_import(tmp_path):
    package, path = _package(tmp_path, 'from ..lazy import lazy\n\nrender = lazy("gutbalance.report.render:render")\n')
    found = [imp for imp in imports(path, package) if imp.deferred]
    assert [(imp.target, imp.line, imp.in_function) for imp in found] == [("gutbalance.report.render", 3, False)]
    (message,) = upward(found, [["scores"], ["reference"], ["report"], ["__init__"]])
    assert "imports gutbalance.report.render (by dotted path)" in message


def test_an_import_that_looks_up_is_named_with_file_line_and_layers(tmp_path):
    package, path = _package(tmp_path, "import numpy\n\n\ndef f():\n    from ..report import render\n")
    layers = [["scores"], ["reference"], ["report"], ["__init__"]]
    (message,) = upward(imports(path, package), layers)
    assert message.endswith(
        "probe.py:5: gutbalance.reference.probe imports gutbalance.report.render (inside a function): "
        "layer 'reference' (2) may not import layer 'report' (3)"
    )
    assert upward(imports(path, package), [["scores"], ["report"], ["reference"], ["__init__"]]) == []
