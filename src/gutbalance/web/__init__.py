"""The gutbalance web app: accounts, a sample store and reports in the browser.

Start it with ``gutbalance serve`` or build it with :func:`create_app`.
Needs the ``web`` extra (``pip install ".[web]"`` in the source folder).

The app is imported on first use of these names (PEP 562), so that a light
part such as :mod:`gutbalance.web.forkserver` can be imported, and the
scoring workers' fork server started, before the app's seconds of imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .core.config import Settings, load_settings

__all__ = ["Settings", "create_app", "load_settings"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    if name in ("Settings", "load_settings"):
        from .core import config

        return getattr(config, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
