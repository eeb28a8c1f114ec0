"""Print, as JSON, the options of each script named on the command line, from
the script's own ``argparse`` parser: the script is run as ``__main__`` with
``parse_args`` replaced by a catch, so it stops at the moment it would read its
arguments and does none of its work.  A script that ends without asking for
arguments maps to ``null``.  Command lines given on stdin as JSON
(``{"scripts/x.py": [["--flag", "1"], ...]}``) are parsed by that parser too,
and its error for each (``null`` when it accepts it) is returned.  Run by
``tests/docs/test_commands.py`` in a process of its own (the scripts change
``sys.path`` and ``sys.argv``)."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import runpy
import sys


class _Asked(BaseException):
    """Raised where a script would parse its arguments, carrying the parser."""


def _catch(self: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
    raise _Asked(self)


_PARSE_ARGS = argparse.ArgumentParser.parse_args
_PARSE_KNOWN_ARGS = argparse.ArgumentParser.parse_known_args


def parser_of(path: str) -> argparse.ArgumentParser | None:
    """The parser ``path`` builds, caught where it would parse ``sys.argv``."""
    argparse.ArgumentParser.parse_args = _catch  # type: ignore[method-assign,assignment]
    argparse.ArgumentParser.parse_known_args = _catch  # type: ignore[method-assign,assignment]
    sys.argv = [path]
    try:
        runpy.run_path(path, run_name="__main__")
    except _Asked as asked:
        return asked.args[0]
    except SystemExit:
        return None
    finally:
        argparse.ArgumentParser.parse_args = _PARSE_ARGS  # type: ignore[method-assign]
        argparse.ArgumentParser.parse_known_args = _PARSE_KNOWN_ARGS  # type: ignore[method-assign]
    return None


def parse_error(parser: argparse.ArgumentParser, args: list[str]) -> str | None:
    """What ``parser`` says of ``args``, or ``None`` when it accepts them."""
    said = io.StringIO()
    with contextlib.redirect_stderr(said), contextlib.redirect_stdout(io.StringIO()):
        try:
            parser.parse_args(args)
        except SystemExit:
            return said.getvalue().strip().splitlines()[-1] if said.getvalue().strip() else "refused"
    return None


def options(path: str, lines: list[list[str]]) -> dict[str, object] | None:
    """The option strings of ``path``'s parser, each with whether it takes a
    value and its choices (``None`` for an option without choices), and the
    parser's error for each of ``lines``."""
    parser = parser_of(path)
    if parser is None:
        return None
    return {
        "options": {
            name: {
                "takes_value": action.nargs != 0,
                "choices": sorted(map(str, action.choices)) if action.choices else None,
            }
            for name, action in parser._option_string_actions.items()
        },
        "errors": [parse_error(parser, args) for args in lines],
    }


if __name__ == "__main__":
    given = json.loads(sys.stdin.read() or "{}")
    print(json.dumps({path: options(path, given.get(path, [])) for path in sys.argv[1:]}))
