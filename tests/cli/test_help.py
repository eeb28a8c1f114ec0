"""`gutbalance --help` lists the commands from a table without importing their
modules; the table must say what the commands themselves say."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from gutbalance import lazy
from gutbalance.cli import COMMANDS, main


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_help_table_matches_each_command(name):
    command = main.get_command(click.Context(main), name)
    assert command is not None
    assert command.name == name
    assert COMMANDS[name][1] == command.get_short_help_str(10_000), name


def test_every_command_module_is_in_the_table():
    modules = {module for module, _ in COMMANDS.values()}
    for module in modules:
        exported = __import__(f"gutbalance.cli.{module}", fromlist=["COMMANDS"]).COMMANDS
        assert {c.name for c in exported} <= set(COMMANDS), module


def test_help_imports_no_command_module():
    code = (
        "import sys\n"
        "from gutbalance.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('gutbalance.cli.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
    assert "simulate   Simulate a gut from PROFILE under interventions." in out


def test_every_lazy_function_of_a_command_resolves():
    # the dotted names (gutbalance/lazy.py) are only imported when a command runs: a typo must fail here, not for a user
    for module in {module for module, _ in COMMANDS.values()}:
        __import__(f"gutbalance.cli.{module}")
    assert lazy.REGISTERED
    for function in lazy.REGISTERED:
        assert callable(function.resolve()), function


@pytest.mark.parametrize("name", ["analyze", "simulate", "fit", "report", "validate"])
def test_a_command_help_loads_no_report_or_simulator(name):
    code = (
        "import sys\n"
        "from gutbalance.cli import main\n"
        f"try:\n    main(['{name}', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('sklearn', 'scipy.stats', 'jinja2', 'gutbalance.report', 'gutbalance.simulate')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]", name
