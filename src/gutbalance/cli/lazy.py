"""Functions a command calls, imported when called rather than when the command line starts.

``gutbalance --help`` imports no command module (:mod:`gutbalance.cli`
lists them); ``gutbalance analyze --help`` imports the analyze module to show
its options, and so whatever that module imports.  The HTML reports (Jinja,
``scipy.stats``), the simulator (scikit-learn) and model fitting take seconds
to import and are needed only when a command runs, so a command module names
them by dotted path (``lazy("gutbalance.report:write_reports")``) and they are
imported on the first call.  The targets are modules below ``cli`` in the
layer table of ``docs/architecture.md``; ``tests/cli/test_help.py`` checks
that each one resolves.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


class LazyFunction:
    """A function of the package named ``"module:attribute"``, imported on its first call."""

    def __init__(self, target: str) -> None:
        module, _, attribute = target.partition(":")
        if not module or not attribute:
            raise ValueError(f"lazy target {target!r} is not 'module:attribute'")
        self.target = target
        self._function: Callable[..., Any] | None = None

    def resolve(self) -> Callable[..., Any]:
        """The function itself (its module imported now if not yet)."""
        if self._function is None:
            module, _, attribute = self.target.partition(":")
            self._function = getattr(importlib.import_module(module), attribute)
        return self._function

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the function, importing its module on the first call."""
        return self.resolve()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"lazy({self.target!r})"


#: Every lazy function of the command modules (tests/cli/test_help.py resolves each).
REGISTERED: list[LazyFunction] = []


def lazy(target: str) -> LazyFunction:
    """The function ``target`` (``"gutbalance.report:write_reports"``), imported when first called."""
    function = LazyFunction(target)
    REGISTERED.append(function)
    return function
