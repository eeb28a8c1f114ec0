"""``scripts/unpack_outside_data.py``: the table of public files tried, the docs that list them, the unpacking.

The public files stay outside the project; these tests check that the
script's table and docs/tried-on-public-data.md say the same thing, and
unpack a small git repository made here (no network).
"""

from __future__ import annotations

import doctest
import re
import subprocess
from pathlib import Path

import pytest

from tests.helpers import import_script

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "tried-on-public-data.md"



script = import_script("unpack_outside_data")


def test_the_scripts_examples_hold():
    failed, tried = doctest.testmod(script)
    assert tried >= 2
    assert failed == 0


def test_the_docs_print_the_table_exactly():
    assert script.markdown(script.read_sources()) in DOCS.read_text()


def _docs_sources() -> list[tuple[str, str, str]]:
    """(top folder, repository, short commit) of every row of the docs' "The data" table."""
    found = []
    for cells in script.docs_data_rows():
        folder = cells[0].strip("`").split("/", 1)[0]
        repository = None
        for match in re.finditer(r"(?:([\w.-]+/[\w.-]+) )?@ ([0-9a-f]{7,8})", cells[1]):
            repository = match.group(1) or repository
            found.append((folder, repository, match.group(2)))
    return found


def test_every_folder_and_commit_of_the_docs_is_in_the_table_and_back():
    rows = script.read_sources()
    docs = _docs_sources()
    assert len(docs) >= 20
    for folder, repository, short in docs:
        assert any(r.folder == folder and r.repository == repository and r.commit.startswith(short)
                   for r in rows), (folder, repository, short)
    for r in rows:
        assert any(r.folder == folder and r.repository == repository and r.commit.startswith(short)
                   for folder, repository, short in docs), r


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repos(tmp_path: Path) -> tuple[Path, str, str]:
    """A cloned repository ``lab/study`` with two commits: a profile folder, then a table added."""
    work = tmp_path / "repos" / "lab+study"
    (work / "profiles").mkdir(parents=True)
    _git(work, "init", "-q")
    (work / "profiles" / "a.txt").write_text("#clade_name\trelative_abundance\nk__Bacteria\t100.0\n")
    (work / "profiles" / "b.txt").write_text("#clade_name\trelative_abundance\nk__Bacteria\t100.0\n")
    _git(work, "add", ".")
    _git(work, "commit", "-q", "-m", "one")
    first = _git(work, "rev-parse", "HEAD")
    (work / "table.tsv").write_text("taxon\ts1\nBacteroides\t3\n")
    _git(work, "add", ".")
    _git(work, "commit", "-q", "-m", "two")
    return tmp_path / "repos", first, _git(work, "rev-parse", "HEAD")


def _table(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "sources.tsv"
    path.write_text("target\trepository\tcommit\tsource\n" + "".join(line + "\n" for line in lines))
    return path


def test_unpack_puts_files_and_folders_where_the_table_says(repos, tmp_path):
    where, first, second = repos
    table = _table(tmp_path, [f"study_x/p/\tlab/study\t{first}\tprofiles/",
                              f"study_x/t.tsv\tlab/study\t{second}\ttable.tsv",
                              f"other/t.tsv\tlab/absent\t{second}\ttable.tsv"])
    out = tmp_path / "data"
    assert script.main([str(where), str(out), "--table", str(table)]) == 1  # one repository absent
    assert sorted(p.name for p in (out / "study_x" / "p").iterdir()) == ["a.txt", "b.txt"]
    assert (out / "study_x" / "t.tsv").read_text() == "taxon\ts1\nBacteroides\t3\n"
    assert (out / "READY").read_text() == "study_x\t3\n"
    source = (out / "study_x" / "SOURCE.txt").read_text()
    assert f"https://github.com/lab/study @ {first} : profiles/ -> study_x/p/ (2 file(s))" in source
    assert not (out / "other").exists()


def test_a_commit_absent_from_the_snapshot_is_replaced_and_said(repos, tmp_path, capsys):
    where, first, _ = repos
    table = _table(tmp_path, [f"s/t.tsv\tlab/study\t{'0' * 40}\ttable.tsv"])
    out = tmp_path / "data"
    assert script.main([str(where), str(out), "--table", str(table)]) == 0
    assert "commit 00000000 is not in the snapshot" in capsys.readouterr().out
    assert "NOTE: commit 00000000 is not in the snapshot" in (out / "s" / "SOURCE.txt").read_text()


def test_a_path_missing_at_its_commit_is_refused_naming_it(repos, tmp_path):
    where, first, _ = repos
    table = _table(tmp_path, [f"s/t.tsv\tlab/study\t{first}\ttable.tsv"])
    with pytest.raises(LookupError, match=r"lab/study @ [0-9a-f]{8}: no file 'table.tsv'"):
        script.main([str(where), str(tmp_path / "data"), "--table", str(table)])


def test_a_folder_to_a_file_is_refused_naming_the_line(tmp_path):
    table = _table(tmp_path, [f"s/t.tsv\tlab/study\t{'a' * 40}\tprofiles/"])
    with pytest.raises(ValueError, match="sources.tsv line 2: a folder"):
        script.read_sources(table)
