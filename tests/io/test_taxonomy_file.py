"""Table labels and mothur's taxonomy strings as gutbalance reads them;
taxonomy files given together, merged."""

from pathlib import Path

import pytest

from gutbalance.errors import FormatError, TaxonomyError
from gutbalance.io import read_batch, split_batch_taxonomy, taxonomy_not_used
from gutbalance.io.feature_table import label_lineage
from gutbalance.io.source import Source
from gutbalance.io.taxonomy_file import TAXONOMY_NOT_USED, FeatureTaxonomy, merge_taxonomies, mothur_lineage
from tests.helpers import SMALL_COMMUNITY, metaphlan_text


def test_mothurs_silva_rank_fillers_are_placeholders():
    """SILVA names an unnamed rank after its parent with a rank suffix in
    mothur's references (``Muribaculaceae_ge``): not a genus of its own."""
    lineage = mothur_lineage("Bacteria(100);Bacteroidetes(100);Bacteroidia(100);Bacteroidales(100);"
                             "Muribaculaceae(100);Muribaculaceae_ge(100);")
    assert "Muribaculaceae_ge" not in lineage
    assert lineage.rstrip("; ").endswith("Muribaculaceae")


def test_a_feature_id_is_never_a_taxon_name_whatever_rank_is_declared():
    for label in ("4b5eeb300368260019c1fbc7a3c718fc", "1234"):
        for rank in (None, "genus"):
            with pytest.raises(TaxonomyError, match="feature id"):
                label_lineage(label, rank=rank)
    assert [t.id for t in label_lineage("Bacteroides", rank="genus")] == ["g__Bacteroides"]


def _tsv(name: str, rows: dict[str, str]) -> Source:
    text = "Feature ID\tTaxon\n" + "".join(f"{f}\t{t}\n" for f, t in rows.items())
    return Source(Path(name), text.encode())


def test_taxonomies_of_different_features_merge_and_a_conflicting_one_is_left_out_whole():
    silva = _tsv("silva.tsv", {"a1": "g__Blautia", "a2": "g__Roseburia"})
    gtdb = _tsv("gtdb.tsv", {"b1": "g__Akkermansia"})
    # agrees on a1 and adds b2, then classifies a2 otherwise: none of it is used
    other = _tsv("other.tsv", {"a1": "g__Blautia", "b2": "g__Dorea", "a2": "g__Bacteroides"})
    taxonomy, errors = merge_taxonomies([(n, n, lambda s=s: s) for n, s in
                                         (("silva.tsv", silva), ("gtdb.tsv", gtdb), ("other.tsv", other))])
    assert taxonomy is not None
    assert taxonomy.lineages == {"a1": "g__Blautia", "a2": "g__Roseburia", "b1": "g__Akkermansia"}
    assert taxonomy.sources == ["silva.tsv", "gtdb.tsv"]
    [(key, error)] = errors
    assert key == "other.tsv"
    assert isinstance(error, FormatError)
    assert str(error) == "other.tsv: feature 'a2' is 'g__Bacteroides' here but 'g__Roseburia' in silva.tsv, gtdb.tsv"


def test_add_keeps_nothing_of_a_file_with_a_conflict():
    taxonomy = FeatureTaxonomy()
    taxonomy.add({"a": "g__Blautia"}, "one.tsv")
    with pytest.raises(FormatError):
        taxonomy.add({"b": "g__Dorea", "a": "g__Dorea"}, "two.tsv")
    assert taxonomy.lineages == {"a": "g__Blautia"}
    assert taxonomy.sources == ["one.tsv"]


def test_a_taxonomy_beside_profiles_that_take_none_is_a_warning_not_used(tmp_path):
    (tmp_path / "S1.txt").write_text(metaphlan_text(SMALL_COMMUNITY))
    (tmp_path / "taxonomy.tsv").write_text("Feature ID\tTaxon\na1\tg__Blautia\n")
    result = read_batch([tmp_path])
    assert result.cohort is not None
    assert [(p.file, p.severity, p.message) for p in result.problems] == [
        (str(tmp_path / "taxonomy.tsv"), "warning", TAXONOMY_NOT_USED)
    ]


def test_a_taxonomy_read_once_names_the_tables_of_every_batch(tmp_path):
    (tmp_path / "taxonomy.tsv").write_text("Feature ID\tTaxon\nf1\tg__Blautia\nf2\tg__Bacteroides\n")
    for i in range(3):
        (tmp_path / f"T{i}.tsv").write_text(f"#OTU ID\tS{i}\nf1\t{10 + i}\nf2\t5\n")
    (tmp_path / "M.txt").write_text(metaphlan_text(SMALL_COMMUNITY))
    tables, taxonomy, problems = split_batch_taxonomy(sorted(tmp_path.iterdir()))
    assert taxonomy is not None
    assert problems == []
    assert [p.name for p in tables] == ["M.txt", "T0.tsv", "T1.tsv", "T2.tsv"]
    first = read_batch(tables[:2], taxonomy=taxonomy, tables_only=True)
    second = read_batch(tables[2:], taxonomy=taxonomy, tables_only=True)
    whole = read_batch([tmp_path])
    assert (first.taxonomy_tables, second.taxonomy_tables, whole.taxonomy_tables) == (1, 2, 3)
    assert first.problems == second.problems == whole.problems == []
    assert first.cohort is not None
    assert second.cohort is not None
    assert whole.cohort is not None
    for batch in (first, second):
        for sample in batch.cohort.sample_names:
            ours, all_at_once = (c.at_rank("genus").loc[sample] for c in (batch.cohort, whole.cohort))
            assert ours[ours > 0].to_dict() == all_at_once[all_at_once > 0].to_dict()
    # whether it was used is the caller's to say, over all its batches
    only_metaphlan = read_batch(tables[:1], taxonomy=taxonomy, tables_only=True)
    assert (only_metaphlan.taxonomy_tables, only_metaphlan.problems) == (0, [])
    assert [(p.file, p.message) for p in taxonomy_not_used(taxonomy)] == [(str(tmp_path / "taxonomy.tsv"), TAXONOMY_NOT_USED)]
    with pytest.raises(ValueError, match="tables_only"):
        read_batch(tables, taxonomy=taxonomy)


def test_a_qiime2_kraken2_table_of_taxids_reads_with_its_taxonomy(tmp_path):
    # q2-moshpit's estimate-bracken: features are NCBI taxids, the taxonomy
    # writes NCBI's kingdom under the domain and 'd__Unclassified' for feature 0
    # (the lineages as a stool run's taxonomy printed them, Choudhury 2025).
    # They were refused: "rank domain out of order".
    (tmp_path / "taxonomy.tsv").write_text(
        "Feature ID\tTaxon\n"
        "821\td__Bacteria;k__Bacteria;p__Bacteroidota;c__Bacteroidia;o__Bacteroidales;f__Bacteroidaceae;"
        "g__Phocaeicola;s__Phocaeicola vulgatus\n"
        "853\td__Bacteria;k__Bacillati;p__Bacillota;c__Clostridia;o__Eubacteriales;f__Oscillospiraceae;"
        "g__Faecalibacterium;s__Faecalibacterium prausnitzii\n"
        "0\td__Unclassified\n"
    )
    (tmp_path / "table.tsv").write_text("#OTU ID\tS54\n821\t600\n853\t300\n0\t100\n")
    result = read_batch([tmp_path / "table.tsv", tmp_path / "taxonomy.tsv"])
    assert result.failed == []
    cohort = result.cohort
    assert cohort is not None
    assert cohort.sample_names == ["S54"]
    species = cohort.at_rank("species").iloc[0]
    assert species["s__Faecalibacterium prausnitzii"] == pytest.approx(0.3)
    assert species.sum() == pytest.approx(0.9)  # feature 0 is the unassigned share
