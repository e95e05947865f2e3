"""The backend protocol: what the engine asks of an array library.

Everything else the engine needs is reached through :attr:`Backend.xp`, an
array namespace with NumPy's API (``numpy`` itself, or ``cupy``).
"""

import abc


class BackendUnavailableError(RuntimeError):
    """A backend was asked for that cannot run on this machine.

    The message says what is missing (the library, or a device) and how to fix it.
    """


class Backend(abc.ABC):
    """Base class of array backends.

    A backend is an object with a ``name``, an array namespace ``xp``
    and the few operations that differ between array libraries. Subclasses set
    ``name`` and ``xp`` and implement every abstract method below.

    Attributes
    ----------
    name : str
        The name users pass as ``backend=`` (``"numpy"``, ``"cupy"``).
    xp : module
        The array namespace, with NumPy's functions (``xp.tanh``, ``xp.matmul``...).
    """

    name = None
    xp = None

    @abc.abstractmethod
    def is_native(self, obj):
        """Return whether ``obj`` is an array of this backend's own type.

        Parameters
        ----------
        obj : object

        Returns
        -------
        bool
        """

    @abc.abstractmethod
    def to_host(self, array):
        """Return ``array`` as a :class:`numpy.ndarray` (copied off the device when needed).

        Parameters
        ----------
        array : array
            An array of this backend.

        Returns
        -------
        numpy.ndarray
        """

    @abc.abstractmethod
    def from_host(self, array):
        """Return the NumPy array ``array`` as an array of this backend.

        Parameters
        ----------
        array : numpy.ndarray

        Returns
        -------
        array
            On this backend's device.
        """

    @abc.abstractmethod
    def seed(self, seed):
        """Reset this backend's random generator to the integer ``seed``.

        Parameters
        ----------
        seed : int
        """

    @abc.abstractmethod
    def randn(self, shape, dtype):
        """Draw an array of ``shape`` from the standard normal distribution.

        Parameters
        ----------
        shape : tuple of int
        dtype : dtype
            A floating dtype.

        Returns
        -------
        array
        """

    @abc.abstractmethod
    def rand(self, shape, dtype):
        """Draw an array of ``shape`` uniformly from :math:`[0, 1)`.

        Parameters
        ----------
        shape : tuple of int
        dtype : dtype
            A floating dtype.

        Returns
        -------
        array
        """

    @abc.abstractmethod
    def scatter_add(self, target, index, values):
        """Add ``values`` into ``target[index]`` in place, accumulating repeated indices.

        ``target[index] += values`` would count a repeated index once; this is the
        backward of indexing with an integer array (an embedding lookup).

        Parameters
        ----------
        target : array
            Modified in place.
        index
            Any NumPy index: ints, slices, integer arrays.
        values : array
            Broadcastable to ``target[index]``.
        """

    def __repr__(self):
        return f"<minigrad backend {self.name!r}>"

    def __reduce__(self):
        # A backend is one shared, registered instance: deep copies and pickles of tensors
        # (and of modules holding them) refer back to it by name instead of cloning it.
        return (_registered, (self.name,))


def _registered(name):
    from . import get  # the registry imports this module, so look it up only when needed

    return get(name)
