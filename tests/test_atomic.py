"""One atomic writer: whole files or none, with the permissions the umask gives."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from gutbalance.atomic import PendingFile, write_atomic, write_bytes_atomic, write_text_atomic
from gutbalance.cli import main
from tests.helpers import SMALL_COMMUNITY, write_metaphlan
from tests.io.test_estimated_counts import KRAKEN_REPORT

#: Neither the 0644 of a umask of 022 nor the 0600 of mkstemp.
UMASK = 0o027


@pytest.fixture
def umask():
    old = os.umask(UMASK)
    try:
        yield UMASK
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes_under(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): mode(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def test_text_and_bytes_are_written_whole(tmp_path):
    assert write_text_atomic("a\r\nb\n", tmp_path / "sub" / "t.txt").read_bytes() == b"a\r\nb\n"
    assert write_bytes_atomic(b"\x00\x01", tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["b.bin", "t.txt"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = write_text_atomic("old", tmp_path / "out.tsv")

    def half_then_fail(tmp: Path) -> None:
        tmp.write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, half_then_fail)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.tsv"]


def test_an_uncommitted_pending_file_is_discarded(tmp_path):
    with PendingFile(tmp_path / "x.parquet", suffix=".parquet") as pending:
        assert pending.tmp.name.endswith(".parquet")
        assert pending.tmp.exists()
    assert list(tmp_path.iterdir()) == []


def test_written_files_get_the_umask_mode(tmp_path, umask):
    for path in (
        write_text_atomic("t", tmp_path / "a.txt"),
        write_bytes_atomic(b"b", tmp_path / "b.bin"),
        write_atomic(tmp_path / "c.bin", lambda tmp: tmp.write_bytes(b"c")),
    ):
        assert mode(path) == 0o666 & ~umask


def test_every_output_of_analyze_gets_the_umask_mode(tmp_path, umask):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name, unknown in (("Subj1_time1", None), ("Subj1_time2", 10.0), ("Subj2_time1", 5.0)):
        write_metaphlan(inputs / f"{name}.txt", SMALL_COMMUNITY, unknown=unknown)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["analyze", str(inputs), "-o", str(out), "-j", "1", "--subject-pattern", r"(Subj\d+)_time(\d+)",
               "--figures"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    modes = modes_under(out)
    kinds = {Path(name).suffix for name in modes}
    # the tables, the parts, the reports, the figures and the saved cohort
    assert {".tsv", ".json", ".parquet", ".html", ".svg", ".png", ".h5ad", ".contrib"} <= kinds
    assert any(name.startswith("subjects/") for name in modes)
    assert {name: m for name, m in modes.items() if m != 0o666 & ~umask} == {}


@pytest.mark.parametrize(
    ("output", "to"),
    [
        ("c.biom", None), ("c.json", None), ("c.tsv", None), ("c.h5ad", None), ("c.csv", None), ("c.qza", None),
        ("c.profile", None), ("c.kreport", None), ("c.bracken", None), ("profiles", "metaphlan"),
    ],
)
def test_every_output_of_convert_gets_the_umask_mode(tmp_path, umask, output, to):
    inputs = [write_metaphlan(tmp_path / f"S{i}.txt", SMALL_COMMUNITY, unknown=10.0 * i) for i in (1, 2)]
    if output.endswith((".kreport", ".bracken")):  # a Kraken report and a Bracken table are written only from reads
        inputs = [tmp_path / f"S{i}.kreport2" for i in (1, 2)]
        for path in inputs:
            path.write_text(KRAKEN_REPORT, encoding="utf-8")
    out = tmp_path / "out" / output
    args = ["convert", *map(str, inputs), "-o", str(out)] + (["--to", to] if to else [])
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    modes = modes_under(tmp_path / "out")
    assert modes, "convert wrote nothing"
    assert {name: m for name, m in modes.items() if m != 0o666 & ~umask} == {}
