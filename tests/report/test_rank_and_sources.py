"""Reports say what they show: the rank of each diversity number, and the
sources of each taxon's effect whether or not the profiles were kept.

A genus-level table's richness counts genera, so its page must not call it
"Species richness"; a cohort page with samples at two ranks says so.  A
folder re-rendered by ``gutbalance report`` without ``cohort.h5ad`` must cite
the same knowledge-base rows beside each taxon as the page ``analyze`` wrote,
and say in words why it shows no composition.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from gutbalance.cli import main
from gutbalance.report.files import SETTINGS_FILE
from gutbalance.report.render import lineages_of_ids, listed_trait_calls
from gutbalance.score_specs import describe_at_rank
from tests.helpers import SMALL_COMMUNITY, make_cohort, write_metaphlan

#: A 16S-style genus table (the layout of a CRC genus.csv: genera as rows, samples as columns).
GENUS_TABLE = (
    "genus,g_A,g_B\n"
    "Bacteroides,40,10\nFaecalibacterium,20,30\nRoseburia,10,10\nBlautia,10,20\n"
    "Prevotella,5,15\nAkkermansia,5,5\nEscherichia,10,10\n"
)


def _run(args: list[str]) -> str:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return result.output


def _text(page: str) -> str:
    """The words of a page, without its style, script and markup."""
    page = re.sub(r"<style.*?</style>|<script.*?</script>", " ", page, flags=re.DOTALL)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


class _Tables(HTMLParser):
    """Every table of a page: its caption and its rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self._table: dict | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._caption = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = {"caption": "", "rows": []}
        elif tag == "caption" and self._table is not None:
            self._caption = True
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self._table is not None:
            self.tables.append(self._table)
            self._table = None
        elif tag == "caption":
            self._caption = False
        elif tag == "tr" and self._row is not None and self._table is not None:
            self._table["rows"].append(self._row)
            self._row = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._caption and self._table is not None:
            self._table["caption"] += data
        elif self._cell is not None:
            self._cell.append(data)


def contribution_tables(page: str) -> dict[str, list[list[str]]]:
    """``{caption: rows}`` of a sample page's "Microbes behind ..." tables (the header row first)."""
    parser = _Tables()
    parser.feed(page)
    return {" ".join(t["caption"].split()): t["rows"] for t in parser.tables if t["caption"].startswith("Microbes behind")}


@pytest.fixture(scope="module")
def genus_and_metaphlan(tmp_path_factory) -> Path:
    """A genus-level table and a MetaPhlAn species profile scored in one run, with reports."""
    root = tmp_path_factory.mktemp("ranks")
    (root / "genus.csv").write_text(GENUS_TABLE, encoding="utf-8")
    write_metaphlan(root / "mpa_S1.txt")
    _run(["analyze", str(root / "genus.csv"), str(root / "mpa_S1.txt"), "-o", str(root / "out")])
    return root / "out"


def _page(out: Path, sample: str) -> str:
    return (out / "samples" / f"{sample}.html").read_text(encoding="utf-8")


def test_a_genus_table_page_names_genus_and_a_metaphlan_page_species(genus_and_metaphlan):
    genus, species = _text(_page(genus_and_metaphlan, "g_A")), _text(_page(genus_and_metaphlan, "mpa_S1"))
    assert "Genus richness" in genus
    assert "The number of genera detected in the sample" in genus
    assert "Shannon diversity of genera" in genus
    assert "no single genus dominates" in genus
    assert "Species richness" not in genus
    assert "over the species in the sample" not in genus
    assert "Species richness" in species
    assert "Shannon diversity of species" in species
    assert "Genus richness" not in species
    assert "of genera" not in species
    # the composition's count of named species is not read as a diversity of a genus table
    assert "The profile names no species: its finest rank is genus" in genus
    assert "0 named species were found" not in genus


def test_a_cohort_of_two_ranks_says_so(genus_and_metaphlan):
    page = (genus_and_metaphlan / "report.html").read_text(encoding="utf-8")
    text = _text(page)
    assert "Diversity at 2 ranks." in text
    assert "1 sample has its diversity at species rank, 2 samples have their diversity at genus rank" in text
    assert "Species or genus richness" in text
    assert "Shannon diversity of species or genera" in text
    assert "Species richness" not in text
    assert "Genus richness" not in text
    # each sample's rank is in the table, so the numbers can be read by rank
    assert re.search(r">g_A</a></td>.*?<td data-value=\"genus\">genus</td></tr>", page, re.DOTALL)
    assert re.search(r">mpa_S1</a></td>.*?<td data-value=\"species\">species</td></tr>", page, re.DOTALL)


def test_a_cohort_of_one_rank_names_it_without_a_notice(tmp_path):
    (tmp_path / "genus.csv").write_text(GENUS_TABLE, encoding="utf-8")
    _run(["analyze", str(tmp_path / "genus.csv"), "-o", str(tmp_path / "out")])
    text = _text((tmp_path / "out" / "report.html").read_text(encoding="utf-8"))
    assert "Genus richness" in text
    assert "Diversity at" not in text
    assert "Rank of the diversity" not in text


def test_describe_at_rank_words_each_rank_once():
    assert describe_at_rank("richness", "family").label == "Family richness"
    simpson = describe_at_rank("simpson", ("species", "genus"))
    assert simpson.meaning == ("Simpson's index, 1 - sum of squared species or genus shares (0 to 1). "
                               "Close to 1: no single species or genus dominates.")
    assert describe_at_rank("shannon", "").label == "Shannon diversity of taxa"
    assert describe_at_rank("richness", None).label == "Species richness"  # rank not known: as registered
    assert describe_at_rank("gmhi", "genus") == describe_at_rank("gmhi", None)


def _without_profiles(out: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    (copy / "cohort.h5ad").unlink()
    _run(["report", str(copy)])
    return copy


def assert_same_contribution_tables(a: Path, b: Path) -> int:
    """Every contribution table of every sample page of ``a`` equals ``b``'s, cell by cell,
    and no Source cell is empty; returns the number of cells compared."""
    compared = 0
    pages = sorted((a / "samples").glob("*.html"))
    assert pages
    for page in pages:
        ours, theirs = contribution_tables(page.read_text(encoding="utf-8")), contribution_tables(
            (b / "samples" / page.name).read_text(encoding="utf-8"))
        assert list(ours) == list(theirs), page.name
        for caption, rows in ours.items():
            assert len(rows) == len(theirs[caption]), (page.name, caption)
            # GMHI's markers are listed with their share of the sample, not an effect in points
            effect = ("Share of the sample (+ marker of health, − marker of disease)" if caption.endswith("(GMHI)")
                      else "Effect on the score")
            assert rows[0] == ["Microbe", effect, "Why (trait)", "Source"], caption
            for row, other in zip(rows, theirs[caption], strict=True):
                assert row == other, (page.name, caption)
                assert row[3], (page.name, caption, row)  # no empty Source cell
                assert row[3] != "none recorded", (page.name, caption, row)  # every effect has its source
                compared += len(row)
    return compared


def test_re_rendered_without_the_profiles_the_pages_cite_the_same_sources(genus_and_metaphlan, tmp_path):
    copy = _without_profiles(genus_and_metaphlan, tmp_path)
    assert assert_same_contribution_tables(genus_and_metaphlan, copy) > 100
    page = _text(_page(copy, "mpa_S1"))
    # a pillar's taxon cites knowledge-base rows (DOIs or PMIDs), not nothing
    rows = contribution_tables(_page(copy, "mpa_S1"))["Microbes behind Training"]
    assert all(re.search(r"doi:|PMID", row[3], re.IGNORECASE) for row in rows[1:])
    assert "Composition not shown." in page
    assert "run gutbalance analyze on the profiles again" in page
    assert "the knowledge base of this gutbalance" in page
    assert "It is the knowledge base the run's pages" in page
    # the page analyze wrote says nothing of the kind
    assert "Composition not shown" not in _text(_page(genus_and_metaphlan, "mpa_S1"))


def test_a_changed_knowledge_base_is_named_on_the_pages_and_by_the_command(genus_and_metaphlan, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(genus_and_metaphlan, copy)
    (copy / "cohort.h5ad").unlink()
    settings = json.loads((copy / SETTINGS_FILE).read_text(encoding="utf-8"))
    settings["knowledge_base"] = "0123456789abcdef"
    (copy / SETTINGS_FILE).write_text(json.dumps(settings), encoding="utf-8")
    output = _run(["report", str(copy)])
    assert "warning: the knowledge base of this gutbalance differs" in output
    assert "written with another knowledge base (0123456789abcdef)" in _text(_page(copy, "mpa_S1"))
    # the run's own is kept, so a second re-rendering still knows
    assert json.loads((copy / SETTINGS_FILE).read_text(encoding="utf-8"))["knowledge_base"] == "0123456789abcdef"


def test_a_run_without_reports_has_no_recorded_knowledge_base_and_says_so(tmp_path):
    write_metaphlan(tmp_path / "mpa_S1.txt")
    _run(["analyze", str(tmp_path / "mpa_S1.txt"), "-o", str(tmp_path / "out"), "--reports", "none"])
    _run(["report", str(tmp_path / "out")])
    text = _text(_page(tmp_path / "out", "mpa_S1"))
    assert "did not record which knowledge base" in text
    assert "Composition not shown." in text


def test_ids_give_the_lineage_the_cohort_gave():
    cohort = make_cohort({"S": SMALL_COMMUNITY})
    ids = [i for i in cohort.taxa.index if i.startswith(("s__", "g__", "f__"))]
    rebuilt = lineages_of_ids(ids)
    for rank in ("phylum", "family", "genus", "species"):
        assert rebuilt[rank].tolist() == cohort.taxa.loc[ids, rank].fillna("").tolist(), rank
    entries = {"training": [{"id": i, "effect": 1.0} for i in ids]}
    assert listed_trait_calls(entries, None) == listed_trait_calls(entries, cohort)


def test_kefir_pages_re_rendered_without_profiles_cite_the_same_sources(tmp_path, shared_data):
    """Real MetaPhlAn 3 profiles of several people: the same cells with and without cohort.h5ad."""
    folder = shared_data / "profiles" / "kefir_metaphlan3"
    files = sorted(folder.glob("*.txt"))[:6]
    if not files:
        pytest.skip(f"no profiles in {folder}")
    _run(["analyze", *map(str, files), "-o", str(tmp_path / "out"), "--subject-pattern", r"Subj(\d+)_time(\d+)"])
    copy = _without_profiles(tmp_path / "out", tmp_path)
    assert assert_same_contribution_tables(tmp_path / "out", copy) > 500
    # a timeline of MetaPhlAn samples names the rank of its diversity too
    timelines = sorted((tmp_path / "out" / "subjects").glob("*.html"))
    assert timelines
    assert "Shannon diversity of species over time" in _text(timelines[0].read_text(encoding="utf-8"))


def test_a_greengenes_biom_page_names_its_rank(tmp_path, shared_data):
    """A real BIOM table with Greengenes lineages: its pages name the rank of its diversity."""
    table = shared_data / "formats" / "qiime2" / "full_taxonomy_mock_feature_table.biom"
    if not table.is_file():
        pytest.skip(f"{table} not present")
    _run(["analyze", str(table), "-o", str(tmp_path / "out")])
    scores = (tmp_path / "out" / "scores.tsv").read_text(encoding="utf-8").splitlines()
    header = scores[0].split("\t")
    ranks = {line.split("\t")[header.index("diversity_rank")] for line in scores[1:]}
    for page in (tmp_path / "out" / "samples").glob("*.html"):
        text = _text(page.read_text(encoding="utf-8"))
        rank = next(r for r in ranks if f"Computed at {r} rank" in text)
        label = describe_at_rank("richness", rank).label
        assert label in text, (page.name, rank)


def test_a_garbled_taxon_id_in_a_saved_file_is_left_out_not_fatal():
    """One id that names no taxon ("g__", "|") must not fail every page of a
    re-rendered report: it is left out, as a taxon the profiles lack is."""
    table = lineages_of_ids(["g__", "|", "s__Bacteroides fragilis"])
    assert table.index.tolist() == ["s__Bacteroides fragilis"]
    assert table.loc["s__Bacteroides fragilis", "family"] == "Bacteroidaceae"


def test_a_table_that_names_no_profiler_is_called_so_and_given_none(tmp_path):
    # a plain CSV (the iHMP table's kind) names no profiler: the pages and scores.tsv said
    # "this sample is an unnamed profiler"; they say what is true and name none
    (tmp_path / "genus.csv").write_text(GENUS_TABLE, encoding="utf-8")
    _run(["analyze", str(tmp_path / "genus.csv"), "-o", str(tmp_path / "out")])
    out = tmp_path / "out"
    sample = _text((out / "samples" / "g_A.html").read_text(encoding="utf-8"))
    assert "this sample is a profile whose file does not name its profiler, genus-level" in sample
    cohort = _text((out / "report.html").read_text(encoding="utf-8"))
    assert "these samples are profiles whose files do not name their profiler, genus-level" in cohort
    table = (out / "scores.tsv").read_text(encoding="utf-8")
    assert table.count("this sample is a profile whose file does not name its profiler, genus-level") == 2
    for text in (sample, cohort, table, (out / "scores.json").read_text(encoding="utf-8")):
        assert "unnamed profiler" not in text
        assert "this sample is unknown" not in text


def test_a_taxon_whose_column_key_holds_its_parents_cites_its_source_with_and_without_the_profiles(tmp_path):
    # A real wastewater Kraken 2 report: Sorangium cellulosum, under a genus
    # the lineage table does not know, is a butyrate producer by Vital et al.
    # 2014; its column key holds its parents, scores.json names it by its
    # feature id, and the page rendered with the profiles said "none recorded".
    order = "k__Bacteria;p__Proteobacteria;c__Deltaproteobacteria;o__Myxococcales;f__Polyangiaceae"
    rows = {f"{order};g__Sorangium;s__Sorangium cellulosum": 30.0,
            **{lineage.replace("|", ";"): 70.0 * share / 100 for lineage, share in SMALL_COMMUNITY.items()}}
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "profile.tsv").write_text(
        "#OTU ID\tww\n" + "".join(f"{lineage}\t{value!r}\n" for lineage, value in rows.items()))
    _run(["analyze", str(tmp_path / "in" / "profile.tsv"), "-o", str(tmp_path / "out")])
    cells = [row for rows_ in contribution_tables(_page(tmp_path / "out", "ww")).values() for row in rows_[1:]
             if row[0] == "Sorangium cellulosum"]
    assert cells, "Sorangium cellulosum is not listed"
    assert all("10.1128/mBio.00889-14" in row[3] for row in cells if "butyrate" in row[2]), cells
    copy = _without_profiles(tmp_path / "out", tmp_path)
    assert assert_same_contribution_tables(tmp_path / "out", copy) > 50
