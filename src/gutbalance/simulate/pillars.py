"""The five pillar scores of a simulated gut, computed by the code ``analyze`` uses.

A simulation moves guilds; the pillar scores are defined on taxa.  So each
simulated time point is turned into a *virtual profile* and scored by
:func:`gutbalance.pillars.pillar_scores`, the function behind ``gutbalance analyze``
(not a copy of it: a change to the pillar formulas reaches simulations too):

* every taxon of the person's profile is rescaled by its guild's fold change
  from day 0, ``x_g(t) / x_g(0)`` (:mod:`.personal` assigns the guild), and
  the bacterial part renormalised to its day-0 total; viruses, eukaryotes and
  the unassigned share are kept as they were;
* a guild the profile does not contain (it starts at the detection limit) is
  represented, once it grows above that start, by the representative species
  of ``guild_representatives.tsv``, and so is the pathogen;
* every clade's abundance is its day-0 value times the change of the taxa
  beneath it, so at day 0 the virtual profile *is* the measured profile and
  the scores equal ``analyze``'s exactly.

Without a profile (the healthy reference composition, or guild abundances
given by hand) the virtual profile is made of the representative species alone.

Host variables enter only where a pillar has a place for them: the barrier
pillar is a product of what supports and what threatens the lining, and the
simulation adds the lining itself, the intact epithelium and the mucus layer
relative to day 0 (:func:`simulated_pillars`).  Translocated LPS, effector and
Treg activity are reported beside the pillars (``trajectory.tsv``), not in them.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .. import pillars as _pillars
from ..cohort import Cohort, SampleProfile, build_cohort
from ..errors import SimulationError
from ..taxonomy.lineage import parse_lineage
from ..taxonomy.ranks import RANK_INDEX
from .gut_immune import FACULTATIVE, GRAM_POSITIVE_SHARE, MICROBES, N_MIC, STATE
from .parameters import read_table

__all__ = ["PILLARS", "VirtualProfiles", "representatives", "simulated_pillars"]

#: the pillars of gutbalance.pillars, in its order
PILLARS = list(_pillars.PILLARS)

#: the facultative guild's position among the microbes (its members split by Gram stain)
_FAC = MICROBES.index(FACULTATIVE)

#: virtual profiles scored per call of gutbalance.scores.score (bounds the dense block in memory)
BLOCK = 2000


@cache
def representatives() -> pd.DataFrame:
    """``guild_representatives.tsv``: guild, lineage, weight (normalised within each guild), source."""
    table = read_table("guild_representatives.tsv")
    table["weight"] = table["weight"].astype(float)
    table["weight"] /= table.groupby("guild")["weight"].transform("sum")
    table["taxon"] = [parse_lineage(text)[-1].id for text in table["lineage"]]
    return table


def held_taxa(cohort: Cohort) -> Cohort:
    """``cohort`` with only the taxa its samples hold (a subset of a merged
    table keeps every sample's taxa).  The taxa of other samples must not
    shape a person's virtual profiles: a representative species another sample
    carries took that sample's lineage instead of its own, and the person's
    simulated pillars moved with the other samples of the file (an outside
    check: 4 points of nutrients on day 9 of an *Akkermansia* course)."""
    held = np.flatnonzero(np.asarray(abs(cohort.X).sum(axis=0)).ravel() > 0)
    counts = None if cohort.counts is None else cohort.counts[:, held]
    return Cohort(cohort.X[:, held], samples=cohort.samples, taxa=cohort.taxa.iloc[held], counts=counts)


class VirtualProfiles:
    """Turns simulated microbe states into profiles scored like measured ones.

    Parameters
    ----------
    cohort, sample
        The person's measured profile (``None`` for a start without a profile).
    assignment
        :func:`.personal.guild_abundances`' per-taxon table (``model_guild``).
    pathogen
        The model's pathogen (its representative species is used when the
        profile does not carry it).
    """

    def __init__(self, cohort: Cohort | None, sample: str | None, assignment: pd.DataFrame | None, pathogen: str) -> None:
        reps = representatives()
        guild_of_rep = reps["guild"].where(~reps["guild"].str.startswith("pathogen:"), "pathogen")
        reps = reps[(~reps["guild"].str.startswith("pathogen:")) | (reps["guild"] == f"pathogen:{pathogen}")]
        guild_of_rep = guild_of_rep.loc[reps.index]
        self.has_profile = cohort is not None
        guild: pd.Series  # each terminal taxon's guild (index into MICROBES), -1 for none
        stain: pd.Series
        taxa: pd.DataFrame | None
        if cohort is not None:
            if sample is None:
                raise SimulationError("a virtual profile from a cohort needs the sample it starts from")
            base = held_taxa(cohort.subset([sample]))
            own, terminal = base.terminal_matrix(max_rank="species")
            own0 = np.asarray(own.toarray()).ravel()
            guild = pd.Series(-1, index=terminal.index)
            # Gram stain (1 negative, 0 positive, NaN unknown: such a member follows the guild as a whole)
            stain = pd.Series(np.nan, index=terminal.index)
            if assignment is not None:
                known = assignment.index.intersection(terminal.index)
                guild.loc[known] = np.array([MICROBES.index(g) for g in assignment.loc[known, "model_guild"]], dtype=int)
                if "gram_negative" in assignment.columns:
                    stain.loc[known] = assignment.loc[known, "gram_negative"].astype(float).to_numpy()
            self.samples = base.samples
            taxa, X0 = base.taxa, np.asarray(base.X.toarray()).ravel()
        else:
            own0 = np.zeros(0)
            terminal = pd.DataFrame()
            guild = pd.Series(np.zeros(0, dtype=int))
            stain = pd.Series([], dtype=float)
            self.samples = pd.DataFrame({"unassigned": [0.0], "source_file": [""], "source_format": ["simulation"],
                                         "database": [""]}, index=pd.Index(["virtual"], name="sample"))
            taxa, X0 = None, np.zeros(0)
        covered = np.zeros(N_MIC, dtype=bool)
        covered[np.unique(guild[(guild >= 0).to_numpy() & (own0 > 0)].to_numpy()).astype(int)] = True
        self.covered = covered
        # a facultative guild made only of Gram-positive members has no Gram-negative taxon to show
        # the growth of its Gram-negative part (which starts at the detection limit): its
        # representative species (E. coli) shows it, as it shows the growth of a guild the profile lacks
        present = (own0 > 0) if len(own0) else np.zeros(0, dtype=bool)
        negative_part_lacking = bool(covered[_FAC]) and not bool(
            np.any((guild.to_numpy() == _FAC) & (stain.to_numpy() == 1) & present))
        # representative species of the guilds the profile lacks
        lacking = reps[[not covered[MICROBES.index(g)] or (MICROBES.index(g) == _FAC and negative_part_lacking)
                        for g in guild_of_rep]]
        self.rep_guild = np.array([MICROBES.index(g) for g in guild_of_rep.loc[lacking.index]], dtype=int)
        #: representatives that stand for the facultative guild's Gram-negative part (the guild is covered)
        self.rep_negative_part = (self.rep_guild == _FAC) & covered[_FAC]
        self.rep_weight = lacking["weight"].to_numpy()
        if len(lacking):
            rep_cohort = build_cohort([SampleProfile(sample="representatives",
                                                     lineages=[parse_lineage(t) for t in lacking["lineage"]],
                                                     abundance=list(self.rep_weight))], validate=False)
            new = rep_cohort.taxa.index if taxa is None else rep_cohort.taxa.index.difference(taxa.index, sort=False)
            taxa = rep_cohort.taxa.loc[new] if taxa is None else pd.concat([taxa, rep_cohort.taxa.loc[new]])
            X0 = np.concatenate([X0, np.zeros(len(new))])
        if taxa is None:  # without a profile every guild is lacking, so there are representatives
            raise SimulationError("a virtual profile needs a profile or representative species")
        self.taxa = taxa
        self.X0 = X0
        # terminal taxa of the union (species and above, any domain) and their guilds
        depth = taxa["rank"].map(RANK_INDEX).to_numpy()
        is_terminal = depth <= RANK_INDEX["species"]
        col = pd.Index(taxa.index)
        term_cols = np.flatnonzero(is_terminal)
        term_pos = {tid: k for k, tid in enumerate(col[term_cols])}
        self.own0 = np.zeros(len(term_cols))
        self.guild = np.full(len(term_cols), -1)
        member_stain = np.full(len(term_cols), np.nan)
        for tid, value in zip(terminal.index, own0, strict=True):
            self.own0[term_pos[tid]] = value
            self.guild[term_pos[tid]] = guild.loc[tid]
            member_stain[term_pos[tid]] = stain.loc[tid] if guild.loc[tid] == _FAC else np.nan
        self.rep_pos = np.array([term_pos[t] for t in lacking["taxon"]], dtype=int)
        self.bacterial = np.flatnonzero(self.guild >= 0)
        # the facultative guild's members by Gram stain (within self.bacterial): each part follows its
        # own change, the guild's fold change times the change of its share (gut_immune.GRAM_POSITIVE_SHARE);
        # a member of unknown stain is in neither part (left out of the share) and follows the guild's fold
        fac = self.guild[self.bacterial] == _FAC
        self.fac_positive = np.flatnonzero(fac & (member_stain[self.bacterial] == 0))
        self.fac_negative = np.flatnonzero(fac & (member_stain[self.bacterial] == 1))
        self.s0 = float(self.own0[self.bacterial].sum()) if self.has_profile else 1.0
        # membership: clade column j gathers the terminal taxa beneath it (a strain its species)
        parent = col.get_indexer(taxa["parent"].to_numpy())
        rows, cols = [], []
        for k, j in enumerate(term_cols):
            node = j
            while node >= 0:
                rows.append(k)
                cols.append(node)
                node = parent[node]
        for j in np.flatnonzero(~is_terminal):
            node = parent[j]
            while node >= 0 and not is_terminal[node]:
                node = parent[node]
            if node >= 0:
                rows.append(term_pos[col[node]])
                cols.append(j)
        self.M = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(term_cols), len(col)))
        self.den: np.ndarray = np.asarray(self.M.T @ self.own0)  # (columns,)

    def matrix(self, microbes: np.ndarray, start: np.ndarray, share: np.ndarray | None = None,
               share0: np.ndarray | None = None) -> np.ndarray:
        """Clade abundances ``(m, taxa)`` of virtual profiles for microbe states ``(m, 7)``.

        ``start`` (``(m, 7)``) is each row's day-0 state: a guild follows its
        fold change from it, a lacking guild is represented by its growth above it.
        ``share`` and ``share0`` (``(m,)``) are the facultative guild's
        Gram-positive share now and at day 0: its Gram-positive members follow
        ``fold * share / share0``, the others ``fold * (1 - share) / (1 - share0)``
        (without them, every member follows the guild's fold change).
        """
        x = np.asarray(microbes, dtype=np.float64)
        x0 = np.asarray(start, dtype=np.float64)
        m = x.shape[0]
        own = np.broadcast_to(self.own0, (m, self.own0.size)).copy()
        with np.errstate(divide="ignore", invalid="ignore"):
            fold = np.where(x0 > 0, x / x0, 0.0)
        g = self.guild[self.bacterial]
        factor = fold[:, g]
        if share is not None and share0 is not None:
            now = np.reshape(np.asarray(share, dtype=np.float64), (-1, 1))
            then = np.reshape(np.asarray(share0, dtype=np.float64), (-1, 1))
            with np.errstate(divide="ignore", invalid="ignore"):
                factor[:, self.fac_positive] *= np.where(then > 0, now / np.where(then > 0, then, 1.0), 1.0)
                factor[:, self.fac_negative] *= np.where(then < 1, (1 - now) / np.where(then < 1, 1 - then, 1.0), 1.0)
        own[:, self.bacterial] *= factor
        rep = np.zeros((m, self.rep_pos.size))
        if self.rep_pos.size:
            floor = x0[:, self.rep_guild] if self.has_profile else 0.0
            growth = x[:, self.rep_guild] - floor
            if self.rep_negative_part.any():
                # the guild's Gram-negative part as far as it grew beyond the detection limit it started
                # at, i.e. beyond its day-0 share: x_f (s0 - s) (0 without the share, and 0 while a drug
                # without a Gram-positive row moves both parts alike: a part below detection stays unseen)
                part = np.zeros(m)
                if share is not None and share0 is not None:
                    part = x[:, _FAC] * (then.ravel() - now.ravel())
                growth[:, self.rep_negative_part] = part[:, None]
            rep = self.s0 * self.rep_weight * np.maximum(0.0, growth)
        mass = own[:, self.bacterial].sum(axis=1) + rep.sum(axis=1)
        mass0 = self.own0[self.bacterial].sum()
        scale = np.where(mass > 0, mass0 / np.where(mass > 0, mass, 1.0), 1.0) if self.has_profile else 1.0
        own[:, self.bacterial] *= np.reshape(scale, (-1, 1))
        if self.rep_pos.size:
            np.add.at(own.T, self.rep_pos, (rep * np.reshape(scale, (-1, 1))).T)
        num = np.asarray(own @ self.M)
        with np.errstate(divide="ignore", invalid="ignore"):
            X = np.where(self.den > 0, self.X0 * (num / np.where(self.den > 0, self.den, 1.0)), self.X0 + num)
        if self.has_profile:
            # A row at its own start is the measured profile, exactly: the
            # products above can miss it by an ulp, and a taxon at exactly a
            # threshold (then the GMWI2 part of homeostasis' index floor of
            # 0.1 %, written as 0.10000 by MetaPhlAn) then drops below it
            # (bioBakery HMP2 sample HSM7CZ2E: homeostasis 62.95 at day 0
            # against analyze's 63.97).
            X[np.all(x == x0, axis=1)] = self.X0
        return X

    def cohort(self, microbes: np.ndarray, start: np.ndarray, names: list[str], share: np.ndarray | None = None,
               share0: np.ndarray | None = None) -> Cohort:
        """The virtual profiles as a :class:`~gutbalance.Cohort` (one sample per row; see :meth:`matrix`)."""
        X = sp.csr_matrix(self.matrix(microbes, start, share, share0))
        X.eliminate_zeros()
        samples = pd.DataFrame(
            np.repeat(self.samples.to_numpy(), len(names), axis=0), columns=self.samples.columns,
            index=pd.Index(names, name="sample"),
        ).astype(self.samples.dtypes.to_dict())
        return Cohort(X, samples=samples, taxa=self.taxa)

    def scores(self, microbes: np.ndarray, start: np.ndarray, share: np.ndarray | None = None,
               share0: np.ndarray | None = None) -> np.ndarray:
        """Pillar scores ``(..., 5)`` of microbe states ``(..., 7)`` by :func:`gutbalance.pillars.pillar_scores`.

        ``share``, ``share0`` (``(...)``): the facultative guild's Gram-positive share now and at day 0
        (:meth:`matrix`).
        """
        x = np.asarray(microbes, dtype=np.float64)
        lead = x.shape[:-1]
        x = x.reshape(-1, N_MIC)
        x0 = np.broadcast_to(np.asarray(start, dtype=np.float64), (*lead, N_MIC)).reshape(-1, N_MIC)
        split = share is not None and share0 is not None
        if split:
            now = np.broadcast_to(np.asarray(share, dtype=np.float64), lead).reshape(-1)
            then = np.broadcast_to(np.asarray(share0, dtype=np.float64), lead).reshape(-1)
        out = np.empty((x.shape[0], len(PILLARS)))
        for a in range(0, x.shape[0], BLOCK):
            b = min(a + BLOCK, x.shape[0])
            virtual = self.cohort(x[a:b], x0[a:b], [f"virtual {i}" for i in range(a, b)],
                                  now[a:b] if split else None, then[a:b] if split else None)
            out[a:b] = _pillars.pillar_scores(virtual, contributions=False).scores[PILLARS].to_numpy()
        return out.reshape(*lead, len(PILLARS))


def simulated_missing(virtual: VirtualProfiles, states: np.ndarray, start: np.ndarray | None = None) -> list[str]:
    """Per day of ``states`` (``(times, 20)``, day 0 first), why its pillars are
    missing, as :func:`gutbalance.pillars.pillar_scores` says it ("" where scored).
    ``start`` (``(7,)``): the microbes before any dose of day 0 (:func:`simulated_pillars`)."""
    s = np.asarray(states, dtype=np.float64)
    share = s[:, STATE.index(GRAM_POSITIVE_SHARE)]
    start = np.broadcast_to(s[:1, :N_MIC] if start is None else np.asarray(start, dtype=np.float64), (len(s), N_MIC))
    cohort = virtual.cohort(s[:, :N_MIC], start, [f"virtual {i}" for i in range(len(s))], share,
                            np.broadcast_to(share[:1], share.shape))
    missing = _pillars.pillar_scores(cohort, contributions=False).missing
    return [] if missing is None else [str(v) for v in missing]


def simulated_pillars(virtual: VirtualProfiles, states: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
    """The five pillars ``(..., times, 5)`` of simulated states ``(..., times, 20)`` (day 0 first).

    ``start`` (``(..., 7)``) holds the microbes the fold changes are taken from:
    the measured state before any dose given on day 0.  Day 0's row of
    ``states`` is the state *after* such a dose (:func:`~.integrate.integrate_log`),
    and a fold change from it would read the person's own microbes as lost for
    good once the dose washes out.  Default: day 0's row (no dose on day 0).

    The composition part is :meth:`VirtualProfiles.scores`.  The barrier pillar
    is a product of factors that each threaten or support the lining; the
    simulation adds the two a profile cannot show, the intact epithelium and
    the mucus layer, each relative to day 0 and capped at 1 (the day-0 lining
    is already in the composition part)::

        barrier(t) = barrier_profile(t) * min(1, b(t) / b(0)) * min(1, mucus(t) / mucus(0))
    """
    s = np.asarray(states, dtype=np.float64)
    share = s[..., STATE.index(GRAM_POSITIVE_SHARE)]
    x0 = s[..., :1, :N_MIC] if start is None else np.asarray(start, dtype=np.float64)[..., None, :]
    scores = virtual.scores(s[..., :N_MIC], x0, share, share[..., :1])
    lining = np.ones(s.shape[:-1])
    for name in ("barrier", "mucus"):
        v = s[..., STATE.index(name)]
        lining = lining * np.minimum(1.0, v / v[..., :1])
    scores[..., PILLARS.index("barrier")] *= lining
    return scores
