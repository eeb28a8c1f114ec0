import pytest

from gutbalance.errors import TaxonomyError
from gutbalance.taxonomy import canonical_name, is_unclassified, normalize_name, parse_lineage, synonym_table


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Bacteroides_vulgatus", "Bacteroides vulgatus"),
        ("[Eubacterium] rectale", "Eubacterium rectale"),
        ("[Ruminococcus]_gnavus", "Ruminococcus gnavus"),
        ("Candidatus Saccharibacteria", "Saccharibacteria"),
        ("Firmicutes_A", "Firmicutes"),
        ("Clostridium_AQ", "Clostridium"),
        ("Faecalibacterium prausnitzii_C", "Faecalibacterium prausnitzii"),
        ("Clostridium_sp_CAG_58", "Clostridium sp CAG 58"),
        ("  Lachnospiraceae_bacterium_A4 ", "Lachnospiraceae bacterium A4"),
        ('"Escherichia coli"', "Escherichia coli"),
        ("Clostridium_AQ innocuum_B", "Clostridium innocuum"),
        # Letters that are not GTDB suffixes name different organisms: MetaPhlAn
        # 4's Prevotella copri clades, unnamed species, viruses.
        ("Prevotella_copri_clade_A", "Prevotella copri clade A"),
        ("Streptococcus_sp_NM", "Streptococcus sp NM"),
        ("Pseudomonas_virus_EL", "Pseudomonas virus EL"),
        ("Human_mastadenovirus_C", "Human mastadenovirus C"),
        ("Rotavirus_A", "Rotavirus A"),
        # A suffix inside an underscore-joined GTDB name is not a word of it.
        ("Bacillus_A_cereus_AD", "Bacillus A cereus"),
    ],
)
def test_normalize_name(raw, expected):
    assert normalize_name(raw) == expected


@pytest.mark.parametrize(
    ("rank", "raw", "expected"),
    [
        ("species", "Eubacterium_rectale", "Agathobacter rectalis"),
        ("species", "Ruminococcus_gnavus", "Mediterraneibacter gnavus"),
        ("species", "[Ruminococcus] gnavus", "Mediterraneibacter gnavus"),
        ("species", "Bacteroides_vulgatus", "Phocaeicola vulgatus"),
        ("species", "Clostridium_ramosum", "Thomasclavelia ramosa"),
        ("species", "Eubacterium_hallii", "Anaerobutyricum hallii"),
        ("species", "Bacteroides vulgatus ATCC 8482", "Phocaeicola vulgatus ATCC 8482"),
        ("phylum", "Firmicutes", "Bacillota"),
        ("phylum", "Firmicutes_A", "Bacillota"),
        ("phylum", "Bacteroidetes", "Bacteroidota"),
        ("phylum", "Proteobacteria", "Pseudomonadota"),
        ("phylum", "Actinobacteria", "Actinomycetota"),
        # rank matters: the class Actinobacteria is not the phylum
        ("class", "Actinobacteria", "Actinobacteria"),
        ("species", "Faecalibacterium_prausnitzii", "Faecalibacterium prausnitzii"),
    ],
)
def test_canonical_name(rank, raw, expected):
    assert canonical_name(rank, raw) == expected


def test_every_synonym_has_a_source():
    table = synonym_table()
    assert table.version != "unversioned"
    assert len(table.rows) > 40
    for row in table.rows:
        assert row.source.startswith(("doi:", "pmid:")), row


def test_unclassified_placeholders():
    for name in ["Firmicutes_unclassified", "Clostridiales_noname", "uncultured bacterium", "unclassified", ""]:
        assert is_unclassified(name), name
    for name in ["Faecalibacterium_prausnitzii", "Unclassifiedia"]:
        assert not is_unclassified(name), name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # QIIME 1's summarize_taxa.py, RDP names without prefixes: a Lachnospiraceae of no known genus
        ("Bacteria;Firmicutes;Clostridia;Clostridiales;Lachnospiraceae;Other",
         [("k__Bacteria", False), ("p__Bacillota", False), ("c__Clostridia", False), ("o__Clostridiales", False),
          ("f__Lachnospiraceae", False), ("g__Other", True)]),
        # ... with Greengenes prefixes: the levels it does not reach are empty, the taxon hangs from the class
        ("k__Bacteria;p__Firmicutes;c__Clostridia;Other;Other;Other",
         [("k__Bacteria", False), ("p__Bacillota", False), ("c__Clostridia", False)]),
        ("Root;k__Bacteria;Other;Other;Other;Other", [("k__Bacteria", False)]),
    ],
)
def test_qiime1_other_is_a_level_the_lineage_does_not_reach(text, expected):
    # Before, the first gave a genus named "Other" (counted in richness, in the named genera of the
    # stool check) and the others were refused: "'Other' has no rank prefix".
    assert [(t.id, t.unclassified) for t in parse_lineage(text)] == expected
    assert is_unclassified("Other")
    assert is_unclassified("Others")


@pytest.mark.parametrize(
    "text",
    [
        "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Roseburia|s__Roseburia_hominis",
        "k__Bacteria; p__Firmicutes; c__Clostridia; o__Clostridiales; f__Lachnospiraceae; g__Roseburia; s__hominis",
        "d__Bacteria;p__Firmicutes_A;c__Clostridia;o__Lachnospirales;f__Lachnospiraceae;g__Roseburia;s__Roseburia hominis",
        "D_0__Bacteria;D_1__Firmicutes;D_2__Clostridia;D_3__Clostridiales;D_4__Lachnospiraceae;D_5__Roseburia;D_6__Roseburia hominis",
        "Bacteria;Firmicutes;Clostridia;Clostridiales;Lachnospiraceae;Roseburia;Roseburia hominis",
        "Root;Bacteria;Firmicutes;Clostridia;Clostridiales;Lachnospiraceae;Roseburia;Roseburia hominis",
    ],
)
def test_lineage_spellings_agree(text):
    lineage = parse_lineage(text)
    assert [t.rank for t in lineage] == ["domain", "phylum", "class", "order", "family", "genus", "species"]
    assert lineage[1].id == "p__Bacillota"
    assert lineage[-1].id == "s__Roseburia hominis"


def test_lineage_keeps_original_and_stops_at_empty_rank():
    lineage = parse_lineage("k__Bacteria; p__Bacteroidetes; c__Bacteroidia; o__; f__; g__; s__")
    assert [t.name for t in lineage] == ["Bacteria", "Bacteroidota", "Bacteroidia"]
    assert lineage[1].original == "Bacteroidetes"


def test_metaphlan4_sgb_is_a_strain():
    lineage = parse_lineage("k__Bacteria|p__Firmicutes|c__Clostridia|o__Eubacteriales|f__Oscillospiraceae|g__Faecalibacterium|s__Faecalibacterium_prausnitzii|t__SGB15318")
    assert lineage[-1].rank == "strain"
    assert lineage[-1].id == "t__SGB15318"


@pytest.mark.parametrize("bad", ["", "   ", "k__Bacteria|x", "g__Roseburia|p__Firmicutes", ";;;"])
def test_bad_lineages_raise_taxonomy_error(bad):
    with pytest.raises(TaxonomyError):
        parse_lineage(bad)


def test_empty_rank_slots_are_skipped_not_fatal():
    ids = [t.id for t in parse_lineage("k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|__|__|s__Clostridiales_bacterium_1_7_47FAA")]
    assert ids[-1] == "s__Clostridiales bacterium 1 7 47FAA"
    assert not any(i.startswith(("f__", "g__")) for i in ids)  # no genus guessed from "Clostridiales"
    ids = [t.id for t in parse_lineage("k__Bacteria|p__Firmicutes|c__Bacilli|o__Bacillales|__|g__Gemella|s__Gemella_haemolysans")]
    assert ids[-2:] == ["g__Gemella", "s__Gemella haemolysans"]
    # Greengenes empty ranks in the middle: c__; o__ then a named family.
    ids = [t.id for t in parse_lineage("k__Bacteria; p__Firmicutes; c__; o__; f__Lachnospiraceae; g__Blautia; s__")]
    assert ids[-2:] == ["f__Lachnospiraceae", "g__Blautia"]
    # An epithet under an empty genus has no binomial to rebuild.
    assert parse_lineage("k__Bacteria; f__Bacteroidaceae; g__; s__fragilis")[-1].id == "f__Bacteroidaceae"


def test_every_chain_of_the_shipped_table_reaches_a_domain():
    """A rootless row would replace an input's full lineage with a stub outside every domain."""
    from gutbalance.taxonomy.placement import lineage_table, table_lineage

    table = lineage_table()
    unrooted = [tid for tid in table.parents if table_lineage(tid)[0].rank != "domain"]
    assert unrooted == []


# QIIME 2's Kraken 2 plugin (q2-moshpit, now q2-annotate) writes its taxonomy
# with NCBI's kingdom under the domain, and fills a rank NCBI's lineage lacks
# with the taxon below it (its own test data, q2_moshpit/kraken2/tests/data/
# kraken2-reports-select/kraken2_taxonomy.tsv and bracken-report-with-
# unclassified/taxonomy.csv; on the NCBI taxonomy of 2025, k__Bacillati).
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "d__Bacteria;k__Bacteria;p__Actinomycetota;c__Actinomycetes;o__Mycobacteriales;"
            "f__Mycobacteriaceae;g__Mycobacterium;s__Mycobacterium avium",
            ["k__Bacteria", "p__Actinomycetota", "c__Actinomycetes", "o__Mycobacteriales", "f__Mycobacteriaceae",
             "g__Mycobacterium", "s__Mycobacterium avium"],
        ),
        (
            "d__Bacteria;k__Bacillati;p__Bacillota;c__Clostridia;o__Eubacteriales;f__containing g__Zzgenus;"
            "g__Zzgenus;s__Zzgenus fooi",
            ["k__Bacteria", "p__Bacillota", "c__Clostridia", "o__Eubacteriales", "g__Zzgenus", "s__Zzgenus fooi"],
        ),
        (
            "d__Viruses;k__Heunggongvirae;p__Uroviricota;c__Caudoviricetes;o__containing g__Myrnavirus;"
            "f__containing g__Myrnavirus;g__Myrnavirus;s__Myrnavirus myrna",
            ["k__Viruses", "p__Uroviricota", "c__Caudoviricetes", "g__Myrnavirus", "s__Myrnavirus myrna"],
        ),
    ],
)
def test_qiime2_kraken2_taxonomy_kingdom_and_containing_placeholders(text, expected):
    assert [t.id for t in parse_lineage(text)] == expected


def test_a_kingdom_without_a_domain_before_it_is_still_the_domain():
    assert [t.id for t in parse_lineage("k__Bacteria; p__Firmicutes")] == ["k__Bacteria", "p__Bacillota"]
    with pytest.raises(TaxonomyError, match="out of order"):
        parse_lineage("k__Bacteria;d__Bacteria;p__Firmicutes")


def test_a_lineage_of_megabytes_is_refused_before_it_is_parsed():
    # a parent name of megabytes inside a lineage string: a broken file, not a taxon
    with pytest.raises(TaxonomyError, match="a lineage of 80,039 characters"):
        parse_lineage("k__Bacteria|p__" + "A" * 80_000 + "|s__Bacteroides fragilis")
    assert parse_lineage("k__Bacteria|g__" + "A" * 9_000)[-1].name == "A" * 9_000
