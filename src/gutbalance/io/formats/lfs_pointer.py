"""Git LFS pointer files: the stand-in git checks out for a file kept in
Git LFS storage when Git LFS is not installed or the content was not pulled.

A study's repository often keeps its tables in Git LFS (SHNLab/
CRC_metagenomics_pipeline: every ``.txt``, ``.tsv``, ``.csv`` and ``.xlsx``,
its merged Kraken 2 and Bracken tables among them).  A plain clone, a
GitHub snapshot or an archive then holds, under the table's own name, three
lines (``version https://git-lfs.github.com/spec/v1``, ``oid sha256:...``,
``size N``; the Git LFS specification, github.com/git-lfs/git-lfs,
``docs/spec.md``).  Such a file was refused as "not a recognised profile
format", which sends the user hunting for the wrong cause; it is recognised
here and reported (``problems.tsv``) as what it is, never read.
"""

from __future__ import annotations

from ..registry import NotAProfile, register_not_a_profile
from ..source import Source

#: The first line of every Git LFS pointer (the specification's only version).
POINTER_START = b"version https://git-lfs.github.com/spec/v1\n"

#: A pointer is a few short lines; the specification keeps it under 1024 bytes.
POINTER_MAX_BYTES = 1024


def sniff_pointer(source: Source) -> bool:
    """A Git LFS pointer: its version line first, an ``oid`` line, under 1 KiB."""
    data = source.data.replace(b"\r\n", b"\n")
    return len(data) < POINTER_MAX_BYTES and data.startswith(POINTER_START) and b"\noid sha256:" in data


register_not_a_profile(
    NotAProfile(
        "git-lfs-pointer",
        "a Git LFS pointer (three lines: 'version https://git-lfs.github.com/spec/v1', the file's oid and size), "
        "the stand-in git checks out for a file its repository keeps in Git LFS; the profile itself was not "
        "downloaded: get it with 'git lfs pull' in a clone with Git LFS installed (or the file's download link "
        "on the repository's web page) and give that file",
        sniff_pointer,
    )
)
