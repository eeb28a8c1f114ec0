#!/usr/bin/env python3
"""Rebuild ``/work/outside-data`` (public profiles of other studies) from fetched git repositories.

Developer tool (docs/tried-on-public-data.md, "The data"). The files tried on
other labs' data stay outside the project; this script puts them back where
the checks expect them, from GitHub snapshots fetched beforehand::

    python scripts/unpack_outside_data.py REPOS DATA_ROOT     # unpack, write SOURCE.txt and READY
    python scripts/unpack_outside_data.py --markdown          # the exact file table of the docs

``REPOS`` holds one git repository per GitHub repository, bare or cloned, as
``REPOS/owner+name/repo`` (what the session's ``fetch`` tool writes),
``REPOS/owner+name``, ``REPOS/owner/name`` or ``REPOS/name``. Nothing is
fetched here (no network): a repository that is absent is named and skipped.

What goes where is ``scripts/outside_data_sources.tsv``: one row a file or
folder (``target`` under ``DATA_ROOT``, ``repository``, full ``commit``,
``source`` path at that commit; a ``source`` ending in ``/`` is a folder whose
files are copied below ``target``). The docs print the same rows
(``--markdown``) and ``tests/io/test_unpack_outside_data.py`` checks that they
agree, and that every folder and commit of the docs' table is in it.

Each top folder gets a ``SOURCE.txt``: the repository, commit and paths of its
files, and the study and what the files are from the docs' table (and, for
the cohorts of docs/validation.md, what the labels mean). ``DATA_ROOT/READY``
lists each top folder with its number of files. A commit missing from a
snapshot is replaced by the newest commit of the snapshot that has the path,
said on screen and in ``SOURCE.txt``.
"""

from __future__ import annotations

import argparse
import csv
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "scripts" / "outside_data_sources.tsv"
DOCS = ROOT / "docs" / "tried-on-public-data.md"
VALIDATION = ROOT / "docs" / "validation.md"
COLUMNS = ["target", "repository", "commit", "source"]
LFS_POINTER = b"version https://git-lfs.github.com/spec/"


@dataclass(frozen=True)
class Source:
    """One row of the table: a file or folder of a repository at a commit, and where it goes."""

    target: str
    repository: str
    commit: str
    source: str

    @property
    def folder(self) -> str:
        """The top folder under DATA_ROOT (one ``SOURCE.txt`` each)."""
        return self.target.split("/", 1)[0]


def read_sources(path: Path = TABLE) -> list[Source]:
    """The rows of the table, checked: the columns, a 40-digit commit, folders to folders.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "t.tsv"
    >>> _ = p.write_text("target\\trepository\\tcommit\\tsource\\nx/a.txt\\to/r\\t" + "a" * 40 + "\\tb/a.txt\\n")
    >>> read_sources(p)[0].folder
    'x'
    >>> _ = p.write_text("target\\trepository\\tcommit\\tsource\\nx/\\to/r\\tabc\\tb/a.txt\\n")
    >>> read_sources(p)
    Traceback (most recent call last):
    ValueError: t.tsv line 2, field 'commit': 'abc' is not a 40-digit commit
    """
    with path.open(newline="") as handle:
        reader = csv.reader(handle, delimiter="\t")
        header = next(reader, [])
        if header != COLUMNS:
            raise ValueError(f"{path.name} line 1: header {header} is not {COLUMNS}")
        rows = []
        for number, fields in enumerate(reader, start=2):
            if len(fields) != len(COLUMNS):
                raise ValueError(f"{path.name} line {number}: {len(fields)} fields, expected {len(COLUMNS)}")
            row = Source(*fields)
            if not re.fullmatch(r"[0-9a-f]{40}", row.commit):
                raise ValueError(f"{path.name} line {number}, field 'commit': {row.commit!r} is not a 40-digit commit")
            if not re.fullmatch(r"[\w.-]+/[\w.-]+", row.repository):
                raise ValueError(f"{path.name} line {number}, field 'repository': {row.repository!r} is not owner/name")
            if row.target.endswith("/") != row.source.endswith("/"):
                raise ValueError(f"{path.name} line {number}: a folder ('/' at the end) must go to a folder, "
                                 f"a file to a file ({row.source!r} -> {row.target!r})")
            if row.target.startswith("/") or ".." in row.target.split("/"):
                raise ValueError(f"{path.name} line {number}, field 'target': {row.target!r} leaves DATA_ROOT")
            rows.append(row)
    return rows


def markdown(rows: list[Source]) -> str:
    """The rows as the docs print them (``folder/file`` targets, 8-digit commits)."""
    lines = ["| under DATA_ROOT | repository | commit | path at that commit |", "|---|---|---|---|"]
    lines += [f"| `{r.target}` | {r.repository} | {r.commit[:8]} | `{r.source}` |" for r in rows]
    return "\n".join(lines) + "\n"


def git_dir(repos: Path, repository: str) -> Path | None:
    """The git directory of ``owner/name`` under ``repos``, bare or cloned, or None."""
    owner, name = repository.split("/")
    for candidate in (repos / f"{owner}+{name}" / "repo", repos / f"{owner}+{name}", repos / owner / name,
                      repos / name):
        if (candidate / ".git").is_dir():
            return candidate / ".git"
        if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
            return candidate
    return None


def _git(directory: Path, *args: str) -> bytes:
    return subprocess.run(["git", "--git-dir", str(directory), *args], check=True, capture_output=True).stdout


def resolve_commit(directory: Path, row: Source) -> tuple[str, str]:
    """The commit to read ``row`` at, and a note when it is not the table's (absent from the snapshot)."""
    present = subprocess.run(["git", "--git-dir", str(directory), "cat-file", "-e", f"{row.commit}^{{commit}}"],
                             capture_output=True).returncode == 0
    if present:
        return row.commit, ""
    newest = _git(directory, "log", "--all", "-1", "--format=%H", "--", row.source.rstrip("/")).decode().strip()
    if not newest:
        raise LookupError(f"{row.repository}: commit {row.commit[:8]} is not in the snapshot and no commit has "
                          f"{row.source!r}")
    return newest, (f"commit {row.commit[:8]} is not in the snapshot; read at {newest[:8]}, the newest commit "
                    f"that has {row.source}")


def files_of(directory: Path, commit: str, row: Source) -> list[tuple[str, str]]:
    """``(path in the repository, target under DATA_ROOT)`` for every file the row stands for."""
    listed = _git(directory, "ls-tree", "-r", "-z", "--name-only", commit, "--", row.source.rstrip("/"))
    paths = [p for p in listed.decode().split("\0") if p]
    if not row.source.endswith("/"):
        if paths != [row.source]:
            raise LookupError(f"{row.repository} @ {commit[:8]}: no file {row.source!r}")
        return [(row.source, row.target)]
    if not paths:
        raise LookupError(f"{row.repository} @ {commit[:8]}: no folder {row.source!r}")
    return [(p, row.target + p[len(row.source):]) for p in paths]


def _docs_rows(path: Path, heading: str) -> list[list[str]]:
    """The cells of the first table after ``heading`` in a markdown file."""
    text = path.read_text()
    start = text.index(heading)
    cells = []
    for line in text[start:].splitlines()[1:]:
        if line.startswith("|"):
            cells.append([c.strip() for c in line.strip().strip("|").split(" | ")])
        elif cells:
            break
    return [[c.replace("\\|", "|") for c in row] for row in cells[2:]]


def docs_data_rows() -> list[list[str]]:
    """The rows of "The data" in docs/tried-on-public-data.md: folder, repository @ commit : path, study, what."""
    return _docs_rows(DOCS, "## The data")


def source_text(folder: str, rows: list[Source], notes: dict[Source, str], counts: dict[Source, int]) -> str:
    """The ``SOURCE.txt`` of one top folder."""
    lines = [f"{folder}/: public files of another study, fetched from GitHub; not part of gutbalance.",
             "Unpacked by scripts/unpack_outside_data.py (gutbalance repository) from scripts/outside_data_sources.tsv.",
             "", "Files (repository @ commit : path -> here):"]
    for row in rows:
        lines.append(f"- https://github.com/{row.repository} @ {row.commit} : {row.source} -> {row.target} "
                     f"({counts.get(row, 0)} file(s))")
        if notes.get(row):
            lines.append(f"  NOTE: {notes[row]}")
    for cells in docs_data_rows():
        if cells[0].strip("`").split("/", 1)[0] == folder and len(cells) >= 4:
            lines += ["", f"Docs row `{cells[0].strip('`')}` (docs/tried-on-public-data.md, The data):",
                      f"  source: {cells[1]}", f"  study (citation): {cells[2]}", f"  what it is: {cells[3]}"]
    for cells in _docs_rows(VALIDATION, "## Other studies with their own controls"):
        if cells[0].strip("`") == folder and len(cells) >= 5:
            lines += ["", "Labels (docs/validation.md, Other studies with their own controls):",
                      f"  study: {cells[1]}", f"  population, platform: {cells[2]}", f"  healthy: {cells[3]}",
                      f"  disease: {cells[4]}"]
    return "\n".join(lines) + "\n"


def unpack(repos: Path, data_root: Path, rows: list[Source]) -> dict[str, int]:
    """Write every row's files under ``data_root``; return the files per top folder (absent repositories: 0)."""
    notes: dict[Source, str] = {}
    counts: dict[Source, int] = {}
    for row in rows:
        directory = git_dir(repos, row.repository)
        if directory is None:
            print(f"skipped {row.target}: no repository {row.repository} under {repos}", flush=True)
            continue
        commit, notes[row] = resolve_commit(directory, row)
        if notes[row]:
            print(f"{row.target}: {notes[row]}", flush=True)
        pairs = files_of(directory, commit, row)
        written = 0
        for inside, target in pairs:
            blob = subprocess.run(["git", "--git-dir", str(directory), "cat-file", "blob", f"{commit}:{inside}"],
                                  capture_output=True)
            if blob.returncode != 0:  # listed in the tree, its content left out of the snapshot (large files)
                print(f"{target}: absent from the snapshot of {row.repository} (not written)", flush=True)
                notes[row] = (notes[row] + "; " if notes[row] else "") + f"{inside} absent from the snapshot"
                continue
            data = blob.stdout
            if data.startswith(LFS_POINTER):
                print(f"{target}: a Git LFS pointer, not the file (kept as it is)", flush=True)
            out = data_root / target
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
            written += 1
        counts[row] = written
    per_folder: dict[str, int] = {}
    for row in rows:
        per_folder[row.folder] = per_folder.get(row.folder, 0) + counts.get(row, 0)
    for folder in per_folder:
        mine = [r for r in rows if r.folder == folder]
        if any(r in counts for r in mine):
            (data_root / folder / "SOURCE.txt").write_text(source_text(folder, mine, notes, counts))
    return per_folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repos", nargs="?", type=Path, help="folder of fetched git repositories")
    parser.add_argument("data_root", nargs="?", type=Path, help="where to unpack (/work/outside-data)")
    parser.add_argument("--table", type=Path, default=TABLE)
    parser.add_argument("--markdown", action="store_true", help="print the table as the docs show it")
    args = parser.parse_args(argv)
    rows = read_sources(args.table)
    if args.markdown:
        sys.stdout.write(markdown(rows))
        return 0
    if args.repos is None or args.data_root is None:
        parser.error("give REPOS and DATA_ROOT (or --markdown)")
    per_folder = unpack(args.repos, args.data_root, rows)
    ready = "".join(f"{folder}\t{n}\n" for folder, n in per_folder.items() if n)
    (args.data_root / "READY").write_text(ready)
    sys.stdout.write(ready)
    return 0 if all(per_folder.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
