"""The gutbalance web app: accounts, a sample store and reports in the browser.

Start it with ``gutbalance serve`` or build it with :func:`create_app`.
Needs the ``web`` extra (``pip install ".[web]"`` in the source folder).
"""

from __future__ import annotations

from .app import create_app
from .core.config import Settings, load_settings

__all__ = ["Settings", "create_app", "load_settings"]
