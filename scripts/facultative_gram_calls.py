"""How much of the simulator's facultative guild has no Gram call, and what it is.

The gut-immune model splits its facultative guild into a Gram-negative and a Gram-positive part (the
share ``s`` of the state; :mod:`gutbalance.simulate.personal`).  For every profile of the labelled
sets, the kefir and prebiotic profiles, this script puts each taxon in its guild exactly as a
simulation does (:func:`gutbalance.simulate.personal.assign_guilds`) and reports, over the members of
the facultative guild:

* how each member's Gram call was made (``gram_basis``: the knowledge base's ``gram_negative`` row of
  the taxon or an ancestor, the phylum/class table ``simulate/data/gram_stain_lineage.tsv``, or
  ``unknown``, which the guild's Gram-positive share leaves out);
* the share of the guild (abundance-weighted, per profile; median and mean over the profiles that
  have the guild) in each basis, and the number of profiles with any unknown member;
* the taxa behind it, pooled (summed share of the guild over profiles);
* the obligately anaerobic pathobionts (``basis`` ``knowledge:obligate_anaerobe`` with a pathobiont,
  enteric-pathogen or facultative-anaerobe call: *R. gnavus*, *Bilophila*, *C. innocuum*), which the
  guild took until 2026-11-27 (fourth round) and which now go to the other commensals: their share of
  the guild as it was (the guild plus them) per profile.

Run::

    python scripts/facultative_gram_calls.py [--top 25] [--outside /work/outside-data]
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from shared_data import require_shared, shared_data

import gutbalance
from gutbalance import knowledge
from gutbalance.simulate.personal import DOMAINS, LPS_GUILD, assign_guilds

SHARED = shared_data()
SETS = {
    "kefir_metaphlan3": SHARED / "profiles" / "kefir_metaphlan3",
    "prebiotics_metaphlan3": SHARED / "profiles" / "prebiotics_metaphlan3",
    "franzosa2019_ibd": SHARED / "labelled" / "franzosa2019_ibd" / "species.tsv",
    "ihmp_ibdmdb2019": SHARED / "labelled" / "ihmp_ibdmdb2019" / "species.tsv",
    "metaml_pasolli2016": SHARED / "labelled" / "metaml_pasolli2016" / "abundance.csv",
    "zeller2014_motus3_controls": SHARED / "profiles" / "zeller2014_motus3_controls" / "profiles",
}
#: the bioBakery HMP2 tutorial table the antibiotic-direction run also draws from (fetched public data)
BIOBAKERY = "biobakery_workflows/examples/tutorial/stats_vis/input/metaphlan_taxonomic_profiles.tsv"


def read_set(path: Path) -> gutbalance.Cohort:
    if path.is_dir():  # the profiles of a folder (not its metadata)
        return gutbalance.read(sorted(p for p in path.iterdir() if p.suffix in (".txt", ".profile")))
    return gutbalance.read(path)


def facultative_members(cohort: gutbalance.Cohort) -> pd.DataFrame:
    """One row per (sample, facultative member): its share of the guild and how its Gram call was made."""
    own, taxa = cohort.terminal_matrix(max_rank="species", domains=DOMAINS)
    own = own.tocsr()
    assignment = assign_guilds(taxa)
    # a sample's guild is its own taxa's (the model's pathogens by name are never in it)
    members = np.flatnonzero(assignment["guild"].to_numpy() == LPS_GUILD)
    rows = []
    for i, sample in enumerate(cohort.sample_names):
        values = own[i, members].toarray().ravel()
        total = values.sum()
        if not total > 0:
            continue
        for j in np.flatnonzero(values > 0):
            tid = taxa.index[members[j]]
            basis = assignment.at[tid, "gram_basis"]
            rows.append({"sample": sample, "taxon": tid, "phylum": taxa.at[tid, "phylum"],
                         "class": taxa.at[tid, "class"], "share_of_guild": values[j] / total,
                         "gram_basis": basis, "made_by": basis.split(":")[0],
                         "gram_negative": assignment.at[tid, "gram_negative"]})
    return pd.DataFrame(rows)


def anaerobic_pathobionts(cohort: gutbalance.Cohort) -> pd.DataFrame:
    """Per profile: the old guild (guild + obligately anaerobic pathobionts) and the latter's share of it."""
    own, taxa = cohort.terminal_matrix(max_rank="species", domains=DOMAINS)
    assignment = assign_guilds(taxa)
    calls = knowledge.trait_matrix(taxa, ["pathobiont", "enteric_pathogen", "facultative_anaerobe"]).values
    moved = ((assignment["basis"] == "knowledge:obligate_anaerobe") & (calls == 1).any(axis=1)).to_numpy()
    guild = (assignment["guild"] == LPS_GUILD).to_numpy()
    X = own.tocsr()
    old = np.asarray(X[:, guild | moved].sum(axis=1)).ravel()
    out = pd.DataFrame({"old_guild": old, "moved": np.asarray(X[:, moved].sum(axis=1)).ravel()},
                       index=cohort.sample_names)
    out.attrs["taxa"] = pd.Series(np.asarray(X[:, moved].sum(axis=0)).ravel(), index=taxa.index[moved])
    return out[out["old_guild"] > 0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--top", type=int, default=25, help="taxa listed per basis")
    parser.add_argument("--outside", type=Path, default=Path("/work/outside-data"),
                        help="folder with the fetched public data (bioBakery HMP2)")
    args = parser.parse_args()
    require_shared()
    SETS["biobakery_hmp2"] = args.outside / BIOBAKERY
    frames, anaerobic, pooled_moved = [], [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
        for name, path in SETS.items():
            if not path.exists():
                print(f"{name}: skipped, {path} absent")
                continue
            cohort = read_set(path)
            table = facultative_members(cohort)
            frames.append(table.assign(set=name))
            moved = anaerobic_pathobionts(cohort)
            share = moved["moved"] / moved["old_guild"]
            anaerobic.append({"set": name, "profiles with the old guild": len(moved),
                              "median share of it": round(float(share.median()), 3),
                              "mean": round(float(share.mean()), 3),
                              "profiles where it was the whole guild": int((share > 0.999).sum())})
            pooled_moved.append(moved.attrs["taxa"])
    table = pd.concat(frames, ignore_index=True)
    per_profile = table.pivot_table(index=["set", "sample"], columns="made_by", values="share_of_guild",
                                    aggfunc="sum", fill_value=0.0)
    print("Share of the facultative guild by how its members' Gram call is made (per profile; knowledge = the"
          " knowledge base's row of the taxon or an ancestor, lineage = gram_stain_lineage.tsv):")
    summary = []
    for set_name, rows in per_profile.groupby(level="set"):
        line = {"set": set_name, "profiles with the guild": len(rows)}
        for basis in per_profile.columns:
            line[f"{basis} median"] = round(float(rows[basis].median()), 4)
            line[f"{basis} mean"] = round(float(rows[basis].mean()), 4)
        for basis in ("lineage", "unknown"):
            if basis in rows:
                line[f"profiles with a {basis} member"] = int((rows[basis] > 0).sum())
                line[f"max {basis}"] = round(float(rows[basis].max()), 4)
        summary.append(line)
    print(pd.DataFrame(summary).to_string(index=False))
    print("\nDistinct member taxa by basis:", table.groupby("gram_basis")["taxon"].nunique().to_dict())
    for basis, rows in table.groupby("gram_basis"):
        pooled = rows.groupby(["taxon", "phylum", "class", "gram_negative"], dropna=False)["share_of_guild"].agg(
            ["sum", "count"])
        pooled = pooled.sort_values("sum", ascending=False).head(args.top).round(3)
        print(f"\n{basis}: taxa by summed share of the guild over profiles (count = profiles):")
        print(pooled.to_string())
    print("\nObligately anaerobic pathobionts in the facultative guild as it was until the fourth round"
          " (they now go to the other commensals):")
    print(pd.DataFrame(anaerobic).to_string(index=False))
    taxa = pd.concat(pooled_moved).groupby(level=0).sum().sort_values(ascending=False)
    print("their summed abundance over all profiles, as shares:", (taxa / taxa.sum()).head(6).round(3).to_dict())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
