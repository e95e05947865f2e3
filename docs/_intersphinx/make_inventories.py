"""Write the intersphinx inventories the docs build reads, so that it needs no network.

``python.inv`` is CPython's own inventory (Debian's ``python3-doc`` ships it as
``/usr/share/doc/python3.11/html/objects.inv``; docs.python.org serves the same file).
NumPy's, CuPy's and PyTorch's are cut down to the objects these docs link to, listed below;
each entry points at the page of the real documentation.

Regenerate after adding a link to another NumPy or CuPy object::

    python docs/_intersphinx/make_inventories.py

With network access, ``--fetch`` downloads the full upstream inventories instead.
"""

import sys
import urllib.request
import zlib
from pathlib import Path

HERE = Path(__file__).parent

# name, domain:role, uri (relative to the project's docs root), display name ("-" = name)
NUMPY = [
    ("numpy.ndarray", "py:class", "reference/generated/numpy.ndarray.html#$", "-"),
    ("numpy.dtype", "py:class", "reference/generated/numpy.dtype.html#$", "-"),
    ("numpy.asarray", "py:function", "reference/generated/numpy.asarray.html#$", "-"),
    ("numpy.split", "py:function", "reference/generated/numpy.split.html#$", "-"),
    ("numpy.concatenate", "py:function", "reference/generated/numpy.concatenate.html#$", "-"),
    ("numpy.where", "py:function", "reference/generated/numpy.where.html#$", "-"),
    ("numpy.broadcast_to", "py:function", "reference/generated/numpy.broadcast_to.html#$", "-"),
    ("numpy.matmul", "py:data", "reference/generated/numpy.matmul.html#$", "-"),
    ("numpy.add", "py:data", "reference/generated/numpy.add.html#$", "-"),
    ("numpy.ufunc.at", "py:method", "reference/generated/numpy.ufunc.at.html#$", "-"),
    ("numpy.savez", "py:function", "reference/generated/numpy.savez.html#$", "-"),
    ("numpy.load", "py:function", "reference/generated/numpy.load.html#$", "-"),
    ("numpy.random.default_rng", "py:function", "reference/random/generator.html#$", "-"),
    ("numpy.random.Generator", "py:class", "reference/random/generator.html#$", "-"),
    ("array_like", "std:term", "glossary.html#term-array_like", "-"),
    ("basics.broadcasting", "std:label", "user/basics.broadcasting.html#basics-broadcasting",
     "Broadcasting"),
]

CUPY = [
    ("cupy.ndarray", "py:class", "reference/generated/cupy.ndarray.html#$", "-"),
    ("cupy.asnumpy", "py:function", "reference/generated/cupy.asnumpy.html#$", "-"),
    ("cupy.asarray", "py:function", "reference/generated/cupy.asarray.html#$", "-"),
    ("cupy.ElementwiseKernel", "py:class", "reference/generated/cupy.ElementwiseKernel.html#$",
     "-"),
    ("cupy.random.default_rng", "py:function",
     "reference/generated/cupy.random.default_rng.html#$", "-"),
    ("cupyx.scatter_add", "py:function", "reference/generated/cupyx.scatter_add.html#$", "-"),
    ("install", "std:doc", "install.html", "Installation"),
]

TORCH = [
    (f"torch.{name}", role, f"generated/torch.{name}.html#$", "-")
    for name, role in [
        ("nn.RNN", "py:class"), ("nn.GRU", "py:class"), ("nn.LSTM", "py:class"),
        ("nn.RNNCell", "py:class"), ("nn.GRUCell", "py:class"), ("nn.LSTMCell", "py:class"),
        ("nn.Linear", "py:class"), ("nn.Embedding", "py:class"), ("nn.Dropout", "py:class"),
        ("nn.Module", "py:class"), ("nn.CrossEntropyLoss", "py:class"),
        ("nn.utils.clip_grad_norm_", "py:function"), ("optim.SGD", "py:class"),
        ("optim.Adam", "py:class"), ("autograd.grad", "py:function"),
        ("Tensor.backward", "py:method"), ("Tensor.detach", "py:method"),
    ]
]

UPSTREAM = {
    "python.inv": "https://docs.python.org/3/objects.inv",
    "numpy.inv": "https://numpy.org/doc/stable/objects.inv",
    "cupy.inv": "https://docs.cupy.dev/en/stable/objects.inv",
    "torch.inv": "https://docs.pytorch.org/docs/stable/objects.inv",
}


def write(path, project, version, entries):
    """Write ``entries`` as a version-2 Sphinx inventory (a header, then zlib lines)."""
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    body = "".join(f"{name} {role} 1 {uri} {shown}\n" for name, role, uri, shown in entries)
    path.write_bytes(header.encode() + zlib.compress(body.encode()))


def main():
    if "--fetch" in sys.argv:
        for name, url in UPSTREAM.items():
            with urllib.request.urlopen(url, timeout=30) as response:
                (HERE / name).write_bytes(response.read())
        return
    write(HERE / "numpy.inv", "NumPy", "stable", NUMPY)
    write(HERE / "cupy.inv", "CuPy", "stable", CUPY)
    write(HERE / "torch.inv", "PyTorch", "stable", TORCH)


if __name__ == "__main__":
    main()
