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


def test_importing_the_store_patches_nothing_and_opening_an_index_reads_in_place(tmp_path) -> None:
    # The patch is an explicit step of opening an index (store.open_whoosh), not a side effect of an import.
    import subprocess
    import sys

    code = (
        "from whoosh.filedb.structfile import BufferFile; import indexer.store, indexer.pipeline, search_app.engine; "
        "from indexer.mapped import _buffer_file_init; print(BufferFile.__init__ is _buffer_file_init)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, encoding="utf-8", check=True)
    assert out.stdout.strip() == "False"
    code = (
        "import sys; from whoosh import fields, index; from whoosh.filedb.structfile import BufferFile; "
        "from indexer.mapped import _buffer_file_init; from indexer.store import open_whoosh; "
        "index.create_in(sys.argv[1], fields.Schema(t=fields.TEXT)); open_whoosh(sys.argv[1]); "
        "print(BufferFile.__init__ is _buffer_file_init)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, encoding="utf-8", check=True
    )
    assert out.stdout.strip() == "True"
