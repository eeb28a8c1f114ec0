"""Every command the docs show is one the tools accept.

Users copy commands from ``README.md`` and ``docs/*.md``.  For every
``gutbalance ...`` line (in a code block or in inline code) the subcommand
must exist and every option must be one of that subcommand's own click
options (a value given to an option with choices must be one of them); for
every ``python scripts/X.py ...`` or ``python benchmarks/X.py ...`` the
script must exist and every option must be in its own argparse parser (read
by ``script_options.py``, which stops each script where it would parse its
arguments).  Nothing is run beyond that: no command does its work here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

import click
import pytest

from gutbalance.cli import main

from .markdown import DOCS, ROOT, Command, commands, commands_in_text

#: A word that stands for a value the user fills in (``DIR``, ``FILE.tsv``,
#: ``PROFILES...``, ``…``): not checked against an option's choices.
_PLACEHOLDER = re.compile(r"^[A-Z][A-Z0-9_.]*(\.\w+)?$|\.\.\.|…|^\$|^<|^\[")

_OPTION = re.compile(r"^--?[A-Za-z]")


def _is_option(word: str) -> bool:
    return bool(_OPTION.match(word.strip("[]")))


def _option_name(word: str) -> str:
    return word.strip("[]").split("=", 1)[0]


def _check_options(
    args: list[str], known: dict[str, tuple[bool, list[str] | None]], what: str
) -> list[str]:
    """The problems of ``args`` against ``known`` (option -> takes a value,
    its choices): an option that is not there, a choice that is not one."""
    problems: list[str] = []
    words = iter(args)
    for word in words:
        if not _is_option(word):
            continue
        name = _option_name(word)
        if name not in known:
            problems.append(f"{what} has no option {name}")
            continue
        takes_value, choices = known[name]
        if not takes_value:
            continue
        # (prose names an option alone, `gutbalance analyze --feature-rank`: no value to check)
        value = word.split("=", 1)[1] if "=" in word else next(words, None)
        if value is not None and choices and not _PLACEHOLDER.search(value) and value.strip("[]") not in choices:
            problems.append(f"{what}: {name} {value!r} is not one of {', '.join(choices)}")
    return problems


def _click_options(command: click.Command, ctx: click.Context) -> dict[str, tuple[bool, list[str] | None]]:
    known: dict[str, tuple[bool, list[str] | None]] = {}
    for param in command.get_params(ctx):
        if not isinstance(param, click.Option):
            continue
        takes_value = not (param.is_flag or param.count)
        choices = list(param.type.choices) if isinstance(param.type, click.Choice) else None
        for name in [*param.opts, *param.secondary_opts]:
            known[name] = (takes_value, choices)
    return known


def check_gutbalance(args: list[str]) -> list[str]:
    """What is wrong with ``gutbalance ARGS`` as a command line: a command
    or subcommand that does not exist, an option the command does not take,
    a value that is not one of the option's choices."""
    command: click.Command = main
    ctx = click.Context(main, info_name="gutbalance")
    path = "gutbalance"
    rest = list(args)
    while isinstance(command, click.Group):
        known = _click_options(command, ctx)
        before: list[str] = []
        while rest and _is_option(rest[0]):
            before.append(rest.pop(0))
            if known.get(_option_name(before[-1]), (False, None))[0] and "=" not in before[-1] and rest:
                before.append(rest.pop(0))
        problems = _check_options(before, known, path)
        if problems or not rest:
            return problems
        name = rest.pop(0)
        sub = command.get_command(ctx, name)
        if sub is None:
            return [f"{path} has no command {name!r} (it has: {', '.join(command.list_commands(ctx))})"]
        path = f"{path} {name}"
        ctx = click.Context(sub, parent=ctx, info_name=name)
        command = sub
    return _check_options(rest, _click_options(command, ctx), path)


COMMANDS = commands()

#: Per script, its options (``None``: it takes none) and what its parser
#: says of each whole command line of the docs (``None``: accepted).
ScriptOptions = dict[str, tuple[dict[str, tuple[bool, list[str] | None]] | None, dict[tuple[str, ...], str | None]]]


@cache
def script_options() -> ScriptOptions:
    """The options of every script and benchmark that uses argparse, from the
    scripts' own parsers, and their verdict on the docs' whole command lines
    of them (a code block's: positional arguments and all)."""
    paths = sorted(p.relative_to(ROOT).as_posix() for d in ("scripts", "benchmarks") for p in (ROOT / d).glob("*.py"))
    parsing = [p for p in paths if "argparse" in (ROOT / p).read_text(encoding="utf-8")]
    lines: dict[str, list[list[str]]] = {}
    for command in COMMANDS:
        if command.whole and command.program in parsing:
            lines.setdefault(command.program, []).append(list(command.args))
    # the commands are checked for their options, not for the data they read: a
    # script's --shared defaults to the shared data, which a machine without it lacks
    with tempfile.TemporaryDirectory() as somewhere:
        run = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("script_options.py")), *parsing],
            input=json.dumps(lines), cwd=ROOT, capture_output=True, text=True, check=True, timeout=300,
            env={**os.environ, "GUTBALANCE_SHARED_DATA": somewhere},
        )
    found: ScriptOptions = {p: (None, {}) for p in paths}
    for path, known in json.loads(run.stdout.splitlines()[-1]).items():
        if known is not None:
            options = {name: (bool(spec["takes_value"]), spec["choices"]) for name, spec in known["options"].items()}
            verdicts = {tuple(args): error for args, error in zip(lines.get(path, []), known["errors"], strict=True)}
            found[path] = (options, verdicts)
    return found


def check_script(program: str, args: list[str]) -> list[str]:
    """What is wrong with ``python PROGRAM ARGS``: a script that does not
    exist, an option its parser does not have, a value not among its choices,
    and for a whole command line whatever else its parser refuses (a missing
    positional argument)."""
    if not (ROOT / program).is_file():
        return [f"{program} does not exist"]
    known, verdicts = script_options().get(program, (None, {}))
    if known is None:
        return [f"{program} takes no options (it has no argparse parser)"] if any(map(_is_option, args)) else []
    problems = _check_options(args, known, program)
    error = verdicts.get(tuple(args))
    if not problems and error:
        problems.append(f"{program}: {error}")
    return problems


def check(command: Command) -> list[str]:
    """What is wrong with one command of the docs."""
    if command.program == "gutbalance":
        return check_gutbalance(list(command.args))
    return check_script(command.program, list(command.args))


def help_examples() -> list[Command]:
    """The example command lines of every command's own help text."""
    found: list[Command] = []

    def visit(command: click.Command, ctx: click.Context, name: str) -> None:
        found.extend(commands_in_text(Path(f"{name} --help"), command.help or ""))
        if isinstance(command, click.Group):
            for sub_name in command.list_commands(ctx):
                sub = command.get_command(ctx, sub_name)
                assert sub is not None
                visit(sub, click.Context(sub, parent=ctx, info_name=sub_name), f"{name} {sub_name}")

    visit(main, click.Context(main, info_name="gutbalance"), "gutbalance")
    return found


def test_the_docs_show_commands():
    # the extraction itself: the README's first command and a script with options in a doc are found
    shown = {(c.program, c.args) for c in COMMANDS}
    assert ("gutbalance", ("analyze", "--example", "-o", "gutbalance-example")) in shown
    assert any(c.program.startswith("scripts/") and c.args for c in COMMANDS)
    assert any(c.program.startswith("benchmarks/") for c in COMMANDS)
    assert {c.doc for c in COMMANDS} >= {ROOT / "README.md", ROOT / "docs" / "web.md"}
    assert len(COMMANDS) > 150


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_every_command_of_a_doc_is_accepted(doc):
    wrong = [f"{c.where}: {c.text}\n    {problem}" for c in COMMANDS if c.doc == doc for problem in check(c)]
    assert not wrong, "commands the docs show that would not run as shown:\n" + "\n".join(wrong)


def test_every_example_of_a_command_help_is_accepted():
    examples = help_examples()
    assert {c.doc.name for c in examples} >= {"gutbalance simulate --help", "gutbalance fit --help"}
    wrong = [f"{c.where}: {c.text}\n    {problem}" for c in examples for problem in check(c)]
    assert not wrong, "examples in the commands' help that would not run as shown:\n" + "\n".join(wrong)


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["analyze", "profiles/", "-o", "out", "--made-up-option"], "gutbalance analyze has no option --made-up-option"),
        (["analyse", "profiles/"], "gutbalance has no command 'analyse'"),
        (["kb", "shows", "Akkermansia"], "gutbalance kb has no command 'shows'"),
        (["analyze", "x", "-o", "y", "--reports", "some"], "gutbalance analyze: --reports 'some' is not one of"),
        (["--no-such-thing", "analyze"], "gutbalance has no option --no-such-thing"),
        (["reference", "build", "x", "--groups", "a=b"], "gutbalance reference build has no option --groups"),
    ],
)
def test_a_made_up_gutbalance_command_is_caught(args, problem):
    problems = check_gutbalance(args)
    assert problems, args
    assert problems[0].startswith(problem), problems


@pytest.mark.parametrize(
    "args",
    [
        ["--example", "-o", "gutbalance-example"],
        ["profiles/", "-o", "results", "--reports", "none", "--jobs", "2"],
        ["x", "--out=results", "--feature-rank", "genus"],
    ],
)
def test_real_analyze_options_pass(args):
    assert check_gutbalance(["analyze", *args]) == []


def test_a_made_up_script_option_is_caught():
    assert check_script("scripts/calibrate_pillars.py", ["--no-table"]) == []
    assert check_script("scripts/calibrate_pillars.py", ["--made-up-option"]) == [
        "scripts/calibrate_pillars.py has no option --made-up-option"
    ]
    assert check_script("scripts/no_such_script.py", []) == ["scripts/no_such_script.py does not exist"]
    # a script without a parser takes no options
    assert check_script("scripts/make_example.py", ["--out", "x"]) == [
        "scripts/make_example.py takes no options (it has no argparse parser)"
    ]


def test_a_made_up_option_in_a_doc_is_caught(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(
        "Run\n\n```bash\ngutbalance analyze profiles/ -o out --frobnicate \\\n  --jobs 2   # a comment\n```\n\n"
        "and `python benchmarks/bench_read.py --files 10 --bogus` then\n"
        "`GUTBALANCE_SHARED_DATA=/d python scripts/validate_labelled.py --work /tmp/w`.\n",
        encoding="utf-8",
    )
    found = commands([doc])
    assert [(c.line, c.program, c.args) for c in found] == [
        (4, "gutbalance", ("analyze", "profiles/", "-o", "out", "--frobnicate", "--jobs", "2")),
        (8, "benchmarks/bench_read.py", ("--files", "10", "--bogus")),
        (9, "scripts/validate_labelled.py", ("--work", "/tmp/w")),
    ]
    assert [check(c) for c in found] == [
        ["gutbalance analyze has no option --frobnicate"],
        ["benchmarks/bench_read.py has no option --bogus"],
        [],
    ]


def test_a_whole_script_command_line_is_parsed_by_the_script_own_parser():
    # a code block's command line must satisfy the parser: positional arguments too
    lines = {"scripts/compare_scores.py": [["before.tsv"], ["before.tsv", "after.tsv"]]}
    run = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("script_options.py")), "scripts/compare_scores.py"],
        input=json.dumps(lines), cwd=ROOT, capture_output=True, text=True, check=True, timeout=120,
    )
    errors = json.loads(run.stdout.splitlines()[-1])["scripts/compare_scores.py"]["errors"]
    assert errors == ["compare_scores.py: error: the following arguments are required: after", None]
    checked = [verdicts for _, verdicts in script_options().values() if verdicts]
    assert sum(map(len, checked)) >= 10  # the docs' code blocks run scripts with their arguments
