"""Whoosh's segment files read straight from the memory map, never copied into each worker.

Whoosh maps a segment's compound file and hands each part out as a BufferFile,
which wraps the mapped bytes in a BytesIO: that copies the whole part. At 50,000
articles every worker then held 4.4 GB and took a second to open the index.
Here the part is read in place through a small file object over the memoryview,
so the page cache holds one copy for all workers.
"""

from __future__ import annotations

from io import SEEK_CUR, SEEK_END, SEEK_SET

from whoosh.filedb import structfile


class MemoryFile:
    """A read-only file over a memoryview (what StructFile and pickle need: read, readline, seek, tell)."""

    def __init__(self, buf: memoryview) -> None:
        self._buf = buf
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        """Up to `size` bytes from the current position (all the rest for None or a negative size)."""
        start = self._pos
        if size is None or size < 0:
            size = len(self._buf) - start
        end = start + size
        self._pos = end if end <= len(self._buf) else max(start, len(self._buf))
        return self._buf[start:end].tobytes()

    def readline(self, size: int | None = -1) -> bytes:
        """Up to and including the next newline (pickle's loader may ask for it), looked for 4 KB at a time."""
        end = len(self._buf) if size is None or size < 0 else min(len(self._buf), self._pos + size)
        start = self._pos
        while start < end:
            stop = min(end, start + 4096)
            found = self._buf[start:stop].tobytes().find(b"\n")
            if found >= 0:
                return self.read(start + found + 1 - self._pos)
            start = stop
        return self.read(end - self._pos)

    def seek(self, offset: int, whence: int = SEEK_SET) -> int:
        """Move to `offset` (from the start, the current position or the end)."""
        if whence == SEEK_CUR:
            offset += self._pos
        elif whence == SEEK_END:
            offset += len(self._buf)
        self._pos = max(0, offset)
        return self._pos

    def tell(self) -> int:
        """The current position."""
        return self._pos

    def close(self) -> None:
        """Nothing to release: the map belongs to the compound storage."""

    def flush(self) -> None:
        """Read-only: nothing to write out."""


def _buffer_file_init(
    self: structfile.BufferFile, buf: memoryview, name: str | None = None, onclose: object = None
) -> None:
    self._buf = buf
    self._name = name
    self.file = MemoryFile(buf)
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


def install() -> None:
    """Make Whoosh's BufferFile read in place (idempotent; pinned by whoosh<2.8); store.open_whoosh calls it."""
    structfile.BufferFile.__init__ = _buffer_file_init  # type: ignore[method-assign]
