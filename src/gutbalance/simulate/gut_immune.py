"""The human gut-immune model: microbial guilds (gLV) coupled to butyrate,
barrier, mucus, translocated LPS, effector and regulatory T-cell activity and
pathogen-specific immunity.

State (in this order, see :data:`STATE`)::

    butyrate_producers bacteroidales bifido_lab akkermansia facultative_pathobionts
    other_commensals pathogen | butyrate barrier lps effector treg mucus immunity
    | <guild>_capacity (one per guild) | facultative_gram_positive_share

Microbes are in units of the healthy reference total load; host variables are
relative to the healthy reference state (= 1), except ``barrier``, the intact
fraction of the epithelium (reference ``b0``), and ``immunity``, the
pathogen-specific (adaptive) response, 0 = none, in units where it clears
the pathogen at ``pathogen_clearance`` per day at 1; it keeps building while
the pathogen persists, towards ``immunity_induction / immunity_waning`` (27),
so a long colonisation takes it above 1 (an outside check found 2.65 on day
47 of a C. difficile run, where the page said "share of a full response").  ``capacity`` is the
share of a guild's niche capacity its surviving species still fill (1 at the
start).  ``facultative_gram_positive_share`` is the part of the facultative
guild in Gram-positive members (enterococci, streptococci), from the person's
taxa at the start.  Equations (docs/simulation.md)::

    dx_g/dt = x_g (r_g + sum_h a_gh x_h + a_gg x_g (1 / (c_g (1 + F)^f_g (E / E_0)^psi_g) - 1)
                   + sum_d u_d(t) (eps_gd - (eps_gd)_+ (1 - rel)) + phi_g ln E + omega_g O(B)) + m_g    (guilds)
    rel     = room (1 + h) / (room + h),  room = (1 - N / N_0)_+, N_0 day 0's commensal load
              (a drug's positive term is competitive release: it acts as the room its victims leave, each
              drug and each part of the facultative guild apart)
              (the facultative guild's niche factor is Q = 1 + (g - 1) room where its opening
              g = (E / E_0)^psi_f K_f(B) / K_0 exceeds 1, Q = g where it closes: what inflammation and oxygen
              open, the guild fills only as far as the others leave room)
              (inflammation: the obligate anaerobes' phi_g < 0, a growth term; the facultative guild's
              psi_f > 0, the niche host nitrate opens, relative to day 0's effector E_0; each has only one)
    dx_p/dt = x_p (r_p + sum_h a_ph x_h + sum_d eps_pd u_d(t) + phi_p ln E + omega_p O(B) - gamma I)
    O(B)    = (1 - B) / (1 + B)   (epithelial oxygen: 1 without butyrate, 0 at the reference, -> -1 saturated)
    B       = P (1 + sigma F) / P_ref                       P = sum_g yield_g x_g
    L       = (1 - b) / (1 - b0) G / G_ref mu(M)            G = sum_g lps_g x_g,  mu(M) = M^-zeta
              (the facultative guild's lps_f = (1 - s) lps- + s lps+: its two parts' potencies, s its Gram-positive share)
    db/dt   = k_rep (1 - b) s(B) - k_dmg (E + delta p) mu(M) b
    dM/dt   = k_M (N (1 + K_M) / (N + K_M) - M)              N = sum_g x_g (commensal load)
    dE/dt   = k_E (sat(t + (1 - t) (l L + (1 - l) (1 - b) / (1 - b0)) + iota p) h(R) - E)
    dR/dt   = k_R (beta B + (1 - beta) C / C_ref - R)       C = sum_g tol_g x_g
    dI/dt   = k_I p / (1 + p) + k_W (I_min - I)
    dc_g/dt = rho (1 - c_g) - lambda c_g (1 - x_g / (theta c_g x0_g))_+^2
    ds/dt   = s (1 - s) sum_d (e(eps+_d) - e(eps_fd)) u_d(t)     (s: Gram-positive share of the facultative guild f;
              its drug term is sum_d (e(eps_fd) + s (e(eps+_d) - e(eps_fd))) u_d(t), eps+ = <drug>:facultative_gram_positive,
              e(eps) = eps - (eps)_+ (1 - rel), each part's term released apart)
    h(R) = (1 + kappa) / (1 + kappa R),   sat(a) = a (1 + theta) / (a + theta),
    p = pathogen / pathogen_scale,
    k_dmg = k_rep (1 - b0) / b0  (so the reference state is a steady state)

Structure of the host part follows Leber et al. 2015 (PLoS ONE 10:e0134849):
effector activation by microbial products, damaged epithelium and the pathogen,
restrained by Treg; Treg induction by tolerogenic commensals; epithelial damage
by effector cells; effector and Treg turnover rates are the model's fitted
values.  Where Leber's model has no counterpart (butyrate, LPS, mucus, the
oxygen feedback, immigration, species loss) the structure follows the cited
experimental papers and magnitudes are marked 'assumed' in
gut_immune_parameters.tsv.

What keeps the dynamics honest (issue 14):

* **Immigration** ``m_g`` (microbes swallowed with food and water) keeps every
  guild above zero, so a guild absent from a profile (below its detection limit)
  can return or bloom when the community that kept it out is cleared.
* **Species loss** ``c_g``: a guild pushed below a share ``theta`` of its baseline loses species
  (its niche capacity shrinks) and regains them only slowly by immigration, so
  recovery after antibiotics can stay incomplete (Dethlefsen & Relman 2011,
  Palleja et al. 2018).
* **Pathogen clearance** by a pathogen-specific response ``I`` that builds up
  over a week or two of colonisation and wanes over months, and a pathogen
  self-limitation derived so that the pathogen alone, at its fastest possible
  growth, fills at most the gut's carrying capacity (the healthy total load).
* **Fibre** raises the niche capacity of fibre-using guilds (more substrate,
  more room) instead of their growth rate, so a guild changes in proportion to
  its own size.
* **The facultative guild's niche follows the oxygen state**: a carried guild's
  niche is its own abundance at day 0's butyrate and opens by up to the
  reference abundance as butyrate is lost (the epithelium releases oxygen and
  nitrate), closing again as the producers return (:func:`facultative_niche`).
* **Mucus** thins when the commensal load falls (antibiotics) and thickens back
  over weeks; a thin mucus layer lets effector cells damage the epithelium
  faster and lets more LPS through.

Butyrate and LPS are taken in quasi-steady state: colonic butyrate is absorbed
and translocated LPS cleared within hours, while microbes, barrier and T cells
change over days, so the fast pools follow their slow drivers (a singular
perturbation; it also removes the stiffest modes).  A floor of
:data:`HOST_FLOOR` keeps the host signals' logarithms finite.

Personal calibration: the measured profile is taken as the person's steady
state.  Guilds absent from the profile start at the detection limit; growth
rates ``r_g`` are set so that the profile (with those floors) and the host state
it implies are an equilibrium.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import SimulationError
from .glv import Course
from .integrate import IntegrationStats, Pulse, integrate_log, to_log
from .parameters import lookup, parameter_rows, rows_of

GUILDS = ["butyrate_producers", "bacteroidales", "bifido_lab", "akkermansia", "facultative_pathobionts", "other_commensals"]
MICROBES = [*GUILDS, "pathogen"]
CAPACITIES = [f"{g}_capacity" for g in GUILDS]
HOST = ["butyrate", "barrier", "lps", "effector", "treg", "mucus", "immunity"]
#: the state variable of those members' share of the guild (integrated: a drug that separates them changes it)
GRAM_POSITIVE_SHARE = "facultative_gram_positive_share"
STATE = [*MICROBES, *HOST, *CAPACITIES, GRAM_POSITIVE_SHARE]
PATHOGENS = ["c_difficile", "salmonella"]
ANTIBIOTICS = ["clindamycin", "amoxicillin", "ciprofloxacin", "metronidazole", "vancomycin", "gentamicin"]
#: the guild of Enterobacteriaceae, other facultative Gram-negatives, enterococci and streptococci
FACULTATIVE = "facultative_pathobionts"
#: the susceptibility target of that guild's Gram-positive members (``<drug>:facultative_gram_positive``)
GRAM_POSITIVE_MEMBERS = "facultative_gram_positive"
#: the susceptibility target of the enterococci among them where a drug separates them from the
#: streptococci (``<drug>:enterococci``; the ``facultative_gram_positive`` row is then the streptococci's)
ENTEROCOCCI = "enterococci"
#: the facultative guild's niche rules calibrate() knows (GutImmuneParameters.niche_rule)
NICHE_RULES = ("oxygen", "floor", "own")
#: a share of exactly 0 is held here so its logarithm is finite (no member of the guild is that rare)
SHARE_FLOOR = 1e-12
N_MIC = len(MICROBES)
N_GUILD = len(GUILDS)
#: the integrated part of the state; butyrate and LPS are in quasi-steady state
DYNAMIC = [*MICROBES, "barrier", "effector", "treg", "mucus", "immunity", *CAPACITIES, GRAM_POSITIVE_SHARE]
DYNAMIC_INDEX = [STATE.index(v) for v in DYNAMIC]
#: positions in the integrated state
_IB, _IE, _IR, _IM, _II = (DYNAMIC.index(v) for v in ("barrier", "effector", "treg", "mucus", "immunity"))
_IC = np.array([DYNAMIC.index(c) for c in CAPACITIES])
_IS = DYNAMIC.index(GRAM_POSITIVE_SHARE)
_F = MICROBES.index(FACULTATIVE)
_G = np.arange(N_GUILD)
_P = N_MIC - 1
#: the integrated state from immunity on (immunity, the capacities, the Gram-positive share) has no
#: off-diagonal entry among itself in :meth:`GutImmuneModel.jacobian` (immunity: its own and the
#: pathogen's; a capacity: its own and its guild's; the share: its own), so ROS4 eliminates it
#: before inverting (integrate_log's ``diagonal_from``)
_DIAGONAL_FROM = _II

SCALARS = [
    "effector_decay", "treg_decay", "barrier_repair", "barrier_reference",
    "butyrate_barrier_half", "butyrate_independent_repair", "treg_suppression", "tonic_activation_share", "effector_saturation", "lps_activation_share", "butyrate_treg_share",
    "fibre_butyrate_response", "pathogen_immunogenicity", "pathogen_epithelial_damage", "pathogen_scale",
    "mucus_renewal", "mucus_half_load", "mucus_protection",
    "immunity_induction", "immunity_waning", "immunity_baseline", "pathogen_clearance", "pathogen_capacity",
    "species_loss_rate", "species_return_rate", "species_loss_depletion", "detection_limit", "share_return_rate",
    "release_half_room",
]

#: Numerical floor of the host signals' targets (relative to the reference): butyrate with
#: every producer gone decays towards this instead of underflowing to 0 (1e-9 of the
#: reference has no biological meaning; it only keeps log-states finite).
HOST_FLOOR = 1e-9

#: scalar parameters that are shares in (0, 1)
FRACTIONS = {"barrier_reference", "tonic_activation_share", "butyrate_independent_repair", "lps_activation_share", "butyrate_treg_share",
             "species_loss_depletion"}

#: parameters looked up per pathogen (their target in the table is the pathogen's name)
PER_PATHOGEN = {"pathogen_immunogenicity", "pathogen_epithelial_damage", "pathogen_clearance"}


def _scalar_targets(pathogen: str) -> dict[str, str]:
    targets = {name: str(rows_of(name)["target"].iloc[0]) for name in SCALARS}
    for name in PER_PATHOGEN:
        targets[name] = pathogen
    return targets


@dataclass
class GutImmuneParameters:
    """Parameters for ``n`` virtual people (leading dimension ``n`` everywhere)."""

    pathogen: str
    interactions: np.ndarray  # (n, 7, 7)
    fibre_capacity: np.ndarray  # (n, 7)
    #: (n, 7) growth-rate response to log effector activity: the pathogen's only (Salmonella's inflammation
    #: fuels its own growth); the guilds respond through their niche (``inflammation_niche``)
    inflammation: np.ndarray
    oxygen: np.ndarray  # (n, 7)
    immigration: np.ndarray  # (n, 7), pathogen 0
    susceptibility: dict[str, np.ndarray]  # drug -> (n, 7)
    scalars: dict[str, np.ndarray]  # name -> (n,)
    pathogen_growth: np.ndarray  # (n,)
    butyrate_yield: np.ndarray  # (7,)
    tolerogenic: np.ndarray  # (7,)
    #: (7,) this person's; the facultative guild's entry is its Gram-negative part's (its members' calls)
    lps_potency: np.ndarray
    lps_reference: float  # G_ref: LPS of the reference composition with the table's potencies
    reference: np.ndarray  # (7,) healthy reference composition (pathogen 0)
    extinction_threshold: float = 1 / 3.8e13
    growth: np.ndarray | None = None  # (n, 7) set by calibrate()
    baseline: np.ndarray | None = None  # (n, 6) guild abundances at the start, set by calibrate()
    #: drug -> (n,): susceptibility of the facultative guild's Gram-positive members (enterococci,
    #: streptococci) for the drugs whose spectrum separates them from the Enterobacteriaceae
    susceptibility_gram_positive: dict[str, np.ndarray] = field(default_factory=dict)
    #: (n,) Gram-positive share of the facultative guild at the start (0 without a profile)
    gram_positive_share: np.ndarray | None = None
    #: drug -> (n,): susceptibility of enterococci among those members, for the drugs that separate them
    #: from the streptococci (intrinsic resistance); with_enterococcal_share() mixes it into the part's
    susceptibility_enterococci: dict[str, np.ndarray] = field(default_factory=dict)
    #: drug -> (n,): the streptococci's (the ``facultative_gram_positive`` row) for those drugs, kept so the
    #: part's value can be mixed again from it
    susceptibility_streptococci: dict[str, np.ndarray] = field(default_factory=dict)
    #: LPS potency of the facultative guild's Gram-positive part (its members' calls: 0 for enterococci and
    #: streptococci); the guild's potency is ``(1 - s) lps_f + s lps_gram_positive`` with the share ``s`` now
    lps_gram_positive: float = 0.0
    #: (n, 2) set by calibrate(): the facultative guild's niche opening ``q = K_anoxic / K_0 - 1`` (its niche
    #: with no butyrate over its day-0 niche, minus 1) and the day-0 oxygen signal ``O(B_0)`` (:func:`facultative_niche`)
    facultative_niche_state: np.ndarray | None = None
    #: the facultative guild's niche rule: "oxygen" (the model: it follows the oxygen/butyrate state); the
    #: earlier rounds' "floor" (fixed at max(own, reference), sixth round) and "own" (fixed at the own
    #: abundance) are counterfactuals for scripts/antibiotic_directions.py --niche only
    niche_rule: str = "oxygen"
    #: (n, 6) exponent of each guild's niche capacity in effector activity relative to day 0, ``(E / E_0)^value``
    #: (zero without the table's rows)
    inflammation_niche: np.ndarray | None = None
    #: (n,) log effector activity at day 0, ``ln E_0``, set by calibrate()
    log_effector0: np.ndarray | None = None
    #: (n,) the facultative guild's Gram-positive share at day 0 as integrated (floored), set by calibrate():
    #: the share returns towards it after a drug moved it (``share_return_rate``)
    share0: np.ndarray | None = None

    @property
    def n(self) -> int:
        """Number of virtual people (rows of the parameter arrays)."""
        return self.interactions.shape[0]

    def take(self, rows: slice | np.ndarray) -> GutImmuneParameters:
        """The parameters of a subset of the virtual people."""
        return GutImmuneParameters(
            pathogen=self.pathogen,
            interactions=self.interactions[rows],
            fibre_capacity=self.fibre_capacity[rows],
            inflammation=self.inflammation[rows],
            oxygen=self.oxygen[rows],
            immigration=self.immigration[rows],
            susceptibility={k: v[rows] for k, v in self.susceptibility.items()},
            scalars={k: v[rows] for k, v in self.scalars.items()},
            pathogen_growth=self.pathogen_growth[rows],
            butyrate_yield=self.butyrate_yield,
            tolerogenic=self.tolerogenic,
            lps_potency=self.lps_potency,
            lps_reference=self.lps_reference,
            reference=self.reference,
            extinction_threshold=self.extinction_threshold,
            growth=None if self.growth is None else self.growth[rows],
            baseline=None if self.baseline is None else self.baseline[rows],
            susceptibility_gram_positive={k: v[rows] for k, v in self.susceptibility_gram_positive.items()},
            gram_positive_share=None if self.gram_positive_share is None else self.gram_positive_share[rows],
            susceptibility_enterococci={k: v[rows] for k, v in self.susceptibility_enterococci.items()},
            susceptibility_streptococci={k: v[rows] for k, v in self.susceptibility_streptococci.items()},
            lps_gram_positive=self.lps_gram_positive,
            facultative_niche_state=None if self.facultative_niche_state is None else self.facultative_niche_state[rows],
            niche_rule=self.niche_rule,
            inflammation_niche=None if self.inflammation_niche is None else self.inflammation_niche[rows],
            log_effector0=None if self.log_effector0 is None else self.log_effector0[rows],
            share0=None if self.share0 is None else self.share0[rows],
        )

    def with_lps_potency(self, guild: str, potency: float) -> None:
        """Set one guild's LPS potency for this person (its members' knowledge-base calls).

        For the facultative guild this is the potency of its Gram-negative part
        (:meth:`with_gram_positive_lps` sets the other part's).
        """
        if not 0 <= potency <= 1:
            raise SimulationError(f"LPS potency of {guild} must be within 0-1, got {potency}")
        lps = self.lps_potency.copy()
        lps[MICROBES.index(guild)] = potency
        self.lps_potency = lps

    def with_gram_positive_lps(self, potency: float) -> None:
        """Set the LPS potency of the facultative guild's Gram-positive part (its members' calls).

        The guild's LPS follows its make-up: ``x_f ((1 - s) lps_f + s lps+)``
        with the Gram-positive share ``s`` of the state, so a guild whose
        streptococci are replaced by Enterobacteriaceae under vancomycin
        brings their LPS with them (:func:`lps_load`).
        """
        if not 0 <= potency <= 1:
            raise SimulationError(f"LPS potency of the facultative guild's Gram-positive part must be within 0-1, "
                                  f"got {potency}")
        self.lps_gram_positive = float(potency)

    def with_gram_positive_share(self, share: float) -> None:
        """Set the Gram-positive share of the facultative guild at the start (this person's members).

        ``share`` is the part of the guild's abundance in Gram-positive members
        (knowledge base: enterococci, streptococci).  For each drug with a
        ``<drug>:facultative_gram_positive`` row the two parts of the guild take
        their own susceptibilities: the guild's drug term is the share-weighted
        mean of that row and the guild's own (Gram-negative) value, and the
        share itself follows the difference, ``ds/dt = s (1 - s) (eps+ - eps) u``.
        That is exact for two sub-populations that differ only in the drug's
        effect (they share the guild's growth, interactions, niche and host
        feedbacks), so a guild can lose its streptococci to vancomycin while its
        Enterobacteriaceae bloom.
        """
        if not 0 <= share <= 1:
            raise SimulationError(f"Gram-positive share of the facultative guild must be within 0-1, got {share}")
        self.gram_positive_share = np.full(self.n, float(share))

    def with_enterococcal_share(self, share: float) -> None:
        """Set the enterococci's share of the facultative guild's Gram-positive part (this person's members).

        For a drug with a ``<drug>:enterococci`` row the part's susceptibility
        becomes the abundance-weighted mean of the streptococci's
        (``<drug>:facultative_gram_positive``) and the enterococci's: clindamycin
        inhibits streptococci while enterococci are intrinsically resistant to it
        (EUCAST expert rules, Leclercq 2013, doi:10.1111/j.1469-0691.2011.03703.x).
        The part stays one population (a mean rate, as the guild is one of its
        members).
        """
        if not 0 <= share <= 1:
            raise SimulationError(f"enterococcal share of the facultative guild's Gram-positive part must be within 0-1, "
                                  f"got {share}")
        for drug, resistant in self.susceptibility_enterococci.items():
            self.susceptibility_gram_positive[drug] = (
                (1.0 - share) * self.susceptibility_streptococci[drug] + share * resistant)


def load_parameters(
    n: int = 1,
    *,
    pathogen: str = "c_difficile",
    rng: np.random.Generator | None = None,
    z: Mapping[tuple[str, str], np.ndarray] | None = None,
) -> GutImmuneParameters:
    """Parameters from gut_immune_parameters.tsv for ``n`` people.

    With ``rng`` each person gets an independent draw: every parameter with a
    non-zero ``sd_log`` is multiplied by ``exp(N(0, sd_log))`` (sign kept;
    shares are perturbed on the logit scale).  Without ``rng`` all ``n``
    copies are the central values.  ``z`` gives the standard-normal deviate
    per person (``(n,)``) of chosen table rows, keyed ``(parameter, target)``
    (``("competition", "*")`` scales the whole competition matrix): the
    sensitivity analysis sets them (scripts/sensitivity_gut_immune.py); rows
    not in ``z`` follow ``rng`` or stay central.
    """
    if pathogen not in PATHOGENS:
        raise SimulationError(f"unknown pathogen {pathogen!r}; known: {', '.join(PATHOGENS)}")
    if n < 1:
        raise SimulationError("need at least one virtual person")

    def draw(value: float, sd: float, shape: tuple[int, ...] = (), *, fraction: bool = False,
             key: tuple[str, str] | None = None) -> np.ndarray:
        base = np.full((n, *shape), value, dtype=np.float64)
        noise = None
        if z is not None and key is not None and key in z and sd > 0:
            deviate = np.asarray(z[key], dtype=np.float64).reshape((n,) + (1,) * len(shape))
            noise = np.broadcast_to(sd * deviate, base.shape)
        elif rng is not None and sd > 0:
            noise = rng.normal(0.0, sd, size=base.shape)
        if noise is not None:
            if fraction:  # shares stay in (0, 1): perturb on the logit scale
                logit = np.log(base / (1 - base)) + noise
                base = 1 / (1 + np.exp(-logit))
            else:
                base *= np.exp(noise)
        return base

    names = {g: i for i, g in enumerate(MICROBES)}

    def guild_key(target: str) -> int:
        key = "pathogen" if target == pathogen else target
        return names[key]

    self_lim, sd_self = lookup("self_limitation", "*")
    comp, sd_comp = lookup("competition", "*")
    reference = np.array([lookup("reference_abundance", g)[0] for g in GUILDS] + [0.0])
    if not np.isclose(reference.sum(), 1.0):
        raise SimulationError("reference guild abundances must sum to 1")
    A = draw(comp, sd_comp, (N_MIC, N_MIC), key=("competition", "*"))
    # guild self-limitation a_ii = s / K_i with the reference niche capacity; calibrate()
    # rescales K_i to the person (the pathogen's own row is derived below from its capacity)
    A[:, _G, _G] = draw(self_lim, sd_self, (N_GUILD,), key=("self_limitation", "*")) / reference[:N_GUILD]
    for row in parameter_rows("interaction"):
        target, _, source = row.target.partition("<-")
        tgt_path, src_path = target in PATHOGENS, source in PATHOGENS
        if (tgt_path and target != pathogen) or (src_path and source != pathogen):
            continue  # the other pathogen's row
        A[:, guild_key(target), guild_key(source)] = draw(row.value, row.sd_log, key=("interaction", row.target))

    def per_guild(parameter: str, *, required: bool = True) -> np.ndarray:
        out = np.zeros((n, N_MIC))
        seen = set()
        for row in parameter_rows(parameter):
            if row.target in PATHOGENS and row.target != pathogen:
                continue
            if row.target in names or row.target == pathogen:
                out[:, guild_key(row.target)] = draw(row.value, row.sd_log, key=(parameter, row.target))
                seen.add(guild_key(row.target))
        missing = [MICROBES[i] for i in range(N_MIC) if i not in seen]
        if required and missing:
            raise SimulationError(f"parameter {parameter!r} missing for {', '.join(missing)}")
        return out

    eps, eps_positive, eps_enterococci = {}, {}, {}
    for drug in ANTIBIOTICS:
        arr = np.zeros((n, N_MIC))
        for row in parameter_rows("susceptibility"):
            d, _, g = row.target.partition(":")
            if d != drug or (g in PATHOGENS and g != pathogen):
                continue
            value = draw(row.value, row.sd_log, key=("susceptibility", row.target))
            if g == GRAM_POSITIVE_MEMBERS:
                eps_positive[drug] = value
            elif g == ENTEROCOCCI:
                eps_enterococci[drug] = value
            else:
                arr[:, guild_key(g)] = value
        eps[drug] = arr
    if unpaired := sorted(set(eps_enterococci) - set(eps_positive)):
        raise SimulationError(f"susceptibility rows '<drug>:{ENTEROCOCCI}' need a '<drug>:{GRAM_POSITIVE_MEMBERS}' "
                              f"row (the streptococci's): missing for {', '.join(unpaired)}")
    targets = _scalar_targets(pathogen)
    scalars = {name: draw(*lookup(name, targets[name]), fraction=name in FRACTIONS, key=(name, targets[name]))
               for name in SCALARS}
    # inflammation acts on the pathogen's growth and on the guilds' niches (inflammation_niche_response)
    inflammation = per_guild("inflammation_response", required=False)
    if not any(row.target == pathogen for row in parameter_rows("inflammation_response")):
        raise SimulationError(f"parameter 'inflammation_response' missing for {pathogen}")
    inflammation_niche = per_guild("inflammation_niche_response", required=False)[:, :N_GUILD]
    oxygen = per_guild("oxygen_response")
    growth = draw(*lookup("pathogen_growth", pathogen), key=("pathogen_growth", pathogen))
    # The pathogen's self-limitation: alone, at its fastest possible net growth (intrinsic rate,
    # the most inflamed host: effector at its ceiling (1 + theta)(1 + kappa), and no butyrate),
    # it fills at most the gut's carrying capacity, so no course of events takes it above.
    ceiling = np.log((1 + scalars["effector_saturation"]) * (1 + scalars["treg_suppression"]))
    fastest = growth + np.maximum(inflammation[:, _P], 0) * ceiling + np.maximum(oxygen[:, _P], 0)
    A[:, _P, _P] = -fastest / scalars["pathogen_capacity"]
    lps = per_guild("lps_potency")[0]
    return GutImmuneParameters(
        pathogen=pathogen,
        interactions=A,
        fibre_capacity=per_guild("fibre_capacity_response", required=False),
        inflammation=inflammation,
        oxygen=oxygen,
        inflammation_niche=inflammation_niche,
        immigration=per_guild("immigration", required=False),
        susceptibility=eps,
        susceptibility_gram_positive=eps_positive,
        susceptibility_enterococci=eps_enterococci,
        susceptibility_streptococci={drug: eps_positive[drug].copy() for drug in eps_enterococci},
        scalars=scalars,
        pathogen_growth=growth,
        butyrate_yield=per_guild("butyrate_yield", required=False)[0],
        tolerogenic=per_guild("tolerogenic_weight", required=False)[0],
        lps_potency=lps,
        lps_reference=float(reference @ lps),
        reference=reference,
        extinction_threshold=lookup("extinction_threshold", "microbes")[0],
    )


def _room(N: np.ndarray, inv_N0: np.ndarray) -> np.ndarray:
    """The share of the person's day-0 commensal load that is empty, ``(1 - N / N_0)_+``.

    A drug's positive term on a guild (the fitted mouse rows: clindamycin's and
    vancomycin's bloom of the facultative anaerobes) is competitive release,
    growth into the room the drug's victims leave; as a plain growth rate it
    let a guild that was most of a gut grow to 8.5 times the whole load
    (docs/simulation.md, "The release is bounded by the room the drug
    leaves").  Limited by room, it is nothing at day 0 and at most what the
    cleared guilds vacated."""
    return np.maximum(0.0, 1.0 - N * inv_N0)


def _release(room: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The part of a drug's competitive release that acts, ``room (1 + h) / (room + h)``, and its
    derivative in ``room``.

    All of it in an empty gut, none in a full one (``room`` of :func:`_room`); ``h``
    (``release_half_room``, assumed) sets how early it fades as the gut fills.  Proportional to the
    room (``h`` large) it slowed MDSINE2's vancomycin bloom, whose release was fitted while the mice's
    guts emptied, to 0.11 of the bacteria against the real 0.27 (docs/simulation.md)."""
    return room * (1 + h) / (room + h), (1 + h) * h / (room + h) ** 2


def _opened(g: np.ndarray, room: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The facultative guild's niche factor ``Q`` over its day-0 niche from the opening ``g`` the
    host offers (inflammation's ``(E / E_0)^psi`` times the oxygen niche), and ``dQ / dg``.

    A niche that closes (``g < 1``: butyrate or calm above day 0's) closes in full; one that opens
    opens only into the room the other guilds leave, ``Q = 1 + (g - 1) room``: host nitrate and
    oxygen feed a bloom, they do not add to the gut's room (with the opening unbounded, a guild
    that was most of a gut grew to twice the whole load; docs/simulation.md, "The release is
    bounded by the room the drug leaves")."""
    above = g > 1.0
    return np.where(above, 1.0 + (g - 1.0) * room, g), np.where(above, room, 1.0)


def _oxygen_gain(V: np.ndarray, oxygen: np.ndarray, niche_state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each guild's growth from the epithelial oxygen it respires beyond day 0's,
    ``(omega_g)_+ (O(B) - O(B_0))_+``, and whether it is positive (``(n, N_GUILD)`` each).

    The oxygen response ``omega_g O(B)`` is a growth rate; its rise after a course cleared the
    butyrate producers let the facultative guild of a gut that was mostly Enterobacteriaceae and
    streptococci grow to 1.31 times the whole day-0 load (docs/simulation.md, "Oxygen's growth is
    bounded by the room too").  Oxygen is a resource to the guilds that respire it (``omega > 0``):
    their rise is released as the gut has room (:func:`_release`).  The day-0 part, which the
    person's steady state holds, stays; so does oxygen's harm to the obligate anaerobes (``omega <
    0``), which is inhibition, not a resource, as inflammation's is (:meth:`GutImmuneModel._inflammation_niche`)."""
    gain = np.maximum(V[:, 2, :N_GUILD], 0.0) * (oxygen - niche_state[:, 1])[:, None]
    positive = gain > 0.0
    return np.where(positive, gain, 0.0), positive


def _logit(p: np.ndarray) -> np.ndarray:
    """Log-odds of a share in (0, 1] (a share of exactly 1 is held just below it, as SHARE_FLOOR holds 0 above)."""
    p = np.minimum(p, 1.0 - SHARE_FLOOR)
    return np.log(p) - np.log1p(-p)


def oxygen_signal(B: np.ndarray) -> np.ndarray:
    """Epithelial oxygenation from butyrate ``B`` (reference 1): 1 without butyrate, 0 at the
    reference, tending to -1 (colonocytes cannot consume more oxygen than they have)."""
    return (1 - B) / (1 + B)


def facultative_niche(B: np.ndarray, opening: np.ndarray, oxygen0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The facultative guild's niche over its day-0 niche, ``K_f(B) / K_0``, and its derivative in ``B``.

    The niche follows the epithelium's supply of respiratory electron acceptors
    (oxygen, nitrate), which a colonic epithelium starved of butyrate releases
    and one fed with it withholds (Byndloss 2017, doi:10.1126/science.aam9949;
    Rivera-Chavez 2016, doi:10.1016/j.chom.2016.03.004; Litvak 2017,
    doi:10.1016/j.mib.2017.07.003).  It opens with the share ``g`` of the
    oxygen still withheld at day 0 that the epithelium releases, in the model's
    own oxygen signal ``O(B)`` (0 at the reference butyrate, 1 with none)::

        K_f(B) = K_0 + (K_anoxic - K_0) g,   g = (O(B) - O(B_0))_+ / (1 - O(B_0))

    so ``K_f = K_0`` (the day-0 niche: day 0 stays an equilibrium) whenever
    butyrate is at or above its day-0 level, it closes again as butyrate
    returns, and it is ``K_anoxic`` with no butyrate.  :func:`calibrate` sets
    ``K_anoxic = K_0 + K_ref`` for a guild the person carries (the reference
    abundance, the niche an absent guild gets, opens on top of what the guild
    fills) and ``K_0 = K_ref`` for one they lack.  ``opening`` is
    ``K_anoxic / K_0 - 1`` (>= 0), ``oxygen0`` is ``O(B_0)``.
    """
    headroom = 1.0 - oxygen0
    released = oxygen_signal(B) - oxygen0
    g = np.maximum(released, 0.0) / headroom
    ratio = 1.0 + opening * g
    d_ratio = np.where(released > 0, opening * (-2.0 / (1.0 + B) ** 2) / headroom, 0.0)
    return ratio, d_ratio


def lps_load(params: GutImmuneParameters, x: np.ndarray, share: np.ndarray | float) -> np.ndarray:
    """Translocatable LPS ``G = sum_g lps_g x_g`` (not normalised) of microbes ``x`` (``(..., 7)``).

    The facultative guild's potency follows its make-up: its Gram-negative
    part ``(1 - s) x_f`` carries ``lps_f`` (its Gram-negative members' calls),
    its Gram-positive part ``s x_f`` carries ``lps_gram_positive``, with ``s``
    (``(...)``) the Gram-positive share now.  Until 2026-11-27 (third round)
    the guild kept its day-0 members' mean, so LPS did not rise while a course
    turned a guild of streptococci into Enterobacteriaceae.
    """
    lps = params.lps_potency.astype(x.dtype, copy=False)
    return x @ lps + x[..., _F] * share * (params.lps_gram_positive - lps[_F])


def _mucus_target(N: np.ndarray, K: np.ndarray) -> np.ndarray:
    """Mucus the commensal load ``N`` (reference 1) sustains: 1 at the reference, saturating."""
    return N * (1 + K) / (N + K)


def host_steady_state(params: GutImmuneParameters, x: np.ndarray, share: np.ndarray | float = 0.0) -> np.ndarray:
    """Host state ``(n, 7)`` in equilibrium with fixed microbes ``x`` (``(n, 7)``), no fibre change.

    ``share`` (``(n,)``): the facultative guild's Gram-positive share (:func:`lps_load`).

    Butyrate, Treg, mucus and immunity follow directly; barrier damage is the
    root of the barrier balance on [0, 1], found by bisection (see
    docs/simulation.md).
    """
    s = params.scalars
    ref = params.reference
    B = (x @ params.butyrate_yield) / (ref @ params.butyrate_yield) + HOST_FLOOR
    C = (x @ params.tolerogenic) / (ref @ params.tolerogenic)
    G = lps_load(params, x, share) / params.lps_reference
    beta = s["butyrate_treg_share"]
    R = beta * B + (1 - beta) * C + HOST_FLOOR
    kappa = s["treg_suppression"]
    h = (1 + kappa) / (1 + kappa * R)
    b0 = s["barrier_reference"]
    D0 = 1 - b0
    K = s["butyrate_barrier_half"]
    s0 = s["butyrate_independent_repair"]
    support = s0 + (1 - s0) * B * (1 + K) / (B + K)
    k_rep = s["barrier_repair"]
    k_dmg = k_rep * D0 / b0
    ell = s["lps_activation_share"]
    tonic = s["tonic_activation_share"]
    p = x[:, _P] / s["pathogen_scale"]
    theta = s["effector_saturation"]
    iota = s["pathogen_immunogenicity"] * p
    delta = s["pathogen_epithelial_damage"] * p
    M = _mucus_target(x[:, :N_GUILD].sum(axis=1), s["mucus_half_load"])
    mu = M ** -s["mucus_protection"]
    immunity = s["immunity_baseline"] + s["immunity_induction"] / s["immunity_waning"] * p / (1 + p)

    def effector(D: np.ndarray) -> np.ndarray:
        d = D / D0
        a = tonic + (1 - tonic) * (ell * (d * G * mu + HOST_FLOOR) + (1 - ell) * d) + iota
        return a * (1 + theta) / (a + theta) * h

    # barrier balance k_rep s(B) D = k_dmg (E(D) + delta) mu (1 - D): negative at D = 0
    # (or zero), positive at D = 1, so bisection on [0, 1] finds the steady state.
    lo = np.zeros_like(B)
    hi = np.ones_like(B)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        f = k_rep * support * mid - k_dmg * (effector(mid) + delta) * mu * (1 - mid)
        hi = np.where(f > 0, mid, hi)
        lo = np.where(f > 0, lo, mid)
    D = 0.5 * (lo + hi)
    d = D / D0
    L = d * G * mu + HOST_FLOOR
    E = effector(D)
    return np.stack([B, 1 - D, L, E, R, M, immunity], axis=1)


def calibrate(params: GutImmuneParameters, x0: np.ndarray) -> np.ndarray:
    """Set ``params.growth`` so ``x0`` (``(n, 7)``) is an equilibrium; return the full initial state ``(n, 20)``.

    Guilds at 0 in ``x0`` (absent from the profile) start at the detection
    limit, held there by immigration against a growth rate the person's
    community keeps negative.  Call once per parameter set (it also sets each
    guild's niche capacity: its own abundance where the person carries it, else
    the reference abundance; a carried facultative guild's niche opens from its
    own abundance by up to the reference abundance as butyrate is lost, see
    :func:`facultative_niche`).
    """
    if params.growth is not None:
        raise SimulationError("these parameters are already calibrated; load a fresh set")
    if params.niche_rule not in NICHE_RULES:
        raise SimulationError(f"unknown niche rule {params.niche_rule!r}; known: {', '.join(NICHE_RULES)}")
    n = params.n
    x0 = np.broadcast_to(np.asarray(x0, dtype=np.float64), (n, N_MIC)).copy()
    if np.any(x0 < 0) or not np.all(np.isfinite(x0)):
        raise SimulationError("initial guild abundances must be finite and >= 0")
    s = params.scalars
    floor = s["detection_limit"][:, None]
    guilds = x0[:, :N_GUILD].copy()
    x0[:, :N_GUILD] = np.where(guilds > 0, guilds, floor)
    ref = np.broadcast_to(params.reference, (n, N_MIC))
    # niche capacity a_ii = s / K_i: a guild the person has fills its own niche (K_i = its abundance,
    # so it relaxes back at rate s whatever its size); a guild the person lacks could fill the
    # reference niche once it gets in (K_i = reference abundance)
    capacity = np.where(guilds > 0, guilds, ref[:, :N_GUILD])
    if params.niche_rule == "floor":  # the sixth round's rule (a counterfactual): never below the reference
        capacity[:, _F] = np.maximum(capacity[:, _F], ref[:, _F])
    # (the facultative guild's niche opens from this one with the oxygen state: below)
    params.interactions[:, _G, _G] *= ref[:, :N_GUILD] / capacity
    share = np.zeros(n) if params.gram_positive_share is None else params.gram_positive_share
    # the guild's Gram-negative part starts at the detection limit at least, as an absent guild does:
    # a profile without Enterobacteriaceae may carry them below detection (they bloom under vancomycin)
    share = np.minimum(share, 1.0 - floor[:, 0] / x0[:, _F])
    share = np.clip(share, SHARE_FLOOR, 1.0)
    host = host_steady_state(params, x0, share)
    feedback = params.inflammation * np.log(host[:, [3]]) + params.oxygen * oxygen_signal(host[:, [0]])
    r = -(np.einsum("nij,nj->ni", params.interactions, x0) + feedback + params.immigration / x0.clip(min=1e-300))
    # the pathogen keeps its own intrinsic growth rate unless the person already carries it
    carried = r[:, _P] + s["pathogen_clearance"] * host[:, 6]
    r[:, _P] = np.where(x0[:, _P] > 0, carried, params.pathogen_growth)
    params.growth = r
    params.baseline = x0[:, :N_GUILD].copy()
    # the facultative guild's niche follows the oxygen/butyrate state (facultative_niche): its day-0 niche at
    # day 0's state, opening as butyrate is lost by up to the reference abundance, the niche an epithelium
    # without butyrate offers a facultative anaerobe that is not there (an absent guild's niche, which stays
    # that), on top of what the person's guild fills.  Until 2026-11-27 (seventh round) the niche was fixed at
    # max(own, K_ref) (sixth round), before that at the own abundance.
    anoxic = np.where((guilds[:, _F] > 0) & (params.niche_rule == "oxygen"), capacity[:, _F] + ref[:, _F], capacity[:, _F])
    params.facultative_niche_state = np.stack([anoxic / capacity[:, _F] - 1.0, oxygen_signal(host[:, 0])], axis=1)
    params.log_effector0 = np.log(host[:, 3])
    params.share0 = share.copy()
    return np.concatenate([x0, host, np.ones((n, N_GUILD)), share[:, None]], axis=1)


@dataclass
class Interventions:
    """What happens to the virtual people, in days from the start."""

    courses: Sequence[Course] = ()
    pulses: Sequence[Pulse] = ()
    fibre: float = 0.0  # relative change of fibre intake (0.3 = +30 %)
    breakpoints: Sequence[float] = field(default_factory=tuple)


class GutImmuneModel:
    """Vectorised right-hand side of the gut-immune model for ``n`` people."""

    def __init__(self, params: GutImmuneParameters, fibre: float = 0.0) -> None:
        if params.growth is None or params.baseline is None:
            raise SimulationError("calibrate() the parameters to a starting state first")
        if fibre <= -1:
            raise SimulationError("fibre change must be above -100%")
        self.params = params
        self.fibre = float(fibre)
        #: each drug's positive susceptibility terms (competitive release, :meth:`_drug_terms`), once
        self._susceptibility_positive = {drug: np.maximum(eps, 0.0) for drug, eps in params.susceptibility.items()}
        s = params.scalars
        ref = params.reference
        self.inv_P_ref = 1.0 / (ref @ params.butyrate_yield)
        self.inv_C_ref = 1.0 / (ref @ params.tolerogenic)
        self.inv_G_ref = 1.0 / params.lps_reference
        b0 = s["barrier_reference"]
        # fibre acts as a power law of intake, (1 + F)^response: ~1 + response F for small
        # changes and positive for any intake above zero
        log_fibre = np.log1p(self.fibre)
        cols = {
            "k_E": s["effector_decay"],
            "k_R": s["treg_decay"],
            "k_rep": s["barrier_repair"],
            "k_dmg": s["barrier_repair"] * (1 - b0) / b0,
            "inv_D0": 1.0 / (1 - b0),
            "K": s["butyrate_barrier_half"],
            "s0": s["butyrate_independent_repair"],
            "kappa": s["treg_suppression"],
            "ell": s["lps_activation_share"],
            "tonic": s["tonic_activation_share"],
            "theta": s["effector_saturation"],
            "beta": s["butyrate_treg_share"],
            "fib_B": np.exp(s["fibre_butyrate_response"] * log_fibre),
            "iota": s["pathogen_immunogenicity"] / s["pathogen_scale"],
            "delta": s["pathogen_epithelial_damage"] / s["pathogen_scale"],
            "k_M": s["mucus_renewal"],
            "K_M": s["mucus_half_load"],
            "zeta": s["mucus_protection"],
            "k_I": s["immunity_induction"],
            "k_W": s["immunity_waning"],
            "I_min": s["immunity_baseline"],
            "gamma": s["pathogen_clearance"],
            "inv_scale": 1.0 / s["pathogen_scale"],
            "lam": s["species_loss_rate"],
            "rho": s["species_return_rate"],
            "k_s": s["share_return_rate"],
            "h_rel": s["release_half_room"],
            # 1 / the person's day-0 commensal load: the room a drug's competitive release can fill
            "inv_N0": 1.0 / params.baseline.sum(axis=1),
        }
        self._col = {k: i for i, k in enumerate(cols)}
        self._S = np.stack([np.broadcast_to(np.asarray(cols[k], dtype=np.float64), (params.n,)) for k in cols], axis=1)
        self._shared_A = bool(np.all(params.interactions == params.interactions[:1]))
        diag = params.interactions[:, _G, _G]  # (n, 6) self-limitation at full capacity
        fibre_factor = np.exp(params.fibre_capacity[:, :N_GUILD] * log_fibre)
        # per-person vectors of the microbial rate, stacked so one gather serves them all:
        # growth, inflammation response, oxygen response, immigration (7 each); then per guild:
        # self-limitation, fibre capacity factor, 1 / (depletion share x baseline abundance), the niche's
        # exponent in effector activity
        self._V = np.stack([params.growth, params.inflammation, params.oxygen, params.immigration], axis=1)  # (n, 4, 7)
        depletion = s["species_loss_depletion"][:, None]
        niche_exponent = (np.zeros((params.n, N_GUILD)) if params.inflammation_niche is None
                          else params.inflammation_niche)
        self._W = np.stack([diag, fibre_factor, 1.0 / (depletion * params.baseline), niche_exponent], axis=1)  # (n, 4, 6)
        #: (n, 4) the facultative guild's niche opening and day-0 oxygen signal (facultative_niche), the
        #: day-0 log effector activity the guilds' niches are relative to, and the day-0 share's log-odds
        niche_state = (np.zeros((params.n, 2)) if params.facultative_niche_state is None
                       else params.facultative_niche_state)
        log_effector0 = np.zeros(params.n) if params.log_effector0 is None else params.log_effector0
        share0 = np.full(params.n, SHARE_FLOOR) if params.share0 is None else params.share0
        # the day-0 share as its log-odds, the form the share's return reads (a constant: not per call)
        self._niche_state = np.concatenate([niche_state, log_effector0[:, None], _logit(share0)[:, None]], axis=1)
        # Everything rhs() and jacobian() read per person, side by side in one (n, _PACK_WIDTH) array, so
        # the rows of a subset of people are one gather instead of one per array: the scalars (_S), _V,
        # _W, the niche state and constant parts of the right-hand side's terms (the same expressions
        # rhs() evaluated at every call before, so its results are unchanged to the last bit).
        S = self._S.T
        col = self._col
        derived = [1 + S[col["kappa"]], 1 + S[col["theta"]], 1 - S[col["tonic"]], 1 - S[col["ell"]],
                   1 - S[col["s0"]], 1 + S[col["K"]], 1 - S[col["beta"]], 1 + S[col["K_M"]],
                   S[col["k_W"]] * S[col["I_min"]], 1.0 - self._niche_state[:, 1]]
        self._pack = np.concatenate([self._S, self._V.reshape(params.n, -1), self._W.reshape(params.n, -1),
                                     self._niche_state, np.stack(derived, axis=1)], axis=1)

    def _take(self, arr: np.ndarray, rows: np.ndarray, full: bool) -> np.ndarray:
        return arr if full else arr[rows]

    def _drug_terms(self, rows: np.ndarray, full: bool, control: Mapping[str, float] | None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None] | None:
        """The drugs given, per row: ``D = sum_d eps_gd u_d`` and its positive terms
        ``P = sum_d (eps_gd)_+ u_d`` per microbe (``(m, 7)``), then for the facultative guild's two
        parts the split ``sum_d (eps+_d - eps_fd) u_d`` and its positive terms' difference
        ``sum_d ((eps+_d)_+ - (eps_fd)_+) u_d`` (both None when no drug given separates the parts:
        the share then returns towards day 0's); None when no drug is given.

        Each drug's positive term is a competitive release that acts only as far as the gut has room
        (:func:`_release`); it is scaled term by term, for each part of the facultative guild apart,
        so one drug's release never cancels another drug's killing (an outside audit: netted, a
        ciprofloxacin course given with vancomycin lost its killing of the Enterobacteriaceae)."""
        p = self.params
        drive = positive = split = split_positive = None
        for drug, u in (control or {}).items():
            if not u:
                continue
            eps = self._take(p.susceptibility[drug], rows, full)
            eps_pos = self._take(self._susceptibility_positive[drug], rows, full)
            drive = u * eps if drive is None else drive + u * eps
            positive = u * eps_pos if positive is None else positive + u * eps_pos
            if drug in p.susceptibility_gram_positive:
                plus = self._take(p.susceptibility_gram_positive[drug], rows, full)
                d_split = u * (plus - eps[:, _F])
                d_split_pos = u * (np.maximum(plus, 0.0) - eps_pos[:, _F])
                split = d_split if split is None else split + d_split
                split_positive = d_split_pos if split_positive is None else split_positive + d_split_pos
        if drive is None or positive is None:
            return None
        return drive, positive, split, split_positive

    def fast_host(self, x: np.ndarray, b: np.ndarray, mucus: np.ndarray, S: np.ndarray,
                  share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Butyrate and translocated LPS in quasi-steady state (see module docstring);
        ``share``: the facultative guild's Gram-positive share (:func:`lps_load`)."""
        B, L, _, _ = self._host_terms(x, b, mucus, S, share)
        return B, L

    def _host_terms(self, x: np.ndarray, b: np.ndarray, mucus: np.ndarray, S: np.ndarray,
                    share: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`fast_host`'s ``B`` and ``L`` with the barrier damage ``d = (1 - b) / (1 - b0)``
        and the mucus factor ``mu = M^-zeta`` they are made of (the right-hand side needs them again)."""
        p = self.params
        col = self._col
        # weights in the state's dtype: a float32 trajectory is not copied to float64 for a dot product
        B = (x @ p.butyrate_yield.astype(x.dtype, copy=False)) * self.inv_P_ref * S[..., col["fib_B"]] + HOST_FLOOR
        G = lps_load(p, x, share) * self.inv_G_ref
        d = (1 - b) * S[..., col["inv_D0"]]
        mu = mucus ** -S[..., col["zeta"]]
        L = d * G * mu + HOST_FLOOR
        return B, L, d, mu

    def _state(self, y: np.ndarray, rows: np.ndarray) -> tuple:
        """What :meth:`rhs` and :meth:`jacobian` read of the integrated (log) state ``y`` of ``rows``:
        whether ``rows`` is everyone, the state ``z``, the microbes ``x``, the rows' constants
        (``S``, ``V``, ``W``, the niche state and the derived columns ``const``: views of one gather
        of ``_pack``), the facultative guild's Gram-positive share, the fast host variables ``B``,
        ``L``, the barrier damage ``d = (1 - b) / (1 - b0)`` and the mucus factor ``mu = M^-zeta``.

        ``d`` and ``mu`` come with ``B`` and ``L`` (:meth:`_host_terms`), evaluated once."""
        full = rows.size == self.params.n
        m = rows.size
        z = np.exp(y)
        x = z[:, :N_MIC]
        P = self._take(self._pack, rows, full)
        ns = len(self._col)
        nv = ns + 4 * N_MIC + 4 * N_GUILD
        S = P[:, :ns]
        V = P[:, ns:ns + 4 * N_MIC].reshape(m, 4, N_MIC)
        W = P[:, ns + 4 * N_MIC:nv].reshape(m, 4, N_GUILD)
        niche_state = P[:, nv:nv + 4]
        const = P[:, nv + 4:]
        share = z[:, _IS]
        B, L, d, mu = self._host_terms(x, z[:, _IB], z[:, _IM], S, share)
        return full, z, x, S, V, W, niche_state, const, share, B, L, d, mu

    @staticmethod
    def _inflammation_niche(log_E: np.ndarray, W: np.ndarray, niche_state: np.ndarray) -> np.ndarray:
        """Each guild's niche factor from inflammation, ``(E / E_0)^psi_g`` (``(m, 6)``; 1 at day 0), from ``ln E``.

        Inflammation offers the facultative anaerobes a resource, host-derived
        nitrate to respire (Winter 2013, doi:10.1126/science.1232467), so it
        scales their niche, as fibre scales the fibre users', and the guild
        follows it in proportion to its size.  As a growth-rate term (until
        2026-11-29) a person calibrated in an inflamed state, whose
        inflammation then fell, lost more growth than self-limitation could
        give back: +30 % fibre took an inflamed profile's facultative guild
        from 56 % to 0.001 %.  The obligate anaerobes' suppression by
        inflammation (Lupp 2007) is inhibition, not a resource, and stays a
        growth-rate term (``inflammation_response``): it is negative, so a
        person's recovery from inflammation cannot drive it past extinction.
        """
        return np.exp(W[:, 3] * (log_E - niche_state[:, 2])[:, None])

    def rhs(self, y: np.ndarray, rows: np.ndarray, control: Mapping[str, float] | None) -> np.ndarray:
        """``d log(state) / dt`` of the integrated state (:data:`DYNAMIC`)."""
        p = self.params
        full, z, x, S, V, W, niche_state, const, share, B, L, d, mu = self._state(y, rows)
        b, E, R, M, imm, c = z[:, _IB], z[:, _IE], z[:, _IR], z[:, _IM], z[:, _II], z[:, _IC]
        (k_E, k_R, k_rep, k_dmg, inv_D0, K, s0, kappa, ell, tonic, theta, beta, fib_B, iota, delta,
         k_M, K_M, zeta, k_I, k_W, I_min, gamma, inv_scale, lam, rho, k_s, h_rel, inv_N0) = S.T
        one_kappa, one_theta, one_tonic, one_ell, one_s0, one_K, one_beta, one_KM, kW_Imin, headroom = const.T
        if self._shared_A:
            rate = x @ p.interactions[0].T
        else:
            rate = np.einsum("mij,mj->mi", self._take(p.interactions, rows, full), x)
        xg = x[:, :N_GUILD]
        log_E = np.log(E)
        N = xg.sum(axis=1)
        room = _room(N, inv_N0)
        # each guild's niche: its surviving species (c), fibre, and inflammation relative to day 0; the
        # facultative guild's opening (inflammation times the oxygen niche of facultative_niche(), without
        # its derivative, which only the Jacobian needs) fills at most the room the others leave
        phi = self._inflammation_niche(log_E, W, niche_state)
        oxygen = oxygen_signal(B)
        niche = 1.0 + niche_state[:, 0] * (np.maximum(oxygen - niche_state[:, 1], 0.0) / headroom)
        phi[:, _F] = _opened(phi[:, _F] * niche, room)[0]
        capacity = c * W[:, 1] * phi
        rate[:, :N_GUILD] += W[:, 0] * xg * (1.0 / capacity - 1.0)
        rate += V[:, 0]
        # the drugs: each term eps u, its positive ones (competitive release) acting as the gut has room,
        # term by term; the facultative guild's by its two parts (split: the Gram-positive part's extra
        # rate, what the share follows while a drug separates them)
        unreleased = 1.0 - _release(room, h_rel)[0]
        terms = self._drug_terms(rows, full, control)
        split = None
        if terms is not None:
            drive, positive, raw_split, split_positive = terms
            rate += drive
            rate[:, :N_GUILD] -= positive[:, :N_GUILD] * unreleased[:, None]
            if raw_split is not None and split_positive is not None:
                split = raw_split - split_positive * unreleased
                rate[:, _F] += share * split
        rate += V[:, 1] * log_E[:, None]
        rate += V[:, 2] * oxygen[:, None]
        # what oxygen beyond day 0's adds to a guild's growth acts as the gut has room, as a drug's release
        # does: respiration lets a guild take the room the others leave, it does not add to the gut's
        rate[:, :N_GUILD] -= _oxygen_gain(V, oxygen, niche_state)[0] * unreleased[:, None]
        rate[:, :N_GUILD] += V[:, 3, :N_GUILD] / xg
        rate[:, _P] -= gamma * imm
        out = np.empty_like(y)
        out[:, :N_MIC] = rate
        C = (x @ p.tolerogenic) * self.inv_C_ref
        path = x[:, _P]
        support = s0 + one_s0 * B * one_K / (B + K)
        h = one_kappa / (1 + kappa * R)
        one_b = 1 - b
        out[:, _IB] = k_rep * one_b * support / b - k_dmg * (E + delta * path) * mu
        act = tonic + one_tonic * (ell * L + one_ell * d) + iota * path
        out[:, _IE] = k_E * (act * one_theta / (act + theta) * h / E - 1)
        out[:, _IR] = k_R * ((beta * B + one_beta * C + HOST_FLOOR) / R - 1)
        out[:, _IM] = k_M * (N * one_KM / (N + K_M) / M - 1)
        pp = path * inv_scale
        out[:, _II] = (k_I * pp / (1 + pp) + kW_Imin) / imm - k_W
        deficit = np.maximum(0.0, 1.0 - xg * W[:, 2] / c)
        out[:, _IC] = rho[:, None] * (1.0 / c - 1.0) - lam[:, None] * deficit**2
        # d logit(s)/dt: while a drug separates the parts, its split (what it selects, the re-acquired
        # included); otherwise the log-odds return towards day 0's, as the part a course cleared is
        # re-acquired and regrows (share_return_rate)
        if split is None:
            out[:, _IS] = (1.0 - share) * k_s * (niche_state[:, 3] - _logit(share))
        else:
            out[:, _IS] = (1.0 - share) * split
        return out

    def jacobian(self, y: np.ndarray, rows: np.ndarray, control: Mapping[str, float] | None) -> np.ndarray:
        """``d rhs / d y`` (``(m, 19, 19)``) of :meth:`rhs`, analytic (for the Rosenbrock steps).

        Columns are derivatives with respect to log-states, so a microbe's
        column carries its density ``x_h`` (``d/d ln x_h = x_h d/d x_h``).  The
        antibiotic input is constant within a segment; it appears where the
        facultative guild's Gram-positive share enters and through the release's room.
        """
        p = self.params
        m = y.shape[0]
        full, z, x, S, V, W, niche_state, _, share, B, L, _, mu = self._state(y, rows)
        b, E, R, M, imm, c = z[:, _IB], z[:, _IE], z[:, _IR], z[:, _IM], z[:, _II], z[:, _IC]
        (k_E, k_R, k_rep, k_dmg, inv_D0, K, s0, kappa, ell, tonic, theta, beta, fib_B, iota, delta,
         k_M, K_M, zeta, k_I, k_W, I_min, gamma, inv_scale, lam, rho, k_s, h_rel, inv_N0) = S.T
        xg = x[:, :N_GUILD]
        path = x[:, _P]
        jac = np.zeros((m, len(DYNAMIC), len(DYNAMIC)))
        # d B / d ln x_h, d G / d ln x_h (G: translocatable LPS, the facultative guild's potency by its
        # make-up), d G / d ln s, d C / d ln x_h
        dB = x * p.butyrate_yield * (self.inv_P_ref * fib_B)[:, None]
        G = lps_load(p, x, share) * self.inv_G_ref
        dG = x * p.lps_potency * self.inv_G_ref
        dG_share = x[:, _F] * share * (p.lps_gram_positive - p.lps_potency[_F]) * self.inv_G_ref
        dG[:, _F] += dG_share
        dC = x * p.tolerogenic * self.inv_C_ref
        # microbes: rate_g = r_g + sum_h a_gh x_h + a_gg x_g (1/(c_g F_g) - 1) + ... + m_g / x_g
        A = p.interactions[0][None] if self._shared_A else self._take(p.interactions, rows, full)
        # d O(B) / d ln x_h = -2 / (1 + B)^2 dB_h: the oxygen response's, and below its gain's
        d_oxygen = -(2 / (1 + B) ** 2)[:, None] * dB
        jac[:, :N_MIC, :N_MIC] = A * x[:, None, :] + V[:, 2, :, None] * d_oxygen[:, None, :]
        N = xg.sum(axis=1)
        room = _room(N, inv_N0)
        # d room / d ln x_h = -x_h / N_0 while the gut has room (0 when it is full)
        d_room = np.where(room > 0.0, -inv_N0, 0.0)[:, None] * xg
        phi = self._inflammation_niche(np.log(E), W, niche_state)
        # the facultative guild's niche: Q = opened(g, room), g = phi_f ratio(B) (rhs)
        ratio, d_ratio = facultative_niche(B, niche_state[:, 0], niche_state[:, 1])
        g = phi[:, _F] * ratio
        Q, dQ_dg = _opened(g, room)
        niche = phi.copy()
        niche[:, _F] = Q
        self_term = W[:, 0] * xg / (c * W[:, 1] * niche)
        jac[:, _G, _G] += self_term - W[:, 0] * xg - V[:, 3, :N_GUILD] / xg
        jac[:, _G, _IC] = -self_term
        # through Q: d rate_f / d ln y = -self_term_f (dQ / d ln y) / Q
        q_f = self_term[:, _F] / Q
        jac[:, _F, :N_MIC] -= (q_f * dQ_dg * phi[:, _F] * d_ratio)[:, None] * dB
        jac[:, _F, :N_GUILD] -= (q_f * np.maximum(g - 1.0, 0.0))[:, None] * d_room
        # effector: the pathogen's growth term, and each guild's niche (E / E_0)^psi in its self-limitation
        jac[:, :N_MIC, _IE] = V[:, 1]
        jac[:, _G, _IE] -= W[:, 3] * self_term
        jac[:, _F, _IE] += W[:, 3, _F] * self_term[:, _F] - q_f * dQ_dg * W[:, 3, _F] * g
        jac[:, _P, _II] = -gamma * imm
        # barrier: f_b = k_rep (1 - b) s(B) / b - k_dmg (E + delta p) mu(M)
        support = s0 + (1 - s0) * B * (1 + K) / (B + K)
        d_support = (1 - s0) * (1 + K) * K / (B + K) ** 2
        jac[:, _IB, :N_MIC] = (k_rep * (1 - b) / b * d_support)[:, None] * dB
        jac[:, _IB, _P] -= k_dmg * delta * path * mu
        jac[:, _IB, _IB] = -k_rep * support / b
        jac[:, _IB, _IE] = -k_dmg * E * mu
        jac[:, _IB, _IM] = k_dmg * (E + delta * path) * zeta * mu
        # effector: f_E = k_E (sat(act) h(R) / E - 1)
        d = (1 - b) * inv_D0
        act = tonic + (1 - tonic) * (ell * L + (1 - ell) * d) + iota * path
        sat = act * (1 + theta) / (act + theta)
        d_sat = (1 + theta) * theta / (act + theta) ** 2
        h = (1 + kappa) / (1 + kappa * R)
        common = k_E * h / E * d_sat
        jac[:, _IE, :N_MIC] = (common * (1 - tonic) * ell * (1 - b) * inv_D0 * mu)[:, None] * dG
        jac[:, _IE, _IS] = common * (1 - tonic) * ell * (1 - b) * inv_D0 * mu * dG_share
        jac[:, _IE, _P] += common * iota * path
        jac[:, _IE, _IB] = common * (1 - tonic) * (-inv_D0 * b) * (ell * G * mu + (1 - ell))
        jac[:, _IE, _IM] = common * (1 - tonic) * ell * (L - HOST_FLOOR) * -zeta
        jac[:, _IE, _IE] = -k_E * sat * h / E
        jac[:, _IE, _IR] = -k_E * sat / E * kappa * (1 + kappa) * R / (1 + kappa * R) ** 2
        # Treg: f_R = k_R ((beta B + (1 - beta) C + floor) / R - 1)
        target = beta * B + (1 - beta) * (x @ p.tolerogenic) * self.inv_C_ref + HOST_FLOOR
        jac[:, _IR, :N_MIC] = (k_R / R)[:, None] * (beta[:, None] * dB + (1 - beta)[:, None] * dC)
        jac[:, _IR, _IR] = -k_R * target / R
        # mucus: f_M = k_M (T(N) / M - 1)
        jac[:, _IM, :N_GUILD] = (k_M / M * (1 + K_M) * K_M / (N + K_M) ** 2)[:, None] * xg
        jac[:, _IM, _IM] = -k_M * _mucus_target(N, K_M) / M
        # immunity: f_I = (k_I s(p) + k_W I_min) / I - k_W,  s(p) = p / (1 + p)
        pp = path * inv_scale
        jac[:, _II, _P] = k_I * pp / (1 + pp) ** 2 / imm
        jac[:, _II, _II] = -(k_I * pp / (1 + pp) + k_W * I_min) / imm
        # capacity: f_c = rho (1/c - 1) - lam (1 - q)_+^2,  q = x_g / (theta c_g baseline)
        q = xg * W[:, 2] / c
        loss = 2 * lam[:, None] * np.maximum(0.0, 1 - q) * q
        jac[:, _IC, _IC] = -rho[:, None] / c - loss
        jac[:, _IC, _G] = loss
        # the facultative guild's Gram-positive share s: rate_f += s D, f_s = (1 - s) D, D = sum (eps+ - eps) u
        # the release: rate_g = ... + D_g - P_g (1 - rel(room)) (+ s split for f), split = S - S+ (1 - rel),
        # room = (1 - N / N_0)_+; f_s = (1 - s) split while a drug separates the parts
        release, d_release = _release(room, h_rel)
        d_rel = d_release[:, None] * d_room  # d rel / d ln x_h over the guilds
        # oxygen's gain beyond day 0: rate_g -= gain_g+ (1 - rel), gain_g = omega_g (O(B) - O(B_0))
        gain, gaining = _oxygen_gain(V, oxygen_signal(B), niche_state)
        jac[:, :N_GUILD, :N_MIC] -= (np.where(gaining, V[:, 2, :N_GUILD], 0.0) * (1.0 - release)[:, None])[
            :, :, None] * d_oxygen[:, None, :]
        jac[:, :N_GUILD, :N_GUILD] += gain[:, :, None] * d_rel[:, None, :]
        terms = self._drug_terms(rows, full, control)
        separated = False
        if terms is not None:
            _, positive, raw_split, split_positive = terms
            jac[:, :N_GUILD, :N_GUILD] += positive[:, :N_GUILD, None] * d_rel[:, None, :]
            if raw_split is not None and split_positive is not None:
                separated = True
                split = raw_split - split_positive * (1.0 - release)
                jac[:, _F, :N_GUILD] += (share * split_positive)[:, None] * d_rel
                jac[:, _F, _IS] = share * split
                jac[:, _IS, :N_GUILD] += ((1.0 - share) * split_positive)[:, None] * d_rel
                jac[:, _IS, _IS] = -share * split
        if not separated:  # f_s = (1 - s) k_s (logit s_0 - logit s): d/d ln s = -s k_s (logit s_0 - logit s) - k_s
            jac[:, _IS, _IS] = -share * k_s * (niche_state[:, 3] - _logit(share)) - k_s
        return jac

    def run(
        self,
        state0: np.ndarray,
        days: float,
        *,
        courses: Sequence[Course] = (),
        pulses: Sequence[Pulse] = (),
        t_eval: Sequence[float] | np.ndarray | None = None,
        atol: float = 1e-6,
        out_dtype: type = np.float64,
        stats: IntegrationStats | None = None,
        chunk: int = 5000,
        method: str = "auto",
    ) -> tuple[np.ndarray, np.ndarray]:
        """Integrate all people; returns ``(times, states)`` with states ``(n, times, 20)``.

        People are integrated in vectorised batches of ``chunk`` rows (5,000 was
        fastest on benchmarks/bench_simulate.py: smaller batches repeat the
        per-iteration overhead while the slowest people finish, larger ones leave
        the cache).  ``method``: ``"auto"`` (per person DOPRI5 or ROS4 with the
        analytic :meth:`jacobian`, dense output), ``"dopri5"`` or ``"ros4"``; see
        :func:`~.integrate.integrate_log`.
        """
        n = self.params.n
        if n > chunk:
            state0 = np.atleast_2d(np.asarray(state0, dtype=np.float64))
            parts = []
            for start in range(0, n, chunk):
                rows = slice(start, min(start + chunk, n))
                sub = GutImmuneModel(self.params.take(rows), fibre=self.fibre)
                sub_pulses = [
                    Pulse(pl.time, np.asarray(pl.amount)[rows] if np.ndim(pl.amount) == 2 else pl.amount) for pl in pulses
                ]
                times, states = sub.run(state0[rows], days, courses=courses, pulses=sub_pulses, t_eval=t_eval,
                                        atol=atol, out_dtype=out_dtype, stats=stats, chunk=chunk, method=method)
                parts.append(states)
            return times, np.concatenate(parts, axis=0)
        for course in courses:
            if course.drug not in self.params.susceptibility:
                raise SimulationError(f"unknown antibiotic {course.drug!r}; known: {', '.join(ANTIBIOTICS)}")
        times = np.arange(0.0, days + 1e-9, 1.0) if t_eval is None else np.asarray(t_eval, dtype=np.float64)
        if times[-1] < days:
            times = np.append(times, days)

        def control(t: float) -> dict[str, float]:
            signal: dict[str, float] = {}
            for c in courses:
                signal[c.drug] = signal.get(c.drug, 0.0) + c.signal(t)
            return signal

        state0 = np.atleast_2d(np.asarray(state0, dtype=np.float64))
        if state0.shape != (self.params.n, len(STATE)):
            raise SimulationError(f"initial state must be ({self.params.n}, {len(STATE)})")
        # only what nobody re-seeds can go extinct: the pathogen (and a guild without immigration)
        extinct = np.zeros(len(DYNAMIC), dtype=bool)
        extinct[:N_MIC] = np.all(self.params.immigration == 0, axis=0)
        pulses = [Pulse(pl.time, self._pulse_amount(pl.amount)) for pl in pulses]
        dyn = integrate_log(
            self.rhs,
            to_log(state0[:, DYNAMIC_INDEX]),
            times,
            control=control,
            breakpoints=[b for c in courses for b in (c.start, c.end)],
            pulses=pulses,
            extinct_log=float(np.log(self.params.extinction_threshold)),
            extinct_components=extinct,
            atol=atol,
            out_dtype=out_dtype,
            stats=stats,
            method=method,
            jacobian=getattr(self, "jacobian", None) if method != "dopri5" else None,
            diagonal_from=_DIAGONAL_FROM,
        )
        states = np.empty((*dyn.shape[:2], len(STATE)), dtype=out_dtype)
        # DYNAMIC_INDEX as three slices (the same copy; fancy indexing of the last axis is slower)
        states[..., :N_MIC] = dyn[..., :N_MIC]
        states[..., STATE.index("barrier")] = dyn[..., _IB]
        states[..., STATE.index("effector"):] = dyn[..., _IE:]
        B, L = self.fast_host(dyn[..., :N_MIC], dyn[..., _IB], dyn[..., _IM], self._S[:, None, :], dyn[..., _IS])
        states[..., STATE.index("butyrate")] = B
        states[..., STATE.index("lps")] = L
        return times, states

    @staticmethod
    def _pulse_amount(amount: np.ndarray) -> np.ndarray:
        """A pulse over the microbes (7) or the full state (20) -> over the integrated state."""
        amount = np.asarray(amount, dtype=np.float64)
        if amount.shape[-1] == N_MIC:
            pad = np.zeros((*amount.shape[:-1], len(DYNAMIC) - N_MIC))
            return np.concatenate([amount, pad], axis=-1)
        if amount.shape[-1] == len(STATE):
            if np.any(amount[..., N_MIC:] != 0):
                raise SimulationError("inoculations can only add microbes")
            return amount[..., DYNAMIC_INDEX]
        raise SimulationError("an inoculation needs one amount per microbial guild")

    def derivative(self, state: np.ndarray, control: Mapping[str, float] | None = None) -> np.ndarray:
        """Linear-space ``d/dt`` of the integrated state (:data:`DYNAMIC`) for all people (reference solvers)."""
        state = np.atleast_2d(state)
        with np.errstate(divide="ignore"):
            y = np.log(state)
        dlog = self.rhs(y, np.arange(state.shape[0]), control)
        return state * dlog
