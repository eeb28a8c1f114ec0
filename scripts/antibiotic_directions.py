"""Which way each simulated antibiotic moves nutrients, barrier and defense, on real profiles, and why.

For every profile of the sets below (all kefir and prebiotic profiles, a fixed random draw of the
larger sets) and every antibiotic of the gut-immune model, a 7-day course at the default signal is
simulated (``gutbalance.simulate.simulate``, central parameters) and the pillars at the end of the
course (day 7) are compared with day 0.  Printed per antibiotic:

* the share of profiles whose nutrients, barrier and defense go up and down (a change of more than
  0.1 point; the rest is "unchanged") and the median change;
* why: the median fold change of each guild's absolute load, and the share of profiles in which each
  guild's *share of the bacteria* (what the composition scores see after renormalisation) rises;
* what moves nutrients and defense: each pillar component's term (100 x its calibrated weight x the
  component, so the terms add up to the pillar) at day 0 and day 7, from the same virtual profiles
  (``gutbalance.pillars.component_values``); for defense, how often the lifted oral-overgrowth penalty
  decides a rise against a worse harm penalty, which saturates (``1 - F/(F + k)``: a guild already
  well above ``k`` cannot lower it much further), and by how much;
* MDSINE2's vancomycin mice (``../shared/data/dynamics/mdsine2_gibson_healthy``): the real
  Enterobacteriaceae share of the bacteria before (days 30-35.5) and during (days 39-42.5) the course,
  mean of mice 2-5, against the simulated facultative guild's share (days 4-7 of a 7-day course from
  each mouse's last sample before day 35.5, at the mouse dose: signal 1, the unit of the fitted rows).

Nothing is copied from the data into the project.  Run::

    python scripts/antibiotic_directions.py [--per-set 60] [--outside /work/outside-data]
    python scripts/antibiotic_directions.py --niche     # only the facultative guild's niche trace (~2 min)

``--niche`` traces the facultative guild's bloom where it stayed small before 2026-11-27's sixth round
(clindamycin's rises of nutrients, MDSINE2's mouse 5 under vancomycin) and the sixth round's two costs
(the guild 180 days after clindamycin and after ciprofloxacin) under three niche rules: the model's
(``oxygen``: a carried guild's niche is its own abundance at day 0's butyrate and opens by up to the
reference abundance as butyrate is lost, seventh round), the sixth round's floor (at least the reference
abundance) and the rule before it (the own day-0 abundance), the last two counterfactuals of the
measurement only (``GutImmuneParameters.niche_rule``).
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from shared_data import require_shared, shared_data

import gutbalance
from gutbalance.io import read_metadata
from gutbalance.pillars import calibration, component_values, parameters, pillar_scores
from gutbalance.simulate import PILLARS as ALL_PILLARS
from gutbalance.simulate import Scenario, load_parameters, parse_antibiotic, simulate
from gutbalance.simulate.api import person, run_person
from gutbalance.simulate.gut_immune import ANTIBIOTICS, GRAM_POSITIVE_SHARE, MICROBES, N_MIC, STATE
from gutbalance.simulate.longitudinal import read_table
from gutbalance.simulate.pillars import simulated_pillars

SHARED = shared_data()
BIOBAKERY = "biobakery_workflows/examples/tutorial/stats_vis/input/metaphlan_taxonomic_profiles.tsv"
MDSINE2 = SHARED / "dynamics" / "mdsine2_gibson_healthy"
PILLARS = ["nutrients", "barrier", "defense"]
GUILDS = [g for g in MICROBES if g != "pathogen"]
#: a change of at most this many points counts as unchanged
FLAT = 0.1
COURSE = 7
#: the signal of a mouse dose (Stein's clindamycin and the MDSINE2 fits are per unit signal at the mouse dose)
MOUSE_DOSE = 1.0
#: the pillars whose components are traced (term = 100 x calibrated weight x component)
TRACED = ["nutrients", "defense"]


def component_terms(result, cohort: gutbalance.Cohort, sample: str, scenario: Scenario) -> dict[str, float]:
    """Each traced pillar's terms on day 0 and day ``COURSE`` (``t0_<pillar>.<component>``, ``t7_...``).

    Scored on the virtual profiles the simulation scores (the same guild folds and Gram-positive share),
    so the terms of a pillar add up to its simulated value (checked: defense and nutrients have no host
    factor).
    """
    t = result.trajectory.set_index("time")
    states = t.loc[[0.0, float(COURSE)], STATE].to_numpy()
    share = states[:, STATE.index(GRAM_POSITIVE_SHARE)]
    virtual = person(cohort, scenario, sample=sample).virtual.cohort(
        states[:, :N_MIC], states[[0, 0], :N_MIC], ["day 0", f"day {COURSE}"], share, share[[0, 0]])
    components = component_values(virtual)
    weights = calibration()["components"]
    out: dict[str, float] = {}
    pillars = result.pillars.set_index("time")
    for pillar in TRACED:
        total = np.zeros(2)
        for name, w in weights[pillar].items():
            term = 100.0 * w * np.nan_to_num(components[f"{pillar}.{name}"].to_numpy())
            out[f"t0_{pillar}.{name}"], out[f"t7_{pillar}.{name}"] = term
            out[f"c0_{pillar}.{name}"], out[f"c7_{pillar}.{name}"] = components[f"{pillar}.{name}"].to_numpy()
            total = total + term
        simulated = pillars.loc[[0.0, float(COURSE)], pillar].to_numpy()
        if not np.allclose(total, simulated, atol=1e-6):
            raise SystemExit(f"{sample}: the {pillar} terms add up to {total}, the simulation says {simulated}")
    return out


def markdown(frame: pd.DataFrame, *, index: bool = False) -> str:
    """A frame as a Markdown table (no tabulate dependency)."""
    frame = frame.reset_index() if index else frame
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * frame.shape[1]]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def profile_sets(outside: Path, per_set: int, seed: int) -> dict[str, tuple[gutbalance.Cohort, list[str]]]:
    """The sets: (cohort, samples simulated); kefir and prebiotics whole, the others a fixed draw."""
    rng = np.random.default_rng(seed)
    sets = {}
    for name in ("kefir_metaphlan3", "prebiotics_metaphlan3"):
        folder = SHARED / "profiles" / name
        if folder.exists():
            cohort = gutbalance.read(sorted(folder.glob("*.txt")))
            sets[name] = (cohort, cohort.sample_names)
        else:
            print(f"{name}: skipped, {folder} absent")
    tables = {"ihmp_ibdmdb2019": SHARED / "labelled" / "ihmp_ibdmdb2019" / "species.tsv",
              "franzosa2019_ibd": SHARED / "labelled" / "franzosa2019_ibd" / "species.tsv",
              "biobakery_hmp2": outside / BIOBAKERY}
    for name, path in tables.items():
        if not path.exists():
            print(f"{name}: skipped, {path} absent")
            continue
        cohort = gutbalance.read(path)
        names = sorted(cohort.sample_names)
        chosen = sorted(rng.choice(names, size=min(per_set, len(names)), replace=False).tolist())
        sets[name] = (cohort, chosen)
    return sets


def run(sets, *, trace: bool = True) -> pd.DataFrame:
    """One row per (set, sample, antibiotic): pillar changes, guild fold changes and share changes."""
    rows = []
    for set_name, (cohort, samples) in sets.items():
        for sample in samples:
            for drug in ANTIBIOTICS:
                scenario = Scenario(days=COURSE, antibiotics=[parse_antibiotic(f"{drug}:days=0-{COURSE}")])
                try:
                    result = simulate(cohort, scenario, sample=sample)
                except gutbalance.GutBalanceError as exc:
                    print(f"{set_name} {sample}: refused ({exc})")
                    break
                p = result.pillars.set_index("time")
                t = result.trajectory.set_index("time")
                x0, x1 = t.iloc[0][GUILDS], t.loc[float(COURSE), GUILDS]
                row = {"set": set_name, "sample": sample, "drug": drug}
                for pillar in PILLARS:
                    row[f"d_{pillar}"] = p.loc[float(COURSE), pillar] - p.iloc[0][pillar]
                for g in GUILDS:
                    row[f"fold_{g}"] = x1[g] / x0[g]
                    row[f"share0_{g}"] = x0[g] / x0.sum()
                    row[f"share_up_{g}"] = x1[g] / x1.sum() > x0[g] / x0.sum()
                if trace:
                    row.update(component_terms(result, cohort, sample, scenario))
                rows.append(row)
    return pd.DataFrame(rows)


def summarise(table: pd.DataFrame) -> None:
    """Print the direction table and the guild table."""
    out = []
    for drug, rows in table.groupby("drug", sort=False):
        line = {"antibiotic": drug, "n": len(rows)}
        for pillar in PILLARS:
            d = rows[f"d_{pillar}"]
            line[f"{pillar} up"] = f"{(d > FLAT).mean() * 100:.0f} %"
            line[f"{pillar} down"] = f"{(d < -FLAT).mean() * 100:.0f} %"
            line[f"{pillar} median"] = round(float(d.median()), 1)
        out.append(line)
    print(f"\nPillars at the end of a {COURSE}-day course minus day 0 (up/down: more than {FLAT} point):")
    print(markdown(pd.DataFrame(out)))
    guilds = []
    for drug, rows in table.groupby("drug", sort=False):
        line = {"antibiotic": drug}
        for g in GUILDS:
            line[g] = (f"x{rows[f'fold_{g}'].median():.2g}, share up "
                       f"{rows[f'share_up_{g}'].mean() * 100:.0f} %")
        guilds.append(line)
    print("\nWhy: median fold change of each guild's load at day 7, and how often its share of the bacteria rose:")
    print(markdown(pd.DataFrame(guilds)))
    print("\nPer set, share of profiles whose nutrients / defense rose:")
    per = table.assign(n_up=table["d_nutrients"] > FLAT, d_up=table["d_defense"] > FLAT).groupby(
        ["drug", "set"])[["n_up", "d_up"]].mean().unstack("set").round(2)
    print(per.to_string())


def harm_share(component: pd.Series) -> pd.Series:
    """The defense harm share F from its penalty component c = 1 - F/(F + k): F = k (1 - c) / c."""
    k = parameters()["k_pathogen"]
    return k * (1 - component) / component


def summarise_terms(table: pd.DataFrame) -> None:
    """Which terms move nutrients and defense, and how often the oral-overgrowth term decides defense."""
    if "t0_defense.harm" not in table:
        return
    for pillar in TRACED:
        names = [c[3:] for c in table.columns if c.startswith("t0_") and c[3:].startswith(pillar + ".")]
        lines = []
        for drug, rows in table.groupby("drug", sort=False):
            up = rows[rows[f"d_{pillar}"] > FLAT]
            line = {"antibiotic": drug, "rises": len(up)}
            for name in names:
                line[f"{name.split('.')[1]} (median change in rises)"] = (
                    round(float((up[f"t7_{name}"] - up[f"t0_{name}"]).median()), 2) if len(up) else "")
            lines.append(line)
        print(f"\n{pillar}: each term's change (points) in the profiles where {pillar} rose:")
        print(markdown(pd.DataFrame(lines)))
    d = table.assign(
        harm=table["t7_defense.harm"] - table["t0_defense.harm"],
        oral=table["t7_defense.oral_overgrowth"] - table["t0_defense.oral_overgrowth"],
        harm_share0=harm_share(table["c0_defense.harm"]), harm_share7=harm_share(table["c7_defense.harm"]))
    # a rise the lifted oral-overgrowth penalty decides: without that term's change it would not be a rise
    d["oral_decides"] = (d["d_defense"] > FLAT) & (d["oral"] > 0) & (d["d_defense"] - d["oral"] <= FLAT)
    d["harm_worse"] = d["harm"] < -FLAT
    lines = []
    for drug, rows in d.groupby("drug", sort=False):
        decided = rows[rows["oral_decides"]]
        worse = rows[rows["harm_worse"]]
        lines.append({
            "antibiotic": drug, "defense rises": int((rows["d_defense"] > FLAT).sum()),
            "decided by the oral term": len(decided),
            "of them with harm worse": int(decided["harm_worse"].sum()),
            "their defense change (median, range)": (
                f"{decided['d_defense'].median():+.1f} ({decided['d_defense'].min():+.1f} to "
                f"{decided['d_defense'].max():+.1f})" if len(decided) else ""),
            "harm term / oral term change (median)": (
                f"{decided['harm'].median():+.1f} / {decided['oral'].median():+.1f}" if len(decided) else ""),
            "harm worse: profiles": len(worse),
            "harm worse: term at day 0 (median points)": round(float(worse["t0_defense.harm"].median()), 1)
            if len(worse) else "",
            "harm worse: share of the term's day-0 points lost (median)": (
                f"{(-worse['harm'] / worse['t0_defense.harm']).median() * 100:.0f} %" if len(worse) else ""),
        })
    print("\nDefense: rises the oral-overgrowth term decides (defense up by more than "
          f"{FLAT}, but not without that term's lift), and how far the harm term could still fall:")
    print(markdown(pd.DataFrame(lines)))
    decided = d[d["oral_decides"]].sort_values("d_defense", ascending=False)
    if len(decided):
        print("\nThose rises, one by one (harm share F from the penalty, k_pathogen; terms in points):")
        show = decided[["drug", "set", "sample", "d_defense", "harm", "oral", "harm_share0", "harm_share7",
                        "t0_defense.harm", "c0_defense.oral_overgrowth", "c7_defense.oral_overgrowth"]]
        print(markdown(show.round(3)))


def mdsine2_vancomycin() -> None:
    """Real against simulated Enterobacteriaceae bloom under vancomycin in MDSINE2's mice."""
    if not (MDSINE2 / "counts.tsv").exists():
        print(f"MDSINE2: skipped, {MDSINE2} absent")
        return
    cohort = read_table(MDSINE2 / "counts.tsv", MDSINE2 / "silva_species.tsv")
    meta = read_metadata(MDSINE2 / "metadata.tsv")
    meta = meta[meta["subject"].astype(str) != "1"]  # mouse 1 has only the first week
    family, taxa = cohort.rank_matrix("family", renormalize=True)
    entero = pd.Series(family[:, list(taxa["name"].astype(str)).index("Enterobacteriaceae")].toarray().ravel(),
                       index=cohort.sample_names).reindex(meta.index)
    before = entero[(meta.time >= 30) & (meta.time <= 35.5)].groupby(meta["subject"]).mean()
    during = entero[(meta.time >= 39) & (meta.time <= 42.5)].groupby(meta["subject"]).mean()
    peak = entero[(meta.time >= 35.5) & (meta.time <= 42.5)].groupby(meta["subject"]).max()
    sims = []
    for subject, rows in meta[(meta.time >= 30) & (meta.time <= 35.5)].groupby("subject"):
        start = rows.sort_values("time").index[-1]
        result = simulate(cohort, Scenario(days=COURSE, antibiotics=[parse_antibiotic(f"vancomycin:days=0-{COURSE}:dose={MOUSE_DOSE}")]),
                          sample=start)
        t = result.trajectory.set_index("time")[GUILDS]
        share = t["facultative_pathobionts"] / t.sum(axis=1)
        sims.append({"subject": subject, "start": share.iloc[0], "during d4-7": share.loc[4.0:7.0].mean(),
                     "peak": share.max(), "facultative fold d7": t["facultative_pathobionts"].iloc[-1]
                     / t["facultative_pathobionts"].iloc[0]})
    sim = pd.DataFrame(sims).set_index("subject")
    print("\nMDSINE2 vancomycin, Enterobacteriaceae share of the bacteria (mice 2-5):")
    print(markdown(pd.DataFrame({"real before d30-35.5": before, "real during d39-42.5": during, "real peak d35.5-42.5": peak,
                        "sim start": sim["start"], "sim during d4-7": sim["during d4-7"], "sim peak": sim["peak"],
                        "sim facultative fold d7": sim["facultative fold d7"]}).round(4).rename_axis("mouse"), index=True))


#: (set, sample, file or table) of the fourth round's open rises of nutrients under clindamycin
NICHE_CASES = [("ihmp_ibdmdb2019", "CSM67UAQ", "labelled/ihmp_ibdmdb2019/species.tsv"),
               ("kefir_metaphlan3", "Subj030_time1_S18", "profiles/kefir_metaphlan3/Subj030_time1_S18_metaphlan3.txt"),
               ("franzosa2019_ibd", "PRISM.9030", "labelled/franzosa2019_ibd/species.tsv")]
#: clindamycin releases the facultative guild; metronidazole, which spares it, for comparison
NICHE_DRUGS = ("clindamycin", "metronidazole")
FACULTATIVE = MICROBES.index("facultative_pathobionts")


#: the facultative guild's niche rules compared by --niche (GutImmuneParameters.niche_rule; "oxygen" is the model)
RULES = {"own": "own (old rule)", "floor": "floor (sixth round)", "oxygen": "oxygen (as calibrated)"}
#: the documented costs of the floor: CSM67UAQ's guild after a drug that releases it and one that clears it
COST_CASES = [("ihmp_ibdmdb2019", "CSM67UAQ", "labelled/ihmp_ibdmdb2019/species.tsv"),
              ("kefir_metaphlan3", "Subj030_time1_S18", "profiles/kefir_metaphlan3/Subj030_time1_S18_metaphlan3.txt"),
              ("franzosa2019_ibd", "PRISM.9030", "labelled/franzosa2019_ibd/species.tsv")]
COST_DRUGS = ("clindamycin", "ciprofloxacin")
COST_DAYS = (7.0, 30.0, 90.0, 180.0)


def niche_run(cohort: gutbalance.Cohort, sample: str, scenario: Scenario, *, rule: str) -> tuple:
    """One central run with the facultative guild's niche ``rule`` (``"oxygen"``: the model; ``"floor"``: the
    sixth round's max(own, reference); ``"own"``: the rule before it, a counterfactual of the measurement only).

    Returns the start, the times, the guilds (frame) and the pillars (frame)."""
    start = person(cohort, scenario, sample=sample)
    params = load_parameters(1, pathogen=start.pathogen)
    params.niche_rule = rule
    times, states, _ = run_person(start, params, scenario)
    guilds = pd.DataFrame(states[0][:, :N_MIC], index=times, columns=MICROBES)[GUILDS]
    scores = pd.DataFrame(simulated_pillars(start.virtual, states[0]), index=times, columns=ALL_PILLARS)
    return start, guilds, scores


def niche_row(cohort: gutbalance.Cohort, sample: str, scenario: Scenario, *, rule: str) -> dict:
    """The guild's bloom and the pillars at the end of a course under one niche rule."""
    _, guilds, scores = niche_run(cohort, sample, scenario, rule=rule)
    shares = guilds.div(guilds.sum(axis=1), axis=0)
    share = shares["facultative_pathobionts"]
    change = scores.iloc[-1] - scores.iloc[0]
    return {"niche": RULES[rule],
            "guild share d0 %": round(share.iloc[0] * 100, 3), f"share d{COURSE} %": round(share.iloc[-1] * 100, 2),
            f"share d4-{COURSE} %": round(share.loc[4.0:float(COURSE)].mean() * 100, 2),
            f"guild fold d{COURSE}": float(f"{guilds['facultative_pathobionts'].iloc[-1] / guilds['facultative_pathobionts'].iloc[0]:.3g}"),
            **{f"{g} share d0 → d{COURSE} %": f"{shares[g].iloc[0] * 100:.1f} → {shares[g].iloc[-1] * 100:.1f}"
               for g in ("butyrate_producers", "bifido_lab")},
            **{f"d {p}": round(float(change[p]), 1) for p in PILLARS}}


def niche_costs() -> None:
    """The floor's two costs under each rule: the guild's fold of day 0 at days 7/30/90/180 after a 7-day
    course (clindamycin releases it, ciprofloxacin clears its Enterobacteriaceae), the butyrate (reference 1)
    and the pillars at day 180 minus day 0."""
    rows = []
    for set_name, sample, path in COST_CASES:
        if not (SHARED / path).exists():
            print(f"{set_name}: skipped, {SHARED / path} absent")
            continue
        cohort = gutbalance.read(SHARED / path)
        for drug in COST_DRUGS:
            scenario = Scenario(days=int(COST_DAYS[-1]), antibiotics=[parse_antibiotic(f"{drug}:days=0-{COURSE}")])
            for rule in RULES:
                start, guilds, scores = niche_run(cohort, sample, scenario, rule=rule)
                fold = guilds["facultative_pathobionts"] / guilds["facultative_pathobionts"].iloc[0]
                producers = guilds["butyrate_producers"] / guilds["butyrate_producers"].iloc[0]
                change = scores.loc[COST_DAYS[-1]] - scores.iloc[0]
                rows.append({"profile": f"{set_name} {sample}", "drug": drug, "niche": RULES[rule],
                             **{f"guild fold d{d:.0f}": float(f"{fold.loc[d]:.3g}") for d in COST_DAYS},
                             "producers fold d180": float(f"{producers.loc[COST_DAYS[-1]]:.3g}"),
                             **{f"d180 {p}": round(float(change[p]), 1) for p in ALL_PILLARS}})
    print(f"\nThe facultative guild after a {COURSE}-day course, fold of day 0, and the pillars at day 180 minus day 0:")
    print(markdown(pd.DataFrame(rows)))


def facultative_niche() -> None:
    """The old open rises and MDSINE2's mouse 5 under the three niche rules, then the floor's costs."""
    rows = []
    for drug in NICHE_DRUGS:
        for set_name, sample, path in NICHE_CASES:
            if not (SHARED / path).exists():
                print(f"{set_name}: skipped, {SHARED / path} absent")
                continue
            cohort = gutbalance.read(SHARED / path)
            scenario = Scenario(days=COURSE, antibiotics=[parse_antibiotic(f"{drug}:days=0-{COURSE}")])
            for rule in RULES:
                rows.append({"profile": f"{set_name} {sample}", "drug": drug,
                             **niche_row(cohort, sample, scenario, rule=rule)})
    if (MDSINE2 / "counts.tsv").exists():
        cohort = read_table(MDSINE2 / "counts.tsv", MDSINE2 / "silva_species.tsv")
        meta = read_metadata(MDSINE2 / "metadata.tsv")
        meta = meta[meta["subject"].astype(str) != "1"]
        scenario = Scenario(days=COURSE, antibiotics=[parse_antibiotic(f"vancomycin:days=0-{COURSE}:dose={MOUSE_DOSE}")])
        for subject, frame in meta[(meta.time >= 30) & (meta.time <= 35.5)].groupby("subject"):
            start = frame.sort_values("time").index[-1]
            for rule in RULES:
                rows.append({"profile": f"MDSINE2 mouse {subject} ({start})", "drug": "vancomycin (mouse dose)",
                             **niche_row(cohort, start, scenario, rule=rule)})
    print("\nThe facultative guild's niche: its own day-0 abundance (the old rule), the reference floor (sixth round) "
          "and the oxygen-following niche (the model):")
    print(markdown(pd.DataFrame(rows)))
    niche_costs()


def trace_rises(sets, table: pd.DataFrame, drug: str) -> None:
    """Why ``drug`` raises nutrients where it does: each rise's guild shares of the bacteria, the model's
    own bacterial load and host butyrate, the terms, the producers the cross-feeding gate sees, the taxa
    that carry the butyrate term, and the producers' fold without the competition the model assumes
    between guilds (a counterfactual of the measurement only, never a setting)."""
    rises = table[(table["drug"] == drug) & (table["d_nutrients"] > FLAT)]
    print(f"\n{drug}: {len(rises)} rises of nutrients, traced")
    weights = calibration()["components"]["nutrients"]
    producers = MICROBES.index("butyrate_producers")
    for row in rises.itertuples():
        cohort = sets[row.set][0]
        scenario = Scenario(days=COURSE, antibiotics=[parse_antibiotic(f"{drug}:days=0-{COURSE}")])
        start = person(cohort, scenario, sample=row.sample)
        states = {}
        for label in ("model", "no competition on the producers"):
            params = load_parameters(1, pathogen=start.pathogen)
            if label != "model":
                params.interactions[:, producers, [j for j in range(N_MIC) if j != producers]] = 0.0
            _, s, _ = run_person(start, params, scenario)
            states[label] = s[0][[0, -1]]
        st = states["model"]
        share = st[:, STATE.index(GRAM_POSITIVE_SHARE)]
        virtual = start.virtual.cohort(st[:, :N_MIC], st[[0, 0], :N_MIC], ["day 0", f"day {COURSE}"], share,
                                       share[[0, 0]])
        comps = component_values(virtual)
        bacteria = st[:, :len(GUILDS)]
        load = bacteria.sum(axis=1)
        host = st[:, STATE.index("butyrate")]
        print(f"\n{row.set} {row.sample}: nutrients {row.d_nutrients:+.1f}; bacterial load x{load[1] / load[0]:.2g}, "
              f"host butyrate x{host[1] / host[0]:.2g} (the pillar scores shares, not load)")
        lines = [{"guild": g, "share day 0 %": round(100 * bacteria[0, i] / load[0], 3),
                  f"share day {COURSE} %": round(100 * bacteria[1, i] / load[1], 3),
                  "fold": f"x{bacteria[1, i] / bacteria[0, i]:.3g}"} for i, g in enumerate(GUILDS)]
        print(markdown(pd.DataFrame(lines)))
        print("terms (points): " + "; ".join(
            f"{c} {100 * w * comps[f'nutrients.{c}'].iloc[0]:.2f} -> {100 * w * comps[f'nutrients.{c}'].iloc[1]:.2f}"
            for c, w in weights.items()))
        result = pillar_scores(virtual, top=6)
        for day in virtual.sample_names:
            carriers = [f"{e['taxon']} {e['effect']:+.1f}" for e in result.contributions[day]["nutrients"]]
            print(f"largest effects on nutrients, {day}: " + "; ".join(carriers))
        alt = states["no competition on the producers"]
        print(f"producers x{st[1, producers] / st[0, producers]:.2g} "
              f"({100 * bacteria[1, producers] / load[1]:.2f} % of the bacteria at day {COURSE}); without the assumed "
              f"competition on them x{alt[1, producers] / alt[0, producers]:.2g} "
              f"({100 * alt[1, producers] / alt[1, :len(GUILDS)].sum():.2f} %)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-set", type=int, default=60, help="profiles drawn from each large set")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--outside", type=Path, default=Path("/work/outside-data"),
                        help="folder with the fetched public data (bioBakery HMP2)")
    parser.add_argument("--save", type=Path, default=None, help="write the per-profile table here (TSV)")
    parser.add_argument("--from-table", type=Path, default=None,
                        help="summarise a table written by --save instead of simulating again")
    parser.add_argument("--niche", action="store_true",
                        help="only trace the facultative guild's niche (the open rises, MDSINE2's mice)")
    parser.add_argument("--rises", metavar="DRUG", default=None,
                        help="trace DRUG's rises of nutrients (with --from-table: the profiles of that table)")
    args = parser.parse_args()
    if not args.from_table:
        require_shared()
    if args.niche:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
            facultative_niche()
        return 0
    if args.from_table:
        table = pd.read_csv(args.from_table, sep="\t")
        if args.rises:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
                trace_rises(profile_sets(args.outside, args.per_set, args.seed), table, args.rises)
            return 0
        summarise(table)
        summarise_terms(table)
        return 0
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
        sets = profile_sets(args.outside, args.per_set, args.seed)
        table = run(sets)
        if args.save:
            table.to_csv(args.save, sep="\t", index=False)
        summarise(table)
        summarise_terms(table)
        if args.rises:
            trace_rises(sets, table, args.rises)
        mdsine2_vancomycin()
    print(f"\n{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
