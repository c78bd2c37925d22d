"""Segment files are read from the memory map in place (indexer/mapped.py)."""

from __future__ import annotations

from whoosh.filedb.structfile import BufferFile

from indexer import mapped
from indexer.mapped import MemoryFile


def test_segment_files_are_read_in_place() -> None:
    # Whoosh's BufferFile would copy a mapped segment part into a BytesIO in every worker.
    mapped.install()
    data = bytearray(b"ab\ncd\nef")
    part = BufferFile(memoryview(data))
    assert isinstance(part.file, MemoryFile)
    data[0:1] = b"x"  # the same memory, not a copy
    assert part.file.readline() == b"xb\n"
    assert part.file.read(2) == b"cd"
    assert part.file.tell() == 5
    part.file.seek(-2, 2)
    assert part.file.read() == b"ef"
    assert part.file.read(5) == b""
    part.file.seek(1)
    assert part.file.readline(1) == b"b"
    assert part.get(3, 2) == b"cd"
