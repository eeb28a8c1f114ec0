"""One profile, written in every format gutbalance reads, reads back to the same species."""

from pathlib import Path

import pytest

import gutbalance
from gutbalance.io.formats import kraken
from tests.helpers import SMALL_COMMUNITY, assert_same_species, write_metaphlan

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


def _bracken(cohort: gutbalance.Cohort, folder: Path) -> Path:
    path = folder / "S1.bracken"
    path.write_text("\n".join(kraken.table_lines(cohort, 0)) + "\n", encoding="utf-8")
    return path


WRITERS = {
    "metaphlan": _write_with("metaphlan", "S1.txt"),
    "metaphlan-merged": _write_with(None, "merged.tsv"),
    "kraken2-report": _write_with("kraken", "S1.kreport"),
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
def test_same_species_after_round_trip(original, tmp_path, name):
    path = WRITERS[name](original, tmp_path)
    back = gutbalance.read(path)
    assert back.samples["source_format"].iloc[0] == EXPECTED_FORMAT.get(name, name)
    assert back.n_samples == 1
    assert_same_species(original, back, tol=1e-9)


def test_the_unknown_share_is_in_the_original(original):
    assert original.samples["unassigned"].iloc[0] == pytest.approx(UNKNOWN / 100)
