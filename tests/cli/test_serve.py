"""``gutbalance serve`` and ``analyze --dask`` without their extras: one line
that says which extra and how to install it from the source folder."""

from __future__ import annotations

import sys

from click.testing import CliRunner

from gutbalance.cli import main
from tests.helpers import write_metaphlan


def test_serve_without_the_web_extra_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if uvicorn were not installed
    result = CliRunner().invoke(main, ["serve", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.startswith("gutbalance: error: the web app needs the 'web' extra (")
    assert "pip install \".[web]\" in gutbalance's source folder" in result.output


def test_dask_without_its_extra_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    profile = write_metaphlan(tmp_path / "S1_metaphlan.txt")
    result = CliRunner().invoke(main, ["analyze", str(profile), "-o", str(tmp_path / "out"), "--dask", "local"])
    assert result.exit_code == 2
    assert "gutbalance: error: Dask is not installed: pip install \".[dask]\" in gutbalance's source folder" in (
        result.output
    )
