"""Map files (protocol §14): `<dir>/AzureFunctions/<name>` holding a 9-byte header (flag 0x01, then
the content length as int64 little-endian) and the content; what the host reads and writes."""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Sequence

#: byte 0 of a map in use
INITIALIZED = 0x01
HEADER = struct.Struct("<Bq")
HEADER_SIZE = HEADER.size  # 9
#: sub-directory of each configured base directory
DIR_SUFFIX = "AzureFunctions"
DEFAULT_DIRS = ("/dev/shm",)
#: values outside [MIN_BYTES, MAX_BYTES] stay inline (the host's bounds; strings count 2 per char)
MIN_BYTES = 1024 * 1024
MAX_BYTES = 2 * 1024 * 1024 * 1024
CHAR_BYTES = 2


class MapError(Exception):
    """A map that cannot be created, found or read; the message names it."""


def check_name(name: str) -> None:
    """Names come from the other side: refuse anything that is not a plain file name."""
    if not name or "/" in name or "\0" in name or name in (".", "..") or len(name) > 255:
        raise MapError(f"{name!r} is not a valid shared-memory map name")


def usable_dirs(bases: Iterable[str]) -> list[str]:
    """`<base>/AzureFunctions` for each base where it exists or can be made, in order."""
    found = []
    for base in bases:
        path = os.path.join(base.strip(), DIR_SUFFIX)
        try:
            os.makedirs(path, exist_ok=True)
        except OSError:
            continue
        if os.path.isdir(path):
            found.append(path)
    return found


def eligible_size(size: int, *, text: bool) -> bool:
    """Whether a value of ``size`` bytes (characters for text) may travel in shared memory."""
    counted = size * CHAR_BYTES if text else size
    return MIN_BYTES <= counted <= MAX_BYTES


def find(dirs: Sequence[str], name: str) -> str | None:
    """The path of an existing map, or None."""
    check_name(name)
    for folder in dirs:
        path = os.path.join(folder, name)
        if os.path.exists(path):
            return path
    return None


def create(dirs: Sequence[str], name: str, content: bytes | bytearray | memoryview) -> str:
    """A new map holding ``content``, in the first directory where it can be made; its path."""
    check_name(name)
    if not dirs:
        raise MapError("no usable directory for shared-memory maps")
    if find(dirs, name) is not None:
        raise MapError(f"shared-memory map {name} already exists")
    size = len(content)
    problems = []
    for folder in dirs:
        path = os.path.join(folder, name)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            problems.append(f"{path}: {exc.strerror}")
            continue
        try:
            os.ftruncate(fd, HEADER_SIZE + size)  # sized as the host expects: header + content
            written = os.pwritev(fd, [HEADER.pack(INITIALIZED, size), content], 0)
            if written != HEADER_SIZE + size:
                raise OSError(0, f"wrote {written} of {HEADER_SIZE + size} bytes")
        except OSError as exc:
            os.close(fd)
            _unlink(path)
            problems.append(f"{path}: {exc.strerror or exc}")
            continue
        os.close(fd)
        return path
    raise MapError(f"cannot create shared-memory map {name} ({size} bytes): {'; '.join(problems)}")


def read(dirs: Sequence[str], name: str, offset: int, count: int) -> bytes:
    """``count`` content bytes of an existing map (only offset 0, as the platform)."""
    if offset != 0:
        raise MapError(f"shared-memory map {name}: offset {offset} is not supported (only 0)")
    if count < 0:
        raise MapError(f"shared-memory map {name}: invalid count {count}")
    path = find(dirs, name)
    if path is None:
        raise MapError(f"shared-memory map {name} not found in {', '.join(dirs) or 'no directory'}")
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise MapError(f"cannot open shared-memory map {path}: {exc.strerror}") from None
    try:
        header = os.pread(fd, HEADER_SIZE, 0)
        if len(header) < HEADER_SIZE:
            raise MapError(f"shared-memory map {name} is too small for its header ({len(header)} bytes)")
        flag, length = HEADER.unpack(header)
        if flag != INITIALIZED:
            raise MapError(f"shared-memory map {name} is not initialised (header flag {flag:#04x})")
        if length < count:
            raise MapError(f"shared-memory map {name} holds {length} bytes, fewer than the {count} announced")
        size = os.fstat(fd).st_size  # before allocating `count` bytes: a header can lie
        if size < HEADER_SIZE + count:
            raise MapError(f"shared-memory map {name} ended after {max(0, size - HEADER_SIZE)} of {count} bytes")
        content = os.pread(fd, count, HEADER_SIZE)
    finally:
        os.close(fd)
    if len(content) != count:
        raise MapError(f"shared-memory map {name} ended after {len(content)} of {count} bytes")
    return content


def delete(dirs: Sequence[str], name: str) -> bool:
    """Remove a map's file; False if it was not there or could not be removed."""
    try:
        path = find(dirs, name)
    except MapError:
        return False
    return path is not None and _unlink(path)


def _unlink(path: str) -> bool:
    try:
        os.unlink(path)
    except OSError:
        return False
    return True
