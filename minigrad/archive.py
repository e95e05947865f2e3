r"""The zip archive under :mod:`minigrad.serialization`, and the file system around it.

Writing: entries go into an uncompressed zip archive in :func:`numpy.savez`'s layout; a
save to a path is atomic (a temporary file in the same directory, synced, then renamed
onto the path). Reading: nothing an archive declares is trusted before it is checked
against the file itself, so that a damaged or hostile file is refused with a
:class:`~minigrad.SerializationError` rather than read wrongly, allocated for, or run.

This module imports NumPy directly: files are host-side I/O, not array maths.
"""

import contextlib
import hashlib
import math
import os
import re
import secrets
import socket
import stat
import tokenize
import zipfile
import zlib

import numpy
from numpy.lib import format as npy_format

from minigrad.errors import SerializationError

# Every .npz file starts with a zip local-file header (or, if empty, the end-of-archive record).
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
ARRAY_KINDS = "biufc"   # bool, signed and unsigned int, float, complex
# What zipfile and NumPy's .npy header parser raise for damaged bytes besides BadZipFile. A
# flipped bit in a zip header's flags reads as encryption (RuntimeError) or an unknown
# compression (NotImplementedError, a RuntimeError too); a damaged .npy header reaches
# Python's literal parser (SyntaxError, tokenize.TokenError) or gives absurd sizes.
_DAMAGED = (zipfile.BadZipFile, EOFError, ValueError, OSError, zlib.error, RuntimeError,
            SyntaxError, tokenize.TokenError, TypeError, OverflowError)
_CHUNK = 1 << 18   # an entry is read into its array this many bytes at a time
# A save writes to ".minigrad-save-<host>-<pid>-<random>.tmp" next to its target, then
# renames it. The name is short (any name that fits the file system can be saved) and says
# who wrote it, so that a later save can remove what a killed one left behind.
_TEMPORARY = re.compile(r"\.minigrad-save-([0-9a-f]{6})-(\d+)-[0-9a-f]{12}\.tmp")
_HOST = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]


def replace(path, entries):
    """Write ``entries`` (name -> host array) to ``path`` atomically.

    ``path`` holds either its old contents or the complete new file, never half of one;
    if anything fails, the temporary file is removed and the exception propagates. An
    existing file keeps its permissions, and a symbolic link is written through.
    Temporary files that killed saves left in that directory are removed first.
    """
    path = _target(path)
    directory = os.path.dirname(path) or os.curdir
    mode = stat.S_IMODE(os.stat(path).st_mode) if os.path.exists(path) else None
    _remove_stale_temporaries(directory)
    descriptor, temporary = _create_temporary(directory)
    try:
        with os.fdopen(descriptor, "wb") as file:
            write(file, entries)
            file.flush()
            os.fsync(file.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


@contextlib.contextmanager
def open_regular(path):
    """Open ``path`` for reading if it is a regular file; refuse anything else."""
    # Opened without blocking, then checked: a FIFO would wait for a writer forever.
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                         | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise SerializationError(f"load: expected a regular file at {path!r}, got "
                                     f"{_file_kind(mode)}")
        file = os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise
    with file:
        yield file


def read(file, where):
    """Every entry of the archive in ``file`` as a host array, by entry name, checked."""
    file.seek(0, os.SEEK_END)
    size = file.tell()
    file.seek(0)
    _check_signature(file, where)
    try:
        archive = zipfile.ZipFile(file)
    except _DAMAGED as err:
        raise SerializationError(f"load: expected a complete .npz archive at {where}, got one "
                                 f"that cannot be opened ({err}); it may be truncated") from err
    with archive:
        members = _members(archive, where, size)
        return {name: _read_entry(archive, member, name, where)
                for name, member in members.items()}


def _target(path):
    """The file a save to ``path`` replaces: ``path``, or the file its symbolic link names.

    Checked here, or the errors would name the temporary file rather than ``path``.
    """
    if os.path.islink(path):
        path = os.path.realpath(path)
    directory, name = os.path.split(path)
    if not name or os.path.isdir(path):
        raise IsADirectoryError(f"save: expected a file path, got the directory {path!r}")
    if not os.path.isdir(directory or os.curdir):
        raise FileNotFoundError(f"save: the directory {directory!r} to write {name!r} in "
                                "does not exist")
    return path


def _file_kind(mode):
    """What a file that is not regular is, for messages."""
    for test, kind in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "a special file"


def _remove_stale_temporaries(directory):
    """Remove the temporary files of saves into ``directory`` that were killed midway.

    Only files named as :func:`_create_temporary` names them, by this host, for a process
    that no longer runs: nothing else can be theirs.
    """
    with contextlib.suppress(OSError):
        for name in os.listdir(directory):
            match = _TEMPORARY.fullmatch(name)
            if match and match[1] == _HOST and not _running(int(match[2])):
                with contextlib.suppress(OSError):
                    os.remove(os.path.join(directory, name))


def _running(pid):
    """Whether a process ``pid`` runs on this host (one of another user's counts too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True


def _create_temporary(directory):
    """Create a new, uniquely named file in ``directory``; return its descriptor and name.

    Same directory as the target, so :func:`os.replace` is an atomic rename. ``os.open``
    with mode 0o666 lets the umask set the permissions, as for any new file
    (:func:`tempfile.mkstemp` would make the saved file private to its owner).
    """
    name = f".minigrad-save-{_HOST}-{os.getpid()}-{secrets.token_hex(6)}.tmp"
    temporary = os.path.join(directory, name)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    return os.open(temporary, flags, 0o666), temporary


def write(file, entries):
    """Write ``entries`` (name -> host array) to ``file`` in :func:`numpy.savez`'s layout.

    Not ``numpy.savez`` itself: it takes entry names as keyword arguments, so a key
    called ``file`` or ``allow_pickle`` would collide with its own parameters.
    """
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in entries.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as member:
                npy_format.write_array(member, array, allow_pickle=False)


def _check_signature(file, where):
    """Raise :class:`SerializationError` unless ``file`` starts like a zip archive."""
    start = file.read(4)
    file.seek(0)
    if start not in _ZIP_SIGNATURES:
        got = f"a file starting with {start!r}" if start else "an empty file"
        raise SerializationError(f"load: expected an .npz archive written by mg.save (a zip "
                                 f"file, starting with b'PK\\x03\\x04') at {where}, got {got}")


def _members(archive, where, size):
    """The archive's members by entry name, once it is clear they are what save writes.

    Uncompressed ``.npy`` members only, each name once, whose declared sizes add up to
    no more than the file holds: what the directory declares is checked against the
    file before anything is read.
    """
    members, declared = {}, 0
    for member in archive.infolist():
        name = member.filename.removesuffix(".npy")
        if name == member.filename or member.flag_bits & 0x1:
            raise SerializationError(f"load: expected only the .npy entries mg.save writes in "
                                     f"{where}, got the member {member.filename!r}")
        if member.compress_type != zipfile.ZIP_STORED:
            raise SerializationError(f"load: expected uncompressed entries in {where}, as "
                                     f"mg.save writes them, got {member.filename!r} compressed "
                                     "(read numpy.savez_compressed files with numpy.load)")
        if name in members:
            raise SerializationError(f"load: entry {name!r} appears twice in {where}: the "
                                     "archive's directory is corrupt")
        declared += member.file_size
        if member.file_size != member.compress_size or declared > size:
            raise SerializationError(f"load: entry {name!r} of {where} brings the entries' "
                                     f"declared size to {declared} bytes, more than the "
                                     f"file's {size}: the archive is truncated or corrupt")
        members[name] = member
    return members


def _read_entry(archive, member, name, where):
    """Read one entry into a new array, checked at every step; object arrays are refused.

    The ``.npy`` header gives the dtype and shape, which must account for exactly the
    bytes the entry holds before the array is allocated. The payload is read into the
    array in chunks (no second copy), and reading to the end verifies the CRC-32.
    """
    try:
        with archive.open(member) as source:
            shape, fortran_order, dtype = _read_npy_header(source, name, where)
            payload = member.file_size - source.tell()
            _check_layout(dtype, shape, payload, name, where)
            array = numpy.empty(shape[::-1] if fortran_order else shape, dtype=dtype)
            view = memoryview(array.reshape(-1).view(numpy.uint8))
            for start in range(0, payload, _CHUNK):
                view[start:start + _CHUNK] = source.read(min(_CHUNK, payload - start))
            if source.read(1):
                raise ValueError("bytes beyond the array's end")
    except SerializationError:
        raise
    except _DAMAGED as err:
        raise SerializationError(
            f"load: expected entry {name!r} of {where} to be a plain array of numbers, got one "
            f"that cannot be read safely ({type(err).__name__}: {err}); mg.save never pickles "
            "and mg.load never unpickles, so the file is truncated, corrupt or was not written "
            "by mg.save"
        ) from err
    return array.T if fortran_order else array


def _read_npy_header(source, name, where):
    """The shape, order and dtype of the ``.npy`` array that ``source`` starts with."""
    version = npy_format.read_magic(source)
    if version == (1, 0):
        return npy_format.read_array_header_1_0(source)
    if version == (2, 0):
        return npy_format.read_array_header_2_0(source)
    raise SerializationError(f"load: expected entry {name!r} of {where} to be a .npy array "
                             f"of format 1.0 or 2.0, as mg.save writes, got format {version}")


def _check_layout(dtype, shape, payload, name, where):
    """Raise unless ``dtype`` and ``shape`` describe an array of numbers of ``payload`` bytes."""
    kinds = ARRAY_KINDS + ("U" if name.endswith(":str") else "")   # format 1's strings
    if dtype.hasobject or dtype.kind not in kinds:
        raise SerializationError(f"load: expected entry {name!r} of {where} to be a plain "
                                 f"array of numbers, got dtype {dtype} (mg.save never pickles "
                                 "and mg.load never unpickles)")
    if not all(type(n) is int and n >= 0 for n in shape):
        raise SerializationError(f"load: expected entry {name!r} of {where} to declare a shape "
                                 f"of non-negative ints, got {shape!r}: the file is corrupt")
    needed = math.prod(shape) * dtype.itemsize
    if needed != payload:
        raise SerializationError(f"load: entry {name!r} of {where} declares shape {shape} of "
                                 f"{dtype} ({needed} bytes) but holds {payload} bytes: the file "
                                 "is corrupt")
