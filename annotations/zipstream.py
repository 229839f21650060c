"""A zip file written in pieces, for a response that streams it (a backup, the
CSV tables): entries are added as their rows are read, and what the zip has
written so far is taken away as bytes, so it never sits whole in memory."""

from __future__ import annotations

import zipfile

# The size of the pieces handed on to the response or the file.
CHUNK = 256 * 1024


class _Sink:
    """Where the zip writes: collects what it wrote until it is taken. Having
    no tell() or seek(), it makes zipfile write as to a stream."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass


class ZipStream:
    def __init__(self) -> None:
        self._sink = _Sink()
        self.zip = zipfile.ZipFile(self._sink, "w", zipfile.ZIP_DEFLATED)

    def open(self, name: str):
        """An entry to write to, of any size."""
        return self.zip.open(name, "w", force_zip64=True)

    def write(self, name: str, data: bytes | str) -> None:
        self.zip.writestr(name, data)

    @property
    def full(self) -> bool:
        """Whether a piece is ready to be taken."""
        return self._sink.size >= CHUNK

    def take(self) -> bytes:
        """What the zip wrote since the last time."""
        data = b"".join(self._sink.parts)
        self._sink.parts, self._sink.size = [], 0
        return data

    def close(self) -> bytes:
        """The zip's end (its directory), and what was left to take."""
        self.zip.close()
        return self.take()
