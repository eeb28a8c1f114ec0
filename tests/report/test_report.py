"""Report files, escaping, safe file names, score descriptions."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import gutbalance
from gutbalance import knowledge
from gutbalance.cli import main
from gutbalance.outputs import write_table_atomic
from gutbalance.pillars import component_traits
from gutbalance.reference.statistics import cohort_statistics
from gutbalance.report import (
    describe,
    read_scores,
    rerender,
    safe_filename,
    write_reports,
)
from gutbalance.report.render import (
    display_taxon,
    entry_sources,
    listed_trait_calls,
    normalise_contributions,
    render_cohort_report,
    render_sample_report,
    score_columns,
    source_link,
)
from gutbalance.scores import score_with_contributions
from tests.helpers import MIXED_RANK_STUDY, make_cohort
from tests.report.conftest import XSS_NAME


class _Resources(HTMLParser):
    """Every tag that would make a browser fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "srcset", "data", "poster") or (tag == "link" and name == "href"):
                self.found.append((tag, value or ""))


def _loaded_resources(html: str) -> list[tuple[str, str]]:
    parser = _Resources()
    parser.feed(html)
    return parser.found


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=0, max_size=300))
def test_safe_filename_is_safe(name):
    out = safe_filename(name)
    assert re.fullmatch(r"[A-Za-z0-9._-]+", out)
    assert not out.startswith(".")
    assert len(out) <= 80
    assert out == safe_filename(name)


@given(st.text(max_size=40), st.text(max_size=40))
def test_safe_filename_keeps_different_names_apart(a, b):
    if a != b:
        assert safe_filename(a) != safe_filename(b)


def test_safe_filename_keeps_plain_names_and_tags_changed_ones():
    assert safe_filename("Subj030_time1_S18") == "Subj030_time1_S18"
    assert safe_filename("../../etc/passwd").startswith("etc_passwd-")
    assert safe_filename("CON").startswith("CON-")
    assert safe_filename("") .startswith("sample-")


def test_descriptions_cover_known_columns_and_fall_back():
    for key in ("immune_support", "training", "homeostasis", "nutrients", "barrier", "defense", "coverage",
                "gmhi", "gmwi2", "shannon", "richness", "dysbiosis", "firmicutes_bacteroidetes_log2"):
        info = describe(key)
        assert info.known
        assert info.meaning
        assert info.label != key
    info = describe("brand_new_index")
    assert not info.known
    assert info.label == "Brand new index"
    assert info.group == "other"
    assert describe("gmhi").references
    assert "10.1038/s41467-020-18476-8" in describe("gmhi").references[0]


def test_contribution_shapes_are_normalised():
    pillar, _ = normalise_contributions([{"taxon": "s__A b", "effect": 0.3, "trait": "t", "source": "doi:10.1/1"}])
    assert pillar[0]["effect"] == 0.3
    gmhi, _ = normalise_contributions({"markers": [{"taxon": "s__A", "group": "MH", "abundance": 0.1},
                                                   {"taxon": "s__B", "group": "MN", "abundance": 0.2}]})
    assert [e["effect"] for e in gmhi] == [0.1, -0.2]
    gmwi2, note = normalise_contributions({"taxa": [{"taxon": "f__X", "coefficient": -0.05}], "note": "uncalibrated"})
    assert gmwi2[0]["effect"] == -0.05
    assert note == "uncalibrated"
    assert display_taxon("s__Faecalibacterium prausnitzii") == "Faecalibacterium prausnitzii"
    assert display_taxon("f__Bacteroidaceae") == "Bacteroidaceae (family)"
    assert source_link("doi:10.1038/abc") == "https://doi.org/10.1038/abc"
    assert source_link("PMID:123") == "https://pubmed.ncbi.nlm.nih.gov/123/"
    assert source_link('doi:10.1/x"><script>') is None
    assert source_link("javascript:alert(1)") is None


def test_write_reports_escapes_everything_and_names_files_safely(report_input, tmp_path):
    cohort, scores, contributions = report_input
    files = write_reports(tmp_path, cohort, scores[["shannon", "gmhi"]], contributions, subject_column="person",
                          time_column="visit", group_columns=["arm"], figures=True)
    assert files.cohort_report.exists()
    assert set(files.sample_reports) == set(scores.index)
    assert len(files.figures) == 4
    for path in files.sample_reports.values():
        assert path.parent == tmp_path / "samples"
        assert re.fullmatch(r"[A-Za-z0-9._-]+\.html", path.name)
    assert set(files.timeline_reports) == {"p1"}
    pages = [files.cohort_report, *files.sample_reports.values(), *files.timeline_reports.values()]
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<img src=x" not in html
        assert "<svg onload" not in html
        assert "<script>alert" not in html
        assert "<b>bold</b>" not in html
        assert "<i>butyrate</i>" not in html
        # nothing is loaded from anywhere (links to DOIs are fine: they load only when followed)
        assert _loaded_resources(html) == []
        assert "@import" not in html
        assert "url(" not in html
        assert "not a diagnosis" in html
    xss = files.sample_reports[XSS_NAME].read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in xss
    assert "&lt;svg onload=alert(3)&gt;" in xss
    assert "https://pubmed.ncbi.nlm.nih.gov/123/" in xss
    cohort_html = files.cohort_report.read_text(encoding="utf-8")
    assert "Mann" in cohort_html
    assert "kefir" in cohort_html
    assert {p.suffix for p in files.figures} == {".svg", ".png"}
    png = next(p for p in files.figures if p.suffix == ".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = files.figures[0].read_text(encoding="utf-8") if files.figures[0].suffix == ".svg" else ""
    assert "<svg" in svg or files.figures[0].suffix == ".png"


def test_every_chart_has_a_title_a_description_and_role(report_input, tmp_path):
    cohort, scores, contributions = report_input
    html = render_sample_report(XSS_NAME, scores, cohort=cohort, contributions=contributions)
    svgs = re.findall(r"<svg\b[^>]*>.*?</svg>", html, flags=re.S)
    text = {"diversity_rank", "stool_like", "missing", "warnings"}
    assert len(svgs) >= len([c for c in scores.columns if not c.endswith("_percentile") and c not in text])
    for svg in svgs:
        assert 'role="img"' in svg
        assert "<title" in svg
        assert "<desc" in svg
        assert "style=" not in svg


def test_unknown_score_columns_render_generically(report_input):
    cohort, scores, _ = report_input
    table = scores.assign(brand_new_index=np.arange(len(scores), dtype=float))
    html = render_sample_report("p1_t1", table, cohort=cohort)
    assert "Brand new index" in html
    assert "Other scores" in html
    assert "No healthy reference values for this score." in html


def test_pillar_columns_render_with_their_contributions(report_input):
    cohort, scores, _ = report_input
    table = scores.assign(immune_support=61.0, training=55.0, homeostasis=70.0, nutrients=40.0, barrier=65.0,
                          defense=80.0, coverage=0.83)
    contributions = {"p1_t1": {"barrier": [{"taxon": "s__Akkermansia muciniphila", "effect": 4.2,
                                             "trait": "mucus layer", "source": "doi:10.1016/j.cell.2019.01.001"}]}}
    html = render_sample_report("p1_t1", table, cohort=cohort, contributions=contributions)
    assert "Immune-support scores not available" not in html
    assert html.index("Immune support") < html.index("The five ways")
    assert "Akkermansia muciniphila" in html
    assert "https://doi.org/10.1016/j.cell.2019.01.001" in html


def test_rerender_and_report_command_from_saved_results(report_input, tmp_path):
    cohort, scores, contributions = report_input
    write_table_atomic(scores, tmp_path / "scores.tsv")
    (tmp_path / "scores.json").write_text('{"contributions": {}}', encoding="utf-8")
    write_reports(tmp_path, cohort, scores, contributions, subject_column="person", time_column="visit", figures=False)
    first = (tmp_path / "samples" / f"{safe_filename('p1_t2')}.html").read_text(encoding="utf-8")
    (tmp_path / "report.html").unlink()
    files = rerender(tmp_path)
    assert files.cohort_report.exists()
    assert set(files.timeline_reports) == {"p1"}
    again = (tmp_path / "samples" / f"{safe_filename('p1_t2')}.html").read_text(encoding="utf-8")
    strip = lambda t: re.sub(r'id="c\d+[td]"|c\d+t c\d+d', "", t)  # noqa: E731 - chart ids are page-unique only
    assert strip(again) == strip(first)
    assert read_scores(tmp_path / "scores.tsv").index.tolist() == scores.index.tolist()
    result = CliRunner().invoke(main, ["report", str(tmp_path), "--no-figures"])
    assert result.exit_code == 0, result.output
    assert "8 sample reports, 1 timelines" in result.output
    missing = CliRunner().invoke(main, ["report", str(tmp_path / "samples")])
    assert missing.exit_code == 2
    assert "scores.tsv" in missing.output


def test_missing_scores_and_other_kinds_of_input_say_why(tmp_path):
    """A missing score shows its reason, not a number; a sample of another
    kind of input than the reference shows no percentile and says why."""
    import gutbalance
    from gutbalance.reference import load_reference, with_percentiles
    from tests.helpers import SMALL_COMMUNITY, make_cohort

    ecoli = ("k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria|o__Enterobacterales|f__Enterobacteriaceae|"
             "g__Escherichia|s__Escherichia_coli")
    cohort = make_cohort({"e_coli": {ecoli: 100.0}, "stool": SMALL_COMMUNITY, "kraken": SMALL_COMMUNITY})
    cohort.samples["source_format"] = ["cami", "metaphlan", "kraken"]
    cohort.samples["database"] = ["motus version 3.0.2", "mpa_v30_CHOCOPhlAn_201901", ""]
    scores = with_percentiles(gutbalance.score(cohort), cohort)
    reference = load_reference()
    html = render_sample_report("e_coli", scores, cohort=cohort, reference=reference)
    assert "Missing: none of the 50 GMHI marker species is present" in html
    assert "No percentile" not in html
    assert "against 457 healthy mOTUs runs" in html
    metaphlan = render_sample_report("stool", scores, cohort=cohort, reference=reference)
    assert "No percentile" not in metaphlan
    assert "against 539 healthy MetaPhlAn runs" in metaphlan
    assert "this sample is MetaPhlAn 3" in metaphlan  # the version warning
    other = render_sample_report("kraken", scores, cohort=cohort, reference=reference)
    assert "No percentile: percentiles not comparable" in other
    assert "this sample is Kraken, species-level" in other
    statistics = cohort_statistics(scores, keys=score_columns(scores), metadata=cohort.samples, reference=reference)
    page = render_cohort_report(scores, statistics)
    assert "1 of 3 samples are of another kind of input" in page


def test_a_page_is_the_same_bytes_whatever_was_drawn_before_it(report_input):
    """analyze writes many pages in one process: chart ids are numbered per
    page, so a sample's page does not depend on the pages drawn before it."""
    cohort, scores, contributions = report_input
    first = render_sample_report("p1_t1", scores, cohort=cohort, contributions=contributions)
    statistics = cohort_statistics(scores, keys=score_columns(scores), metadata=cohort.samples)
    render_cohort_report(scores, statistics)
    render_sample_report(XSS_NAME, scores, cohort=cohort, contributions=contributions)
    again = render_sample_report("p1_t1", scores, cohort=cohort, contributions=contributions)
    assert 'id="' in first
    assert again == first


def test_the_microbes_behind_a_score_cite_the_facts_that_gave_their_effect(shared_data):
    """The 'Source' column of each pillar's table of taxa was empty for every
    pillar (only GMHI's and GMWI2's entries carried a source).  On a real
    kefir profile every listed taxon now cites the knowledge-base rows behind
    its effect: checked against ``gutbalance.knowledge.lookup`` of the same
    taxon, the calls of the traits its component reads whose value is not 0."""
    cohort = gutbalance.read(shared_data / "profiles" / "kefir_metaphlan3" / "Subj001_time2_S2_metaphlan3.txt")
    scores, explained = score_with_contributions(cohort)
    (sample,) = scores.index
    contrib = explained[sample]
    calls = listed_trait_calls(contrib, cohort)
    checked = 0
    for pillar in ("training", "nutrients", "barrier", "defense"):
        for entry in contrib[pillar]:
            if not entry["id"]:
                continue
            cited = entry_sources(entry, calls)
            assert cited, (pillar, entry["taxon"])
            name = entry["id"].split("__", 1)[1]
            rank = {"s": "species", "g": "genus", "f": "family"}[entry["id"][0]]
            facts = knowledge.lookup(name, rank)
            expected = []
            for part in entry["parts"]:
                traits = component_traits()[part["component"]]
                rows = facts[facts["trait"].isin(traits) & (facts["value"] != 0)]
                expected += [s for text in rows["sources"] for s in text.split(", ")]
            assert set(cited) == set(expected), (pillar, entry["taxon"])
            checked += 1
    assert checked >= 10
    html = render_sample_report(sample, scores, cohort=cohort, contributions=explained)
    table = html[html.index("<caption>Microbes behind Barrier</caption>"):]
    table = table[: table.index("</table>")]
    assert '<td class="small"></td>' not in table
    assert 'href="https://doi.org/10.1093/nar/gkw964"' in table  # bugphyzz: facultative anaerobes


def test_a_sample_without_comparable_percentiles_shows_none_of_the_reference_figures():
    """Where the reference says a sample's percentiles are not comparable
    (another profiler family, or a genus-level table against species-level
    populations), its page draws no healthy box, lists no healthy quantiles
    and does not say its percentiles are against the reference; it says why
    in words. A comparable sample of the same cohort still has them all."""
    import gutbalance
    from gutbalance.reference import load_reference, with_percentiles
    from gutbalance.reference.sample import comparability_note
    from tests.helpers import SMALL_COMMUNITY, make_cohort

    genus_level = {"|".join(lineage.split("|")[:-1]): share for lineage, share in SMALL_COMMUNITY.items()}
    cohort = make_cohort({"stool": SMALL_COMMUNITY, "kraken": SMALL_COMMUNITY, "amplicon": genus_level})
    cohort.samples["source_format"] = ["metaphlan", "kraken", "table"]
    cohort.samples["database"] = ["mpa_v30_CHOCOPhlAn_201901", "", ""]
    scores = with_percentiles(gutbalance.score(cohort), cohort)
    reference = load_reference()
    comparable = render_sample_report("stool", scores, cohort=cohort, reference=reference)
    assert "Healthy reference: middle half between" in comparable
    assert "Percentiles on this page are against" in comparable
    assert '<th scope="row">Healthy reference</th>' in comparable
    for sample in ("kraken", "amplicon"):
        note = comparability_note(cohort, scores, sample, reference)
        assert note.startswith("percentiles not comparable"), sample  # the reference's own decision
        html = render_sample_report(sample, scores, cohort=cohort, reference=reference)
        assert "Healthy reference: middle half between" not in html, sample
        assert '<th scope="row">Healthy reference</th>' not in html, sample
        assert "for orientation only" not in html.split("Methods and references")[0], sample
        assert "Percentiles on this page are against" not in html, sample
        assert "healthy reference" not in " ".join(re.findall(r"<svg.*?</svg>", html, flags=re.S)), sample
        assert f"No percentile: {note}." in html, sample
        assert "This sample is not compared with healthy people" in html, sample


def test_a_rendering_removes_its_own_stale_pages_and_nothing_else(report_input, tmp_path):
    """Re-rendering a results folder with other subjects, fewer samples or no
    figures removes the pages and figures the previous rendering wrote and
    did not write again (they would look current), listed in its manifest;
    a file it did not write, one changed since, or one a hand-edited
    manifest names outside its folders, stays."""
    import json
    import os

    from gutbalance.report import remove_reports

    cohort, scores, contributions = report_input
    write_table_atomic(scores, tmp_path / "scores.tsv")
    first = write_reports(tmp_path, cohort, scores, contributions, subject_column="person", time_column="visit",
                          figures=True)
    old_subject = first.timeline_reports["p1"]
    assert old_subject.exists()
    assert first.figures
    assert first.removed == []
    mine = tmp_path / "subjects" / "notes.html"  # the user's own file beside the pages
    mine.write_text("my notes", encoding="utf-8")
    edited = first.sample_reports["s7"]
    edited.write_text(edited.read_text(encoding="utf-8") + "<!-- my annotation -->", encoding="utf-8")
    os.utime(edited, ns=(1, 1))
    manifest = json.loads((tmp_path / "report_manifest.json").read_text(encoding="utf-8"))
    outside = tmp_path.parent / f"{tmp_path.name}-outside.html"
    outside.write_text("not the report's", encoding="utf-8")
    for name in ("scores.tsv", f"../{outside.name}", str(outside), "samples/../scores.tsv"):
        target = tmp_path / name if not os.path.isabs(name) else outside
        manifest["files"][name] = [target.stat().st_size, target.stat().st_mtime_ns]
    (tmp_path / "report_manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

    fewer = scores.drop(index=["s6", "s7"])
    second = write_reports(tmp_path, cohort, fewer, contributions, subject_pattern=r"(p)\d_t(\d)", figures=False)
    assert set(second.timeline_reports) == {"p"}
    assert not old_subject.exists()
    assert second.timeline_reports["p"].exists()
    assert not first.sample_reports["s6"].exists()  # a sample no longer in the scores
    assert edited.exists()  # changed since it was written: no longer the report's to remove
    assert mine.exists()
    assert outside.exists()
    assert (tmp_path / "scores.tsv").exists()
    assert not any(path.exists() for path in first.figures)
    assert set(second.removed) == {old_subject, first.sample_reports["s6"], *first.figures}
    for sample in fewer.index:
        assert second.sample_reports[sample].exists()
    listed = json.loads((tmp_path / "report_manifest.json").read_text(encoding="utf-8"))["files"]
    assert set(listed) == {p.relative_to(tmp_path).as_posix() for p in [second.cohort_report, *second.sample_reports.values(), *second.timeline_reports.values()]}

    # the same rendering again removes nothing; a run without reports removes them all
    assert write_reports(tmp_path, cohort, fewer, contributions, subject_pattern=r"(p)\d_t(\d)", figures=False).removed == []
    removed = remove_reports(tmp_path)
    assert second.cohort_report in removed
    assert not any(path.exists() for path in [second.cohort_report, *second.sample_reports.values(), *second.timeline_reports.values()])
    assert mine.exists()
    assert edited.exists()


def test_the_report_command_removes_the_previous_subject_pages(report_input, tmp_path):
    """`gutbalance report DIR --subject-pattern ...` after a run by person:
    the person pages go, and the command says so."""
    cohort, scores, contributions = report_input
    write_table_atomic(scores, tmp_path / "scores.tsv")
    (tmp_path / "scores.json").write_text('{"contributions": {}}', encoding="utf-8")
    first = write_reports(tmp_path, cohort, scores, contributions, subject_column="person", time_column="visit", figures=False)
    result = CliRunner().invoke(main, ["report", str(tmp_path), "--no-figures", "--subject-pattern", r"(p)\d_t(\d)"])
    assert result.exit_code == 0, result.output
    assert "1 pages and figures of the previous rendering removed" in result.output
    assert not first.timeline_reports["p1"].exists()
    assert (tmp_path / "subjects" / f"{safe_filename('p')}.html").exists()
    back = CliRunner().invoke(main, ["report", str(tmp_path), "--no-figures", "--subject-column", "person", "--time-column", "visit"])
    assert back.exit_code == 0, back.output
    assert first.timeline_reports["p1"].exists()
    assert not (tmp_path / "subjects" / f"{safe_filename('p')}.html").exists()


def test_analyze_without_reports_removes_the_pages_of_an_earlier_run(tmp_path):
    """`analyze -o DIR --reports none` over a folder with an earlier run's
    pages: they would describe the earlier scores, so they go (the scores
    files stay, a file of the user's stays)."""
    out = tmp_path / "out"
    first = CliRunner().invoke(main, ["analyze", "--example", "-o", str(out)])
    assert first.exit_code == 0, first.output
    pages = sorted(p for p in out.rglob("*.html"))
    assert out / "report.html" in pages
    (out / "samples" / "mine.html").write_text("mine", encoding="utf-8")
    again = CliRunner().invoke(main, ["analyze", "--example", "-o", str(out), "--reports", "none"])
    assert again.exit_code == 0, again.output
    assert "report pages and figures of an earlier run removed" in again.output
    assert not any(p.exists() for p in pages)
    assert (out / "samples" / "mine.html").exists()
    assert (out / "scores.tsv").exists()


def _kinds_cohort(kinds: dict[str, tuple[str, str, bool]]):
    """A cohort of SMALL_COMMUNITY variants: ``{sample: (source_format, database, genus_level)}``, arms a/b."""
    from tests.helpers import make_cohort
    from tests.report.conftest import _variant

    profiles = {}
    for i, (sample, (_, _, genus)) in enumerate(kinds.items()):
        profile = _variant(i)
        profiles[sample] = ({"|".join(k.split("|")[:-1]): v for k, v in profile.items()} if genus else profile)
    cohort = make_cohort(profiles)
    cohort.samples["source_format"] = [k[0] for k in kinds.values()]
    cohort.samples["database"] = [k[1] for k in kinds.values()]
    cohort.samples["arm"] = ["a" if i % 2 else "b" for i in range(len(kinds))]
    return cohort


def test_a_cohort_report_of_samples_without_comparable_percentiles_shows_none_of_the_reference_figures(tmp_path):
    """The cohort page follows the sample pages' rule: where the reference
    (reference/comparability.py) says no sample of the cohort is comparable
    with it (a genus-level 16S table, Kraken), no healthy box is drawn (the
    distributions, the group charts, the exported figures), no healthy row
    in the tables, no "percentiles against"; the page says why, in the
    samples' own words."""
    from gutbalance.reference import load_reference, with_percentiles
    from gutbalance.reference.comparability import comparability_note

    kinds = {f"amplicon{i}": ("table", "", True) for i in range(4)} | {f"kraken{i}": ("kraken", "", False) for i in range(3)}
    cohort = _kinds_cohort(kinds)
    scores = with_percentiles(gutbalance.score(cohort), cohort)
    reference = load_reference()
    notes = {s: comparability_note(cohort, scores, s, reference) for s in kinds}
    assert all(n.startswith("percentiles not comparable") for n in notes.values()), notes  # the reference decides
    files = write_reports(tmp_path, cohort, scores, group_columns=["arm"], figures=True)
    html = files.cohort_report.read_text(encoding="utf-8")
    assert "By <span" in html  # the group charts are there, to be checked
    charts = " ".join(re.findall(r"<svg.*?</svg>", html, flags=re.S))
    assert charts
    assert "healthy reference" not in charts.lower()
    assert '<th scope="row">Healthy reference</th>' not in html
    assert "Percentiles on this page are against" not in html
    assert "shaded box is the healthy reference" not in html
    assert "percentile among the healthy reference people" not in html
    assert "These samples are not compared with healthy people: percentiles not comparable" in html
    # the kinds said once, counted
    assert ("these samples are profiles whose files do not name their profiler, genus-level (4) and Kraken, species-level (3)"
            in html)
    assert "unnamed profiler" not in html  # no profiler is named: none is invented either
    svgs = [p for p in files.figures if p.suffix == ".svg"]
    assert svgs
    assert not any("healthy reference" in p.read_text(encoding="utf-8") for p in svgs)


def test_a_mixed_cohort_draws_the_population_of_its_comparable_samples(tmp_path):
    """In a cohort of mostly Kraken samples and a few MetaPhlAn ones, the
    healthy figures drawn are the MetaPhlAn population's (that of the
    samples the reference is comparable with), in the page and the exported
    figures; the Kraken majority, seen from the primary population, no
    longer picks the mOTUs one."""
    from gutbalance.reference import load_reference, with_percentiles

    kinds = {f"kraken{i}": ("kraken", "", False) for i in range(5)}
    kinds |= {f"mpa{i}": ("metaphlan", "mpa_v30_CHOCOPhlAn_201901", False) for i in range(2)}
    cohort = _kinds_cohort(kinds)
    scores = with_percentiles(gutbalance.score(cohort), cohort)
    reference = load_reference()
    metaphlan = reference.for_kind({"profiler": "MetaPhlAn", "rank": "species"})
    assert metaphlan.primary is not reference.primary
    statistics = cohort_statistics(scores[["shannon", "diversity_rank", "warnings"]], keys=["shannon"],
                                   metadata=cohort.samples, reference=reference)
    assert statistics.not_comparable == ""
    assert statistics.reference is not None
    assert statistics.reference.primary is metaphlan.primary
    assert statistics.reference_summaries["shannon"] == dict(metaphlan.primary.distributions["shannon"].summary)
    html = write_reports(tmp_path, cohort, scores).cohort_report.read_text(encoding="utf-8")
    assert f"Percentiles on this page are against {metaphlan.primary.against}" in html
    assert "5 of 7 samples are of another kind of input" in html


def test_an_interrupted_rendering_leaves_its_pages_known_to_the_next(report_input, tmp_path, monkeypatch):
    """A rendering killed after some pages (here at its seventh page, after
    the journal named it and before it was moved into place) leaves no
    manifest of its own; its pages are in the journal, so the next rendering
    removes them where it does not write them again, as well as the pages
    of the last complete rendering, even those the interrupted one had
    rewritten (their stamps differ from the manifest's) or was about to."""
    import json

    from gutbalance.atomic import PendingFile

    cohort, scores, contributions = report_input
    first = write_reports(tmp_path, cohort, scores, contributions, figures=False)
    pages = first.sample_reports
    mine = tmp_path / "samples" / "notes.html"
    mine.write_text("my notes", encoding="utf-8")

    commit, calls = PendingFile.commit, []

    def interrupted(self):
        calls.append(self.path)
        if len(calls) == 7:
            raise KeyboardInterrupt  # as Ctrl-C, between the journal's line and the move
        return commit(self)

    monkeypatch.setattr(PendingFile, "commit", interrupted)
    changed = scores.assign(shannon=scores["shannon"] + 0.5)  # other pages, other sizes
    with pytest.raises(KeyboardInterrupt):
        write_reports(tmp_path, cohort, changed, contributions, figures=False)
    monkeypatch.setattr(PendingFile, "commit", commit)
    journal = tmp_path / "report_manifest.journal"
    named = [json.loads(line)["file"] for line in journal.read_text(encoding="utf-8").splitlines()]
    assert named == [p.relative_to(tmp_path).as_posix() for p in calls]  # the seventh too, though not in place
    assert not list(tmp_path.glob("samples/.*"))  # no temporary file left by the interruption

    kept = list(scores.index[:4])
    third = write_reports(tmp_path, cohort, scores.loc[kept], contributions, figures=False)
    gone = [pages[s] for s in scores.index[4:]]
    assert set(third.removed) == set(gone)  # rewritten by the interrupted run (5th, 6th), about to be (7th), untouched (8th)
    assert not any(p.exists() for p in gone)
    assert mine.exists()
    assert third.left == [mine]
    assert not journal.exists()  # the manifest now lists what is in place
    listed = json.loads((tmp_path / "report_manifest.json").read_text(encoding="utf-8"))["files"]
    assert set(listed) == {"report.html", *(p.relative_to(tmp_path).as_posix() for p in third.sample_reports.values())}


def test_a_folder_without_a_manifest_keeps_its_pages_and_says_they_may_be_stale(report_input, tmp_path):
    """Results written before gutbalance kept a manifest (the tree before
    2026-11-27) have pages it cannot tell from a user's: the generator mark
    says who made a page, not that it is unchanged. Re-rendering removes
    none of them, and `gutbalance report` names them as possibly stale."""
    cohort, scores, contributions = report_input
    write_table_atomic(scores, tmp_path / "scores.tsv")
    first = write_reports(tmp_path, cohort, scores, contributions, subject_column="person", time_column="visit",
                          figures=False)
    (tmp_path / "report_manifest.json").unlink()  # as a folder of the tree before the manifest
    old = [first.sample_reports["s6"], first.sample_reports["s7"], first.timeline_reports["p1"]]
    write_table_atomic(scores.drop(index=["s6", "s7"]), tmp_path / "scores.tsv")

    result = CliRunner().invoke(main, ["report", str(tmp_path), "--subject-pattern", r"(p)\d_t(\d)"])
    assert result.exit_code == 0, result.output
    assert all(p.exists() for p in old)
    assert "3 files in the report folders may be stale" in result.output
    assert "this folder has no report_manifest.json" in result.output
    assert "samples/s6.html" in result.output
    # written once with a manifest, the next rendering removes what it does not write again
    again = CliRunner().invoke(main, ["report", str(tmp_path), "--subject-column", "arm"])
    assert again.exit_code == 0, again.output
    assert not (tmp_path / "subjects" / "p.html").exists()
    assert all(p.exists() for p in old)  # still not its to remove
    assert "no report manifest lists them" in again.output
    # a run without reports removes the listed pages and names the rest (analyze --reports none)
    from gutbalance.report import left_reports, remove_reports

    assert remove_reports(tmp_path)
    assert sorted(left_reports(tmp_path)) == sorted(old)


def test_the_sample_page_says_the_rank_of_its_diversity_and_why_there_is_none(tmp_path):
    # A study scored at one rank (analyze --diversity-rank genus): "Species richness" of a
    # genus table counts genera, so the page says the rank; a sample that does not resolve
    # it says why its diversity is missing, on the section and on each card.
    cohort = make_cohort(MIXED_RANK_STUDY)
    scores, contributions = score_with_contributions(cohort, diversity_rank="genus")
    write_reports(tmp_path, cohort, scores, contributions, figures=False)
    species = (tmp_path / "samples" / "species_sample.html").read_text()
    assert "Computed at genus rank: richness counts the taxa named at genus rank" in species
    family = (tmp_path / "samples" / "family_sample.html").read_text()
    assert "Computed at" not in family
    assert "No diversity: less than half of the classified abundance is named at genus rank" in family
    assert "Missing: less than half of the classified abundance is named at genus rank" in family
