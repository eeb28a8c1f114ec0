"""Print, as JSON, the options of each script named on the command line, from
the script's own ``argparse`` parser: the script is run as ``__main__`` with
``parse_args`` replaced by a catch, so it stops at the moment it would read its
arguments and does none of its work.  A script that ends without asking for
arguments maps to ``null``.  Run by ``tests/docs/test_commands.py`` in a
process of its own (the scripts change ``sys.path`` and ``sys.argv``)."""

from __future__ import annotations

import argparse
import json
import runpy
import sys


class _Asked(BaseException):
    """Raised where a script would parse its arguments, carrying the parser."""


def _catch(self: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
    raise _Asked(self)


def options(path: str) -> dict[str, dict[str, object]] | None:
    """The option strings of ``path``'s parser, each with whether it takes a
    value and its choices (``None`` for an option without choices)."""
    argparse.ArgumentParser.parse_args = _catch  # type: ignore[method-assign,assignment]
    argparse.ArgumentParser.parse_known_args = _catch  # type: ignore[method-assign,assignment]
    sys.argv = [path]
    try:
        runpy.run_path(path, run_name="__main__")
    except _Asked as asked:
        parser = asked.args[0]
        return {
            name: {
                "takes_value": action.nargs != 0,
                "choices": sorted(map(str, action.choices)) if action.choices else None,
            }
            for name, action in parser._option_string_actions.items()
        }
    except SystemExit:
        return None
    return None


if __name__ == "__main__":
    print(json.dumps({path: options(path) for path in sys.argv[1:]}))
