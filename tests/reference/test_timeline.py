"""Subjects, time order, changes beyond technical variation, species that came and went."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import gutbalance
from gutbalance.errors import DataError
from gutbalance.io import read_metadata
from gutbalance.reference import (
    Distribution,
    Population,
    Reference,
    TechnicalVariation,
    load_reference,
    subjects_from_metadata,
    subjects_from_names,
    timelines,
)
from gutbalance.reference.variation import REPEATS
from gutbalance.report import render_timeline_report
from gutbalance.scores import DESCRIPTIVE_COLUMNS, score
from tests.helpers import SMALL_COMMUNITY, make_cohort, write_metaphlan

KEFIR_PATTERN = r"Subj(\d+)_time(\d+)"


def test_subjects_from_names_positional_and_named_groups():
    names = ["Subj030_time2_S19", "Subj030_time10_S20", "Subj001_time1_S1", "blank_control"]
    frame = subjects_from_names(names, KEFIR_PATTERN)
    assert list(frame.index) == names[:3]
    assert frame.loc["Subj030_time10_S20", "subject"] == "030"
    assert frame.loc["Subj030_time10_S20", "time"] == "10"
    named = subjects_from_names(names, r"^(?P<subject>Subj\d+)_time(?P<time>\d+)")
    assert named.loc["Subj001_time1_S1", "subject"] == "Subj001"
    only_subject = subjects_from_names(names, r"^(Subj\d+)")
    assert only_subject.loc[["Subj030_time2_S19", "Subj030_time10_S20"], "time"].tolist() == ["1", "2"]


@pytest.mark.parametrize("pattern", ["Subj(", "Subj\\d+"])
def test_bad_subject_patterns_are_data_errors(pattern):
    with pytest.raises(DataError):
        subjects_from_names(["Subj1"], pattern)


def test_subjects_from_metadata_and_numeric_time_order():
    meta = pd.DataFrame(
        {"person": ["a", "a", "a", "b", ""], "day": ["10", "9", "1", "3", "4"]},
        index=["s1", "s2", "s3", "s4", "s5"],
    )
    frame = subjects_from_metadata(meta, "person", "day")
    assert list(frame.index) == ["s1", "s2", "s3", "s4"]
    with pytest.raises(DataError):
        subjects_from_metadata(meta, "nobody")
    scores = pd.DataFrame({"x": [3.0, 2.0, 1.0, 5.0, 0.0]}, index=meta.index)
    (line,) = timelines(scores, frame)
    assert line.subject == "a"
    assert line.samples == ["s3", "s2", "s1"]
    assert line.times == ["1", "9", "10"]
    assert line.scores["x"].tolist() == [1.0, 2.0, 3.0]


def _reference_with_srd(score_name: str, srd: float) -> Reference:
    pop = Population("p", "p", "", "", 2, {score_name: Distribution.from_values([0.0, 1.0])})
    return Reference("r", "", pop, variation={score_name: TechnicalVariation(srd / 2.77, srd, 2, 4)})


def test_a_step_between_two_samples_of_one_time_is_never_flagged():
    """Replicates at one time differ by 2.5 (> the smallest real difference
    1.0): no change over time, so not flagged, not counted, and said so; the
    page used to flag it beside its note that it is not a change."""
    scores = pd.DataFrame({"x": [1.0, 3.5, 6.0]}, index=["t1", "t1b", "t2"])
    subjects = pd.DataFrame({"subject": ["p"] * 3, "time": ["1", "1", "2"]}, index=scores.index)
    (line,) = timelines(scores, subjects, reference=_reference_with_srd("x", 1.0), time_name="visit")
    assert line.changes["beyond_variation"].tolist() == [None, True, True]
    assert line.changes["same_time"].tolist() == [True, False, False]
    assert line.n_beyond == 1
    page = re.sub(r"\s+", " ", render_timeline_report(line))
    assert page.count("not judged: same visit, not a change over time") == 1
    assert "<strong>1</strong> change between consecutive time points is larger" in page


def test_changes_are_flagged_against_the_smallest_real_difference():
    scores = pd.DataFrame({"x": [1.0, 1.5, 4.0], "y": [0.0, 0.0, 0.0]}, index=["t1", "t2", "t3"])
    subjects = pd.DataFrame({"subject": ["p"] * 3, "time": ["1", "2", "3"]}, index=scores.index)
    (line,) = timelines(scores, subjects, reference=_reference_with_srd("x", 1.0))
    x = line.changes[line.changes["score"] == "x"].reset_index(drop=True)
    assert x["delta"].tolist() == [0.5, 2.5, 3.0]
    assert x["beyond_variation"].tolist() == [False, True, True]
    assert x["overall"].tolist() == [False, False, True]
    y = line.changes[line.changes["score"] == "y"]
    assert y["beyond_variation"].isna().all()  # no technical variation known for y: not flagged
    assert line.n_beyond == 1  # consecutive steps only


def test_species_that_appeared_or_vanished():
    names = list(SMALL_COMMUNITY)
    before = dict(SMALL_COMMUNITY)
    after = dict(SMALL_COMMUNITY)
    after[names[1]] += after.pop(names[0])  # Roseburia vanishes
    tiny = "k__Bacteria|p__Firmicutes|c__Bacilli|o__Lactobacillales|f__Streptococcaceae|g__Streptococcus|s__Streptococcus_thermophilus"
    big = "k__Bacteria|p__Firmicutes|c__Bacilli|o__Lactobacillales|f__Lactobacillaceae|g__Lactobacillus|s__Lactobacillus_kefiranofaciens"
    after[tiny] = 0.05  # below 0.1 %: not reported
    after[big] = 4.0
    after[names[2]] -= 4.05
    cohort = make_cohort({"p_t1": before, "p_t2": after})
    scores = score(cohort)
    subjects = subjects_from_names(cohort.sample_names, r"^(p)_t(\d)")
    (line,) = timelines(scores, subjects, cohort=cohort, reference=load_reference())
    (change,) = line.taxa_changes
    assert [n for n, _ in change.appeared] == ["Lactobacillus kefiranofaciens"]
    assert change.appeared[0][1] == pytest.approx(0.04)
    assert [n for n, _ in change.vanished] == ["Roseburia intestinalis"]
    assert change.vanished[0][1] == pytest.approx(0.125)


@pytest.mark.shared
def test_kefir_subject_030_has_three_time_points(shared_data):
    import gutbalance

    folder = shared_data / "profiles" / "kefir_metaphlan3"
    cohort = gutbalance.read(sorted(folder.glob("Subj030_*")) + sorted(folder.glob("Subj054_*")))
    scores = score(cohort)
    lines = {t.subject: t for t in timelines(scores, subjects_from_names(cohort.sample_names, KEFIR_PATTERN),
                                               cohort=cohort, reference=load_reference())}
    line = lines["030"]
    assert line.samples == ["Subj030_time1_S18", "Subj030_time2_S19", "Subj030_time3_S20"]
    assert len(line.taxa_changes) == 2
    assert any(tc.appeared or tc.vanished for tc in line.taxa_changes)
    consecutive = line.changes[~line.changes["overall"]]
    numeric = [c for c in scores.columns
               if c not in ("diversity_rank", "stool_like", "missing", "warnings", *DESCRIPTIVE_COLUMNS)]
    assert len(consecutive) == 2 * len(numeric)
    # A change is missing only where a score is (S20 has no GMHI marker species).
    measured = np.isfinite(consecutive["delta"].to_numpy(dtype=float))
    for row in consecutive[~measured].itertuples():
        assert scores.loc[[row.from_sample, row.to_sample], row.score].isna().any(), row.score
    assert consecutive["beyond_variation"][measured].notna().all()  # every score has a measured technical variation
    assert set(lines) == {"030", "054"}


def test_a_missed_visit_leaves_that_sample_out_instead_of_sorting_the_visits_as_text(tmp_path):
    # iHMP-like metadata as R writes it: a number column with "NA" for the
    # visit nobody dated.  Before, "NA" made the whole column text, so weeks
    # 10, 2, 4 came out in the order "10", "2", "4", "NA".
    meta_file = tmp_path / "meta.tsv"
    meta_file.write_text("Sample\tSubject\tweek_num\nA1\tC1\t4\nA2\tC1\tNA\nA3\tC1\t10\nA4\tC1\t2\nB1\tC2\t0\nB2\tC2\t1\n")
    meta = read_metadata(meta_file)
    assert pd.api.types.is_numeric_dtype(meta["week_num"])
    frame = subjects_from_metadata(meta, "Subject", "week_num")
    assert frame.loc["A4", "time"] == "2"  # not "2.0": the NA made the column float
    assert frame.loc["A2", "time"] is None
    scores = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}, index=["A1", "A2", "A3", "A4", "B1", "B2"])
    first, second = timelines(scores, frame, time_name="week_num")
    assert first.samples == ["A4", "A1", "A3"]
    assert first.times == ["2", "4", "10"]
    assert first.untimed == ["A2"]
    assert first.time_name == "week_num"
    assert second.untimed == []


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["V10", "V2", "V1"], ["V1", "V2", "V10"]),
        (["day 14", "day 7", "baseline"], ["baseline", "day 7", "day 14"]),
        (["-7", "0", "-14"], ["-14", "-7", "0"]),
        # a baseline before the intervention: "day -7" came last (an outside check)
        (["day 0", "day 7", "day -7"], ["day -7", "day 0", "day 7"]),
        (["D0", "D7", "D-7"], ["D-7", "D0", "D7"]),
        (["visit-10", "visit-2", "visit-1"], ["visit-1", "visit-2", "visit-10"]),  # a hyphen that joins
        (["2014-12-10", "2014-09-30", "2015-01-02"], ["2014-09-30", "2014-12-10", "2015-01-02"]),
    ],
)
def test_time_labels_sort_by_the_numbers_they_hold(labels, expected):
    meta = pd.DataFrame({"person": ["p"] * len(labels), "visit": labels}, index=[f"s{i}" for i in range(len(labels))])
    scores = pd.DataFrame({"x": np.arange(len(labels), dtype=float)}, index=meta.index)
    (line,) = timelines(scores, subjects_from_metadata(meta, "person", "visit"))
    assert line.times == expected


def test_a_subject_without_any_time_keeps_the_table_order_beside_timed_subjects():
    meta = pd.DataFrame({"person": ["a", "a", "b", "b"], "day": [np.nan, np.nan, 5.0, 1.0]},
                        index=["a_first", "a_second", "b5", "b1"])
    frame = subjects_from_metadata(meta, "person", "day")
    scores = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]}, index=meta.index)
    a, b = timelines(scores, frame)
    assert (a.samples, a.times, a.untimed) == (["a_first", "a_second"], ["1", "2"], [])
    assert (b.samples, b.times) == (["b1", "b5"], ["1", "5"])
    assert (a.in_input_order, b.in_input_order) == (True, False)
    # the input-order numbers are not days: labelled plainly, and the page asks for the column's values
    # (it wrote "day 1 -> day 2" and asked for --time-column, already given: an outside check)
    named = timelines(scores, frame, time_name="day")
    assert (named[0].time_name, named[0].untimed_column) == (None, "day")
    assert (named[1].time_name, named[1].untimed_column) == ("day", "")
    page = render_timeline_report(named[0])
    assert "None of them has a value in the <code>day</code> column" in page
    assert "--time-column" not in page


def test_a_page_without_times_does_not_say_the_samples_are_in_time_order(tmp_path):
    # outside5: HMgDB's Zeller runs, a person's page from several runs with
    # no time column, said "in time order" of the metadata table's order.
    cohort = make_cohort({"run_b": SMALL_COMMUNITY, "run_a": SMALL_COMMUNITY})
    meta = pd.DataFrame({"person": ["p", "p"]}, index=["run_b", "run_a"])
    (untimed,) = timelines(score(cohort), subjects_from_metadata(meta, "person"), cohort=cohort)
    page = render_timeline_report(untimed)
    assert "in time order" not in page
    assert "in the order of the input: none has a time" in page
    meta["day"] = [2, 1]
    (timed,) = timelines(score(cohort), subjects_from_metadata(meta, "person", "day"), cohort=cohort, time_name="day")
    assert timed.samples == ["run_a", "run_b"]
    assert "samples of the same person, in time order" in render_timeline_report(timed)


def test_a_cross_over_person_gets_one_timeline_per_arm_when_the_arm_is_named(tmp_path):
    # David et al. 2014's layout (MLRepo mapping-orig.txt): every person ate
    # both diets, days -4..10 in each arm, under one SubjectFood id.  Named by
    # the person alone, the two arms interleave (day 1 plant, day 1 animal ...)
    # and the page says so; named by person and arm, each arm is a timeline.
    meta = pd.DataFrame(
        {"SubjectFood": [5.0, 5.0, 5.0, 5.0, np.nan], "Diet": ["Plant", "Plant", "Animal", "Animal", "NA"],
         "Day": [0, 1, 0, 1, np.nan]},
        index=["DD1", "DD2", "ID1", "ID2", "cheese"],
    )
    scores = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 5.0]}, index=meta.index)
    (mixed,) = timelines(scores, subjects_from_metadata(meta, "SubjectFood", "Day"))
    assert mixed.subject == "5"
    assert mixed.repeated_times == ["0", "1"]
    animal, plant = timelines(scores, subjects_from_metadata(meta, "SubjectFood,Diet", "Day"))
    assert (animal.subject, animal.samples, animal.repeated_times) == ("5 / Animal", ["ID1", "ID2"], [])
    assert (plant.subject, plant.samples) == ("5 / Plant", ["DD1", "DD2"])
    with pytest.raises(DataError, match="'Arm'"):
        subjects_from_metadata(meta, "SubjectFood,Arm", "Day")


def test_the_page_shows_the_variation_that_flagged_the_changes(tmp_path):
    # iHMP's MetaPhlAn timelines were flagged against the MetaPhlAn healthy
    # runs (immune_support: smallest real difference 18.5) while the page's
    # caption and band showed the mOTUs runs' 8.3; a table of an unnamed
    # profiler was flagged against mOTUs species runs.
    shifted = dict(SMALL_COMMUNITY)
    shifted[next(iter(shifted))] += 5.0
    shifted["k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides|"
            "s__Bacteroides_vulgatus"] -= 5.0
    ref = load_reference()
    metaphlan_srd = ref.for_kind({"profiler": "MetaPhlAn", "rank": "species"}).variation["immune_support"]
    assert abs(metaphlan_srd.smallest_real_difference - ref.variation["immune_support"].smallest_real_difference) > 1
    cohort = gutbalance.read([write_metaphlan(tmp_path / "p_t1.txt"), write_metaphlan(tmp_path / "p_t2.txt", shifted)])
    scores = score(cohort)
    (line,) = timelines(scores, subjects_from_names(cohort.sample_names, r"^(p)_t(\d)"), cohort=cohort, reference=ref)
    assert line.reference is not None
    assert line.reference.primary.kind["profiler"] == "MetaPhlAn"
    page = render_timeline_report(line, reference=ref)
    caption = f"Immune support: changes (smallest real difference {metaphlan_srd.smallest_real_difference:.0f})"
    assert caption in page
    assert "MetaPhlAn, species-level profiles, the kind of this person" in page

    unnamed = make_cohort({"p_t1": SMALL_COMMUNITY, "p_t2": shifted})  # source_format "test": no population of its kind
    (line,) = timelines(score(unnamed), subjects_from_names(unnamed.sample_names, r"^(p)_t(\d)"), cohort=unnamed,
                        reference=ref)
    assert line.reference is None
    assert line.changes["beyond_variation"].isna().all()
    assert "No measurement variation is known for this kind of input" in render_timeline_report(line, reference=ref)


def test_subjects_come_in_the_order_of_their_numbers():
    meta = pd.DataFrame({"mouse": ["10", "10", "2", "2", "1", "1"], "day": [0, 1] * 3},
                        index=[f"s{i}" for i in range(6)])
    scores = pd.DataFrame({"x": np.arange(6.0)}, index=meta.index)
    assert [t.subject for t in timelines(scores, subjects_from_metadata(meta, "mouse", "day"))] == ["1", "2", "10"]


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        # a European lab's dates: 25/04 tells day first for the whole column
        (["12/03/2015", "25/04/2015", "03/04/2015"], ["12/03/2015", "03/04/2015", "25/04/2015"]),
        (["03.09.2014", "19.08.2014"], ["19.08.2014", "03.09.2014"]),  # dotted: day first
        (["04/25/2015", "03/12/2015", "04/03/2015"], ["03/12/2015", "04/03/2015", "04/25/2015"]),  # US
    ],
)
def test_numeric_dates_are_read_one_way_for_the_whole_column(labels, expected):
    # pandas' "mixed" parsing decides per value: 12/03/2015 was read as
    # 3 December (month first) beside 25/04/2015 read day first, so 12 March
    # came last; 03.09.2014 was 9 March.
    meta = pd.DataFrame({"person": ["p"] * len(labels), "date": labels}, index=[f"s{i}" for i in range(len(labels))])
    scores = pd.DataFrame({"x": np.arange(len(labels), dtype=float)}, index=meta.index)
    (line,) = timelines(scores, subjects_from_metadata(meta, "person", "date"))
    assert line.times == expected


def test_dates_are_read_one_way_for_the_whole_column_not_per_person():
    # an outside check: the kefir dates are day first (30's 25/04/2015), but
    # person 1's 10/01/2015 and 02/03/2015, read on their own, were month first
    meta = pd.DataFrame({"person": ["1", "1", "30", "30"],
                         "date": ["10/01/2015", "02/03/2015", "25/04/2015", "20/06/2015"]},
                        index=["a", "b", "c", "d"])
    scores = pd.DataFrame({"x": np.arange(4.0)}, index=meta.index)
    first, second = timelines(scores, subjects_from_metadata(meta, "person", "date"))
    assert first.times == ["10/01/2015", "02/03/2015"]
    assert second.times == ["25/04/2015", "20/06/2015"]


def test_a_column_of_dates_and_labels_keeps_each_subjects_dates_in_order():
    # a review of the whole-column reading: one label ("baseline") made the whole
    # column text, and every subject's d/m/y dates sorted by day of month
    meta = pd.DataFrame({"person": ["A", "A", "B", "B", "C", "C"],
                         "time": ["10/01/2015", "02/03/2015", "25/04/2015", "01/05/2016", "week 2", "baseline"]},
                        index=list("abcdef"))
    scores = pd.DataFrame({"x": np.arange(6.0)}, index=meta.index)
    a, b, c = timelines(scores, subjects_from_metadata(meta, "person", "time"))
    assert a.times == ["10/01/2015", "02/03/2015"]  # day first, as B's 25/04 says for the column
    assert b.times == ["25/04/2015", "01/05/2016"]
    assert c.times == ["baseline", "week 2"]


def test_a_hyphen_in_one_subjects_labels_is_not_read_as_a_minus_because_of_another_subject():
    meta = pd.DataFrame({"person": ["A", "A", "A", "B", "B"],
                         "visit": ["visit-3", "visit-1", "visit-2", "visit 2", "visit 1"]}, index=list("abcde"))
    scores = pd.DataFrame({"x": np.arange(5.0)}, index=meta.index)
    a, b = timelines(scores, subjects_from_metadata(meta, "person", "visit"))
    assert a.times == ["visit-1", "visit-2", "visit-3"]
    assert b.times == ["visit 1", "visit 2"]


def test_a_fixed_diversity_rank_flags_no_diversity_change_by_species_run_variation():
    # The healthy runs' variation measured species diversity: a subject whose
    # diversity was asked at genus has no diversity change judged by it, and
    # every other score is judged as in a default run.
    from gutbalance.reference.timeline import _subject_reference
    from gutbalance.scores import DIVERSITY_COLUMNS

    cohort = make_cohort({"t1": SMALL_COMMUNITY, "t2": SMALL_COMMUNITY})
    cohort.samples["source_format"] = ["cami", "cami"]
    cohort.samples["database"] = ["motus version 3.0.2", "motus version 3.0.2"]
    reference = load_reference()
    auto, note = _subject_reference(reference, cohort, score(cohort), "t1")
    genus, genus_note = _subject_reference(reference, cohort, score(cohort, diversity_rank="genus"), "t1")
    assert note == genus_note == ""
    assert auto is not None
    assert genus is not None
    assert {"shannon", "richness"} <= set(auto.variation)
    assert not set(DIVERSITY_COLUMNS) & set(genus.variation)
    assert {k: v for k, v in auto.variation.items() if k not in DIVERSITY_COLUMNS} == genus.variation


def test_a_change_adds_up_with_the_values_shown_beside_it():
    """Before 61.4 and after 63.5 are shown as 61 and 64: the change reads
    +3, not the +2 of the exact 2.1 (the row did not add up)."""
    meta = pd.DataFrame({"person": ["p", "p"], "day": [1, 2]}, index=["a", "b"])
    scores = pd.DataFrame({"immune_support": [61.4, 63.5]}, index=meta.index)
    (timeline,) = timelines(scores, subjects_from_metadata(meta, "person", "day"), time_name="day")
    cells = re.findall(r'<td class="num">([^<]*)</td>', render_timeline_report(timeline))
    assert cells[:3] == ["61", "64", "+3"]


def test_without_a_known_variation_the_headline_judges_nothing():
    """No measurement variation known: the page says the changes were not
    judged, not "0 changes ... are larger than measurement variation"."""
    meta = pd.DataFrame({"person": ["p", "p"], "day": [1, 2]}, index=["a", "b"])
    scores = pd.DataFrame({"immune_support": [20.0, 90.0]}, index=meta.index)
    (timeline,) = timelines(scores, subjects_from_metadata(meta, "person", "day"), time_name="day")
    page = re.sub(r"\s+", " ", render_timeline_report(timeline))
    assert "<strong>0</strong> changes" not in page
    assert "<strong>Not judged:</strong> whether the changes between time points are larger than measurement variation cannot be said" in page


@pytest.mark.parametrize(("repeats", "said", "not_said"), [
    ("runs", "Runs of the same DNA measure only technical noise", "taken weeks apart"),
    ("samples", "Samples of the same person taken weeks apart hold the ordinary changes of a healthy gut", "same DNA"),
])
def test_the_methods_say_what_the_reference_peoples_repeats_were(repeats, said, not_said):
    """MetaPhlAn timelines are judged by iHMP people's stool samples of other
    weeks, not by runs of one sample: every page called them "runs of the same
    DNA" and a change within them "certainly not a measurable change"."""
    pop = Population("p", "p", "", "", 2, {"x": Distribution.from_values([0.0, 1.0])})
    variation = {"x": TechnicalVariation(1.0, 2.77, 2, 4, REPEATS[repeats], repeats)}
    scores = pd.DataFrame({"x": [1.0, 5.0]}, index=["t1", "t2"])
    subjects = pd.DataFrame({"subject": ["p"] * 2, "time": ["1", "2"]}, index=scores.index)
    (line,) = timelines(scores, subjects, reference=Reference("r", "", pop, variation=variation))
    page = re.sub(r"\s+", " ", render_timeline_report(line))
    assert said in page
    assert not_said not in page


def test_the_shipped_reference_says_its_metaphlan_repeats_are_samples_of_other_weeks():
    reference = load_reference()
    assert {tv.repeats for tv in reference.variation.values()} == {"runs"}  # Zeller's runs of one sample
    metaphlan = reference.populations["metaphlan_healthy_controls"]
    assert {tv.repeats for tv in metaphlan.variation.values()} == {"samples"}  # iHMP, weeks apart
    assert all("taken days to weeks apart" in tv.method for tv in metaphlan.variation.values())


@pytest.mark.parametrize(("subject", "time", "said"), [
    ("persn", "day", "no metadata column 'persn' for the subject (columns: person, day)"),
    ("person", "dya", "no metadata column 'dya' for the time (columns: person, day)"),
])
def test_a_wrong_subject_or_time_column_is_refused_naming_the_columns_there_are(subject, time, said):
    meta = pd.DataFrame({"person": ["p", "p"], "day": [1, 2]}, index=["a", "b"])
    with pytest.raises(DataError) as refused:
        subjects_from_metadata(meta, subject, time)
    assert str(refused.value) == said
