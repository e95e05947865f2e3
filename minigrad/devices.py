"""PyTorch's devices, as names for minigrad's backends: ``mg.device``.

A PyTorch script says where tensors live with a device, ``"cpu"`` or ``"cuda"``;
minigrad puts them on a backend. The device strings name the backends wherever a
backend is taken (``"cpu"`` is NumPy, ``"cuda"`` and ``"cuda:0"`` are CuPy), and
:class:`device` is what ``torch.device`` would be, so the usual line ports as it is:

>>> device = mg.device("cuda" if mg.cuda.is_available() else "cpu")
>>> mg.zeros(2, device=device).device == device
True
"""

from minigrad import backends

__all__ = ["device"]

# The device string of each built-in backend; another backend goes by its own name.
_DEVICE_OF = {"numpy": "cpu", "cupy": "cuda:0"}


class device(str):  # noqa: N801  (PyTorch's name)
    """A device, as PyTorch's ``torch.device``: a string naming a backend.

    ``device("cpu")`` is ``"cpu"`` (the NumPy backend), ``device("cuda")`` is
    ``"cuda:0"`` (the CuPy backend; minigrad uses one GPU). Being a string, it goes
    wherever a backend's name does: ``backend=``, ``device=``, ``t.to(device)``.
    Naming a device builds nothing: ``device("cuda")`` works without CuPy, and only
    putting a tensor there needs it.

    Parameters
    ----------
    spec : str
        ``"cpu"``, ``"cuda"``, ``"cuda:0"``, or a registered backend's name.

    Raises
    ------
    ValueError
        If ``spec`` names no backend, or a GPU other than ``cuda:0``.
    """

    __slots__ = ()

    def __new__(cls, spec):
        if isinstance(spec, str) and spec.startswith("cuda:") and spec != "cuda:0":
            raise ValueError(f"device: minigrad uses one GPU, 'cuda:0'; got {spec!r}")
        name = backends.registered_name(spec)
        return super().__new__(cls, _DEVICE_OF.get(name, name))

    @property
    def type(self):
        """``"cpu"`` or ``"cuda"`` (another backend's own name), without the index."""
        return str(self).partition(":")[0]

    @property
    def index(self):
        """The GPU's index, 0, for ``"cuda:0"``; ``None`` otherwise."""
        return int(str(self).partition(":")[2]) if ":" in self else None

    def __repr__(self):
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type={self.type!r}{index})"
