"""Published indices and community statistics: pure functions of a Cohort,
vectorised over the sparse samples x taxa matrix (no per-sample loop).

* :mod:`.diversity`: richness, Shannon, Simpson, inverse Simpson, Pielou
  evenness, Chao1 (scikit-bio definitions);
* :mod:`.gmhi`: Gut Microbiome Health Index (Gupta et al. 2020);
* :mod:`.gmwi2`: Gut Microbiome Wellness Index 2 (Chang, Gupta et al. 2024);
* :mod:`.ratios`: Firmicutes/Bacteroidetes and Prevotella/Bacteroides log2 ratios;
* :mod:`.dysbiosis`: Bray-Curtis dissimilarity from a healthy reference.

See docs/indices.md for the methods, choices and citations.

A sample of two species at 50 % each, one health-prevalent and one
health-scarce GMHI marker:

>>> from gutbalance import SampleProfile, build_cohort
>>> from gutbalance.indices import alpha_diversity, gmhi
>>> from gutbalance.taxonomy import parse_lineage
>>> species = [parse_lineage("s__Bifidobacterium_adolescentis"), parse_lineage("s__Eggerthella_lenta")]
>>> cohort = build_cohort([SampleProfile("a", species, [0.5, 0.5])])
>>> alpha_diversity(cohort).loc["a", ["richness", "shannon", "simpson"]].round(4).tolist()  # Shannon = ln 2
[2.0, 0.6931, 0.5]

GMHI is log10 of psi_MH / psi_MN, each psi the marker richness over the
published R' (7 and 31) times the markers' Shannon term (here 0.5 ln 2 each),
so log10(31 / 7) up to the pseudocount of 1e-5:

>>> round(float(gmhi(cohort)["a"]), 4)
0.646
"""

from .diversity import alpha_diversity, chao1, species_matrix
from .dysbiosis import dysbiosis, healthy_reference
from .gmhi import gmhi, gmhi_contributions, gmhi_table
from .gmwi2 import gmwi2, gmwi2_contributions, gmwi2_table
from .ratios import log2_ratios

__all__ = [
    "alpha_diversity",
    "chao1",
    "dysbiosis",
    "gmhi",
    "gmhi_contributions",
    "gmhi_table",
    "gmwi2",
    "gmwi2_contributions",
    "gmwi2_table",
    "healthy_reference",
    "log2_ratios",
    "species_matrix",
]
