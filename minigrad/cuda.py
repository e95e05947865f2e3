"""``mg.cuda``: the two questions a PyTorch script asks ``torch.cuda`` before picking a device.

>>> device = mg.device("cuda" if mg.cuda.is_available() else "cpu")
"""

from minigrad import backends

__all__ = ["device_count", "is_available"]


def is_available():
    """Whether the CuPy backend can run here: CuPy installed and a GPU present."""
    return "cupy" in backends.available()


def device_count():
    """The number of GPUs minigrad uses here: 1 with the CuPy backend, else 0."""
    return int(is_available())
