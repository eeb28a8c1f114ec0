"""The installed version of gutbalance, from the package metadata (a leaf module: anything may import it)."""

from importlib.metadata import version

__version__ = version("gutbalance")
