"""Sphinx configuration for minigrad's documentation.

Build (from the repository root, after ``pip install -e ".[docs]"``)::

    bash docs/build.sh

which runs the HTML build and the doctests with warnings as errors.
The build reads no network: intersphinx inventories are in ``_intersphinx/``.
The vanishing-gradient plot is drawn by ``examples/vanishing_gradients.py`` at
every build; the unrolled graphs need Graphviz, so their SVGs are committed in
``_static/figures/`` (``_scripts/make_figures.sh`` redraws them, and the build
warns when they are stale). See ``_ext/minigrad_docs.py``.
"""

import os
import sys
from pathlib import Path

import minigrad

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE / "guide"))  # counting_backend.py, the worked example of a backend

project = "minigrad"
author = "the minigrad authors"
copyright = "2025, the minigrad authors"
release = version = minigrad.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",
    "sphinx.ext.intersphinx",
    "sphinx.ext.doctest",
    "sphinx.ext.viewcode",
    "minigrad_docs",
]

exclude_patterns = ["_build", "_scripts", "_intersphinx", "Thumbs.db", ".DS_Store"]
templates_path = ["_templates"]
nitpicky = True

# ---- theme ----------------------------------------------------------------------------
html_theme = "furo"
html_title = f"minigrad {release}"
html_static_path = ["_static"]
html_css_files = ["minigrad.css"]
pygments_style = "friendly"
pygments_dark_style = "monokai"

# MathJax is served from the built site, so the equations render with no network: the
# docs extra installs sphinx-mathjax-offline, which copies MathJax 3 into _static/mathjax.
# MINIGRAD_MATHJAX points at another copy (a CDN's address, or Debian's libjs-mathjax).
if os.environ.get("MINIGRAD_MATHJAX"):
    mathjax_path = os.environ["MINIGRAD_MATHJAX"]

# ---- autodoc, autosummary, napoleon -------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = False
# minigrad.Tensor and minigrad.tensor would share a file on case-insensitive file systems.
autosummary_filename_map = {"minigrad.tensor": "minigrad.tensor-factory"}
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # types are written in the docstrings, NumPy style
autodoc_inherit_docstrings = True
add_module_names = False
python_display_short_literal_types = True

napoleon_google_docstring = True
napoleon_numpy_docstring = True
napoleon_use_ivar = True  # "Attributes" as fields, so they do not clash with properties
napoleon_use_rtype = False
napoleon_preprocess_types = True
napoleon_custom_sections = [("Inputs", "params_style"), ("Outputs", "params_style"),
                            ("Shapes", "params_style")]
napoleon_type_aliases = {
    "Tensor": ":class:`~minigrad.Tensor`",
    "Backend": ":class:`~minigrad.backends.Backend`",
    "Function": ":class:`~minigrad.function.Function`",
    "Parameter": ":class:`~minigrad.nn.Parameter`",
    "Module": ":class:`~minigrad.nn.Module`",
    "RNNCellBase": ":class:`~minigrad.nn.RNNCellBase`",
    "Optimizer": ":class:`~minigrad.optim.Optimizer`",
    "array": ":term:`array <array>`",
    "array_like": ":term:`numpy:array_like`",
    "dtype": ":class:`~numpy.dtype`",
    "callable": ":func:`callable`",
    "sequence": ":term:`sequence`",
    "iterable": ":term:`iterable`",
    "module": ":term:`module`",
    "Path": ":class:`~pathlib.Path`",
    "ndarray": ":class:`~numpy.ndarray`",
    "number": ":class:`~numbers.Number`",
    "Figure": "``Figure``",  # matplotlib's, an optional dependency the docs do not link
    "GradientFlow": ":class:`~minigrad.viz.GradientFlow`",
    "PackedSequence": ":class:`~minigrad.nn.utils.rnn.PackedSequence`",
}

# ---- cross-references ------------------------------------------------------------------
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", str(HERE / "_intersphinx" / "python.inv")),
    "numpy": ("https://numpy.org/doc/stable", str(HERE / "_intersphinx" / "numpy.inv")),
    "cupy": ("https://docs.cupy.dev/en/stable", str(HERE / "_intersphinx" / "cupy.inv")),
    # minigrad follows PyTorch's conventions, and says so with links.
    "torch": ("https://docs.pytorch.org/docs/stable", str(HERE / "_intersphinx" / "torch.inv")),
}

# ---- doctest ------------------------------------------------------------------------------
doctest_global_setup = """
import numpy as np
import minigrad as mg
mg.manual_seed(0)
from minigrad import nn
try:
    import torch  # only for the pages that compare with PyTorch; skipped without it
    has_torch = True
except ImportError:
    has_torch = False
"""
doctest_default_flags = (
    __import__("doctest").ELLIPSIS | __import__("doctest").NORMALIZE_WHITESPACE
)
# Every doctest runs on NumPy: the pages do not assume a GPU.
doctest_test_doctest_blocks = "default"
