"""A profile whose pillars are missing (the knowledge base reaches too little
of it): the simulator says so with the reason, not "nan" or a made-up 0."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from click.testing import CliRunner

from gutbalance.cli import main
from gutbalance.simulate.api import missing_text
from tests.helpers import SMALL_COMMUNITY, write_metaphlan

#: An anaerobic digester's community: Cloacimonas, which no trait names, and 1 % of a gut species.
DIGESTER = {
    "k__Bacteria|p__Candidatus_Cloacimonetes|c__Candidatus_Cloacimonetes_unclassified|"
    "o__Candidatus_Cloacimonetes_unclassified|f__Candidatus_Cloacimonadaceae|g__Candidatus_Cloacimonas|"
    "s__Candidatus_Cloacimonas_acidaminovorans": 99.0,
    "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides|"
    "s__Bacteroides_vulgatus": 1.0,
}


def test_missing_text_counts_the_days_and_gives_the_first_reason():
    times = np.array([0.0, 1.0, 2.0, 3.0])
    assert missing_text(times, ["", "", "", ""]) == ""
    assert missing_text(times, ["", "", "why", "later"]) == "Pillar scores missing on 2 of 4 days, from day 2: why"
    assert missing_text(times, ["why"] * 4) == "Pillar scores missing on every day: why"


def test_simulating_a_profile_without_pillars_says_why(tmp_path):
    profile = write_metaphlan(tmp_path / "digester_metaphlan.txt", DIGESTER)
    out = tmp_path / "sim"
    result = CliRunner().invoke(main, ["simulate", str(profile), "--antibiotic", "amoxicillin:days=0-5", "--days", "10",
                                       "--draws", "4", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Pillar scores missing on every day: the knowledge base reaches only 1.00%" in result.output
    pillars = pd.read_csv(out / "pillars.tsv", sep="\t")
    assert pillars.drop(columns="time").isna().all(axis=None)
    page = (out / "simulation.html").read_text()
    assert "the knowledge base reaches only 1.00%" in page
    assert not re.search(r"\bnan\b", page, re.IGNORECASE)  # no "nan (nan-nan)", no SVG point at y=nan
    assert "did not recover" not in page  # no recovery figure from scores that do not exist
    assert "training (missing)" in page


def test_a_stool_profile_is_simulated_with_every_pillar(tmp_path):
    profile = write_metaphlan(tmp_path / "stool_metaphlan.txt", SMALL_COMMUNITY)
    out = tmp_path / "sim"
    result = CliRunner().invoke(main, ["simulate", str(profile), "--days", "5", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "missing" not in result.output
    assert pd.read_csv(out / "pillars.tsv", sep="\t").notna().all(axis=None)
