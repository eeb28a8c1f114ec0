"""Built-in formats; importing this package registers them all."""

from . import (
    biom,  # noqa: F401
    cami,  # noqa: F401
    ganon,  # noqa: F401
    gmwi2_tool,  # noqa: F401
    h5ad,  # noqa: F401
    kaiju,  # noqa: F401
    kmcp,  # noqa: F401
    kraken,  # noqa: F401
    kraken_mpa,  # noqa: F401
    lfs_pointer,  # noqa: F401
    lineage_fraction,  # noqa: F401
    metaphlan,  # noqa: F401
    motus,  # noqa: F401
    qza,  # noqa: F401
    singlem,  # noqa: F401
    table,  # noqa: F401
)
