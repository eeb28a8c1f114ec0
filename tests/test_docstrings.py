"""Every public function, class and method of the package has a docstring.

ruff's pydocstyle rules (D1, pyproject.toml) check this too, but ruff takes a
module's ``__all__`` as its whole public API, so a public function left out
of ``__all__`` (a FastAPI dependency, a helper another module imports)
escapes it; this test reads every module.  Private names (``_x``), magic
methods and ``__init__`` (described by their class), and the Alembic
migrations are left out, as in ruff's settings.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "gutbalance"


def undocumented(path: Path, root: Path = PACKAGE.parent) -> list[str]:
    """``file:line: name`` of each public function, class or method of ``path`` without a docstring."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    missing: list[str] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            if child.name.startswith("_"):
                continue
            decorators = [ast.unparse(d) for d in child.decorator_list]
            if ast.get_docstring(child) is None and not any(
                d.endswith((".setter", ".deleter")) or d in ("overload", "typing.overload") for d in decorators
            ):
                missing.append(f"{path.relative_to(root)}:{child.lineno}: {prefix}{child.name}")
            if isinstance(child, ast.ClassDef):
                walk(child, f"{prefix}{child.name}.")

    walk(tree, "")
    return missing


def test_every_public_function_class_and_method_has_a_docstring():
    missing = [
        line
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.parts
        for line in undocumented(path)
    ]
    assert not missing, "public names without a docstring:\n" + "\n".join(missing)


def test_the_check_sees_a_method_without_a_docstring(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('class A:\n    """A."""\n\n    def f(self):\n        return 1\n\n    def _g(self):\n        return 2\n')
    assert undocumented(module, tmp_path) == ["m.py:4: A.f"]
