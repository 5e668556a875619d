"""``ByteSink``: the file that the writers which must write to a file (pyarrow, zipfile)
write into, so that their output can be streamed a piece at a time."""

from __future__ import annotations


class ByteSink:
    """A write-only file that keeps what was written until ``drain()``: lets pyarrow and
    zipfile write into a stream that is sent a piece at a time (it has no ``seek``, so
    zipfile writes data descriptors, as it does for any unseekable stream)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._size = 0
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        self._size += len(chunk)
        return len(chunk)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    @property
    def size(self) -> int:
        return self._size

    def drain(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        self._size = 0
        return data
