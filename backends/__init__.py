r"""Array backends: where minigrad's arrays live and who computes on them.

The engine never imports an array library itself. Every :class:`~minigrad.Tensor`
holds a backend, and each primitive op receives that backend's array namespace
``xp`` in its ``forward``: NumPy's API on NumPy (CPU) and on CuPy (NVIDIA GPU).

The protocol
------------
A backend is an object with these members (:class:`Backend` is a base class
that spells them out):

``name``
    The string users pass as ``backend=``.
``xp``
    An array namespace with NumPy's API: ``xp.tanh``, ``xp.matmul``,
    ``xp.concatenate``, ``xp.broadcast_to`` ...
``is_native(obj)``
    Whether ``obj`` is an array of this backend (used to accept arrays in
    :func:`minigrad.tensor` and to tell which backend an array belongs to).
``to_host(array)`` / ``from_host(array)``
    Move an array to a :class:`numpy.ndarray` and back.
``seed(n)``, ``randn(shape, dtype)``, ``rand(shape, dtype)``
    The backend's own random generator, so draws stay on the device.
``rng_state()``, ``set_rng_state(state)``
    A snapshot of that generator and its restoration, with which
    :func:`minigrad.checkpoint` replays a recomputed call's random draws.
``scatter_add(target, index, values)``
    ``target[index] += values`` with repeated indices accumulated (the backward
    of indexing); both NumPy and CuPy spell it ``add.at``.
``array_type``
    The class of the backend's arrays: a forward's result of another class (a
    NumPy scalar) is made an array.
``number_as_array(number, like)``, ``numbers_as_arrays(operands)``
    The form in which ops take a Python constant beside an array.
``compiles_kernels``, ``kernel(source)``
    Whether the backend compiles an op's own elementwise kernel
    (a :class:`~minigrad.backends.base.KernelSource`, CUDA C), and the compiler.
    Ops whose NumPy form takes several passes run one kernel instead where it does.

The registry
------------
:func:`get` returns a backend by name, :func:`available` lists those usable on
this machine, :func:`register` plugs in a new one without touching the engine,
and :func:`set_default_backend` / :func:`default_backend` choose where factories
put new tensors (``"numpy"`` unless changed). That choice is per thread, as grad mode
is: each thread starts with ``"numpy"``, and changing it in one thread leaves the
others alone.
"""

import contextlib
import copyreg
import threading

from .base import Backend, BackendUnavailableError, KernelSource
from .cupy_backend import CuPyBackend
from .numpy_backend import NumPyBackend

__all__ = [
    "Backend",
    "BackendUnavailableError",
    "KernelSource",
    "available",
    "backend_or_device",
    "default_backend",
    "get",
    "get_default",
    "instantiated",
    "of",
    "register",
    "registered_name",
    "seed_all",
    "set_default_backend",
]

_REQUIRED = ("name", "xp", "is_native", "to_host", "from_host", "seed", "randn", "rand",
             "scatter_add", "compiles_kernels", "kernel")

# Built-in backends are constructed on first use, so CuPy is imported only when asked for.
_builders = {"numpy": NumPyBackend, "cupy": CuPyBackend}
_instances = {}
_errors = {}
_state = {"seed": None}
# PyTorch's device strings, taken wherever a backend name is.
_DEVICES = {"cpu": "numpy", "cuda": "cupy", "cuda:0": "cupy"}


class _ThreadDefault(threading.local):
    """The default backend's name: each thread has its own, and starts with NumPy."""

    def __init__(self):
        self.name = "numpy"


_default = _ThreadDefault()


def _keep(backend):
    """Hold ``backend`` as the one instance of its name.

    Copies and pickles of tensors (and of modules holding them) then refer back to it
    by that name instead of cloning it.
    """
    _instances[backend.name] = backend
    copyreg.pickle(type(backend), _by_name)


def _by_name(backend):
    return get, (backend.name,)


# NumPy is built at once: it is always there, and as the host format it is the first
# backend asked whether it owns an array (see of()).
_keep(NumPyBackend())


def registered_name(name):
    """The registered backend that ``name`` means (a PyTorch device string maps to its
    backend), without building it.

    Raises
    ------
    ValueError
        If no backend of that name is registered (the message lists those that are).
    """
    name = _DEVICES.get(name, name)
    if name not in _instances and name not in _builders:
        known = sorted(set(_builders) | set(_instances))
        raise ValueError(
            f"unknown backend {name!r}: expected one of {known} or a device string "
            f"{sorted(_DEVICES)} (available here: {available()})"
        )
    return name


def backend_or_device(owner, backend, device):
    """The ``backend=`` that ``owner`` was given, or PyTorch's ``device=`` for it.

    Raises
    ------
    TypeError
        If both were given: they mean the same.
    """
    if device is None:
        return backend
    if backend is not None:
        raise TypeError(f"{owner}: got both backend= and device=, which mean the same; "
                        f"pass one of them")
    return device


def get(name):
    """Return the backend called ``name``, building it on first use.

    Parameters
    ----------
    name : str or Backend
        A registered backend's name, or a PyTorch device string: ``"cpu"`` is
        ``"numpy"``, ``"cuda"`` and ``"cuda:0"`` are ``"cupy"``. A backend object is
        returned unchanged.

    Returns
    -------
    Backend

    Raises
    ------
    ValueError
        If no backend of that name is registered (the message lists those that are).
    BackendUnavailableError
        If the backend exists but cannot run here (e.g. ``"cupy"`` without CuPy or a GPU).
    """
    if isinstance(name, Backend):
        return name
    backend = _instances.get(name)
    if backend is not None:
        return backend
    name = registered_name(name)
    backend = _instances.get(name)
    if backend is not None:
        return backend
    if name in _errors:
        raise _errors[name]
    try:
        backend = _builders[name](seed=_state["seed"])
    except BackendUnavailableError as err:
        _errors[name] = err
        raise
    _keep(backend)
    return backend


def available():
    """Return the names of the backends that can run on this machine, ``"numpy"`` first.

    Building a backend to find out is what imports CuPy, so the first call may take
    a moment; unavailable backends are simply left out.

    Returns
    -------
    list of str
    """
    names = []
    for name in list(_builders) + [n for n in _instances if n not in _builders]:
        try:
            get(name)
        except BackendUnavailableError:
            continue
        names.append(name)
    return names


def register(backend):
    """Add ``backend`` to the registry under ``backend.name`` (replacing one of that name).

    It is seeded at once if :func:`~minigrad.manual_seed` was called before.
    See :doc:`/guide/backends` for a worked example.

    Parameters
    ----------
    backend : Backend
        Any object with the members of the protocol (:class:`Backend` lists them).

    Returns
    -------
    Backend
        ``backend`` itself.

    Raises
    ------
    TypeError
        If ``backend`` lacks a member of the protocol (the message lists them).
    """
    missing = [member for member in _REQUIRED if getattr(backend, member, None) is None]
    if missing or not isinstance(backend.name, str):
        raise TypeError(
            f"register: a backend needs a str 'name' and the members {list(_REQUIRED)}; "
            f"{type(backend).__name__} lacks {missing or ['a str name']}"
        )
    _builders.pop(backend.name, None)
    _errors.pop(backend.name, None)
    _keep(backend)
    if _state["seed"] is not None:
        backend.seed(_state["seed"])
    return backend


def of(array):
    """Return the backend whose native array type ``array`` has, or ``None``.

    Only backends built so far are asked, in the order they were built.

    Parameters
    ----------
    array : object

    Returns
    -------
    Backend or None
    """
    for backend in _instances.values():
        if backend.is_native(array):
            return backend
    return None


def instantiated():
    """Return the backends built so far, in the order they were built.

    Returns
    -------
    list of Backend
    """
    return list(_instances.values())


def seed_all(seed):
    """Seed every backend built so far, and those built later, with ``seed``.

    :func:`minigrad.manual_seed` checks its argument and calls this.

    Parameters
    ----------
    seed : int
    """
    _state["seed"] = seed
    for backend in _instances.values():
        backend.seed(seed)


def get_default():
    """Return the backend that factories use when no ``backend=`` is given.

    Returns
    -------
    Backend
    """
    return get(_default.name)


def set_default_backend(name):
    """Make ``name`` the backend of tensors this thread creates without ``backend=``.

    Also available as ``mg.set_default_backend``. Other threads keep their own default
    (``"numpy"`` until they change it).

    Parameters
    ----------
    name : str

    Raises
    ------
    ValueError, BackendUnavailableError
        As :func:`get`, when ``name`` is unknown or cannot run here; the default
        is then unchanged.
    """
    _default.name = get(name).name


@contextlib.contextmanager
def default_backend(name):
    """Within the ``with`` block, create tensors on backend ``name`` by default.

    Also available as ``mg.default_backend``. The previous default comes back when
    the block ends, even by an exception.

    Parameters
    ----------
    name : str

    Yields
    ------
    Backend
        The backend called ``name``.

    Raises
    ------
    ValueError, BackendUnavailableError
        As :func:`get`.

    Examples
    --------
    >>> with mg.default_backend("numpy"):
    ...     mg.zeros(2).backend
    'numpy'
    """
    previous = _default.name
    set_default_backend(name)
    try:
        yield get(name)
    finally:
        _default.name = previous
