"""Published indices and community statistics: pure functions of a Cohort,
vectorised over the sparse samples x taxa matrix (no per-sample loop).

* :mod:`.diversity`: richness, Shannon, Simpson, inverse Simpson, Pielou
  evenness, Chao1 (scikit-bio definitions);
* :mod:`.gmhi`: Gut Microbiome Health Index (Gupta et al. 2020);
* :mod:`.gmwi2`: Gut Microbiome Wellness Index 2 (Chang, Gupta et al. 2024);
* :mod:`.ratios`: Firmicutes/Bacteroidetes and Prevotella/Bacteroides log2 ratios;
* :mod:`.dysbiosis`: Bray-Curtis dissimilarity from a healthy reference.

See docs/indices.md for the methods, choices and citations.
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
