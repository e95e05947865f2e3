r"""Saving and loading state dicts as ``.npz`` files, never with pickle.

:func:`~minigrad.save` writes a nested dict of arrays, tensors and plain values (a
model's and an optimiser's state dicts, an epoch counter...), or one such value alone,
and :func:`~minigrad.load` reads it back. Loading a file can never run code: nothing is
ever unpickled.

The file format (version 2)
---------------------------
An ``.npz`` file is a zip archive of ``.npy`` arrays, so NumPy alone can read
one. Each leaf of the nested dict becomes one entry, named by its path of keys
joined with ``/``::

    {"model": {"lstm.weight_ih_l0": w}, "optim": {"state": {"0": {"step": 3}}}}

is stored as the entries ``model/lstm.weight_ih_l0`` and ``optim/state/0/step:int``.

- Each key is percent-encoded (:func:`urllib.parse.quote` with no safe
  characters): ``/``, ``:`` and ``%`` inside a key become ``%2F``, ``%3A`` and
  ``%25``, so they never clash with the separators; letters, digits and ``_.-~``
  stay readable.
- Arrays are stored as host (NumPy) arrays under their bare name, so
  ``numpy.load(path)["model/lstm.weight_ih_l0"]`` works. Their dtype must be
  boolean or numeric.
- Every other leaf is stored as a small array, and its name ends in a type tag:
  ``:int`` (0-d int64), ``:float`` (0-d float64), ``:bool``, ``:str`` (the
  code points, a 1-d uint32 array), ``:none``, ``:list`` (a flat list or tuple
  of numbers as a 1-d array: bool if all are bools, int64 if all are ints, else
  float64; it loads as a list), ``:dict`` (an empty dict, which would
  otherwise leave no entry) and ``:tensor`` (a Tensor's values, a host array; it
  loads as a tensor on the NumPy backend).
- A value saved alone, not in a dict (``mg.save(t, f)``, as ``torch.save`` allows),
  is the one entry ``%value``, with its tag: a name that no percent-encoded key can
  take.
- The entry ``minigrad:format`` holds ``[2, n]``: the format version and the
  number ``n`` of entries in the file, itself included. A file without it was
  not written by :func:`~minigrad.save` and is refused.

Each entry carries a CRC-32 checksum, which :func:`~minigrad.load` verifies by
reading every entry to its end, but a damaged zip directory can hide whole entries;
the count ``n`` turns that silent loss into an error. Nothing a file declares is
trusted before it is checked against the file itself: members must be the
uncompressed ``.npy`` entries that :func:`~minigrad.save` writes, their declared
sizes must fit in the file, and each header's dtype and shape must account for
exactly the bytes of its entry before the array is allocated (:mod:`minigrad.archive`).
Files of version 1 still load: their ``minigrad:format`` is the 0-d ``1`` (no count
to check) and a ``:str`` is a 0-d unicode array (which cannot hold trailing NUL
characters, hence the code points).

Paths are taken literally: ``save`` writes exactly ``path`` (unlike
:func:`numpy.savez`, it never appends ``.npz``) and ``load`` reads exactly ``path``.
Both also take a binary file object, as ``torch.save`` and ``torch.load`` do.

This module imports NumPy directly: the file format is host-side I/O, not array
maths (which goes through each backend's ``xp``).
"""

import io
import numbers
import os
import urllib.parse

import numpy

from minigrad import archive, backends
from minigrad.errors import SerializationError
from minigrad.tensor import Tensor

__all__ = ["FORMAT_VERSION", "load", "save"]

FORMAT_ENTRY = "minigrad:format"
FORMAT_VERSION = 2
_NO_PAYLOAD = numpy.zeros(0, dtype=numpy.int8)   # stored for the tags that carry no data
_SCALAR_TYPES = {"int": int, "float": float, "bool": bool, "str": str}   # "str": of version 1
# The entry of a value saved alone: quoting writes "%" only before two hex digits.
_ALONE = "%value"


def save(obj, f):
    """Write the nested dict ``obj`` (or one value) to ``f``, a path or a binary file, as an
    ``.npz`` archive.

    To a path, the archive is written to a temporary file in the same directory,
    flushed and synced to disk, then renamed onto the path in one step: the path
    holds either its old contents or the complete new file, never half of one. If
    anything fails, the temporary file is removed and the exception propagates. An
    existing file keeps its permissions; a symbolic link is written through (the file
    it points to is replaced, the link stays). Temporary files that killed saves left
    in that directory are removed first (only this host's, of processes that are gone).
    A file object (anything with ``write``) receives the archive as it is written.

    Parameters
    ----------
    obj : dict, Tensor or array
        Nested dicts with str keys whose leaves are arrays (NumPy, CuPy or any
        registered backend's; saved as host arrays), tensors (their values; a tensor
        loads back on the NumPy backend, without ``requires_grad``), ints, floats,
        bools, strs, ``None``, flat lists of numbers, or empty dicts; or one such leaf
        alone, which :func:`load` returns as it is.
    f : str, os.PathLike or typing.BinaryIO
        The file to write, used exactly as given (no suffix is added).

    Raises
    ------
    TypeError
        If ``obj`` is a module or an optimiser (save its ``state_dict()``), or holds a
        non-str key or an unsupported value (the message names its key and type).
    ValueError
        If an int does not fit in int64.
    FileNotFoundError, IsADirectoryError
        If the directory of ``f`` does not exist, or ``f`` is a directory.
    """
    if callable(getattr(obj, "state_dict", None)):
        # The example names what was passed: an optimiser (it has param_groups), a
        # scheduler (it has an optimizer), or else a model.
        name = ("optimizer" if hasattr(obj, "param_groups") else
                "scheduler" if hasattr(obj, "optimizer") else "model")
        raise TypeError(
            f"save: expected a dict, got a {type(obj).__name__}; minigrad saves state, "
            f"never whole objects: save its state dict, mg.save({name}.state_dict(), f), and "
            f"load it into a new one with {name}.load_state_dict(mg.load(f))"
        )
    entries = {}
    if isinstance(obj, dict):
        _flatten(obj, "", entries)
    else:
        tag, array = _encode(obj, "(a value saved alone)")
        entries[f"{_ALONE}:{tag}" if tag else _ALONE] = array
    # The count, this entry included, lets load notice entries that a damaged directory hides.
    header = numpy.array([FORMAT_VERSION, len(entries) + 1], dtype=numpy.int64)
    entries = {FORMAT_ENTRY: header, **entries}
    if hasattr(f, "write"):
        archive.write(f, entries)
    else:
        archive.replace(os.fsdecode(f), entries)


def load(f, map_location=None, weights_only=True):
    """Read a file written by :func:`~minigrad.save` and return its nested dict (or the
    value saved alone).

    Arrays come back as NumPy arrays, whatever backend they were saved from, and tensors
    as tensors on the NumPy backend or on ``map_location``;
    :meth:`minigrad.optim.Optimizer.load_state_dict` and
    :meth:`minigrad.nn.Module.load_state_dict` move them to their parameters'
    backends. Tuples come back as lists.

    Nothing in the file is trusted before it is checked: only the uncompressed ``.npy``
    entries that :func:`~minigrad.save` writes are read, each entry's declared shape
    must account for the bytes it holds before its array is allocated (so a load takes
    the memory of its payload and little more), and each entry's CRC-32 is verified.

    Parameters
    ----------
    f : str, os.PathLike or typing.BinaryIO
        The file to read, used exactly as given; a path must name a regular file. A file
        object is read from its start.
    map_location : str, optional
        The backend (or device string, ``"cpu"``, ``"cuda"``) for the tensors the file
        holds, as ``torch.load``'s.
    weights_only : bool
        Taken for ``torch.load``'s sake: a load never runs code, whatever it says.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``f``.
    minigrad.SerializationError
        If ``f`` is not a regular file, or not an ``.npz`` archive, is truncated or
        corrupt, was not written by :func:`~minigrad.save`, or holds pickled objects
        (which are refused before any of them is unpickled). The message names the file
        and the entry. A ``ValueError`` subclass.

    Examples
    --------
    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "checkpoint.npz")
    ...     mg.save({"model": {"w": mg.ones(2).data}, "epoch": 4}, path)
    ...     mg.load(path)
    {'model': {'w': array([1., 1.], dtype=float32)}, 'epoch': 4}
    """
    if hasattr(f, "read"):
        where = repr(getattr(f, "name", f"<{type(f).__name__}>"))
        if not (hasattr(f, "seekable") and f.seekable()):
            f = io.BytesIO(f.read())   # the zip directory is at the end: reading needs seeking
        return _read_file(f, where, map_location)
    path = os.fsdecode(f)
    with archive.open_regular(path) as file:
        return _read_file(file, repr(path), map_location)


def _read_file(file, where, map_location):
    """The nested dict in ``file``, named ``where`` in messages, its tensors on
    ``map_location`` (a backend's name; NumPy when ``None``)."""
    backend = backends.get("numpy" if map_location is None else map_location)
    entries = archive.read(file, where)
    if FORMAT_ENTRY not in entries:
        raise SerializationError(
            f"load: expected an .npz archive written by mg.save at {where}, got one without a "
            f"{FORMAT_ENTRY!r} entry (its entries include {list(entries)[:5]}); "
            "read other .npz files with numpy.load"
        )
    count = len(entries)
    header = entries.pop(FORMAT_ENTRY).tolist()
    if header != 1:   # version 1 wrote the bare version, without a count to check
        _check_header(header, count, where)
    alone = [name for name in entries if name.partition(":")[0] == _ALONE]
    if alone:
        if len(entries) != 1:
            raise SerializationError(f"load: entry {alone[0]!r} of {where}, a value saved "
                                     f"alone, comes with {len(entries) - 1} other entries")
        name = alone[0]
        return _decode(name.partition(":")[2], entries[name], name, where, backend)
    return _unflatten(entries, where, backend)


def _flatten(tree, prefix, entries):
    """Add to ``entries`` one named array per leaf of the nested dict ``tree``."""
    for key, value in tree.items():
        if not isinstance(key, str):
            where = f"under {prefix[:-1]!r}" if prefix else "at the top level"
            raise TypeError(f"save: expected str keys, got the {type(key).__name__} key "
                            f"{key!r} {where}")
        name = prefix + urllib.parse.quote(key, safe="")
        if isinstance(value, dict) and value:
            _flatten(value, name + "/", entries)
        else:
            tag, array = _encode(value, name)
            entries[f"{name}:{tag}" if tag else name] = array


def _encode(value, name):
    """Return the type tag (``""`` for arrays) and the host array that store ``value``."""
    if isinstance(value, Tensor):
        return "tensor", value.numpy()
    host = _host_array(value)
    if host is not None:
        if host.dtype.kind not in archive.ARRAY_KINDS:
            raise TypeError(f"save: expected an array of numbers or booleans at key {name!r}, "
                            f"got dtype {host.dtype}")
        return "", host
    if value is None or (isinstance(value, dict) and not value):
        return ("none" if value is None else "dict"), _NO_PAYLOAD
    if isinstance(value, (bool, numpy.bool_)):
        return "bool", numpy.array(bool(value))
    if isinstance(value, numbers.Integral):
        return "int", _array(int(value), numpy.int64, name)
    if isinstance(value, numbers.Real):
        return "float", numpy.array(float(value), dtype=numpy.float64)
    if isinstance(value, str):
        # Code points: a NumPy unicode array would drop trailing NUL characters.
        return "str", numpy.array([ord(c) for c in value], dtype=numpy.uint32)
    if isinstance(value, (list, tuple)):
        return "list", _number_list(value, name)
    raise TypeError(f"save: unsupported value at key {name!r}: expected an array, tensor, int, "
                    f"float, bool, str, None, list of numbers or dict, got {type(value).__name__}")


def _host_array(value):
    """Return ``value`` as a NumPy array if it is an array of some backend, else ``None``."""
    if isinstance(value, numpy.ndarray):
        return value
    owner = backends.of(value)
    return None if owner is None else owner.to_host(value)


def _number_list(values, name):
    """Return a flat list of numbers as a 1-d bool, int64 or float64 array."""
    if not all(isinstance(v, (numbers.Real, numpy.bool_)) for v in values):
        kinds = sorted({type(v).__name__ for v in values})
        raise TypeError(f"save: expected a flat list of numbers at key {name!r}, "
                        f"got one holding {kinds}")
    if values and all(isinstance(v, (bool, numpy.bool_)) for v in values):
        return numpy.array(values, dtype=numpy.bool_)
    if all(isinstance(v, numbers.Integral) for v in values):
        return _array(values, numpy.int64, name)
    return numpy.array(values, dtype=numpy.float64)


def _array(value, dtype, name):
    """Return ``numpy.array(value, dtype)``, naming the key if an int does not fit."""
    try:
        return numpy.array(value, dtype=dtype)
    except OverflowError as err:
        raise ValueError(f"save: expected ints that fit in int64 at key {name!r}, "
                         f"got {value!r} ({err})") from None


def _check_header(header, count, where):
    """Raise unless ``header`` is ``[FORMAT_VERSION, count]``: this version, no entry lost."""
    if not (isinstance(header, list) and len(header) == 2 and header[0] == FORMAT_VERSION):
        raise SerializationError(f"load: expected format version {FORMAT_VERSION} or 1 in "
                                 f"{where}, got {header!r} (written by a newer minigrad?)")
    if header[1] != count:
        raise SerializationError(f"load: expected {header[1]} entries in {where}, as its "
                                 f"{FORMAT_ENTRY!r} entry records, got {count}: the archive's "
                                 "directory is corrupt")


def _unflatten(entries, where, backend):
    """Rebuild the nested dict from entry names (see the module docstring)."""
    tree = {}
    for name, array in entries.items():
        keys, _, tag = name.partition(":")
        *parents, leaf = [urllib.parse.unquote(part) for part in keys.split("/")]
        node = tree
        for key in parents:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                break
        if not isinstance(node, dict) or leaf in node:
            raise SerializationError(f"load: entry {name!r} of {where} clashes with another "
                                     "entry (expected each path of keys once)")
        node[leaf] = _decode(tag, array, name, where, backend)
    return tree


def _decode(tag, array, name, where, backend):
    """Return the value that the entry ``name`` stores, going by its type tag."""
    try:
        if tag == "":
            return array
        if tag == "tensor":
            return Tensor(backend.from_host(array), backend)
        if tag == "str" and array.ndim == 1:
            return "".join(map(chr, array.tolist()))
        if tag in _SCALAR_TYPES and array.ndim == 0:
            return _SCALAR_TYPES[tag](array.item())
        if tag == "list" and array.ndim == 1:
            return array.tolist()
        if tag in ("none", "dict"):
            return None if tag == "none" else {}
    except (TypeError, ValueError) as err:
        raise SerializationError(f"load: entry {name!r} of {where} does not hold a {tag} "
                                 f"({err})") from err
    raise SerializationError(f"load: expected entry {name!r} of {where} to have a known type tag "
                             f"{sorted(_SCALAR_TYPES) + ['dict', 'list', 'none', 'tensor']} and shape, "
                             f"got tag {tag!r} on an array of shape {array.shape}")
