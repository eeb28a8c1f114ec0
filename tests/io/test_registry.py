"""The format registry's refusal of a file no reader recognises."""

from pathlib import Path

import pytest
from click.testing import CliRunner

import gutbalance
from gutbalance.cli import main
from gutbalance.errors import UnrecognizedFormatError
from gutbalance.io.registry import FORMATS_LIST_HINT, formats


def test_unknown_file_is_refused_naming_it_and_where_the_formats_are_listed(tmp_path: Path) -> None:
    path = tmp_path / "notes.svg"
    path.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>\n")
    with pytest.raises(gutbalance.errors.UnrecognizedFormatError) as caught:
        gutbalance.read([path])
    message = str(caught.value)
    assert message.startswith(f"{path}: not a recognised profile format")
    assert FORMATS_LIST_HINT in message
    assert message.endswith("use --format to force one")


def test_the_list_the_refusal_points_to_holds_every_reader() -> None:
    listed = CliRunner().invoke(main, ["formats"])
    assert listed.exit_code == 0, listed.output
    names = {line.split()[0] for line in listed.output.splitlines() if line.strip()}
    readers = {name for name, fmt in formats().items() if fmt.read is not None}
    assert readers <= names
    assert {"kaiju", "ganon", "kmcp", "sylph", "motus"} <= readers


def test_a_damaged_file_is_refused_naming_where_its_first_binary_byte_is(tmp_path):
    """A profile with NUL bytes from a damaged copy was refused as 'binary
    content' without a place to look (an outside check)."""
    path = tmp_path / "nul.txt"
    head = b"#clade_name\trelative_abundance\nk__Bacteria\t100.0\n"
    path.write_bytes(head + b"\x00\x00rest\n")
    with pytest.raises(UnrecognizedFormatError, match=rf"a NUL byte at line 3, byte {len(head) + 1} of the file"):
        gutbalance.read(path)
