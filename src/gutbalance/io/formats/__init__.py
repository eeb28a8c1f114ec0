"""Built-in formats; importing this package registers them all."""

from . import (
    cami,  # noqa: F401
    kraken,  # noqa: F401
    metaphlan,  # noqa: F401
)
