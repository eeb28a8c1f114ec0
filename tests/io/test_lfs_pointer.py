"""Git LFS pointers (``io/formats/lfs_pointer.py``): named as what they are, never read.

The pointer below is the one SHNLab/CRC_metagenomics_pipeline's snapshot holds
in place of ``data/abundance/Healthy/merged_species_output.txt`` (a merged
Bracken table of stool, 6.4 MB in Git LFS storage).
"""

from __future__ import annotations

import pytest

import gutbalance
from gutbalance.errors import UnrecognizedFormatError
from gutbalance.io import read_batch
from gutbalance.io.formats.lfs_pointer import sniff_pointer
from gutbalance.io.source import Source
from tests.helpers import SMALL_COMMUNITY, metaphlan_text

POINTER = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:9ed1405fd53549f155472ac1d6de62b859fca23ca329bece53dfe325c7feb604\n"
    "size 6416960\n"
)


@pytest.mark.parametrize("name", ["merged_species_output.txt", "di_p1.xlsx", "S1.bracken", "table.qza"])
def test_a_pointer_is_refused_as_a_pointer_whatever_its_name(tmp_path, name):
    path = tmp_path / name
    path.write_text(POINTER)
    with pytest.raises(UnrecognizedFormatError) as err:
        gutbalance.read(path)
    assert "Git LFS pointer" in str(err.value)
    assert "git lfs pull" in str(err.value)


def test_windows_line_ends_are_still_a_pointer():
    assert sniff_pointer(Source.from_bytes(POINTER.replace("\n", "\r\n").encode(), "x.txt"))


@pytest.mark.parametrize(
    "text",
    [
        "version https://git-lfs.github.com/spec/v1\n",  # no oid line
        "# version https://git-lfs.github.com/spec/v1\noid sha256:00\n",  # not the first line
        POINTER + "k__Bacteria\t100.0\n" * 100,  # over 1 KiB: content, not a pointer
    ],
)
def test_only_a_pointer_is_a_pointer(text):
    assert not sniff_pointer(Source.from_bytes(text.encode(), "x.txt"))


def test_a_pointer_in_a_batch_is_one_problem_and_the_profiles_beside_it_are_read(tmp_path):
    (tmp_path / "S1.txt").write_text(metaphlan_text(SMALL_COMMUNITY))
    (tmp_path / "S2.txt").write_text(POINTER)
    result = read_batch([tmp_path])
    assert result.cohort is not None
    assert result.cohort.sample_names == ["S1"]
    assert [p.file for p in result.failed] == [str(tmp_path / "S2.txt")]
    assert "Git LFS pointer" in result.failed[0].message
