"""One profile, written in every format gutbalance reads, reads back to the same species."""

from pathlib import Path

import pytest

import gutbalance
from gutbalance.io.formats import kraken
from tests.helpers import SMALL_COMMUNITY, assert_same_species, with_reads, write_metaphlan

UNKNOWN = 20.0


@pytest.fixture(scope="module")
def original(tmp_path_factory) -> gutbalance.Cohort:
    folder = tmp_path_factory.mktemp("roundtrip")
    return gutbalance.read(write_metaphlan(folder / "S1_profile.txt", SMALL_COMMUNITY, unknown=UNKNOWN))


def _write_with(fmt: str | None, name: str):
    def write(cohort: gutbalance.Cohort, folder: Path) -> Path:
        path = folder / name
        gutbalance.write(cohort, path, format=fmt)
        return path

    return write


def _kraken_report(cohort: gutbalance.Cohort, folder: Path) -> Path:
    # A Kraken report holds reads counted: written from the profile as if its reads had been.
    return _write_with("kraken", "S1.kreport")(with_reads(cohort), folder)


def _bracken(cohort: gutbalance.Cohort, folder: Path) -> Path:
    # A Bracken table holds reads: written from the profile as if its reads had been counted.
    path = folder / "S1.bracken"
    path.write_text("\n".join(kraken.table_lines(with_reads(cohort), 0)) + "\n", encoding="utf-8")
    return path


WRITERS = {
    "metaphlan": _write_with("metaphlan", "S1.txt"),
    "metaphlan-merged": _write_with(None, "merged.tsv"),
    "kraken2-report": _kraken_report,
    "bracken": _bracken,
    "cami": _write_with("cami", "S1.profile"),
    "biom-json": _write_with(None, "table.json"),
    "biom-hdf5": _write_with(None, "table.biom"),
    "qza": _write_with(None, "table.qza"),
    "csv": _write_with(None, "long.csv"),
}
EXPECTED_FORMAT = {
    "kraken2-report": "kraken",
    "biom-json": "biom",
    "biom-hdf5": "biom",
    "csv": "table",
}


@pytest.mark.parametrize("name", sorted(WRITERS))
@pytest.mark.filterwarnings("ignore:.*have no NCBI taxid:gutbalance.errors.GutBalanceWarning")  # written as 0, said
def test_same_species_after_round_trip(original, tmp_path, name):
    path = WRITERS[name](original, tmp_path)
    back = gutbalance.read(path)
    assert back.samples["source_format"].iloc[0] == EXPECTED_FORMAT.get(name, name)
    assert back.n_samples == 1
    assert_same_species(original, back, tol=1e-9)


def test_the_unknown_share_is_in_the_original(original):
    assert original.samples["unassigned"].iloc[0] == pytest.approx(UNKNOWN / 100)


def _listed_formats() -> dict[str, str]:
    from click.testing import CliRunner

    from gutbalance.cli import main

    result = CliRunner().invoke(main, ["formats"])
    assert result.exit_code == 0, result.output
    return {line.split()[0]: line for line in result.output.splitlines() if line.strip()}


WRITTEN = [(name, ext) for name, fmt in sorted(gutbalance.io.formats().items()) if fmt.write for ext in fmt.extensions or [""]]


@pytest.mark.parametrize(("name", "extension"), WRITTEN)
def test_every_written_format_is_listed_and_reads_back(original, tmp_path, name, extension):
    fmt = gutbalance.io.formats()[name]
    line = _listed_formats()[name]
    assert "write" in line
    assert all(ext in line.split() for ext in fmt.extensions)
    if name in ("kraken", "bracken"):
        original = with_reads(original)  # a Kraken report and a Bracken table hold reads
    if extension:
        # The suffix alone picks the format (the registry's extensions).
        path = gutbalance.write(original, tmp_path / f"S1{extension}")
    else:
        path = gutbalance.write(original, tmp_path / "S1.txt", format=name)
    back = gutbalance.read(path)
    # A saved Cohort keeps the format each sample was first read from.
    expected = original.samples["source_format"].iloc[0] if name == "h5ad" else name
    assert back.samples["source_format"].iloc[0] == expected
    assert_same_species(original, back, tol=1e-9)


def test_an_ending_no_format_writes_is_refused(original, tmp_path):
    with pytest.raises(gutbalance.FormatError, match=r"cannot tell the output format from '\.xyz'; use --to"):
        gutbalance.write(original, tmp_path / "out.xyz")


def test_two_writers_cannot_claim_one_ending():
    from gutbalance.io.registry import Format, register

    def never(source):
        return False

    def write(cohort, path):
        raise AssertionError("never called")

    with pytest.raises(ValueError, match="both write '.biom'"):
        register(Format("another-biom", "a clash", never, write=write, extensions=(".biom",)))
    assert "another-biom" not in gutbalance.io.formats()
