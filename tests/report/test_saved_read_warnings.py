"""``gutbalance report DIR`` shows on each sample page what reading its file
warned of, as ``analyze`` did: the folder keeps the warnings by sample
(``read_warnings.json``), since ``problems.tsv`` names a warning's file but
not the sample a total's warning is of. Before, the re-rendered pages had none."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from gutbalance.cli import main
from gutbalance.errors import FormatError
from gutbalance.report.files import READ_WARNINGS_FILE, rerender
from tests.web.test_read_warnings import FRACTIONS_WARNING, KEFIR, as_fractions

SECOND = "profiles/kefir_metaphlan3/Subj001_time2_S2_metaphlan3.txt"


def _run(*args) -> None:
    done = CliRunner().invoke(main, [str(a) for a in args])
    assert done.exit_code == 0, done.output


def _warnings_section(page: str) -> str:
    block = re.search(r'<section class="notice read-warnings".*?</section>', page, re.S)
    return block.group(0) if block else ""


def test_report_dir_pages_show_the_read_warnings_analyze_showed(shared_data, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    # a real MetaPhlAn profile saved as fractions (a spreadsheet round trip): a warning
    # of that sample alone, which problems.tsv does not tie to a sample
    (folder / "fractions.txt").write_text(as_fractions((shared_data / KEFIR).read_text()))
    (folder / "clean.txt").write_text((shared_data / SECOND).read_text())
    out = tmp_path / "out"
    _run("analyze", folder, "-o", out, "--reports", "all", "-j", "1", "--no-contributions")
    pages = {p.name: p.read_text() for p in (out / "samples").glob("*.html")}
    assert FRACTIONS_WARNING in _warnings_section(pages["fractions.html"])
    assert _warnings_section(pages["clean.html"]) == ""

    _run("report", out, "--no-figures")
    again = {p.name: p.read_text() for p in (out / "samples").glob("*.html")}
    assert again.keys() == pages.keys()
    for name, page in pages.items():
        assert _warnings_section(again[name]) == _warnings_section(page), name
    saved = json.loads((out / READ_WARNINGS_FILE).read_text())
    assert list(saved) == ["fractions"]
    assert saved["fractions"][0].startswith("fractions.txt: sample 'fractions': " + FRACTIONS_WARNING)


def test_a_damaged_warnings_file_is_named_with_its_problem(shared_data, tmp_path):
    out = tmp_path / "out"
    _run("analyze", shared_data / KEFIR, "-o", out, "--reports", "all", "-j", "1", "--no-contributions")
    (out / READ_WARNINGS_FILE).write_text('{"S1": "not a list"}')
    with pytest.raises(FormatError, match="read_warnings.json.*'S1': the read warnings are not a list of texts"):
        rerender(out, figures=False)
