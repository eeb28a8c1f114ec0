"""The cohort page's note on profilers: judged by profiler family, as each
sample page's note is (MetaPhlAn 3 profiles against the MetaPhlAn 2
population are one profiler; the version caveat is in the warnings)."""

from __future__ import annotations

from click.testing import CliRunner

from gutbalance.cli import main

NOTE = "were made with a different profiler from the healthy reference"


def _cohort_page(tmp_path, *args) -> str:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["analyze", *args, "-o", str(out), "--no-figures", "-j", "1"])
    assert result.exit_code == 0, result.output
    return (out / "report.html").read_text(encoding="utf-8")


def test_metaphlan3_profiles_are_not_called_another_profiler_than_metaphlan2(tmp_path):
    # The built-in example is MetaPhlAn 3: the page said "These profiles (metaphlan) were made
    # with a different profiler from the healthy reference (MetaPhlAn 2)", which no sample page said.
    assert NOTE not in _cohort_page(tmp_path, "--example")
