"""Functions named by dotted path (gutbalance/lazy.py): every one resolves, and
what they defer is really not loaded by the imports that must stay light."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from gutbalance.lazy import REGISTERED, LazyFunction, lazy

from .test_layers import all_imports


def test_every_dotted_name_in_the_package_resolves_to_a_callable():
    # a dotted name is imported only when its function first runs: a typo must fail here, not for a user
    users = {imp.module for imp in all_imports() if imp.deferred}
    assert {"gutbalance.io.formats.biom", "gutbalance.simulate", "gutbalance.cli.analyze"} <= users
    for module in users:
        importlib.import_module(module)
    assert REGISTERED
    for function in REGISTERED:
        assert callable(function.resolve()), function


def test_a_lazy_function_imports_on_first_call_and_keeps_a_docstring():
    function = lazy("json:dumps", "JSON text of a value.")
    assert function.__doc__ == "JSON text of a value."
    assert function([1, 2]) == "[1, 2]"
    assert repr(function) == "lazy('json:dumps')"
    with pytest.raises(ValueError, match="module:attribute"):
        LazyFunction("json.dumps")


def _loaded(code: str, modules: tuple[str, ...]) -> list[str]:
    probe = f"import sys\n{code}\nprint(sorted(m for m in {modules!r} if m in sys.modules))\n"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return eval(out.strip().splitlines()[-1])  # a list of module names printed by the probe


def test_importing_the_package_and_the_pipeline_loads_no_biom_or_hdf5():
    # BIOM/QIIME 2 and .h5ad need them; a MetaPhlAn run does not (issue 13: not slower)
    assert _loaded("import gutbalance, gutbalance.pipeline", ("biom", "h5py", "anndata", "sklearn")) == []


def test_simulating_and_loading_a_model_load_no_scikit_learn():
    code = (
        "from gutbalance.simulate import Scenario, load_model, forecast_model, simulate\n"
        "simulate(scenario=Scenario(days=5))\n"
    )
    assert _loaded(code, ("sklearn", "scipy.optimize", "scipy.integrate", "biom", "h5py")) == []


def test_reading_a_biom_table_loads_the_library_on_first_use(tmp_path):
    code = (
        "import gutbalance\n"
        "from gutbalance.example import example_path\n"
        "cohort = gutbalance.read(example_path())\n"
        f"gutbalance.write(cohort, {str(tmp_path / 'x.biom')!r})\n"
        f"back = gutbalance.read({str(tmp_path / 'x.biom')!r})\n"
        "assert back.n_samples == cohort.n_samples\n"
    )
    assert _loaded(code, ("biom", "h5py")) == ["biom", "h5py"]
