"""The docs point only at what exists: every markdown link and image of
``README.md`` and ``docs/*.md`` reaches a file (and its anchor a heading of
that file), every repository file named in inline code (``scripts/x.py``,
``docs/figures/y.svg``, ``benchmarks/results/z.md``) is there, and every
``docs/X.md``, "Section" pointer in prose names a heading of that doc."""

from __future__ import annotations

import pytest

from .markdown import DOCS, ROOT, Link, anchors, headings, links, named_files, section_refs

LINKS = links()
NAMED = named_files()
SECTIONS = section_refs()


def _target(doc, path: str):
    """The file ``path`` names from ``doc``: relative to the doc, else to the
    repository root (the docs name files both ways)."""
    for base in (doc.parent, ROOT):
        candidate = (base / path).resolve()
        if candidate.exists():
            return candidate
    return None


def link_problem(link: Link) -> str | None:
    """Why ``link`` leads nowhere, or ``None``."""
    target = link.target
    if target.startswith(("http://", "https://", "mailto:")):
        return None
    path, _, anchor = target.partition("#")
    file = _target(link.doc, path) if path else link.doc
    if file is None:
        return f"{path}: no such file"
    if anchor and file.suffix == ".md" and anchor not in anchors(file):
        return f"{path or link.doc.name} has no heading with the anchor #{anchor}"
    return None


def section_problem(ref: Link) -> str | None:
    """Why a ``docs/X.md``, "Section" pointer names no section, or ``None``."""
    file = _target(ref.doc, ref.target)
    if file is None:
        return f"{ref.target}: no such file"
    wanted = ref.section.replace("`", "").lower()
    if any(h.replace("`", "").lower().startswith(wanted) for h in headings(file)):
        return None
    return f"{ref.target} has no section {ref.section!r}"


def test_the_docs_have_links_files_and_sections_to_check():
    assert any(link.target.startswith("figures/") for link in LINKS)
    assert any(n.target.startswith("scripts/") for n in NAMED)
    assert any(ref.section == "Reading" for ref in SECTIONS)


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_every_link_reaches_a_file_and_heading(doc):
    wrong = [f"{link.where}: ({link.target}) {problem}" for link in LINKS if link.doc == doc
             for problem in [link_problem(link)] if problem]
    assert not wrong, "links that lead nowhere:\n" + "\n".join(wrong)


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_every_file_named_exists(doc):
    wrong = [f"{n.where}: {n.target}" for n in NAMED if n.doc == doc and _target(doc, n.target) is None]
    assert not wrong, "files the docs name that do not exist:\n" + "\n".join(wrong)


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_every_section_pointer_names_a_heading(doc):
    wrong = [f"{ref.where}: {problem}" for ref in SECTIONS if ref.doc == doc
             for problem in [section_problem(ref)] if problem]
    assert not wrong, "section pointers that name no heading:\n" + "\n".join(wrong)


def test_a_broken_link_file_and_section_are_caught(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(
        "# Top\n\n## Second part\n\nSee [a](#second-part), [b](#third-part), [c](missing.md), "
        "![d](figures/nothing.svg).\n`scripts/no_such.py` and `scripts/make_example.py`;\n"
        "as `doc.md`, \"Second\" says, not `doc.md`, \"Fourth\".\n",
        encoding="utf-8",
    )
    assert [(link.target, link_problem(link)) for link in links([doc])] == [
        ("#second-part", None),
        ("#third-part", "doc.md has no heading with the anchor #third-part"),
        ("missing.md", "missing.md: no such file"),
        ("figures/nothing.svg", "figures/nothing.svg: no such file"),
    ]
    assert [(n.target, _target(doc, n.target) is None) for n in named_files([doc])] == [
        ("scripts/no_such.py", True),
        ("scripts/make_example.py", False),
    ]
    assert [section_problem(ref) for ref in section_refs([doc])] == [None, "doc.md has no section 'Fourth'"]


def test_the_readme_lists_every_doc():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = readme.split("## Documentation", 1)[1].split("\n## ", 1)[0]
    missing = [d.name for d in DOCS[1:] if f"`docs/{d.name}`" not in listed]
    assert not missing, f"docs the README's Documentation list leaves out: {missing}"
