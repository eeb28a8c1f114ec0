"""The ``gutbalance`` command: a thin layer over the public API.

Each command group lives in its own module and is added here.  Errors the
project raises on purpose are printed as one line, never as a traceback.
"""

from __future__ import annotations

import sys
import warnings

import click

from .._version import __version__
from ..errors import GutBalanceError


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GutBalanceError as exc:
            click.echo(f"gutbalance: error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gutbalance")
def main() -> None:
    """How well does a gut microbiome support the immune system?

    Reads MetaPhlAn, Kraken2/Bracken, CAMI, BIOM, QIIME 2 and CSV/TSV profiles.
    Scores explain; they do not diagnose.
    """
    warnings.filterwarnings("default")


def _register() -> None:
    import importlib

    for name in ("analyze", "convert", "kb", "simulate", "fit", "reference", "report", "serve", "validate"):
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:  # a command whose module is not written yet
            if exc.name == f"{__name__}.{name}":
                continue
            raise
        for command in module.COMMANDS:
            main.add_command(command)


_register()
