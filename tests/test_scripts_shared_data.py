"""Every script (and benchmark) finds the shared data one way (``scripts/shared_data.py``).

Another lab, or a git worktree one folder deeper than the checkout the data
sits beside, points all of ``scripts/*.py`` at its copy with
``GUTBALANCE_SHARED_DATA``; a script with a path of its own would read
``../shared/data`` whatever the variable says.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import SCRIPTS, import_script

shared_data = import_script("shared_data")

#: What a script that reads the shared data says in its code.
MENTIONS = re.compile(r'/ "shared"|"shared" /|GUTBALANCE_SHARED_DATA|"--shared"|\bSHARED\b|args\.shared'
                      r"|\b(shared_data|require_shared|add_shared_argument)\(")
#: Ways of finding the folder other than the helper.
OWN_WAYS = re.compile(r'"shared" / "data"|environ\.get\("GUTBALANCE_SHARED_DATA"|parents\[\d\]\s*/\s*"\.\."')
USES_HELPER = re.compile(r"^from shared_data import .*\b(shared_data|require_shared|add_shared_argument)\b", re.M)


def _code(path: Path) -> str:
    """The script without its module docstring (which may say ``../shared/data`` in prose)."""
    text = path.read_text(encoding="utf-8")
    body = ast.parse(text).body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        return "\n".join(text.splitlines()[body[0].end_lineno:])
    return text


def test_every_script_and_benchmark_that_reads_the_shared_data_finds_it_with_the_helper():
    files = sorted(SCRIPTS.glob("*.py")) + sorted((SCRIPTS.parent / "benchmarks").glob("*.py"))
    readers = [p for p in files if p.name != "shared_data.py" and MENTIONS.search(_code(p))]
    assert len(readers) >= 25, [p.name for p in readers]  # the pattern still sees the scripts it is about
    not_using = [p.name for p in readers if not USES_HELPER.search(_code(p))]
    own_way = [f"{p.name}: {m.group(0)}" for p in readers for m in OWN_WAYS.finditer(_code(p))]
    assert not not_using, f"scripts that read the shared data without scripts/shared_data.py: {not_using}"
    assert not own_way, f"scripts that build the shared data's path themselves: {own_way}"


def test_the_pattern_catches_a_hard_coded_path():
    hard = 'SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"\n'
    assert MENTIONS.search(hard)
    assert OWN_WAYS.search(hard)
    assert not USES_HELPER.search(hard)
    helped = "from shared_data import shared_data\n\nSHARED = shared_data()\n"
    assert MENTIONS.search(helped)
    assert not OWN_WAYS.search(helped)
    assert USES_HELPER.search(helped)


def test_the_variable_wins_and_the_default_is_beside_the_project(monkeypatch, tmp_path):
    monkeypatch.setenv("GUTBALANCE_SHARED_DATA", str(tmp_path))
    assert shared_data.shared_data() == tmp_path
    assert shared_data.require_shared() == tmp_path
    monkeypatch.delenv("GUTBALANCE_SHARED_DATA")
    assert shared_data.shared_data() == SCRIPTS.parent.parent / "shared" / "data"


def test_absent_data_is_an_error_naming_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("GUTBALANCE_SHARED_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(SystemExit, match=r"GUTBALANCE_SHARED_DATA=.*nowhere is not a folder\): set GUTBALANCE_SHARED_DATA"):
        shared_data.require_shared()
    with pytest.raises(SystemExit, match=r"--shared .*elsewhere: no such folder"):
        shared_data.require_shared(tmp_path / "elsewhere")
    assert shared_data.require_shared(tmp_path) == tmp_path


def test_the_shared_option_defaults_to_the_variable_and_checks_the_folder(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("GUTBALANCE_SHARED_DATA", str(tmp_path))
    parser = argparse.ArgumentParser()
    shared_data.add_shared_argument(parser)
    assert parser.parse_args([]).shared == tmp_path
    other = tmp_path / "other"
    other.mkdir()
    assert parser.parse_args(["--shared", str(other)]).shared == other
    monkeypatch.setenv("GUTBALANCE_SHARED_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(SystemExit) as exited:
        parser.parse_args([])
    assert exited.value.code == 2
    assert "argument --shared: the shared data is not at" in capsys.readouterr().err
    optional = argparse.ArgumentParser()
    shared_data.add_shared_argument(optional, required=False)
    assert optional.parse_args([]).shared == tmp_path / "nowhere"


def test_a_script_run_without_the_data_says_which_variable_to_set(tmp_path):
    env = {"GUTBALANCE_SHARED_DATA": str(tmp_path / "nowhere"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, str(SCRIPTS / "measure_kb_coverage.py")], capture_output=True,
                          text=True, env=env, check=False, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "set GUTBALANCE_SHARED_DATA to the folder" in done.stderr
