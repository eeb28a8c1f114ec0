"""``docs/architecture.md`` names what exists and all of it: every module and
package it names (``io/formats/kraken.py``, or ``formats/kraken.py`` in the
section about ``io/``) is in ``src/gutbalance``, and every module of the
package is named, so a module added or removed shows up here.

A module counts as named by its path from ``src/gutbalance``, or from a
package the heading of its section names (``## Reading (`io/`)``), in inline
code or in a diagram; by its name in the paragraph or diagram that names its
folder as ``io/formats/*.py``; or, for a module at the top of the package, by
its place in the layer table (which ``tests/test_layers.py`` keeps complete).  The database migrations
(``web/migrations/versions/*``) count as named with ``web/migrations/``.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_layers import read_layers

from .markdown import ROOT

PACKAGE = ROOT / "src" / "gutbalance"
DOC = ROOT / "docs" / "architecture.md"
#: A path in inline code, a module (``x.py``) or a package (``x/``), or a
#: module's path anywhere (a diagram).
_NAMED = re.compile(r"`([\w/]+(?:\.py|/))`|(?<![\w/.`])([\w/]+\.py)\b(?!`)")
#: A folder's modules named together: ``io/formats/*.py``, then their names.
_GLOB = re.compile(r"([\w/]+/)\*\.py")


def sections(text: str) -> list[tuple[list[str], str]]:
    """The doc cut at its ``##`` headings: each part's packages (named in
    its heading, ``io/``) and its text."""
    parts: list[tuple[list[str], str]] = []
    for chunk in re.split(r"(?m)^(?=## )", text):
        heading = chunk.splitlines()[0] if chunk.startswith("## ") else ""
        packages = [p for p in re.findall(r"`([\w/]+/)`", heading)]
        parts.append((packages, chunk))
    return parts


def _resolve(name: str, packages: list[str], package: Path, root: Path) -> Path | None:
    """The file or folder ``name`` stands for, from a package of its section,
    the package, or the repository root."""
    for base in [*(package / p for p in packages), package, package.parent, root]:
        if (base / name).exists():
            return (base / name).resolve()
    return None


def named(text: str, package: Path = PACKAGE, root: Path = ROOT) -> tuple[set[Path], list[str]]:
    """What ``text`` (the architecture doc) names that exists, and the names
    that lead to nothing."""
    found: set[Path] = set()
    missing: list[str] = []
    for packages, chunk in sections(text):
        for quoted, plain in _NAMED.findall(chunk):
            name = quoted or plain
            path = _resolve(name, packages, package, root)
            if path is None:
                missing.append(name)
            else:
                found.add(path)
        for paragraph in re.split(r"\n\s*\n", chunk):
            for folder in _GLOB.findall(paragraph):
                directory = _resolve(folder, packages, package, root)
                if directory is None:
                    missing.append(folder + "*.py")
                    continue
                found.add(directory)
                words = set(re.findall(r"\w+", paragraph))
                found.update(m.resolve() for m in directory.glob("*.py") if m.stem in words)
    return found, missing


def unnamed(text: str, package: Path = PACKAGE, layers: list[list[str]] | None = None) -> list[str]:
    """The modules and packages of ``package`` that ``text`` names nowhere."""
    found, _ = named(text, package)
    top = {unit for layer in (layers if layers is not None else read_layers()) for unit in layer}
    left: list[str] = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if "migrations" in relative.parts and "versions" in relative.parts:
            path = package / "web" / "migrations"
        elif path.name == "__init__.py":
            if path.parent == package:
                continue
            path = path.parent
        elif len(relative.parts) == 1 and path.stem in top:
            continue
        if path.resolve() not in found:
            left.append(path.relative_to(package).as_posix() + ("/" if path.is_dir() else ""))
    return sorted(set(left))


def test_every_module_the_doc_names_exists():
    _, missing = named(DOC.read_text(encoding="utf-8"))
    assert not missing, f"docs/architecture.md names modules that do not exist: {missing}"


def test_every_module_is_named_in_the_doc():
    left = unnamed(DOC.read_text(encoding="utf-8"))
    assert not left, f"modules docs/architecture.md does not name: {left}"


def test_a_removed_or_unlisted_module_is_caught(tmp_path):
    package = tmp_path / "pkg"
    (package / "io" / "formats").mkdir(parents=True)
    for name in ("__init__.py", "lazy.py", "io/__init__.py", "io/read.py", "io/formats/__init__.py", "io/formats/csv.py"):
        (package / name).write_text("", encoding="utf-8")
    text = "# A\n\n## Reading (`io/`)\n\n`read.py`, `formats/` and `gone.py`.\n"
    assert named(text, package, tmp_path)[1] == ["gone.py"]
    assert unnamed(text, package, [["lazy"]]) == ["io/formats/csv.py"]
    assert unnamed(text, package, [[]]) == ["io/formats/csv.py", "lazy.py"]
    diagram = "## Reading (`io/`)\n\n```\nio/formats/*.py   one per format: csv, tsv\nio/gone.py\n```\n"
    assert named(diagram, package, tmp_path)[1] == ["io/gone.py"]
    assert unnamed(diagram + text, package, [["lazy"]]) == []
