"""One loader for the cited data tables: one evidence vocabulary, one error naming file, line and column."""

from __future__ import annotations

import pytest

from gutbalance.citations import (
    EVIDENCE_LEVELS,
    HOSTS,
    LEGACY_EVIDENCE,
    Citations,
    evidence_level,
    packaged,
    read_data_table,
)
from gutbalance.errors import DataTableError, GutBalanceError
from gutbalance.indices.sample_type import CHECK_CITATIONS
from gutbalance.knowledge import load_knowledge
from gutbalance.knowledge.loading import WEIGHT_CITATIONS
from gutbalance.pillars import PARAMETER_CITATIONS as PILLAR_CITATIONS
from gutbalance.simulate.parameters import PARAMETER_CITATIONS as SIMULATION_CITATIONS

PILLAR_TABLE = (
    "# a comment line\n"
    "parameter\tvalue\tstatus\tsource\tnote\n"
    "shannon_reference\t2.8\tsourced\tdoi:10.1093/bioinformatics/btad061\tmedian\n"
    "k_beneficial\t0.10\tassumed\t\ta judgement\n"
)


def test_every_older_spelling_maps_into_the_one_vocabulary():
    for spelling, (level, host) in LEGACY_EVIDENCE.items():
        assert level in EVIDENCE_LEVELS, spelling
        assert host in ("", *HOSTS), spelling
    assert evidence_level("sourced") == ("reported", "")
    assert evidence_level("fitted (mouse time series)") == ("fitted_model", "mouse")
    assert evidence_level("experiment") == ("experiment", "")
    assert evidence_level("hearsay") == ("", "")


def test_rows_keep_their_text_and_gain_the_level_and_line():
    table = read_data_table("parameters.tsv", text=PILLAR_TABLE, citations=PILLAR_CITATIONS)
    assert table.header == "a comment line"
    frame = table.frame(lines=True)
    assert frame["value"].tolist() == ["2.8", "0.10"]  # as written: callers convert
    assert frame["status"].tolist() == ["sourced", "assumed"]
    assert frame["evidence_level"].tolist() == ["reported", "assumed"]
    assert frame["line"].tolist() == [3, 4]  # as an editor counts them, the comment included


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("k\t1\thearsay\t\t\n", "status", "unknown evidence level 'hearsay'"),
        ("k\t1\tsourced\t\t\n", "source", "no source: a row of evidence 'sourced' needs a doi: or pmid:"),
        ("k\t1\tsourced\tChang 2023\t\n", "source", "is not doi:10.xxxx/... or pmid:NNNN"),
        ("k\t1\texperiment\tpmid:123\t\n", "status", "is not one this table uses"),
    ],
)
def test_a_bad_citation_names_file_line_and_column(row, column, message):
    with pytest.raises(DataTableError, match=message) as info:
        read_data_table("parameters.tsv", text=PILLAR_TABLE + row, citations=PILLAR_CITATIONS)
    error = info.value
    assert isinstance(error, GutBalanceError)
    assert (error.path, error.line, error.column) == ("parameters.tsv", 5, column)
    assert str(error).startswith(f"parameters.tsv, line 5, column {column!r}: ")


def test_a_table_with_a_host_column_fills_it_with_a_known_host():
    citations = Citations(levels=("experiment",))
    head = "taxon\tevidence\tsource\thost\n"
    assert read_data_table("t.tsv", text=head + "A\texperiment\tpmid:1\tmouse\n", citations=citations).rows[0]["host"] == "mouse"
    for host, message in (("", "no host"), ("zebrafish", "unknown host 'zebrafish'")):
        with pytest.raises(DataTableError, match=message):
            read_data_table("t.tsv", text=head + f"A\texperiment\tpmid:1\t{host}\n", citations=citations)


def test_citations_in_words_must_not_be_empty():
    head = "parameter\tvalue\tevidence\tsource\n"
    ok = read_data_table("p.tsv", text=head + "r\t1\tfitted-model (mouse)\tStein 2013\n", citations=SIMULATION_CITATIONS)
    assert (ok.rows[0]["evidence_level"], ok.rows[0]["host"]) == ("fitted_model", "mouse")
    with pytest.raises(DataTableError, match="needs a citation"):
        read_data_table("p.tsv", text=head + "r\t1\tassumed\t\n", citations=SIMULATION_CITATIONS)


def test_structure_errors_name_the_table():
    with pytest.raises(DataTableError, match=r"t\.tsv, line 1: no column 'source'"):
        read_data_table("t.tsv", text="parameter\tvalue\tstatus\n", citations=PILLAR_CITATIONS)
    with pytest.raises(DataTableError, match=r"t\.tsv, line 2: 3 fields but 2 columns"):
        read_data_table("t.tsv", text="a\tb\n1\t2\t3\n")
    with pytest.raises(DataTableError, match=r"t\.tsv, line 1: the header comment cites no doi"):
        read_data_table("t.tsv", text="# no citation\na\n1\n", header_cites=True)
    with pytest.raises(DataTableError, match="no such table"):
        read_data_table(packaged("gutbalance.indices", "absent.tsv"))


@pytest.mark.parametrize(
    ("package", "name", "citations", "header_cites"),
    [
        ("gutbalance.pillars", "parameters.tsv", PILLAR_CITATIONS, False),
        ("gutbalance.knowledge", "evidence_weights.tsv", WEIGHT_CITATIONS, False),
        ("gutbalance.simulate", "gut_immune_parameters.tsv", SIMULATION_CITATIONS, False),
        ("gutbalance.simulate", "probiotics.tsv", SIMULATION_CITATIONS, False),
        ("gutbalance.simulate", "stein2013_parameters.tsv", None, True),
        ("gutbalance.indices", "gmhi_species.tsv", None, True),
        ("gutbalance.indices", "gmwi2_coefficients.tsv", None, True),
        ("gutbalance.indices", "healthy_reference_genus.tsv", None, True),
        ("gutbalance.indices", "body_site_markers.tsv", CHECK_CITATIONS, True),
        ("gutbalance.indices", "sample_checks.tsv", CHECK_CITATIONS, True),
    ],
)
def test_every_shipped_table_reads_with_its_citations(package, name, citations, header_cites):
    table = read_data_table(packaged(package, name), citations=citations, header_cites=header_cites)
    assert table.rows
    if citations is not None:
        assert {row["evidence_level"] for row in table.rows} <= set(citations.levels)


def test_the_knowledge_base_uses_the_one_vocabulary():
    facts = load_knowledge().facts
    assert set(facts["evidence"]) <= set(EVIDENCE_LEVELS)
    assert set(facts["host"]) - {""} <= set(HOSTS)
