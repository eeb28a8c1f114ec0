"""Functions named by dotted path and imported on their first call (a leaf: anything may import it).

Some functions are needed only when they run and take long to import:
the HTML reports (Jinja, ``scipy.stats``), the simulator and model fitting
(scikit-learn), the BIOM library with h5py.  A module that offers such a
function without paying for its import names it by dotted path,
``lazy("gutbalance.report:write_reports")``, and the target's module is
imported on the first call.  Three uses, documented in docs/architecture.md
("Layers"):

- the command modules (``gutbalance analyze --help`` loads no report or
  simulator);
- :data:`gutbalance.simulate.fit_model` (fitting loads scikit-learn, which
  simulating, forecasting and loading a fitted model do not need);
- the BIOM and QIIME 2 formats of :mod:`gutbalance.io` (a MetaPhlAn run never
  loads biom-format or h5py).

The targets are modules of the package; ``tests/test_layers.py`` counts a
``lazy("module:attribute")`` as an import of ``module`` (so it only looks
down the layers) and ``tests/test_lazy.py`` resolves every one of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


class LazyFunction:
    """A function of the package named ``"module:attribute"``, imported on its first call."""

    def __init__(self, target: str, doc: str | None = None) -> None:
        module, _, attribute = target.partition(":")
        if not module or not attribute:
            raise ValueError(f"lazy target {target!r} is not 'module:attribute'")
        self.target = target
        self.__doc__ = doc or f"``{module}.{attribute}``, imported on its first call."
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


#: Every lazy function made so far (tests/test_lazy.py resolves each).
REGISTERED: list[LazyFunction] = []


def lazy(target: str, doc: str | None = None) -> LazyFunction:
    """The function ``target`` (``"gutbalance.report:write_reports"``), imported when first called.

    ``doc`` is its docstring until then (default: the dotted name).
    """
    function = LazyFunction(target, doc)
    REGISTERED.append(function)
    return function
