"""Per-guild antibiotic responses of the gut-immune model from a fitted model of real time series.

``gutbalance fit`` learns, per taxon, what each perturbation does to ``d ln x/dt`` while it is active
(with a bootstrap ensemble over mice).  On the MDSINE2 healthy-donor mice (Gibson, Gerber et al.,
Nature Microbiology 2025; ``../shared/data/dynamics/mdsine2_gibson_healthy``: vancomycin days 35.5-42.5,
gentamicin days 50.5-57.5) this gives measured responses of the gut-immune model's guilds:

* every taxon (OTU, SILVA lineage) is put in a guild by the same rules as a person's profile
  (``gutbalance.simulate.personal.assign_guilds``: knowledge base, then taxonomy);
* ``fitted_effect``: a guild's response is the mean of its taxa's fitted effects weighted by their mean
  abundance before the first perturbation (days < 21.5), its spread the same mean over the bootstrap
  members.  It is a shift of the growth rate *relative to the fitted model's own dynamics*: after
  vancomycin a depleted guild is expected to regrow, and a guild that regrew more slowly than that
  during gentamicin gets a negative effect although its load rose;
* ``observed_rate``: what the guild's load did, for comparison: the change of ln(the guild's summed
  absolute abundance) per day from the last sample at or before the course's start to the last sample
  during it, median over the mice.  Where the two disagree in sign the fitted effect says "slower (or
  faster) than the fitted model's regrowth", not "fell" (or "rose");
* ``value``: the fitted effect with a positive net effect (a guild that grew during the course) set to
  0, except where the gut-immune model's own competitive release was measured to fall short of the
  bloom in the same data and the literature gives the direction (``RELEASE_USED``): the facultative
  guild under vancomycin (+4.38/day; +5.11 while *Bilophila* was in the guild, until the fourth round).
  With 0 the simulated Enterobacteriaceae of these mice reached 3-5 % of the bacteria during the course
  against the real 18-27 % (measured while *Bilophila* was in the guild and a carried guild's niche was
  its own day-0 abundance).  Not a work-around for that niche rule: since the facultative guild's niche
  is at least the reference abundance (2026-11-27, sixth round, docs/simulation.md), release alone (0)
  still gives mice 2-4 0.01 % and mouse 5 0.3 % during days 4-7 (20.7-25.2 % with the fitted value; real
  18-27 %), so the value stays, and it is a fit of ``gutbalance fit``'s model, which no rule of the
  simulator's calibration enters;
  Enterobacteriaceae are intrinsically resistant to
  glycopeptides and bloom under oral vancomycin in people too (Isaac S et al. 2017, J Antimicrob
  Chemother 72:128, doi:10.1093/jac/dkw383);
* ``used``: whether a row of ``gut_immune_parameters.tsv`` reads the value (``fitted:<drug>/<guild>``),
  read from that table, not decided here.  Today: vancomycin's Bacteroidales, *Akkermansia*, other
  commensals and facultative guild (each held >= 1 % of the mice's abundance, in >= 2 taxa but the
  facultative guild's one Enterobacteriaceae OTU, and each observed change agrees in sign), gentamicin's *Akkermansia* (agrees) and butyrate producers (0.4 % of
  the mice's abundance, observed flat, used because people agree in direction: the F. prausnitzii group
  fell under oral aminoglycoside decontamination, Benus 2010, doi:10.1007/s00134-010-1826-4).  Not
  used: vancomycin's butyrate producers (+0.46, rare) and bifidobacteria/lactobacilli (one rare OTU),
  which keep assumed values; gentamicin's Bacteroidales (-2.69) and other commensals (-1.38), whose
  loads rose during the course (obligate anaerobes, intrinsically aminoglycoside-resistant: the
  parameter rows say so), and its facultative guild (+0.60; Enterobacteriaceae are
  aminoglycoside-susceptible, a rise in one donor's mice is no human spectrum);
* units: 1/day at the mouse dose, which the gut-immune model calls signal 1 (a human course
  defaults to signal 0.5, ``course_signal``), as for Stein's clindamycin.

Writes ``src/gutbalance/simulate/data/fitted_susceptibility.tsv``; the rows of
``gut_immune_parameters.tsv`` that use it say ``fitted:<drug>/<guild>`` as their value (evidence
``fitted (mouse time series)``, ``sd_log`` = bootstrap sd / |value|, within 0.1-1.5).  Re-running the
script updates the fitted values the model reads.

Run (a few minutes: the fit with 10 bootstrap members; the shipped table used ``--members 3``)::

    python scripts/derive_fitted_susceptibility.py [--data DIR] [--members 10]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from shared_data import shared_data

from gutbalance.simulate import fit_model, mdsine2_dataset
from gutbalance.simulate.gut_immune import GUILDS
from gutbalance.simulate.parameters import read_table
from gutbalance.simulate.personal import assign_guilds
from gutbalance.taxonomy.lineage import parse_lineage

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = shared_data() / "dynamics" / "mdsine2_gibson_healthy"
OUT = ROOT / "src" / "gutbalance" / "simulate" / "data" / "fitted_susceptibility.tsv"
DRUGS = {"vancomycin": "vancomycin", "gentamicin": "gentamicin"}
#: (drug, guild) whose positive net effect (a bloom) is used as it was fitted (see the module docstring)
RELEASE_USED = {("vancomycin", "facultative_pathobionts")}
SOURCE = ("gutbalance fit (logistic, bootstrap over mice) on the MDSINE2 healthy-donor gnotobiotic mice: "
          "Gibson, Gerber et al., MDSINE2, Nature Microbiology 2025 (bioRxiv 2021, 'Intrinsic instability of the "
          "dysbiotic microbiome revealed through dynamical systems inference at scale'); raw reads PRJNA784519; "
          "data as kept in repository gerberlab/MDSINE2_Paper")


def taxa_frame(lineages: list[str]) -> pd.DataFrame:
    """A Cohort-like taxa table (rank columns) for lineage strings."""
    rows, index = [], []
    for i, text in enumerate(lineages):
        lineage = parse_lineage(text)
        row = {t.rank: t.name for t in lineage}
        index.append(lineage[-1].id if lineage[-1].id not in index else f"{lineage[-1].id}#{i}")
        rows.append(row)
    return pd.DataFrame(rows, index=index)


def observed_rates(data, mask: np.ndarray, perturbation: str) -> float:
    """Median over subjects of the change of ln(summed abundance of ``mask``'s taxa) per day over the course.

    From the last sample at or before the course's start to the last sample before its end; NaN where
    the taxa were not detected at one of the two.
    """
    rates = []
    for subject, series in data.series.items():
        course = [p for p in data.schedule(subject) if p.name.lower() == perturbation]
        if not course:
            continue
        start, end = course[0].start, course[0].end
        times, load = series.times, series.values[:, mask].sum(axis=1)
        before, during = np.flatnonzero(times <= start), np.flatnonzero(times < end)
        if not len(before) or during[-1] <= before[-1]:
            continue
        i, j = before[-1], during[-1]
        if load[i] > 0 and load[j] > 0:
            rates.append((np.log(load[j]) - np.log(load[i])) / (times[j] - times[i]))
    return float(np.median(rates)) if rates else float("nan")


def used_by_model() -> set[tuple[str, str]]:
    """(drug, guild) of the fitted values that gut_immune_parameters.tsv reads (``fitted:<drug>/<guild>``)."""
    values = read_table("gut_immune_parameters.tsv")["value"]
    refs = values[values.str.startswith("fitted:")].str.removeprefix("fitted:")
    return {tuple(ref.split("/", 1)) for ref in refs}  # type: ignore[misc]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--members", type=int, default=10)
    ap.add_argument("--before", type=float, default=21.5, help="weights: mean abundance before this day")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    t0 = time.perf_counter()
    data = mdsine2_dataset(args.data)
    model = fit_model(data, members=args.members)
    fit_seconds = time.perf_counter() - t0
    weights = np.vstack([s.values[s.times < args.before] for s in data.series.values()]).mean(axis=0)
    taxa = taxa_frame(model.lineages)
    guild = assign_guilds(taxa)["guild"].to_numpy()
    effects = model.effects  # (taxa, perturbations [+ after-phase])
    members = model.members["effects"]  # (members, taxa, ...)
    rows = []
    used = used_by_model()
    names = [p.lower() for p in model.perturbations]
    for pert, drug in DRUGS.items():
        if pert not in names:
            continue
        col = names.index(pert)  # the "during" phase
        for g in GUILDS:
            mask = guild == g
            if not mask.any() or weights[mask].sum() == 0:
                continue
            w = weights[mask] / weights[mask].sum()
            central = float(w @ effects[mask, col])
            spread = members[:, mask, col] @ w
            rows.append({
                "drug": drug, "guild": g, "fitted_effect": central, "sd": float(np.std(spread)),
                "p05": float(np.quantile(spread, 0.05)), "p95": float(np.quantile(spread, 0.95)),
                "observed_rate": observed_rates(data, mask, pert),
                "value": central if (drug, g) in RELEASE_USED else min(central, 0.0),
                "used": "yes" if (drug, g) in used else "no", "n_taxa": int(mask.sum()),
                "abundance_share": float(weights[mask].sum() / weights.sum()),
                "source": SOURCE,
            })
    table = pd.DataFrame(rows)
    header = (
        "# Per-guild antibiotic responses fitted from the MDSINE2 healthy-donor mice by scripts/derive_fitted_susceptibility.py\n"
        "# (do not edit by hand).  fitted_effect: abundance-weighted mean fitted effect of the guild's taxa on d ln x/dt while\n"
        "# the drug was given (1/day at the mouse dose = signal 1); sd, p05, p95: the same over the bootstrap members;\n"
        "# observed_rate: what the guild's load did (change of ln load per day over the course, median of the mice): a\n"
        "# fitted effect is relative to the fitted model's own regrowth, so the two can differ in sign (see the script);\n"
        "# value: the fitted effect with positive net effects set to 0 but vancomycin's bloom of the facultative guild,\n"
        "# which the model's own competitive release falls short of; used: whether gut_immune_parameters.tsv reads the\n"
        "# value (fitted:<drug>/<guild>; rows marked no are documented there and in the script); n_taxa and\n"
        f"# abundance_share: the taxa behind it and their share of the mice's pre-perturbation abundance.  Fit: {fit_seconds:.0f} s.\n"
    )
    args.out.write_text(header + table.to_csv(sep="\t", index=False, float_format="%.4g", na_rep="NaN"), encoding="utf-8")
    print(table.drop(columns="source").to_string(index=False))
    print(f"fit + derivation {time.perf_counter() - t0:.0f} s -> {args.out}")


if __name__ == "__main__":
    main()
