r"""Layers with a weight matrix: the affine map and the embedding lookup."""

import math

import minigrad as mg

from . import _checks as check
from . import functional as F
from . import init
from .module import Module, Parameter


class Linear(Module):
    r"""The affine map :math:`y = x W^\top + b` over the last axis.

    Parameters
    ----------
    in_features, out_features : int
        Sizes of each input and output vector.
    bias : bool
        Whether to learn :math:`b` (``bias`` is ``None`` otherwise).
    dtype, backend
        Of the parameters (``mg.float32`` on the default backend unless given).

    Attributes
    ----------
    weight : Parameter
        Shape ``(out_features, in_features)``.
    bias : Parameter or None
        Shape ``(out_features,)``.

    Notes
    -----
    Both are initialised from :math:`\mathcal{U}(-k, k)`, :math:`k = 1/\sqrt{\text{in\_features}}`,
    as PyTorch does.

    Examples
    --------
    >>> from minigrad import nn
    >>> layer = nn.Linear(3, 2)
    >>> layer(mg.randn(4, 3)).shape
    (4, 2)
    """

    def __init__(self, in_features, out_features, bias=True, *, dtype=mg.float32, backend=None,
                 device=None):
        super().__init__()
        backend = mg.backends.backend_or_device("Linear", backend, device)
        # Zero features are allowed, as in PyTorch: the layer is then empty or gives zeros.
        self.in_features = check.non_negative_int("Linear", "in_features", in_features)
        self.out_features = check.non_negative_int("Linear", "out_features", out_features)
        bias = check.boolean("Linear", "bias", bias)
        check.floating_dtype("Linear", dtype)
        self.weight = Parameter(mg.zeros(out_features, in_features, dtype=dtype, backend=backend))
        self.bias = (Parameter(mg.zeros(out_features, dtype=dtype, backend=backend)) if bias
                     else None)
        self.reset_parameters()

    def reset_parameters(self):
        r"""Draw the weight and bias from :math:`\mathcal{U}(\pm 1/\sqrt{\text{in\_features}})`."""
        # Without inputs there is no fan-in to scale by: PyTorch then starts the bias at 0.
        bound = 1.0 / math.sqrt(self.in_features) if self.in_features else 0.0
        for parameter in self.parameters():
            init.uniform_(parameter, -bound, bound)

    def forward(self, x):
        check.tensor("Linear", "input", x)
        check.features("Linear", x, self.in_features, "in_features")
        check.dtype("Linear", "input", x, self.weight.dtype)
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"{self.in_features}, {self.out_features}, bias={self.bias is not None}"


class Embedding(Module):
    r"""A lookup table: row :math:`i` of ``weight`` is the vector of index :math:`i`.

    The lookup is indexing, ``weight[indices]``; its backward scatters the gradient back
    into the rows, adding up the contributions of an index that occurs several times.

    Parameters
    ----------
    num_embeddings : int
        How many indices there are.
    embedding_dim : int
        The size of each vector.
    padding_idx : int, optional
        An index that marks padding, as in PyTorch: its row starts at zeros and never
        receives a gradient, so it stays what it is while the other rows learn. A negative
        one counts from the end (``-1`` is the last row).
    dtype, backend
        Of the weight.

    Attributes
    ----------
    weight : Parameter
        Shape ``(num_embeddings, embedding_dim)``, initialised from :math:`\mathcal{N}(0, 1)`
        (the ``padding_idx`` row at zeros).
    padding_idx : int or None
        The padding row, counted from the start (``-1`` becomes ``num_embeddings - 1``).

    Raises
    ------
    ValueError
        If ``padding_idx`` is not an int in ``[-num_embeddings, num_embeddings)``.

    Examples
    --------
    >>> from minigrad import nn
    >>> table = nn.Embedding(10, 4)
    >>> table(mg.tensor([[1, 2], [2, 9]])).shape
    (2, 2, 4)

    Index 0 as padding: its vector is zeros and learns nothing.

    >>> table = nn.Embedding(10, 3, padding_idx=0)
    >>> table(mg.tensor([0, 4, 0])).sum().backward()
    >>> table.weight[0].numpy()
    array([0., 0., 0.], dtype=float32)
    >>> table.weight.grad[:, 0].numpy()
    array([0., 0., 0., 0., 1., 0., 0., 0., 0., 0.], dtype=float32)
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, *, dtype=mg.float32,
                 backend=None, device=None):
        super().__init__()
        backend = mg.backends.backend_or_device("Embedding", backend, device)
        # An empty table is allowed, as in PyTorch (it can look nothing up).
        self.num_embeddings = check.non_negative_int("Embedding", "num_embeddings",
                                                     num_embeddings)
        self.embedding_dim = check.non_negative_int("Embedding", "embedding_dim", embedding_dim)
        self.padding_idx = check.padding_index("Embedding", padding_idx, num_embeddings)
        check.floating_dtype("Embedding", dtype)
        self.weight = Parameter(
            mg.zeros(num_embeddings, embedding_dim, dtype=dtype, backend=backend)
        )
        self.reset_parameters()

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None):
        """A table whose weight is ``embeddings`` (shared, not copied), as PyTorch's.

        Parameters
        ----------
        embeddings : Tensor
            Floating, ``(num_embeddings, embedding_dim)``; its dtype and backend are the
            table's.
        freeze : bool
            Keep the weight fixed (``requires_grad=False``), so optimisers skip it.
        padding_idx : int, optional
            As in the constructor, except that its row keeps the given values.

        Returns
        -------
        Embedding

        Examples
        --------
        >>> from minigrad import nn
        >>> table = nn.Embedding.from_pretrained(mg.tensor([[1.0, 2.0], [3.0, 4.0]]))
        >>> table(mg.tensor([1])).numpy(), table.weight.requires_grad
        (array([[3., 4.]], dtype=float32), False)
        """
        check.floating("Embedding.from_pretrained", "embeddings", embeddings)
        if embeddings.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: expected embeddings of shape "
                             f"(num_embeddings, embedding_dim), got {embeddings.shape}")
        table = cls(*embeddings.shape, padding_idx=padding_idx, dtype=embeddings.dtype,
                    backend=embeddings.backend)
        table.weight = Parameter(embeddings.detach(), requires_grad=not check.boolean(
            "Embedding.from_pretrained", "freeze", freeze))
        return table

    def reset_parameters(self):
        r"""Draw the weight from :math:`\mathcal{N}(0, 1)`, then zero the ``padding_idx`` row."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    def forward(self, indices):
        check.tensor("Embedding", "indices", indices)
        check.index_range("Embedding", "indices", indices, self.num_embeddings)
        return F._lookup(indices, self.weight, self.padding_idx)

    def extra_repr(self):
        padding = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{padding}"
