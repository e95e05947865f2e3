"""Machinery for the examples' smoke tests: load a script as a module, check a PNG.

The scripts live in ``examples/`` at the repository root, outside the installed
package; each has a ``main(argv)`` that the tests call in-process with tiny sizes.
"""

import importlib.util
import sys
from pathlib import Path

import matplotlib.image
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="session")
def load_example():
    """A function that imports ``examples/<name>.py`` and returns the module."""
    sys.path.insert(0, str(EXAMPLES))  # the scripts import their neighbour _common
    modules = {}

    def load(name):
        if name not in modules:
            path = EXAMPLES / f"{name}.py"
            spec = importlib.util.spec_from_file_location(f"example_{name}", path)
            modules[name] = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(modules[name])
        return modules[name]

    yield load
    sys.path.remove(str(EXAMPLES))


def assert_png(path):
    """``path`` is a PNG of a real plot: it opens, it is large, and it is not blank."""
    image = matplotlib.image.imread(path)
    assert image.shape[0] > 200 and image.shape[1] > 200, image.shape
    assert image[..., :3].std() > 0.05, "the image is (nearly) blank"


@pytest.fixture
def check_png():
    return assert_png
