"""Built-in formats; importing this package registers them all."""

from . import metaphlan  # noqa: F401
