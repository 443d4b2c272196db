"""Atomic file writes: a reader sees the old file or the whole new one, never half of one.

Everything is written to a temporary file in the target's folder (named ``.<name>.<random>.part``,
which listings skip) and takes the target's name in one step when it is complete: ``os.replace``
for a write, a hard link for a create that must not replace anything. A write that fails or is
interrupted leaves the target as it was and removes its temporary file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, cast

PART_SUFFIX = ".part"  # the suffix of every temporary file; stores never list such names


class AtomicFile:
    """A file written under a temporary name in ``folder``, named only when complete.

    Use it as a context manager: write to ``stream``, then ``commit`` to a target in the same file
    system (its name may be known only at the end, such as the content's hash). Leaving the block
    without committing, or by an exception, removes the temporary file.

    Args:
        folder: where the temporary file is made (created if missing).
        hint: the start of the temporary name, to tell whose it is.
        fsync: flush the data to the disk before naming it (survives a power loss, costs time).
    """

    def __init__(self, folder: Path, hint: str = "", *, fsync: bool = False) -> None:
        self.folder = folder
        self.hint = hint
        self.fsync = fsync
        self.temporary: Path | None = None
        self._stream: BinaryIO | None = None

    @property
    def stream(self) -> BinaryIO:
        assert self._stream is not None, "used inside its with block"
        return self._stream

    def __enter__(self) -> AtomicFile:
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=self.folder, prefix=f".{self.hint}.", suffix=PART_SUFFIX)
        self.temporary = Path(name)
        self._stream = cast(BinaryIO, os.fdopen(handle, "wb"))
        return self

    def commit(self, target: Path, *, replace: bool = True) -> bool:
        """Give the complete file the name ``target``; with ``replace`` False only if nothing has it.

        Returns:
            False when ``replace`` is False and ``target`` already existed (it is left as it was).
        """
        assert self.temporary is not None, "used inside its with block"
        stream = self.stream
        if not stream.closed:
            stream.flush()
            if self.fsync:
                os.fsync(stream.fileno())
            stream.close()
        target.parent.mkdir(parents=True, exist_ok=True)
        if replace:
            os.replace(self.temporary, target)
            return True
        try:
            os.link(self.temporary, target)  # atomic, and fails if the name exists
        except FileExistsError:
            return False
        return True

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._stream is not None:
            self._stream.close()
        if self.temporary is not None:
            self.temporary.unlink(missing_ok=True)  # after a replace it is gone; after a link it is a second name


@contextmanager
def atomic_write(path: Path, *, fsync: bool = False) -> Iterator[BinaryIO]:
    """A binary stream whose content replaces ``path`` when the block ends without an exception.

    Raises:
        OSError: the folder or file cannot be written; ``path`` is unchanged.
    """
    with AtomicFile(path.parent, path.name, fsync=fsync) as file:
        yield file.stream
        file.commit(path)


def write_atomically(path: Path, data: bytes, *, fsync: bool = False) -> None:
    """Replace ``path`` with ``data`` atomically; see ``atomic_write``."""
    with atomic_write(path, fsync=fsync) as stream:
        stream.write(data)


def create_atomically(path: Path, data: bytes, *, fsync: bool = False) -> bool:
    """Write ``data`` to ``path`` only if no file has that name; whole or not at all.

    Returns:
        False when ``path`` already existed (it is left as it was).
    """
    with AtomicFile(path.parent, path.name, fsync=fsync) as file:
        file.stream.write(data)
        return file.commit(path, replace=False)
