"""A sample metadata sheet given where a profile is expected is named as such."""

from pathlib import Path

import pytest

import gutbalance
from gutbalance.errors import FormatError


@pytest.mark.parametrize(
    ("text", "columns"),
    [
        ("Dataset\tSample\tSubject\tStudy.Group\tAge\nFRANZOSA\tPRISM.7122\tPRISM.7122\tCD\t38\n",
         "Subject, Study.Group, Age"),
        ("sample-id,bodysite,disease,age,gender\nHV-10,stool,Healthy,45.0,female\n",
         "bodysite, disease, age, gender"),
        ("#SampleID\tdiagnosis\tsex\tage\r\nS1\tCD\tF\t38\r\n", "diagnosis, sex, age"),
        # naobservatory/illumina_pilot's sheet beside its Kraken 2 reports: it was "'Human' is not a number"
        ("Sample Name,Host Organism,Sample Type,Collection Date,Collection Location,Vol,Conc,Notes\n"
         "221014Esv_D22-10170,Human,Environmental,2020-05,USA,13,0.8,PEG 2\n"
         "221014Esv_D22-10172,Human,Environmental,2020-05,USA,13,0.068,Tap water (PEG)\n",
         "Host Organism, Sample Type, Collection Date, Collection Location, Notes"),
    ],
    ids=["labelled-set", "metaml", "qiime2-crlf", "sample-sheet"],
)
def test_metadata_sheet_is_refused_naming_its_columns(tmp_path: Path, text: str, columns: str) -> None:
    path = tmp_path / "metadata.tsv"
    path.write_text(text)
    with pytest.raises(FormatError) as caught:
        gutbalance.read([path])
    message = str(caught.value)
    assert f"a table of sample metadata (columns {columns}), not a profile" in message
    assert "--metadata" in message
    assert caught.value.line == 1


def test_profile_tables_with_such_words_are_still_read(tmp_path: Path) -> None:
    # samples x taxa, numbers only, one metadata-like column name: a profile
    numeric = tmp_path / "numeric.csv"
    numeric.write_text("sample,age,k__Bacteria|p__Bacillota\nS1,40,100\n")
    with pytest.raises(FormatError) as caught:
        gutbalance.read([numeric])
    assert "sample metadata" not in str(caught.value)
    taxa = tmp_path / "taxa.tsv"
    taxa.write_text("taxon\tage_group_A\tsex_M\nk__Bacteria|p__Bacillota\t60\t55\nk__Bacteria|p__Bacteroidota\t40\t45\n")
    cohort = gutbalance.read([taxa])
    assert list(cohort.sample_names) == ["age_group_A", "sex_M"]
