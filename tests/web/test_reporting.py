"""The sample page's score lines name the rank a diversity number was counted at."""

from gutbalance.web import ingest, reporting
from gutbalance.web.reporting import explained_scores


def _labels(scores: dict) -> dict[str, tuple[str, str]]:
    sections, _ = explained_scores(scores)
    return {line.key: (line.label, line.summary) for _, lines in sections for line in lines}


def test_a_genus_tables_richness_counts_genera():
    labels = _labels({"richness": 41.0, "shannon": 2.9, "diversity_rank": "genus", "missing": None, "warnings": None})
    assert labels["richness"][0] == "Genus richness"
    assert "genera" in labels["richness"][1]
    assert "species" not in labels["shannon"][0].lower()


def test_a_species_profiles_richness_counts_species():
    labels = _labels({"richness": 120.0, "diversity_rank": "species", "missing": None, "warnings": None})
    assert labels["richness"][0] == "Species richness"


def test_a_row_stored_before_the_rank_was_kept_reads_as_registered():
    labels = _labels({"richness": 120.0, "missing": None, "warnings": None})
    assert labels["richness"][0] == "Species richness"


def test_a_missing_richness_keeps_its_reason_and_names_no_rank_it_lacks():
    labels = _labels({"richness": None, "diversity_rank": None, "missing": None, "warnings": None})
    assert "species" not in labels["richness"][0].lower()


def test_a_second_warm_up_in_the_same_process_does_not_score_the_example_again(monkeypatch):
    """Every app a process makes (the tests make hundreds) and every worker
    forked from a warm fork server calls warm_up; the caches it fills are the
    process's, so only the first call may score and render the example."""
    reporting.warm_up()
    assert reporting.is_warm()
    scored = []
    monkeypatch.setattr(ingest, "score_upload", lambda *args, **kwargs: scored.append(args) or [])
    reporting.warm_up()
    assert scored == []
