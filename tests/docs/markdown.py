"""What the user-facing documentation shows: the commands in ``README.md`` and
``docs/*.md`` (in fenced code blocks and in inline code), their links, the
files they name and the sections they point to.  Read by the tests of this
folder; nothing here runs a command.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

#: Tokens that join two commands on one line.
_JOINERS = {"&&", "||", ";", "|"}
_FENCE = re.compile(r"^\s*(```|~~~)")
_INLINE = re.compile(r"(?<!`)`([^`\n]+(?:\n[^`\n]+)*)`(?!`)")
_ENV = re.compile(r"^[A-Z_][A-Z0-9_]*=")
_SCRIPT = re.compile(r"^(?:\./)?((?:scripts|benchmarks)/[\w.-]+\.py)$")


@dataclass(frozen=True)
class Place:
    """A line of a doc."""

    doc: Path
    line: int

    @property
    def where(self) -> str:
        doc = self.doc.relative_to(ROOT).as_posix() if self.doc.is_relative_to(ROOT) else str(self.doc)
        return f"{doc}:{self.line}"


@dataclass(frozen=True)
class Command(Place):
    """One command as a doc shows it: ``program`` is ``gutbalance`` or the
    script's path from the repository root (``scripts/x.py``); ``args`` are
    the words after it; ``whole`` when it is a whole command line (a code
    block's or a help's example), not a command named in prose."""

    program: str
    args: tuple[str, ...]
    text: str
    whole: bool = False


@dataclass(frozen=True)
class Link(Place):
    """What a doc points at: a markdown link or image's target, a file named
    in inline code, or a doc with the ``section`` a prose pointer names."""

    target: str
    section: str = ""


def _without_fences(text: str) -> tuple[str, list[tuple[int, str]]]:
    """``text`` with its fenced blocks blanked (line numbers kept), and the
    blocks' lines with their numbers, continuation lines (``\\``) joined."""
    prose: list[str] = []
    block: list[tuple[int, str]] = []
    inside = False
    pending: tuple[int, str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            inside = not inside
            prose.append("")
            continue
        if not inside:
            prose.append(line)
            continue
        prose.append("")
        if pending is not None:
            line = pending[1] + " " + line.strip()
            number = pending[0]
            pending = None
        if line.rstrip().endswith("\\"):
            pending = (number, line.rstrip()[:-1])
            continue
        block.append((number, line))
    return "\n".join(prose), block


def _words(text: str) -> list[str]:
    try:
        return shlex.split(text, comments=True)
    except ValueError:  # an unbalanced quote in a prose fragment
        return text.split()


def _commands_in(doc: Path, number: int, text: str, whole: bool = False) -> list[Command]:
    found: list[Command] = []
    segment: list[str] = []
    for word in [*_words(text), ";"]:
        if word not in _JOINERS:
            segment.append(word)
            continue
        while segment and (_ENV.match(segment[0]) or segment[0] == "$"):
            segment.pop(0)
        if segment:
            head, rest = segment[0], segment[1:]
            if head.endswith("/python") or head in ("python", "python3"):
                if rest and rest[0] == "-m" and len(rest) > 1 and rest[1] == "gutbalance":
                    head, rest = "gutbalance", rest[2:]
                elif rest and _SCRIPT.match(rest[0]):
                    head, rest = rest[0], rest[1:]
            if head.endswith("/gutbalance"):
                head = "gutbalance"
            script = _SCRIPT.match(head)
            if head == "gutbalance" or script:
                program = script.group(1) if script else head
                found.append(Command(doc, number, program, tuple(rest), " ".join(segment), whole))
        segment = []
    return found


def commands(docs: list[Path] = DOCS) -> list[Command]:
    """Every ``gutbalance ...``, ``python scripts/X.py ...`` and
    ``python benchmarks/X.py ...`` command the docs show, in code blocks and
    in inline code."""
    found: list[Command] = []
    for doc in docs:
        text = doc.read_text(encoding="utf-8")
        prose, block = _without_fences(text)
        for number, line in block:
            found.extend(_commands_in(doc, number, line, whole=True))
        for match in _INLINE.finditer(prose):
            number = prose.count("\n", 0, match.start()) + 1
            words = match.group(1).replace("\n", " ")
            if re.match(r"^(?:\S+=\S+ )*(?:gutbalance(?: |$)|\S*python3? |(?:\./)?(?:scripts|benchmarks)/)", words):
                found.extend(_commands_in(doc, number, words))
    return found


def commands_in_text(doc: Path, text: str) -> list[Command]:
    """The ``gutbalance ...`` lines of a plain text (a command's help, whose
    examples continue a line with ``\\``), ``doc`` naming where it is from."""
    found: list[Command] = []
    lines = text.replace("\\\n", " ").splitlines()
    for number, line in enumerate(lines, start=1):
        if line.strip().startswith("gutbalance "):
            found.extend(_commands_in(doc, number, line.strip(), whole=True))
    return found


def headings(doc: Path) -> list[str]:
    """The headings of a markdown file, as written (without the ``#``)."""
    text = doc.read_text(encoding="utf-8")
    prose, _block = _without_fences(text)
    return [m.group(1).strip() for m in re.finditer(r"^#{1,6}\s+(.*?)\s*#*\s*$", prose, re.M)]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces
    to hyphens."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(doc: Path) -> set[str]:
    """Every anchor of a markdown file: its headings' slugs (a repeated one
    numbered as GitHub numbers it) and explicit ``<a id=...>``/``name=``."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for heading in headings(doc):
        base = slug(heading)
        count = seen.get(base, 0)
        found.add(base if count == 0 else f"{base}-{count}")
        seen[base] = count + 1
    text = doc.read_text(encoding="utf-8")
    found.update(re.findall(r"<a\s+(?:id|name)=\"([^\"]+)\"", text))
    return found


def links(docs: list[Path] = DOCS) -> list[Link]:
    """Every ``[text](target)`` and ``![alt](target)`` outside code."""
    found: list[Link] = []
    for doc in docs:
        prose, _ = _without_fences(doc.read_text(encoding="utf-8"))
        prose = _INLINE.sub(lambda m: "`" + re.sub(r"[^\n]", " ", m.group(1)) + "`", prose)
        for match in re.finditer(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", prose):
            found.append(Link(doc, prose.count("\n", 0, match.start()) + 1, match.group(1)))
    return found


#: A repository file named in inline code: a doc, a script, a benchmark, a
#: test, a source file, a figure or a benchmark result.
_PATH = re.compile(
    r"^(?:README\.md|(?:docs|scripts|benchmarks|tests|src)/[\w./-]+\.\w+|figures/[\w./-]+\.\w+|\.ci/[\w.-]+)$"
)


def named_files(docs: list[Path] = DOCS) -> list[Link]:
    """Every file of the repository the docs name in inline code
    (``docs/scoring.md``, ``scripts/x.py``, ``figures/y.svg``), alone or
    in an inline command (``python scripts/x.py --flag``)."""
    found: list[Link] = []
    for doc in docs:
        prose, _ = _without_fences(doc.read_text(encoding="utf-8"))
        for match in _INLINE.finditer(prose):
            number = prose.count("\n", 0, match.start()) + 1
            for word in match.group(1).split():
                word = word.strip("[](),;:")
                if _PATH.match(word) and not any(c in word for c in "*{}<>") and "..." not in word:
                    found.append(Link(doc, number, word))
    return found


def section_refs(docs: list[Path] = DOCS) -> list[Link]:
    """Every ``docs/X.md``, "Section" (or ``docs/X.md`` ("Section")) pointer
    in the docs' prose."""
    found: list[Link] = []
    pattern = re.compile(r"`?((?:docs/)?[\w-]+\.md)`?(?:,\s+|\s*\()\"([^\"]+)\"")
    for doc in docs:
        prose, _ = _without_fences(doc.read_text(encoding="utf-8"))
        for match in pattern.finditer(prose):
            number = prose.count("\n", 0, match.start()) + 1
            found.append(Link(doc, number, match.group(1), " ".join(match.group(2).split())))
    return found
