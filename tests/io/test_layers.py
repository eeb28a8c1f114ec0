"""io/ in three layers (docs/architecture.md, "Reading"): the API on top, one
module per format, shared modules at the bottom.  Checked from the source."""

import ast
from pathlib import Path

import gutbalance.io

IO = Path(gutbalance.io.__file__).parent
SHARED = sorted(p for p in IO.glob("*.py") if p.name != "__init__.py")
FORMATS = sorted(p for p in (IO / "formats").glob("*.py") if p.name != "__init__.py")


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(absolute module imported, whether inside a function) for every import of ``path``."""
    package = "gutbalance.io" + ("" if path.parent == IO else ".formats")
    tree = ast.parse(path.read_text())
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inside.update(id(n) for n in ast.walk(node) if n is not node)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            name = ".".join(x for x in (base, node.module or "") if x)
            out.extend((f"{name}.{a.name}" if node.module is None else name, id(node) in inside) for a in node.names)
        elif isinstance(node, ast.Import):
            out.extend((a.name, id(node) in inside) for a in node.names)
    return out


def test_shared_modules_never_import_a_format_or_the_api():
    for path in SHARED:
        for name, _ in _imports(path):
            assert not name.startswith("gutbalance.io.formats"), (path.name, name)
            assert name != "gutbalance.io", (path.name, name)


def test_a_format_module_imports_no_other_format():
    for path in FORMATS:
        for name, _ in _imports(path):
            assert not name.startswith("gutbalance.io.formats"), (path.name, name)


def test_no_in_function_import_but_anndata():
    # anndata is deferred on purpose (over a second to import; see formats/h5ad.py), and h5py in the
    # .h5ad parser beside it (anndata has loaded it by then; at the top of io/ it would load for a MetaPhlAn run)
    for path in [IO / "__init__.py", *SHARED, *FORMATS]:
        late = [name for name, in_function in _imports(path) if in_function and name not in {"anndata", "h5py"}]
        assert not late, (path.name, late)


def test_the_biom_library_is_named_by_dotted_path_not_imported():
    # biom_table (biom-format, h5py) is imported on first use: a MetaPhlAn run never loads it (gutbalance/lazy.py)
    for path in [IO / "__init__.py", *FORMATS]:
        assert "gutbalance.io.biom_table" not in {name for name, _ in _imports(path)}, path.name


def test_no_context_variable_carries_a_taxonomy():
    for path in [IO / "__init__.py", *SHARED, *FORMATS]:
        assert "contextvars" not in {name for name, _ in _imports(path)}, path.name
