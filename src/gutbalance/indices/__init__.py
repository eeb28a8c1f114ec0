"""Published indices and community statistics: pure functions of a Cohort."""

from .diversity import alpha_diversity, species_matrix

__all__ = ["alpha_diversity", "species_matrix"]
