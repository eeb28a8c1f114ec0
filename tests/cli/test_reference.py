"""``gutbalance reference build`` over a folder with a file that cannot be
read: the file is named and left out, the reference is built from the others."""

from __future__ import annotations

from click.testing import CliRunner

from gutbalance.cli import main
from gutbalance.reference import Reference
from tests.helpers import SMALL_COMMUNITY, write_metaphlan


def test_reference_build_leaves_out_a_bad_file(tmp_path):
    folder = tmp_path / "profiles"
    folder.mkdir()
    for k, scale in enumerate([1.0, 0.9, 1.1], start=1):
        write_metaphlan(folder / f"S{k}_metaphlan.txt", {t: v * scale for t, v in SMALL_COMMUNITY.items()})
    (folder / "S4_metaphlan.txt").write_text("", encoding="utf-8")
    meta = folder / "metadata.tsv"
    meta.write_text("sample\tdiagnosis\nS1\tcontrol\nS2\tcontrol\nS3\tcontrol\nS4\tcontrol\n", encoding="utf-8")
    out = tmp_path / "ref.json"
    result = CliRunner().invoke(
        main, ["reference", "build", str(folder), "--metadata", str(meta), "--group", "diagnosis=control", "-o", str(out)]
    )
    assert result.exit_code == 1, result.output
    assert "1 input(s) could not be read (left out; every other input was used):" in result.output
    assert str(folder / "S4_metaphlan.txt") in result.output
    assert Reference.load(out).primary.n_people == 3
